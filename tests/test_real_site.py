"""End-to-end: the notebooks executed by the runner on the real data, and the website built
from them, as a reader sees it.

The other site tests build from a hand-written notebook; this one runs every notebook through
:func:`skills_engine.runner.execute` exactly as ``make run`` does (with ``MPLBACKEND=Agg`` in
this process, as the Makefile exports it), into a temporary project
(``SKILLS_ENGINE_REPORTS_DIR`` keeps the user's ``reports/`` untouched), builds the site with the
fallback renderer and checks every report page: figures present and decodable, no table wider
than the main column, no ``nan``/``None`` and no float with more than three decimals in the
visible text.

Needs the processed tables of ``skills-engine data`` (``make test`` builds them first), so it
is skipped without the mirror.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import nbformat
import pytest
from selectolax.lexbor import LexborHTMLParser

from browser_support import run_chromium, serve_folder
from skills_engine import getters, paths, runner
from skills_engine.publish import render

ROOT = Path(__file__).resolve().parents[1]
#: Quick parameters: every notebook and every figure, on small samples and few resamples.
QUICK = {
    "region": "North East",
    "n_bootstrap": 100,
    "max_sentences": 20,
    "max_span_sentences": 50,
    "rank_skillskape_dev": True,  # the full run's fourth ranked file, on the same 20-sentence sample
}
#: Virtual milliseconds Chromium lets the probe run before dumping the DOM.
VIRTUAL_TIME_BUDGET_MS = 60_000
#: Slack (CSS pixels) allowed when comparing a table's width with the main column's.
WIDTH_SLACK_PX = 2
#: Visible-text patterns a reader must never see: missing values printed raw, or a float
#: carrying more digits than any figure here can support.
RAW_MISSING = re.compile(r"\bnan\b|\bNaN\b|\bNaT\b|<NA>|\bNone\b(?!\s+[a-z])")
LONG_FLOAT = re.compile(r"(?<![\w.:/-])\d+\.\d{4,}(?![\w.])")
#: A negative figure written with a hyphen instead of the true minus (U+2212) every table and
#: sentence uses: a decimal or a percentage right after a hyphen that joins no word or number.
HYPHEN_MINUS_FIGURE = re.compile(r"(?<![\w.\-–/])-\d[\d,]*(?:\.\d+%?|%)")
#: Values printed as code, not for a reader: a Python dict (its quotes straight or made curly by
#: the renderer) or an ASCII arrow between figures ("73.82 -> 74.27").
RAW_CODE = re.compile(r"\{\s*['‘\"][^'’\"]*['’\"]:\s|(?<=\d)\s+->\s+(?=\d)")
#: Identifiers that look like long floats but are not figures (arXiv ids, versions in links).
NOT_FIGURES = re.compile(r"arXiv:\s*\d+\.\d+|https?://\S+")

PROBE = """<!doctype html>
<html><head><meta charset="utf-8"><title>probe</title></head>
<body data-status="pending">
<iframe id="page" style="width:1280px;height:900px;border:0"></iframe>
<script>
const frame = document.getElementById("page");
frame.addEventListener("load", () => {
 try {
  const doc = frame.contentDocument, win = frame.contentWindow;
  // The frame's load event fires once every image has loaded or failed: a loaded image has a width.
  const broken = [...doc.images].filter(img => !(img.complete && img.naturalWidth > 0)).map(img => img.src.slice(0, 80));
  const main = doc.querySelector("main") || doc.body;
  const mainWidth = main.getBoundingClientRect().width;
  const wide = [];
  for (const table of main.querySelectorAll("table")) {
    // A table inside a horizontally scrolling box is read by scrolling, never cut off.
    let box = table;
    for (let el = table.parentElement; el && el !== main; el = el.parentElement) {
      const overflow = win.getComputedStyle(el).overflowX;
      if (overflow === "auto" || overflow === "scroll") { box = el; break; }
    }
    const width = box.getBoundingClientRect().width;
    if (width > mainWidth + __SLACK__) wide.push(`${Math.round(width)}px: ${table.innerText.slice(0, 60)}`);
  }
  const cells = [...main.querySelectorAll("td, th")].map(c => c.innerText.trim());
  document.body.dataset.result = JSON.stringify({
    images: doc.images.length, broken, mainWidth, wide,
    rawCells: cells.filter(t => ["nan", "NaN", "None", "<NA>", "NaT"].includes(t)),
    text: main.innerText,
  });
  document.body.dataset.status = "done";
 } catch (error) {
  document.body.dataset.result = JSON.stringify({probeError: String(error)});
  document.body.dataset.status = "done";
 }
});
frame.src = new URLSearchParams(location.search).get("page");
</script>
</body></html>
""".replace("__SLACK__", str(WIDTH_SLACK_PX))


@pytest.fixture(scope="module")
def real_project(real_mirror, tmp_path_factory) -> Path:
    """A project folder whose reports/ the runner filled from the real processed tables."""
    if not getters.processed_path("adverts").is_file():
        pytest.skip("processed tables not built yet: run `skills-engine data` first (make test does)")
    root = tmp_path_factory.mktemp("real-project")
    shutil.copy2(ROOT / "_quarto.yml", root / "_quarto.yml")
    shutil.copytree(ROOT / "site", root / "site", ignore=shutil.ignore_patterns("_generated*"))
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SKILLS_ENGINE_REPORTS_DIR", str(root / paths.REPORTS))
        patch.setenv("MPLBACKEND", "Agg")  # as `make run` exports it: the runner must keep it from the kernel
        plan = runner.plan_run(overrides=QUICK, output_root=root / paths.REPORTS)
        runner.execute(plan)
        assert os.environ["MPLBACKEND"] == "Agg"
    return root


@pytest.fixture(scope="module")
def real_site(real_project) -> Path:
    return render.build_site(real_project, renderer="smalldocs", sourcing_report=paths.sourcing_report())


def _report_pages(site: Path) -> list[Path]:
    return sorted(p for p in (site / paths.REPORTS).glob("*/*.html") if p.name != "index.html")


@pytest.mark.mirror
def test_every_notebook_the_runner_executes_carries_its_figures(real_project):
    executed = sorted((real_project / paths.REPORTS).glob("*/*.ipynb"), key=lambda p: p.name)
    assert [p.name for p in executed] == sorted(p.name for p in runner.discover_notebooks()), executed
    for path in executed:
        images = [
            output
            for cell in nbformat.read(path, 4).cells
            if cell.cell_type == "code"
            for output in cell.get("outputs", [])
            if "image/png" in output.get("data", {})
        ]
        assert images, f"{path.name}: no figure in the executed notebook"


@pytest.mark.mirror
def test_every_report_page_of_the_real_site_shows_an_image(real_site):
    pages = _report_pages(real_site)
    assert len(pages) == len(runner.discover_notebooks()), pages
    for page in pages:
        images = LexborHTMLParser(page.read_text(encoding="utf-8")).css("img")
        assert images, f"{page.relative_to(real_site)}: no image"


@pytest.fixture(scope="module")
def real_server(real_site) -> Iterator[str]:
    with serve_folder(real_site, {"/__probe__.html": (PROBE.encode(), "text/html; charset=utf-8")}) as base:
        yield base


def _visible_problems(text: str) -> list[str]:
    """Raw missing values, over-long floats and hyphen-signed figures in a page's visible text.

    >>> _visible_problems("LQ 1.34 [1.15–1.52], share 12.3%, change −27.9%, 2013-2020, top-5, see arXiv:2505.24640")
    []
    >>> _visible_problems("median nan and ratio 0.123456; None; changed -27.9% (lead -1.5 points, -3%)")
    ['nan', '0.123456', 'None', '-27.9%', '-1.5', '-3%']
    >>> _visible_problems("9,598 pairs ({‘esco’: 1600}), RP@5 73.82 -> 74.27; sentence → skill, 73.82 → 74.27")
    ['{‘esco’: ', ' -> ']
    """
    cleaned = NOT_FIGURES.sub(" ", text)
    found = [(m.start(), m.group()) for m in RAW_MISSING.finditer(cleaned)]
    found += [(m.start(), m.group()) for m in RAW_CODE.finditer(cleaned)]
    found += [(m.start(), m.group()) for m in LONG_FLOAT.finditer(cleaned)]
    found += [(m.start(), m.group()) for m in HYPHEN_MINUS_FIGURE.finditer(cleaned)]
    return [word for _, word in sorted(found)]


@pytest.mark.mirror
@pytest.mark.browser
def test_report_pages_read_cleanly_in_a_browser(chromium, real_site, real_server, tmp_path):
    profile = tmp_path / "profile"
    profile.mkdir()
    failures = {}
    for page in _report_pages(real_site):
        relative = "/" + page.relative_to(real_site).as_posix()
        result = run_chromium(
            chromium,
            profile,
            f"--virtual-time-budget={VIRTUAL_TIME_BUDGET_MS}",
            "--dump-dom",
            f"{real_server}/__probe__.html?page={relative}",
        )
        body = LexborHTMLParser(result.stdout).css_first("body")
        assert body is not None and body.attributes.get("data-status") == "done", (
            f"the probe did not finish on {relative}"
        )
        found = json.loads(body.attributes["data-result"])
        problems = []
        if found["images"] < 1 or found["broken"]:
            problems.append(f"images {found['images']}, broken {found['broken']}")
        if found["wide"]:
            problems.append(f"tables wider than the {found['mainWidth']:.0f}px main column: {found['wide']}")
        if found["rawCells"]:
            problems.append(f"raw missing values in table cells: {sorted(set(found['rawCells']))}")
        visible = _visible_problems(found["text"])
        if visible:
            problems.append(f"raw values in the text: {sorted(set(visible))[:10]}")
        if problems:
            failures[relative] = problems
    assert not failures, json.dumps(failures, indent=1, ensure_ascii=False)


@pytest.mark.mirror
def test_no_page_of_the_real_site_signs_a_figure_with_a_hyphen(real_site):
    """Tables, sentences, headline figures and the generated pages (front page, regions) all write
    a negative figure with the true minus; the folded notebook code is not read."""
    hyphenated = {}
    for page in sorted(real_site.rglob("*.html")):
        tree = LexborHTMLParser(page.read_text(encoding="utf-8"))
        for hidden in tree.css("script, style, pre.cell-code"):
            hidden.decompose()
        text = (tree.css_first("main") or tree.body).text(separator=" ")
        found = HYPHEN_MINUS_FIGURE.findall(NOT_FIGURES.sub(" ", text))
        if found:
            hyphenated[page.relative_to(real_site).as_posix()] = found[:5]
    assert not hyphenated, hyphenated
    front = (real_site / "index.html").read_text(encoding="utf-8")
    assert re.search(r"[+−]\d+\.\d%", front), "the front page shows no signed change at all"


@pytest.mark.mirror
def test_the_front_page_says_whether_the_leading_region_grew_or_fell(real_site):
    """When every region's postings fell, the region at the top fell least: "strongest change"
    read as the largest move."""
    text = LexborHTMLParser((real_site / "index.html").read_text(encoding="utf-8")).body.text(separator=" ")
    found = re.search(
        r"region where Indeed job postings (grew most|fell least|held steady) over 12 months \((\S+); UK (\S+)\)", text
    )
    assert found, "the front page has no leading-region finding"
    direction, change = found.group(1), found.group(2)
    # a change shown as 0.0% held steady, as its tile on the Regions page says
    shown = "grew most" if change.startswith("+") else ("fell least" if change.startswith("−") else "held steady")
    assert direction == shown, found.group(0)
    assert "strongest" not in text


#: Column headings of published tables that hold counts of adverts or employers.
COUNT_HEADING = re.compile(r"^(adverts|employers|priced adverts|adverts with|n\b)", re.IGNORECASE)


@pytest.mark.mirror
def test_every_published_count_respects_the_minimum(real_site):
    from skills_engine import disclosure

    small, checked = [], 0
    for page in _report_pages(real_site):
        for table in LexborHTMLParser(page.read_text(encoding="utf-8")).css("table"):
            headings = [th.text(strip=True) for th in table.css("thead th")]
            counted = [i for i, heading in enumerate(headings) if COUNT_HEADING.match(heading)]
            for row in table.css("tbody tr"):
                cells = [cell.text(strip=True) for cell in row.css("th, td")]
                for i in counted:
                    value = cells[i].replace(",", "") if i < len(cells) else ""
                    checked += value.isdigit()
                    if value.isdigit() and 0 < int(value) < disclosure.MIN_PUBLISHED_COUNT:
                        small.append(f"{page.name}: {headings[i]} = {value} in row {cells[:3]}")
    assert checked, "no count column found in any published table: the headings pattern is stale"
    assert not small, small


@pytest.mark.mirror
def test_every_interval_in_every_table_of_the_real_site_is_kept_whole(real_site):
    """Notebook tables and the generated pages' tables (model card, regions) alike: a cell ending
    in an interval carries it in a span that does not wrap ("0.310 [0.285," over "0.336]" was
    how the model card read on a laptop)."""
    loose, checked = [], 0
    for page in sorted(real_site.rglob("*.html")):
        for cell in LexborHTMLParser(page.read_text(encoding="utf-8")).css("main td"):
            text = " ".join(cell.text().split())
            if not re.search(r" \[[^\[\]]+\]$", text):
                continue
            checked += 1
            span = cell.css_first("span.interval")
            if span is None or not text.endswith(" ".join(span.text().split())):
                loose.append(f"{page.relative_to(real_site)}: {text}")
    assert checked, "no table cell with an interval found on the site"
    assert not loose, loose[:10]


@pytest.mark.mirror
def test_notebook_03_shows_its_worked_example_as_a_table(real_site):
    """The answer a person gets (job titles, skills, salary, demand, growth) as a reader table
    with its sources, not a console printout."""
    page = real_site / paths.REPORTS / "north-east" / "03_model_evaluation.html"
    tree = LexborHTMLParser(page.read_text(encoding="utf-8"))
    answers = [t for t in tree.css("main table.reader-table") if "job title (ESCO)" in t.text()]
    assert len(answers) == 1
    rows = answers[0].css("tbody tr")
    assert len(rows) >= 5
    caption = " ".join(answers[0].css_first("caption").text().split())
    assert "Source: salary:" in caption and "growth:" in caption
    assert "Skills understood:" in tree.css_first("main").text()


@pytest.mark.mirror
def test_the_model_card_shows_this_runs_extraction_figures(real_site):
    main = LexborHTMLParser((real_site / "model-card.html").read_text(encoding="utf-8")).css_first("main")
    text = " ".join(main.text(separator=" ").split())
    # notebook 02 of this run wrote them: the benchmark rows and the set-level operating point
    assert "has not been run yet: run notebook 02" not in text
    assert "Whole-sentence precision of the corpus extractor" in text
    found = re.search(r"SkillSkape dev \(([\d,]+) sentences, ([\d,]+) gold skills\)", text)
    assert found and int(found.group(1).replace(",", "")) > 1000, text[:500]
    assert re.search(r"precision 0\.\d{3}, recall 0\.\d{3}, F1 0\.\d{3}", text)
    assert "This project's extractor" in text and "tech test" in text
    assert "How typed phrases map to ESCO" in text and "Accuracy@5" in text


@pytest.mark.mirror
def test_the_engine_notebook_03_saved_answers_the_issues_person_sized_queries(real_project):
    """The two queries a new user tried (issue 13), on the engine this run's notebook 03 saved."""
    from skills_engine.recommender import artifacts

    engine, _ = artifacts.load_engine()
    welding = engine.recommend("welding; read engineering drawings; forklift", k=5)["results"]
    assert any("welder" in item["title"] for item in welding), [item["title"] for item in welding]
    # every one of the five shares at least one of the person's skills: none is there for being common
    assert all(item["matched_skills"] for item in welding), [(i["title"], i["matched_skills"]) for i in welding]
    data = [item["title"] for item in engine.recommend("python; sql; data analysis", k=10)["results"]]
    assert "data analyst" in data[:3] and "meter reader" not in data, data


@pytest.mark.mirror
def test_the_corpus_pass_finds_one_word_names_as_themselves(real_project):
    """A one-word name (STAF, Swift) is found as itself or its plural in this run's corpus table,
    never as another word that shares its stem ("staffing", "swiftly")."""
    from skills_engine.extraction.lexical import TOKEN_RE
    from skills_engine.scale import engines

    esco = getters.read_esco_skills()
    one_word_names = {
        uri: {
            label.lower()
            for label in [preferred, *(alts if alts is not None else [])]
            if len(TOKEN_RE.findall(label)) == 1
        }
        for uri, preferred, alts in zip(esco["skill_uri"], esco["preferred_label"], esco["alt_labels"])
    }
    found = getters.read_processed("advert_skills").query("method == 'lexical'")
    adverts = getters.read_adverts(columns=["advert_id", "source", "title", "description", "employer", "region"])
    texts, _ = engines.corpus_steps("pandas").corpus_texts(adverts)  # boilerplate is learned from every advert
    text_of = texts.set_index("advert_id")["text"]
    spans = found.assign(
        span=[
            text_of[a][int(s) : int(e)] for a, s, e in zip(found["advert_id"], found["span_start"], found["span_end"])
        ]
    )
    one_word = spans.loc[lambda d: d["span"].map(lambda s: len(TOKEN_RE.findall(s)) == 1)]
    capitalised = one_word.loc[
        lambda d: [any(not t.islower() for t in esco_tokens) for esco_tokens in d["skill_label"].map(TOKEN_RE.findall)]
    ]
    assert len(capitalised) > 100  # names are found: the check below has something to check
    stray = [
        (row.skill_label, row.span)
        for row in capitalised.itertuples()
        if one_word_names[row.skill_uri]
        and not {row.span.lower(), row.span.lower().removesuffix("s"), row.span.lower().removesuffix("es")}
        & one_word_names[row.skill_uri]
    ]
    assert not stray, stray[:20]


@pytest.mark.mirror
def test_the_engines_lead_is_published_with_paired_employer_intervals(real_project, real_site):
    """Notebook 03's evaluation, as the model card and the report page show it: intervals that
    resample employers, and the engine's lead over every method with a paired interval."""
    payload = json.loads(paths.model_evaluation_file(real_project).read_text(encoding="utf-8"))
    assert payload["bootstrap"]["unit"] == "employer"
    assert 0 < payload["bootstrap"]["n_employers"] <= payload["n_test"]
    model = payload["methods"][payload["model"]]
    assert set(payload["gaps"]) == set(payload["methods"]) - {payload["model"]}
    for name, lead in payload["gaps"].items():
        assert lead["top5"] == pytest.approx(model["top5"] - payload["methods"][name]["top5"], abs=2e-4)
        low, high = lead["top5_interval"]
        assert low <= lead["top5"] <= high
        # the paired interval is never wider than the two separate ones laid end to end
        separate = [payload["methods"][m]["top5_interval"] for m in (payload["model"], name)]
        assert high - low <= (separate[0][1] - separate[0][0]) + (separate[1][1] - separate[1][0]) + 1e-3
    card = " ".join(LexborHTMLParser((real_site / "model-card.html").read_text(encoding="utf-8")).text().split())
    assert f"resampling the {payload['bootstrap']['n_employers']:,} held-out employers" in card
    assert "Top-5 lead of skill_profile_stack over" in card
    assert len(re.findall(r"[+−]\d+\.\d \[[+−]\d+\.\d, [+−]\d+\.\d\]", card)) >= len(payload["gaps"])
    page = next(p for p in _report_pages(real_site) if p.name.startswith("03_"))
    text = " ".join(LexborHTMLParser(page.read_text(encoding="utf-8")).text().split())
    assert re.search(r"Full adverts: this project .* a lead of [+−]\d+\.\d points \(paired 95% interval", text)
    assert "5-skill queries: this project" in text and "Goal (≥ 3 points, non-overlapping)" in text
    assert "The engine's top-5 lead over each method" in text


@pytest.mark.mirror
def test_extraction_figures_are_published_with_intervals_and_paired_leads(real_project, real_site):
    """Notebook 02's benchmark, as its JSON, the model card and the report page show it: every
    scored figure with its interval over sentences, the extractor's lead over each method paired."""
    payload = json.loads(paths.extraction_evaluation_file(real_project).read_text(encoding="utf-8"))
    for row in payload["benchmark"]:
        assert row["rp@5_low"] <= row["rp@5"] <= row["rp@5_high"], row
        assert row["mrr_low"] <= row["mrr"] <= row["mrr_high"], row
    reference = payload["leads"]["reference"]
    scored = {(row["file"], row["method"]): row for row in payload["benchmark"]}
    leads = [row for row in payload["leads"]["rows"] if row["metric"] == "rp@5"]
    # the second stage was fitted on the TECH and HOUSE validation files: where it is the reference,
    # those files get no leads (and its own rows there are left out as in-sample)
    files = {file for file, _ in scored}
    in_sample = {"tech validation", "house validation"} if "second stage" in reference else set()
    assert {"tech test", "skillskape dev"} <= files
    assert {row["file"] for row in leads} == files - in_sample
    assert {row["method"] for row in leads} == {m for f, m in scored if f == "tech test"} - {reference}
    for row in leads:
        expected = scored[(row["file"], reference)]["rp@5"] - scored[(row["file"], row["method"])]["rp@5"]
        assert row["value"] == pytest.approx(expected, abs=0.011)  # the rows are rounded to 0.01
        assert row["low"] <= row["value"] <= row["high"]
    card = " ".join(LexborHTMLParser((real_site / "model-card.html").read_text(encoding="utf-8")).text().split())
    assert "95% bootstrap over sentences" in card and f"Lead of this project's extractor ({reference}) over" in card
    assert len(re.findall(r"[+−]\d+\.\d\d \[[+−]\d+\.\d\d, [+−]\d+\.\d\d\]", card)) >= len(leads)
    page = next(p for p in _report_pages(real_site) if p.name.startswith("02_"))
    text = " ".join(LexborHTMLParser(page.read_text(encoding="utf-8")).text().split())
    assert "RP@5 (%) [95% interval]" in text and "Lead of this project's extractor on the ESCO benchmark" in text
    assert re.search(r"\d+\.\d\d \[\d+\.\d\d–\d+\.\d\d\]", text)
