"""End-to-end tests of the website build, with the pure-Python fallback renderer.

A tiny project is laid out in a temporary folder: the real ``_quarto.yml`` and ``site/``,
plus a hand-made executed notebook (``tests/data/site_executed.ipynb``: a parameters cell,
papermill's injected parameters, a table, a PNG figure) copied in as two runs.
"""

from __future__ import annotations

import base64
import json
import shutil
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
import yaml
from selectolax.lexbor import LexborHTMLParser as HTMLParser

from skills_engine import config
from skills_engine.data.sourcing import data_log
from skills_engine.publish import notebooks, pages, render

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(__file__).parent / "data"
NOTEBOOK = DATA / "site_executed.ipynb"
REGIONS_JSON = DATA / "site_regions.json"
RUNS = ("north-east", "sample")
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def make_project(root: Path, runs=RUNS, findings: Path | None = None, regions: Path | None = None) -> Path:
    """A project layout: ``_quarto.yml``, ``site/`` and ``reports/<run>/01_x.ipynb`` (and, when
    given, ``reports/findings.json`` and ``reports/regions.json``)."""
    root.mkdir(parents=True, exist_ok=True)
    shutil.copy2(ROOT / "_quarto.yml", root / "_quarto.yml")
    shutil.copytree(ROOT / "site", root / "site", ignore=shutil.ignore_patterns("_generated*"))
    for run in runs:
        (root / "reports" / run).mkdir(parents=True)
        shutil.copy2(NOTEBOOK, root / "reports" / run / "01_x.ipynb")
    if findings is not None:
        shutil.copy2(findings, root / "reports" / "findings.json")
    if regions is not None:
        (root / "reports").mkdir(exist_ok=True)
        shutil.copy2(regions, root / "reports" / "regions.json")
    return root


def build(root: Path, **kwargs) -> Path:
    kwargs.setdefault("sourcing_report", DATA / "site_sourcing_report.json")
    return render.build_site(root, renderer="smalldocs", **kwargs)


def parse(path: Path) -> HTMLParser:
    return HTMLParser(path.read_text(encoding="utf-8"))


def main_text(path: Path) -> str:
    """The text a reader sees in the page's main part, whitespace collapsed."""
    return " ".join(parse(path).css_first("main").text(separator=" ").split())


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    root = make_project(tmp_path_factory.mktemp("project"), findings=DATA / "site_findings.json")
    out = build(root)
    assert out == root / "_site"
    return out


def local_targets(page: Path):
    """Every local link and source on a page, as (attribute value, file, fragment)."""
    tree = parse(page)
    for node in tree.css("[href], [src]"):
        for attribute in ("href", "src"):
            value = node.attributes.get(attribute)
            if not value or value.startswith(("http://", "https://", "//", "mailto:", "data:", "javascript:")):
                continue
            parts = urlsplit(value)
            if not parts.path:
                yield value, page, parts.fragment
                continue
            target = (page.parent / unquote(parts.path)).resolve()
            if target.is_dir():
                target = target / "index.html"
            yield value, target, parts.fragment


def test_site_has_home_reports_data_log_and_caveats(built):
    for page in ("index.html", "data-log.html", "caveats.html", "reports/index.html"):
        assert (built / page).is_file(), page
    for run in RUNS:
        assert (built / "reports" / run / "01_x.html").is_file()
        assert (built / "reports" / run / "index.html").is_file()
    # the model card is a real page; its metrics say how to produce them when the evaluation has not run
    assert "Known failure modes" in main_text(built / "model-card.html")
    assert "has not been run yet" in main_text(built / "model-card.html")


def test_every_local_link_and_image_resolves(built):
    pages = sorted(built.rglob("*.html"))
    assert len(pages) >= 8
    checked = 0
    for page in pages:
        for value, target, fragment in local_targets(page):
            checked += 1
            assert target.is_file(), f"{page.relative_to(built)}: {value} does not resolve"
            assert built in target.parents, f"{page.relative_to(built)}: {value} leaves the site"
            if fragment and target.suffix == ".html":
                assert parse(target).css_first(f'[id="{fragment}"]') is not None, f"{page}: no #{fragment} in {target}"
    assert checked > 50


def test_inline_images_are_real_pngs(built):
    images = parse(built / "reports" / "sample" / "01_x.html").css("main img")
    assert len(images) == 1
    src = images[0].attributes["src"]
    assert src.startswith("data:image/png;base64,")
    assert base64.b64decode(src.split(",", 1)[1]).startswith(PNG_MAGIC)


def test_notebook_page_folds_code_and_keeps_outputs(built):
    tree = parse(built / "reports" / "sample" / "01_x.html")
    main = tree.css_first("main")
    code_blocks = main.css("pre")
    code = [pre for pre in code_blocks if "cell-code" in (pre.attributes.get("class") or "")]
    assert len(code) == 3  # injected parameters, the table cell, the figure cell
    for pre in code:
        ancestor, folded = pre.parent, False
        while ancestor is not None:
            if ancestor.tag == "details" and "code-fold" in (ancestor.attributes.get("class") or ""):
                folded = True
                break
            ancestor = ancestor.parent
        assert folded, f"code not folded: {pre.text()[:60]}"
    summaries = [node.text() for node in main.css("details > summary")]
    assert summaries.count(notebooks.PARAMETERS_SUMMARY) == 1
    assert summaries.count(notebooks.CODE_SUMMARY) == 2
    text = main.text()
    assert "sample_size = 2000" not in text  # the defaults cell is replaced by the injected values
    assert "sample_size = 50" in text
    assert "19 adverts in North East" in text  # stream output
    assert main.css_first("table.dataframe") is not None  # HTML output
    assert "#|" not in text  # the fold options are read, not shown


def test_notebook_title_block_comes_from_its_heading(built):
    tree = parse(built / "reports" / "north-east" / "01_x.html")
    headings = [h.text(strip=True) for h in tree.css("main h1")]
    assert headings == ["Tiny sourcing report"]
    assert tree.css_first("main .subtitle").text(strip=True) == "North East"
    assert "counts of adverts by category" in tree.css_first("main").text()


def test_data_log_lists_every_file_checksum_licence_and_citation(built):
    text = main_text(built / "data-log.html")
    rows = data_log()
    assert {row["dataset"] for row in rows} >= {"esco", "reed", "adzuna", "nhs_jobs", "indeed"}
    for row in rows:
        assert row["sha256"] in text, row["file"]
        assert row["licence"] in text, row["dataset"]
        assert row["citation"] in text, row["dataset"]
        commit = pages._commit(row["url"])
        assert commit and commit[:12] in text, row["url"]


def test_data_log_shows_the_sourcing_report(built):
    text = main_text(built / "data-log.html")
    assert "2025-11-21T23:00:00+00:00" in text
    assert "rows read: reed" in text and "29,862" in text and "duplicates removed" in text
    assert "0000000000000000000000" not in text  # the inputs digest is internal


def test_caveats_quote_the_config_and_name_the_pitfalls(built):
    text = main_text(built / "caveats.html")
    for phrase in (
        "healthcare adverts only",
        "November 2020",
        "no advert text and no posting date",
        "2,499",
        "US Bureau of Labor Statistics SOC 2010",
        "1 February 2020",
        "ASHE",
        "aggregates",
    ):
        assert phrase in text, phrase
    assert f"{config.HOURS_PER_YEAR:,} hours a year" in text
    assert f"{config.DAYS_PER_YEAR:,} working days" in text
    assert f"fewer than {config.MIN_PUBLISHED_COUNT} adverts" in text


def test_no_unresolved_shortcodes_or_includes(built):
    for page in built.rglob("*.html"):
        html = page.read_text(encoding="utf-8")
        assert "{{<" not in html and "?var:" not in html, page


def test_navbar_reaches_every_section_from_every_page(built):
    wanted = {"index.html", "reports/index.html", "data-log.html", "caveats.html"}
    for page in built.rglob("*.html"):
        links = parse(page).css("nav.navbar a.nav-link")
        reached = {str((page.parent / a.attributes["href"]).resolve().relative_to(built)) for a in links}
        assert wanted <= reached, page


def test_home_page_lists_reports_and_findings_from_the_json(built):
    tree = parse(built / "index.html")
    findings = tree.css_first(".findings")
    assert findings is not None
    items = [li.text(separator=" ", strip=True) for li in findings.css("li")]
    assert len(items) == 2
    assert items[0].startswith("19 adverts in the toy sample")
    assert "£27,500" in items[1] and "Hand-made test data" in items[1]
    source = findings.css_first("a").attributes["href"]
    assert source == "reports/sample/01_x.html"
    hrefs = {a.attributes.get("href") for a in tree.css("main a")}
    assert {"reports/sample/01_x.html", "reports/north-east/01_x.html", "data-log.html", "caveats.html"} <= hrefs


def test_home_page_without_findings_shows_no_numbers(tmp_path):
    out = build(make_project(tmp_path / "p", runs=("sample",)))
    tree = parse(out / "index.html")
    assert tree.css_first(".findings") is None
    assert "Headline findings" not in tree.css_first("main").text()


def test_site_without_reports_still_builds_and_says_how_to_run(tmp_path):
    out = build(make_project(tmp_path / "p", runs=()), sourcing_report=tmp_path / "absent.json")
    assert "make run" in main_text(out / "index.html")
    assert "make run" in main_text(out / "reports" / "index.html")
    assert "Last data build" not in main_text(out / "data-log.html")
    for page in out.rglob("*.html"):
        for value, target, _ in local_targets(page):
            assert target.is_file(), f"{page}: {value}"


@pytest.mark.parametrize(
    "payload, message",
    [
        ("{not json", "not valid JSON"),
        ('{"findings": 3}', "expected a list"),
        ('[{"text": "no value"}]', "needs 'text' and 'value'"),
    ],
)
def test_malformed_findings_are_refused_and_the_old_site_kept(tmp_path, payload, message):
    root = make_project(tmp_path / "p", runs=("sample",))
    previous = build(root) / "index.html"
    stamp = previous.read_text()
    (root / "reports" / "findings.json").write_text(payload)
    with pytest.raises(render.SiteBuildError, match=message):
        build(root)
    assert previous.read_text() == stamp
    assert [p.name for p in (root / "site" / "_generated").iterdir()] == ["project"]


def test_rebuild_drops_pages_of_removed_runs(tmp_path):
    root = make_project(tmp_path / "p")
    out = build(root)
    assert (out / "reports" / "north-east" / "01_x.html").is_file()
    shutil.rmtree(root / "reports" / "north-east")
    out = build(root)
    assert not (out / "reports" / "north-east").exists()
    assert (out / "reports" / "sample" / "01_x.html").is_file()
    assert sorted(p.name for p in root.iterdir()) == ["_quarto.yml", "_site", "reports", "site"]
    assert [p.name for p in (root / "site" / "_generated").iterdir()] == ["project"]


def test_build_does_not_touch_the_executed_notebooks(tmp_path):
    root = make_project(tmp_path / "p", runs=("sample",))
    before = (root / "reports" / "sample" / "01_x.ipynb").read_bytes()
    build(root)
    assert (root / "reports" / "sample" / "01_x.ipynb").read_bytes() == before
    staged = json.loads((root / "site" / "_generated" / "project" / "reports" / "sample" / "01_x.ipynb").read_text())
    original = json.loads(before)

    def outputs(nb: dict) -> list:
        return [cell.get("outputs") for cell in nb["cells"] if cell["cell_type"] == "code" and cell.get("outputs")]

    assert outputs(staged) == outputs(original)


def test_quarto_yml_is_a_quarto_website_whose_navbar_pages_exist(built):
    spec = yaml.safe_load((ROOT / "_quarto.yml").read_text())
    assert spec["project"]["type"] == "website"
    assert spec["project"]["output-dir"] == "_site"
    assert spec["execute"]["enabled"] is False
    assert spec["format"]["html"]["code-fold"] is True
    for entry in spec["website"]["navbar"]["left"]:
        assert (built / Path(entry["href"]).with_suffix(".html")).is_file(), entry


def test_renderer_choice(monkeypatch):
    monkeypatch.setenv("PATH", "")
    assert render.choose_renderer("auto") == "smalldocs"
    with pytest.raises(render.SiteBuildError, match="quarto binary is not on PATH"):
        render.choose_renderer("quarto")
    with pytest.raises(ValueError, match="renderer must be one of"):
        render.choose_renderer("pandoc")


def test_prepare_notebook_keeps_defaults_when_nothing_was_injected():
    nb = json.loads(NOTEBOOK.read_text())
    nb["cells"] = [c for c in nb["cells"] if "injected-parameters" not in c["metadata"].get("tags", [])]
    staged = notebooks.prepare_notebook(nb, "sample")
    sources = ["".join(c["source"]) if isinstance(c["source"], list) else c["source"] for c in staged["cells"]]
    assert any("sample_size = 2000" in s for s in sources)
    assert yaml.safe_load(sources[0].strip("-\n")) == {"title": "Tiny sourcing report", "subtitle": "Sample"}


def test_a_cell_that_sets_its_own_display_is_left_alone():
    cell = {"cell_type": "code", "metadata": {}, "source": "#| echo: false\nx = 1", "outputs": []}
    assert notebooks._fold_code(cell, "Show") is cell


def test_discover_reports_orders_regions_first_and_reads_parameters(tmp_path):
    for run in ("sample", "london", "north-east"):
        (tmp_path / run).mkdir()
        shutil.copy2(NOTEBOOK, tmp_path / run / "02_b.ipynb")
        shutil.copy2(NOTEBOOK, tmp_path / run / "01_a.ipynb")
    (tmp_path / ".ipynb_checkpoints").mkdir()
    shutil.copy2(NOTEBOOK, tmp_path / ".ipynb_checkpoints" / "01_a.ipynb")
    found = notebooks.discover_reports(tmp_path)
    assert [(nb.run, nb.path.name) for nb in found] == [
        ("north-east", "01_a.ipynb"), ("north-east", "02_b.ipynb"),
        ("london", "01_a.ipynb"), ("london", "02_b.ipynb"),
        ("sample", "01_a.ipynb"), ("sample", "02_b.ipynb"),
    ]  # fmt: skip
    assert found[0].parameters == {"region": "North East", "sample_size": 50}
    assert found[0].summary.startswith("A hand-made executed notebook")
    assert notebooks.discover_reports(tmp_path / "missing") == []


def test_regions_section_has_a_page_per_region_and_a_national_page(tmp_path):
    root = make_project(tmp_path / "p", runs=())
    for slug in ("north-east", "yorkshire-and-the-humber", "east-of-england", "northern-ireland"):
        (root / "reports" / slug).mkdir(parents=True)
        shutil.copy2(NOTEBOOK, root / "reports" / slug / "04_regional_comparison.ipynb")
    (root / "reports" / "national").mkdir(parents=True)
    shutil.copy2(NOTEBOOK, root / "reports" / "national" / "05_all_regions.ipynb")
    findings = [
        {
            "text": "adverts in the corpus",
            "value": 100,
            "source": "reports/national/05_all_regions.ipynb",
            "run": "national",
        },
        {"text": "postings change in Wales", "value": "+1%", "source": "x", "run": "wales"},
        {"text": "postings change in the North East", "value": "-2%", "source": "x", "run": "north-east"},
    ]
    (root / "reports" / "findings.json").write_text(json.dumps({"findings": findings}))
    out = build(root)
    for slug in ("north-east", "yorkshire-and-the-humber", "east-of-england", "northern-ireland"):
        assert (out / "reports" / slug / "04_regional_comparison.html").is_file()
    regions = parse(out / "regions.html")
    hrefs = {a.attributes.get("href", "") for a in regions.css("main a, #quarto-content a, body a")}
    assert any("yorkshire-and-the-humber/04_regional_comparison.html" in h for h in hrefs)
    assert any("national/05_all_regions.html" in h for h in hrefs)
    text = main_text(out / "regions.html")
    assert all(region in text for region in config.REGIONS)
    assert "run --all-regions" in text  # regions without a report say how to make one
    home = main_text(out / "index.html")
    assert "adverts in the corpus" in home and "postings change in the North East" in home
    assert "postings change in Wales" not in home and "postings change in Wales" in text


def test_data_log_lists_the_curated_tables_with_rows_and_descriptions(built):
    from skills_engine import getters

    tables = getters.curated_tables()
    assert {t["file"] for t in tables} >= {
        "uk_title_synonyms.csv",
        "uk_places.csv",
        "place_aliases.csv",
        "isco_indeed_sectors.csv",
        "title_labels.csv",
        "published_extraction_results.csv",
    }
    markdown = pages.data_log_markdown(data_log())
    assert "## Curated tables" in markdown
    text = main_text(built / "data-log.html")
    for table in tables:
        assert table["rows"] > 0 and table["description"], table["file"]
        assert table["file"] in text and table["description"].split("`")[0][:40] in text, table["file"]


def _regions_project(root: Path, regions: Path | None = REGIONS_JSON, skip: str = "Scotland") -> Path:
    """A project with a regional report for every region but ``skip``, and ``regions.json``."""
    root = make_project(root, runs=(), regions=regions)
    for region in config.REGIONS:
        if region != skip:
            slug = config.slugify(region)
            (root / "reports" / slug).mkdir(parents=True)
            shutil.copy2(NOTEBOOK, root / "reports" / slug / "04_regional_comparison.ipynb")
    return root


@pytest.fixture(scope="module")
def regions_site(tmp_path_factory) -> Path:
    return build(_regions_project(tmp_path_factory.mktemp("regions")))


def _rows(table) -> list[list[str]]:
    return [[" ".join(td.text(separator=" ").split()) for td in tr.css("td")] for tr in table.css("tbody tr")]


def test_regions_page_table_shows_formatted_figures_a_row_per_region(regions_site):
    tree = parse(regions_site / "regions.html")
    table = tree.css_first("main .regions-table table")
    assert table is not None
    header = [" ".join(th.text().split()) for th in table.css("thead th")]
    assert header[:4] == ["Region", "Adverts", "Employers", "Median advertised salary"]
    rows = {row[0]: row for row in _rows(table)}
    assert list(rows) == list(config.REGIONS)
    assert rows["North East"][1:] == [
        "1,234",
        "87",
        "£28,500 (n = 1,234)",
        "+3.1% (UK −1.2%)",
        "nurse 1.84 [1.40–2.31]",
    ]
    assert rows["London"][1] == "9,120" and rows["London"][2] == "1,040"
    # the interval is kept whole on a narrow screen, as in every reader table
    assert [span.text() for span in table.css("td span.interval")][:1] == ["[1.40–2.31]"]
    assert rows["Northern Ireland"][1:5] == ["–"] * 4  # suppressed: a dash, never nan or None
    assert rows["Northern Ireland"][5] == rows["Wales"][5] == "none passes the rules"
    caption = " ".join(table.css_first("caption").text().split())
    for phrase in ("Indeed Hiring Lab", "21 November 2025", "at least 10 adverts", "at least 5 named employers"):
        assert phrase in caption, phrase
    text = main_text(regions_site / "regions.html")
    assert "nan" not in text.split() and "None" not in text


def test_regions_page_links_each_region_name_to_its_report(regions_site):
    page = regions_site / "regions.html"
    table = parse(page).css_first("main .regions-table table")
    links = {a.text(strip=True): a.attributes["href"] for a in table.css("a")}
    assert set(links) == set(config.REGIONS) - {"Scotland"}  # Scotland has no report: no link
    for region, href in links.items():
        assert href == f"reports/{config.slugify(region)}/04_regional_comparison.html", region
        assert (page.parent / href).is_file(), href
    texts = [a.text(strip=True).lower() for a in parse(page).css("main a")]
    assert "report" not in texts and "view" not in texts


def test_regions_page_tile_map_has_twelve_tiles_linking_to_reports(regions_site):
    page = regions_site / "regions.html"
    tiles = parse(page).css("main .tile-map .tile")
    assert len(tiles) == 12
    by_region = {}
    for tile in tiles:
        link = tile.css_first("a")
        name = link.text(strip=True) if link else tile.text(strip=True).split(" (")[0]
        by_region[name] = tile
        assert "grid-column" in tile.attributes.get("style", "")
        if link is not None:
            assert (page.parent / link.attributes["href"]).is_file()
    assert set(by_region) == set(config.REGIONS)
    assert by_region["Scotland"].css_first("a") is None and "no report yet" in by_region["Scotland"].text()
    north_east = by_region["North East"]
    assert "tile-above" in north_east.attributes["class"] and "+3.1%" in north_east.text()
    assert "grew while the UK fell" in north_east.text()  # readable without colour
    assert (
        "fell more than the UK" in by_region["London"].text()
        and "tile-below" in by_region["London"].attributes["class"]
    )
    assert "not published" in by_region["Northern Ireland"].text()
    assert "tile-none" in by_region["Northern Ireland"].attributes["class"]
    positions = {tile.attributes["style"] for tile in tiles}
    assert len(positions) == 12  # no two regions on one square


def test_regions_page_without_regions_json_says_so_and_lists_named_links(tmp_path):
    out = build(_regions_project(tmp_path / "p", regions=None))
    page = out / "regions.html"
    text = main_text(page)
    assert "regions.json" in text and "notebook 05" in text
    tree = parse(page)
    assert tree.css_first("main .tile-map") is None and tree.css_first("main .regions-table") is None
    links = {a.text(strip=True): a.attributes["href"] for a in tree.css("main li a")}
    assert set(links) == set(config.REGIONS) - {"Scotland"}
    assert all((page.parent / href).is_file() for href in links.values())
    assert "report" not in [a.text(strip=True).lower() for a in tree.css("main a")]
    assert "Scotland: not run yet" in text


def test_malformed_regions_json_is_refused(tmp_path):
    root = _regions_project(tmp_path / "p", regions=None)
    (root / "reports" / "regions.json").write_text('{"regions": 3}')
    with pytest.raises(render.SiteBuildError, match="list under 'regions'"):
        build(root)


def test_report_tables_scroll_inside_the_main_column():
    css = (ROOT / "site" / "styles.css").read_text()
    spec = yaml.safe_load((ROOT / "_quarto.yml").read_text())
    assert spec["format"]["html"]["css"] == "styles.css"
    for selector in ("table.reader-table {", ".cell-output-display,", ".table-scroll,"):
        block = css[css.index(selector) :].split("}", 1)[0]
        assert "overflow-x: auto" in block and "max-width: 100%" in block, selector


def _tamper(root: Path, change) -> None:
    path = root / "reports" / "sample" / "01_x.ipynb"
    nb = json.loads(path.read_text())
    change(nb)
    path.write_text(json.dumps(nb))


def _first_code(nb: dict) -> dict:
    return next(cell for cell in nb["cells"] if cell["cell_type"] == "code")


@pytest.mark.parametrize(
    "change, problem",
    [
        (
            lambda nb: _first_code(nb)["outputs"].append(
                {"output_type": "error", "ename": "KeyError", "evalue": "'region'", "traceback": []}
            ),
            "failed with KeyError",
        ),
        (
            lambda nb: _first_code(nb)["outputs"].append(
                {"output_type": "stream", "name": "stdout", "text": "saved /work/build-42/data/processed/x.parquet"}
            ),
            "shows a local path: /work/build-42/data/processed/x.parquet",
        ),
        (
            lambda nb: nb["metadata"].setdefault("papermill", {}).update(parameters={"show_advert_text": True}),
            "show_advert_text=True",
        ),
    ],
    ids=["error output", "local path", "advert text on"],
)
def test_site_refuses_to_publish_a_failed_notebook_advert_text_or_a_local_path(tmp_path, change, problem):
    root = make_project(tmp_path / "p", runs=("sample",))
    _tamper(root, change)
    with pytest.raises(render.SiteBuildError) as refused:
        build(root)
    assert "reports/sample/01_x.ipynb" in str(refused.value) and problem in str(refused.value)
    assert "cell " in str(refused.value) or "show_advert_text" in str(refused.value)
    assert not (root / "_site").exists()


def test_warnings_on_stderr_are_not_published(tmp_path):
    root = make_project(tmp_path / "p", runs=("sample",))
    _tamper(
        root,
        lambda nb: _first_code(nb)["outputs"].append(
            {"output_type": "stream", "name": "stderr", "text": "/opt/venv/site-packages/tqdm/auto.py:21: TqdmWarning"}
        ),
    )
    site = build(root)
    assert "TqdmWarning" not in (site / "reports" / "sample" / "01_x.html").read_text(encoding="utf-8")
