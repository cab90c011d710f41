"""The Regions page (``regions.qmd``): the twelve regions at a glance, each linked to its report.

The page reads ``reports/regions.json`` (:func:`skills_engine.paths.regions_file`, written by
notebook 05) and shows

* one table with a row per region: adverts, employers, median advertised salary with its n,
  the 12-month change in Indeed job postings against the UK's, and the most over-represented
  occupation that passes the publication rules, with its location-quotient interval;
* a tile map of the twelve regions (the grid of :data:`skills_engine.regional.tiles.TILE_GRID`),
  each tile a link to the region's report, coloured by postings growth against the UK and
  labelled with the figure, so it reads without colour too;
* the regions' headline findings (from ``reports/findings.json``).

Without ``regions.json`` (notebook 05 not run) a sentence says so and the regions are listed
as links named after them. The page is Pandoc markdown (fenced divs, pipe tables with a
caption), which Quarto and smalldocs render alike: no raw HTML.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import datetime
from pathlib import Path

from skills_engine import config, disclosure, paths
from skills_engine.publish.notebooks import ExecutedNotebook, SiteBuildError
from skills_engine.publish.pages import _cell, findings_markdown, markdown_table
from skills_engine.publish.tables import MISSING, format_count, format_interval, format_money, format_percent
from skills_engine.regional.growth import movement
from skills_engine.regional.tiles import TILE_GRID

#: The notebook each region's report page is made from.
REGIONAL_NOTEBOOK_STEM = "04_regional_comparison"
#: What the occupation column says when no occupation passes the rules.
NO_OCCUPATION = "none passes the rules"
#: Postings growth within this many points of the UK's reads "as the UK" on the tile map.
LEVEL_WITH_UK = 0.005


def read_regions(path: Path) -> dict | None:
    """The all-regions table of ``reports/regions.json``; ``None`` when the file is absent.

    Raises
    ------
    SiteBuildError
        When the file is not JSON or has no list of regions.
    """
    path = Path(path)
    if not path.is_file():
        return None
    try:
        payload = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as error:
        raise SiteBuildError(f"{path} is not valid JSON: {error}") from error
    if not isinstance(payload, dict) or not isinstance(payload.get("regions"), list):
        raise SiteBuildError(f"{path}: expected an object with a list under 'regions'")
    for index, row in enumerate(payload["regions"]):
        if not isinstance(row, dict) or not row.get("region"):
            raise SiteBuildError(f"{path}: region {index} needs a 'region' name: {row!r}")
    return payload


def report_pages(notebooks: Sequence[ExecutedNotebook]) -> dict[str, str]:
    """Region name -> its report page (``reports/<slug>/04_regional_comparison.ipynb``), for
    the regions whose report has been run."""
    by_slug = {nb.run: nb.page for nb in notebooks if nb.stem == REGIONAL_NOTEBOOK_STEM}
    return {region: by_slug[config.slugify(region)] for region in config.REGIONS if config.slugify(region) in by_slug}


def _date(value: object) -> str:
    """An ISO date or time as a reader's date.

    >>> _date("2025-11-21T23:00:00+00:00"), _date("2024-03"), _date(None)
    ('21 November 2025', '2024-03', '')
    """
    if not value:
        return ""
    try:
        return datetime.fromisoformat(str(value)).strftime("%-d %B %Y")
    except ValueError:
        return str(value)


def salary_text(row: Mapping) -> str:
    """Median advertised salary with the number of priced adverts behind it.

    >>> salary_text({"median_salary_gbp": 28500, "salary_n": 1234}), salary_text({"median_salary_gbp": None})
    ('£28,500 (n = 1,234)', '–')
    """
    money = format_money(row.get("median_salary_gbp"))
    if money == MISSING or format_count(row.get("salary_n")) == MISSING:
        return money
    return f"{money} (n = {format_count(row.get('salary_n'))})"


def postings_text(row: Mapping) -> str:
    """The region's 12-month change in Indeed postings, with the UK's beside it.

    >>> postings_text({"postings_change_12m": 0.031, "uk_postings_change_12m": -0.012})
    '+3.1% (UK −1.2%)'
    >>> postings_text({"postings_change_12m": None, "uk_postings_change_12m": -0.012})
    '–'
    """
    change = format_percent(row.get("postings_change_12m"), signed=True)
    uk = format_percent(row.get("uk_postings_change_12m"), signed=True)
    return change if MISSING in (change, uk) else f"{change} (UK {uk})"


def occupation_text(row: Mapping) -> str:
    """The most over-represented occupation passing the rules, with its LQ and interval.

    >>> occupation_text({"top_occupation": "nurse", "top_occupation_lq": 1.8412,
    ...                  "top_occupation_lq_low": 1.4, "top_occupation_lq_high": 2.31})
    'nurse 1.84 [1.40–2.31]'
    >>> occupation_text({"top_occupation": None})
    'none passes the rules'
    """
    name = row.get("top_occupation")
    if not name:
        return NO_OCCUPATION
    lq = format_interval(
        row.get("top_occupation_lq"), row.get("top_occupation_lq_low"), row.get("top_occupation_lq_high")
    )
    return str(name) if lq == MISSING else f"{name} {lq}"


def _rows_by_region(payload: Mapping) -> list[dict]:
    """One row per region, the twelve in ONS order (a region missing from the file gets a
    row of dashes), then any other rows the file has, in its order."""
    given = {str(row["region"]): row for row in payload["regions"]}
    rows = [given.get(region, {"region": region}) for region in config.REGIONS]
    return rows + [row for name, row in given.items() if name not in config.REGIONS]


def _rules(payload: Mapping) -> tuple[int, int | None]:
    adverts = payload.get("min_published_count") or config.MIN_PUBLISHED_COUNT
    employers = payload.get("min_published_employers") or getattr(disclosure, "MIN_PUBLISHED_EMPLOYERS", None)
    return int(adverts), (int(employers) if employers else None)


def regions_caption(payload: Mapping) -> str:
    """The table's caption: sources, dates and the two publication rules."""
    adverts, employers = _rules(payload)
    as_of = sorted({str(row["postings_as_of"]) for row in payload["regions"] if row.get("postings_as_of")})
    rule = f"at least {adverts:,} adverts" + (f" from at least {employers:,} named employers" if employers else "")
    parts = [
        f"Sources: {payload.get('source') or 'job adverts (NHS Jobs, Reed, Adzuna) and the Indeed Hiring Lab index'}",
        f"table built {_date(payload.get('updated'))}" if payload.get("updated") else "",
        f"Indeed postings to {_date(as_of[-1])}" if as_of else "",
    ]
    return (
        "; ".join(part for part in parts if part)
        + f". A figure is published only when {rule} stand behind it; – marks a figure withheld by"
        " these rules. The occupation is the one with the highest location quotient (its share of"
        " the region's adverts over its share of the UK's; 95% interval in brackets) among those"
        " passing both rules."
    )


def regions_table_markdown(payload: Mapping, pages: Mapping[str, str]) -> str:
    """The all-regions table, a row per region, its name linked to its report when there is one."""
    rows = []
    for row in _rows_by_region(payload):
        region = str(row["region"])
        page = pages.get(region)
        rows.append(
            [
                f"[{_cell(region)}]({page})" if page else region,
                format_count(row.get("adverts")),
                format_count(row.get("employers")),
                salary_text(row),
                postings_text(row),
                occupation_text(row),
            ]
        )
    header = [
        "Region",
        "Adverts",
        "Employers",
        "Median advertised salary",
        "Indeed postings, 12-month change (UK)",
        "Most over-represented occupation, LQ [95% interval]",
    ]
    return "\n".join(
        [
            "::: {.table-scroll .regions-table}",
            markdown_table(header, rows),
            "",
            f": {_cell(regions_caption(payload))}",
            ":::",
        ]
    )


def _tile_class(row: Mapping) -> tuple[str, str]:
    """The tile's colour class and the words that say the same without colour.

    "Faster than the UK" read oddly beside a fall ("−1.5%, faster than the UK"): the words say
    which way the region and the UK moved, and which did better.

    >>> _tile_class({"postings_change_12m": 0.03, "uk_postings_change_12m": -0.01})
    ('tile-above', 'grew while the UK fell')
    >>> _tile_class({"postings_change_12m": -0.015, "uk_postings_change_12m": -0.109})
    ('tile-above', 'fell less than the UK')
    >>> _tile_class({"postings_change_12m": 0.02, "uk_postings_change_12m": 0.05})
    ('tile-below', 'grew slower than the UK')
    >>> _tile_class({"postings_change_12m": 0.0, "uk_postings_change_12m": 0.05})
    ('tile-below', 'held steady while the UK grew')
    >>> _tile_class({"postings_change_12m": -0.0004, "uk_postings_change_12m": -0.109})
    ('tile-above', 'held steady while the UK fell')
    >>> _tile_class({"postings_change_12m": None})
    ('tile-none', 'not published')
    """
    change, uk = row.get("postings_change_12m"), row.get("uk_postings_change_12m")
    if format_percent(change) == MISSING:
        return "tile-none", "not published"
    if format_percent(uk) == MISSING:
        return "tile-level", "no UK figure"
    gap = float(change) - float(uk)
    if abs(gap) <= LEVEL_WITH_UK:
        return "tile-level", "as the UK"
    colour = "tile-above" if gap > 0 else "tile-below"
    moved, uk_moved = movement(float(change)), movement(float(uk))  # as the tile's one decimal shows them
    if moved == uk_moved == "grew":
        return colour, f"grew {'faster' if gap > 0 else 'slower'} than the UK"
    if moved == uk_moved == "fell":
        return colour, f"fell {'less' if gap > 0 else 'more'} than the UK"
    return colour, f"{moved} while the UK {uk_moved}"


def tile_map_markdown(payload: Mapping | None, pages: Mapping[str, str]) -> str:
    """The twelve regions as a grid of tiles placed as on :data:`TILE_GRID`, each a link to its
    report, coloured and labelled by its 12-month change in Indeed postings against the UK's."""
    rows = {str(row["region"]): row for row in (payload or {}).get("regions", [])}
    lines = [":::: {.tile-map}"]
    for region, (column, row_number) in TILE_GRID.items():
        row = rows.get(region, {})
        colour, words = _tile_class(row)
        page = pages.get(region)
        style = f"grid-column: {column + 1}; grid-row: {row_number + 1};"
        lines += [
            f'::: {{.tile .{colour} style="{style}"}}',
            f"[{region}]({page})" if page else f"{region} (no report yet)",
            "",
            f"[{format_percent(row.get('postings_change_12m'), signed=True)}]{{.tile-value}} [{words}]{{.tile-note}}",
            ":::",
        ]
    lines.append("::::")
    return "\n".join(lines)


def _uk_sentence(payload: Mapping) -> str:
    """The UK's own change, quoted under the map when the file gives one figure for it.

    >>> _uk_sentence({"regions": [{"uk_postings_change_12m": -0.012}, {"uk_postings_change_12m": None}]})
    ' Over the same 12 months UK postings changed by −1.2%.'
    """
    figures = {row.get("uk_postings_change_12m") for row in payload["regions"]} - {None}
    if len(figures) != 1:
        return ""
    return f" Over the same 12 months UK postings changed by {format_percent(figures.pop(), signed=True)}."


def _link_list(pages: Mapping[str, str]) -> str:
    return "\n".join(
        f"- [{region}]({pages[region]})"
        if region in pages
        else f"- {region}: not run yet: `skills-engine run --all-regions`"
        for region in config.REGIONS
    )


def regions_markdown(
    notebooks: Sequence[ExecutedNotebook],
    findings: Sequence[dict] = (),
    pages: Mapping[str, str] | None = None,
    regions: Mapping | None = None,
) -> str:
    """``regions.qmd``: the all-regions table and tile map, the national page, the regions' findings.

    Parameters
    ----------
    notebooks
        The executed notebooks on the site (a region's report is its ``04_regional_comparison``).
    findings
        Every headline finding; those of a region's run are listed under the region.
    pages
        Report page -> title, for the findings' source links.
    regions
        The payload of ``reports/regions.json`` (:func:`read_regions`); ``None`` when notebook
        05 has not been run.
    """
    reports = report_pages(notebooks)
    national = [nb for nb in notebooks if nb.run == paths.NATIONAL_RUN]
    parts = [
        "---",
        "title: Regions",
        "---",
        "",
        "Each region is compared with the rest of the UK: which occupations and skills its adverts ask for",
        "more or less often (location quotients with 95% intervals), what the same jobs pay there, and how",
        "job postings are growing against the national index. Figures resting on too few adverts or",
        "employers are not published. Each region's name links to its full report.",
        "",
    ]
    if national:
        parts += [
            "**All regions side by side:** " + "; ".join(f"[{_cell(nb.title)}]({nb.page})" for nb in national),
            "",
        ]
    if regions is None:
        parts += [
            "The all-regions table is not available yet: `reports/regions.json` is written by notebook 05",
            "(`skills-engine run --all-regions`). The regional reports run so far:",
            "",
            _link_list(reports),
            "",
        ]
    else:
        parts += [
            "## The regions at a glance",
            "",
            regions_table_markdown(regions, reports),
            "",
            "## Job postings growth on a map",
            "",
            "Each tile is a region, placed roughly where it lies, and links to its report. It shows the",
            "12-month change in Indeed job postings and how it compares with the UK's (also the tile's colour:",
            "blue above the UK's change, orange below it, pale as the UK, grey not published)." + _uk_sentence(regions),
            "",
            tile_map_markdown(regions, reports),
            "",
        ]
    headed = False
    for region in config.REGIONS:
        own = [f for f in findings if f.get("run") == config.slugify(region)]
        if own:
            if not headed:
                parts += ["## Headline findings by region", ""]
                headed = True
            parts += [f"### {region}", "", findings_markdown(own, pages).replace("## Headline findings\n\n", ""), ""]
    return "\n".join(parts)
