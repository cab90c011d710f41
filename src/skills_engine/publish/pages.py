"""The markdown of the site's generated pages, written from the code and the data, never by hand.

This module owns the pages :func:`skills_engine.publish.render.stage_project` generates:
the data log (from :func:`skills_engine.data.sourcing.data_log`, the curated tables of
:func:`skills_engine.getters.curated_tables` and, when present, the data build's
``sourcing_report.json``), the home page's headline findings (from
``reports/findings.json``) and list of reports, the reports index and one index per run,
and ``_variables.yml`` (thresholds from :mod:`skills_engine.config`, quoted by the caveats page).
Each function returns text; none writes a file. The Regions page has its own module,
:mod:`skills_engine.publish.regions_page`, and the model card's measured sections theirs,
:mod:`skills_engine.publish.model_card`.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

from skills_engine import __version__, config, getters
from skills_engine.publish.notebooks import REPORTS, ExecutedNotebook, SiteBuildError, run_label
from skills_engine.publish.tables import INTERVAL_CLASS, TRAILING_INTERVAL


def _cell(value: object) -> str:
    r"""One markdown table cell: no line breaks, no unescaped pipes, quotes kept straight.

    Quotes become entities so that the renderers' "smart" typography leaves licence and
    citation text exactly as the catalogue states it.

    >>> _cell("cite 'Indeed'  |\n x")
    'cite &#39;Indeed&#39; \\| x'
    """
    text = re.sub(r"\s+", " ", str(value if value is not None else "")).strip()
    return text.replace("|", "\\|").replace("'", "&#39;").replace('"', "&quot;")


def _figure_cell(value: object) -> str:
    r"""A table cell whose trailing interval is a span the site keeps on one line.

    As in every reader table (:data:`~skills_engine.publish.tables.INTERVAL_CLASS`), a narrow
    column may break a cell before its interval, never inside the brackets.

    >>> print(_figure_cell("0.310 [0.285, 0.336]"), _figure_cell("dietitian"))
    0.310 [\[0.285, 0.336\]]{.interval} dietitian
    """
    text = _cell(value)
    found = TRAILING_INTERVAL.match(text)
    if found is None:
        return text
    bracketed = found["interval"].replace("[", "\\[").replace("]", "\\]")
    return f"{found['estimate']} [{bracketed}]{{.{INTERVAL_CLASS}}}"


def markdown_table(header: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    """A pipe table, as Quarto and smalldocs read it.

    >>> print(markdown_table(["a", "b"], [[1, "x|y"]]))
    | a | b |
    |---|---|
    | 1 | x\\|y |
    """
    lines = ["| " + " | ".join(_cell(h) for h in header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(_figure_cell(value) for value in row) + " |" for row in rows]
    return "\n".join(lines)


def _commit(url: str) -> str | None:
    """The git commit a source URL is pinned to.

    >>> _commit("https://raw.githubusercontent.com/o/r/0123456789abcdef0123456789abcdef01234567/x.csv")
    '0123456789abcdef0123456789abcdef01234567'
    """
    found = re.search(r"(?<![0-9a-f])[0-9a-f]{40}(?![0-9a-f])", url)
    return found.group(0) if found else None


def _link(text: str, url: str) -> str:
    return f"[{text}](<{url}>)"


def _label(key: object) -> str:
    return str(key).replace("_", " ")


def _flatten(value: object, prefix: str = "") -> list[tuple[str, object]]:
    """Nested mappings as ``(a, b: value)`` rows: ``{"rows_read": {"reed": 3}}`` -> ``rows read: reed``."""
    if isinstance(value, dict):
        rows = []
        for key, item in value.items():
            rows += _flatten(item, f"{prefix}: {_label(key)}" if prefix else _label(key))
        return rows
    return [(prefix, json.dumps(value, default=str) if isinstance(value, list) else value)]


def _report_section(report: dict) -> str:
    """The data build's ``sourcing_report.json``, shown whatever fields it has.

    Scalars become a list, lists of records a table, mappings a two-column table;
    ``inputs_digest`` is internal bookkeeping and left out.
    """
    show = lambda v: _format_value(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else v  # noqa: E731
    parts = ["## Last data build", ""]
    for key, value in report.items():
        if key != "inputs_digest" and not isinstance(value, (dict, list)):
            parts.append(f"- **{_label(key)}**: {_cell(show(value))}")
    for key, value in report.items():
        heading = f"\n### {_label(key).capitalize()}\n"
        if isinstance(value, list) and value and all(isinstance(row, dict) for row in value):
            columns = list(dict.fromkeys(col for row in value for col in row))
            rows = [[show(row.get(col, "")) for col in columns] for row in value]
            parts += [heading, markdown_table([_label(c) for c in columns], rows)]
        elif isinstance(value, dict) and value:
            rows = [[name, show(item)] for name, item in _flatten(value)]
            parts += [heading, markdown_table(["", "value"], rows)]
    return "\n".join(parts) + "\n"


def data_log_markdown(rows: Sequence[dict], report: dict | None = None, curated: Sequence[dict] | None = None) -> str:
    """The data log page: every source file with its commit, sha256, size, licence, citation.

    Parameters
    ----------
    rows
        :func:`skills_engine.data.sourcing.data_log` rows.
    report
        The data build's ``sourcing_report.json``, if there is one.
    curated
        The hand-written tables shipped with the package (``file``, ``rows``, ``description``);
        defaults to :func:`skills_engine.getters.curated_tables`.
    """
    curated = getters.curated_tables() if curated is None else curated
    datasets = list({row["dataset"]: row for row in rows}.values())
    files = [
        [
            row["dataset"],
            _link(row["file"], row["url"]),
            f"`{_commit(row['url'])[:12]}`" if _commit(row["url"]) else "",
            f"`{row['sha256']}`",
            f"{row['bytes'] / 1e6:,.2f}",
        ]
        for row in rows
    ]
    parts = [
        "---",
        "title: Data log",
        "---",
        "",
        "Every number on this site comes from the public files below. Each is pinned to a git",
        "commit and a sha256 checksum: the data step refuses a file whose bytes differ, so a",
        "rerun reads exactly these files. Licences are as stated upstream; where none is stated",
        "the data is used for research and only aggregates are published.",
        "",
        "## Datasets",
        "",
        "::: {.data-log}",
        markdown_table(
            ["Dataset", "Title", "Licence", "Citation"],
            [[row["dataset"], row["title"], row["licence"], row["citation"]] for row in datasets],
        ),
        ":::",
        "",
        "## Files",
        "",
        "Version is the commit the file is pinned to; size in megabytes.",
        "",
        "::: {.data-log}",
        markdown_table(["Dataset", "File", "Version (commit)", "sha256", "MB"], files),
        ":::",
        "",
        "## Curated tables",
        "",
        "Hand-written tables shipped with the package in `skills_engine/resources` (knowledge, not",
        "data: synonyms, place names, crosswalks, labels and published figures). Each is read through",
        "`skills_engine.getters`; the folder's README says where its rows came from and who may edit it.",
        "",
        "::: {.data-log}",
        markdown_table(
            ["File", "Rows", "What it is"], [[f"`{t['file']}`", f"{t['rows']:,}", t["description"]] for t in curated]
        ),
        ":::",
        "",
    ]
    if report:
        parts.append(_report_section(report))
    parts += ["## Software", "", f"Built by `skills_engine` {__version__}.", ""]
    return "\n".join(parts)


def _format_value(value: object) -> str:
    """A finding's value for the page: text as written, numbers with thousands separators.

    >>> _format_value(12345), _format_value(0.4213), _format_value(27841.6), _format_value("£31k")
    ('12,345', '0.421', '27,842', '£31k')
    """
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, int):
        return f"{value:,}"
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:.3g}"


def read_findings(path: Path) -> list[dict]:
    """Headline findings from ``reports/findings.json``; ``[]`` when the file is absent.

    The file holds a list of ``{"text": ..., "value": ..., "source": ...}`` (or an object
    with such a list under ``"findings"``), written by the notebooks that compute them.
    """
    path = Path(path)
    if not path.is_file():
        return []
    try:
        payload = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as error:
        raise SiteBuildError(f"{path} is not valid JSON: {error}") from error
    items = payload.get("findings") if isinstance(payload, dict) else payload
    if not isinstance(items, list):
        raise SiteBuildError(f"{path}: expected a list of findings, got {type(items).__name__}")
    for index, item in enumerate(items):
        if not isinstance(item, dict) or "text" not in item or "value" not in item:
            raise SiteBuildError(f"{path}: finding {index} needs 'text' and 'value' (and ideally 'source'): {item!r}")
    return items


def findings_markdown(findings: Sequence[dict], pages: Mapping[str, str] | None = None) -> str:
    """The home page's headline findings; empty when there are none (no invented numbers).

    ``source`` links to the report it names (``reports/<run>/<NN_name>.ipynb``) when
    ``pages`` maps that report to its title; a web address is linked; other text is shown.

    >>> print(findings_markdown([{"text": "adverts in the North East", "value": 1200}]))
    ## Headline findings
    <BLANKLINE>
    ::: {.findings}
    - [1,200]{.value} adverts in the North East
    :::
    <BLANKLINE>
    """
    if not findings:
        return ""
    pages = pages or {}
    lines = ["## Headline findings", "", "::: {.findings}"]
    for item in findings:
        line = (
            f"- [{_cell(html.escape(_format_value(item['value'])))}]{{.value}} {_cell(html.escape(str(item['text'])))}"
        )
        source = str(item.get("source") or "").strip()
        page = source.removeprefix("./")
        if page in pages:
            line += f" [(source: {_link(_cell(pages[page]), page)})]{{.source}}"
        elif source.startswith(("http://", "https://")):
            line += f" [(source: {_link(_cell(source), source)})]{{.source}}"
        elif source:
            line += f" [(source: {_cell(html.escape(source))})]{{.source}}"
        lines.append(line)
    lines += [":::", ""]
    return "\n".join(lines)


def _notebook_item(nb: ExecutedNotebook, relative_to: str = "") -> str:
    target = nb.page.removeprefix(relative_to)
    summary = f": {_cell(nb.summary)}" if nb.summary else ""
    return f"- [{_cell(nb.title)}]({target}){summary}"


def _by_run(notebooks: Sequence[ExecutedNotebook]) -> dict[str, list[ExecutedNotebook]]:
    runs: dict[str, list[ExecutedNotebook]] = {}
    for nb in notebooks:
        runs.setdefault(nb.run, []).append(nb)
    return runs


def _parameters_text(parameters: dict) -> str:
    if not parameters:
        return "the notebooks' default parameters"
    return ", ".join(f"`{key}` = `{value}`" for key, value in parameters.items())


def reports_list_markdown(notebooks: Sequence[ExecutedNotebook]) -> str:
    """The home page's list of reports, one line per run with a link to each notebook."""
    if not notebooks:
        return (
            "No executed reports yet. Run `make run` (or `skills-engine run`, then "
            "`skills-engine site`) to execute the notebooks and publish them here.\n"
        )
    lines = []
    for run, members in _by_run(notebooks).items():
        links = "; ".join(f"[{_cell(nb.title)}]({nb.page})" for nb in members)
        lines.append(f"- **[{run_label(run)}]({REPORTS}/{run}/index.qmd)**: {links}")
    return "\n".join(lines) + "\n\nAll runs side by side are in the [reports index](reports/index.qmd).\n"


def reports_index_markdown(notebooks: Sequence[ExecutedNotebook]) -> str:
    """``reports/index.qmd``: every run against every notebook, then each run's reports."""
    parts = ["---", "title: Reports", "---", ""]
    if not notebooks:
        return "\n".join(parts) + reports_list_markdown(notebooks)
    runs = _by_run(notebooks)
    stems = sorted({nb.stem for nb in notebooks})
    titles = {nb.stem: nb.title for nb in notebooks}
    parts += [
        "Each run executes the notebooks with one set of parameters (usually one region); the",
        "executed notebooks are shown here as they ran, with their code folded.",
        "",
        markdown_table(
            ["Run", *(titles[stem] for stem in stems)],
            [
                [f"[{run_label(run)}]({run}/index.qmd)"]
                + [
                    next((f"[view]({run}/{nb.path.name})" for nb in members if nb.stem == stem), "not run")
                    for stem in stems
                ]
                for run, members in runs.items()
            ],
        ),
        "",
    ]
    for run, members in runs.items():
        parts += [f"## {run_label(run)}", "", *(_notebook_item(nb, f"{REPORTS}/") for nb in members), ""]
    return "\n".join(parts)


def run_index_markdown(run: str, notebooks: Sequence[ExecutedNotebook]) -> str:
    """``reports/<run>/index.qmd``: one run's reports and the parameters they ran with."""
    parameters = notebooks[0].parameters if notebooks else {}
    parts = [
        "---",
        f"title: {json.dumps(run_label(run))}",
        "---",
        "",
        f"The notebooks of the run `{run}`, executed with {_parameters_text(parameters)}.",
        "",
        *(_notebook_item(nb, f"{REPORTS}/{run}/") for nb in notebooks),
        "",
        "See also the [caveats](../../caveats.qmd) and the [data log](../../data-log.qmd).",
        "",
    ]
    return "\n".join(parts)


def home_findings(findings: Sequence[dict]) -> list[dict]:
    """Findings for the home page: the national ones and the default region's; other regions'
    findings go to the Regions page so the home page stays short.

    >>> [f["run"] for f in home_findings([{"run": "north-east"}, {"run": "wales"}, {"run": "national"}, {}])]
    ['north-east', 'national', None]
    """
    other_regions = {config.slugify(r) for r in config.REGIONS} - {config.slugify(config.DEFAULT_REGION)}
    return [f | {"run": f.get("run")} for f in findings if f.get("run") not in other_regions]


def site_variables() -> dict:
    """Values the hand-written pages quote with ``{{< var ... >}}``, read from the config."""
    return {
        "salary": {
            "hours_per_year": f"{config.HOURS_PER_YEAR:,}",
            "hours_per_week": f"{config.HOURS_PER_YEAR / config.WEEKS_PER_YEAR:g}",
            "days_per_year": f"{config.DAYS_PER_YEAR:,}",
            "weeks_per_year": f"{config.WEEKS_PER_YEAR:,}",
            "months_per_year": f"{config.MONTHS_PER_YEAR:,}",
            "min_plausible_gbp": f"{config.SALARY_MIN_PLAUSIBLE_GBP:,}",
            "max_plausible_gbp": f"{config.SALARY_MAX_PLAUSIBLE_GBP:,}",
        },
        "publication": {"min_published_count": f"{config.MIN_PUBLISHED_COUNT:,}"},
        "package": {"version": __version__},
    }
