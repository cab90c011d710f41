"""The website of findings: assemble the pages, render them with Quarto or smalldocs.

The site is a Quarto website project described by ``_quarto.yml`` at the project root.
:func:`build_site` assembles it in a staging folder (``site/_generated/``, git-ignored):

* the hand-written pages and stylesheet of ``site/`` (home page, caveats);
* pages generated from the code and the data, never typed by hand: the data log (from
  :func:`skills_engine.data.sourcing.data_log` and, when present, the data build's
  ``sourcing_report.json``), an index of the executed reports, one index per run, the
  home page's headline findings (from ``reports/findings.json``) and ``_variables.yml``
  (thresholds from :mod:`skills_engine.config`, quoted by the caveats page);
* a staged copy of every executed notebook ``reports/<run>/<NN_name>.ipynb``, given a
  title block and folded code, its outputs kept as papermill saved them.

It then renders the staged project with ``quarto render`` when the Quarto binary is on
``PATH``, or else with the pure-Python renderer ``smalldocs``, which reads the same
``_quarto.yml``. Neither re-executes a notebook. The rendered site replaces
``<project_root>/_site`` in one rename, so a failed build never leaves half a site.
"""

from __future__ import annotations

import ast
import copy
import html
import json
import logging
import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from skills_engine import __version__, config

log = logging.getLogger(__name__)

#: Folder of hand-written page sources, relative to the project root.
SITE_SOURCES = "site"
#: Staging folder for the assembled project, inside ``site/`` (git-ignored by ``site/.gitignore``).
STAGING = "_generated"
#: Where the runner writes executed notebooks: ``reports/<run>/<NN_name>.ipynb``.
REPORTS = "reports"
#: Headline findings computed by the notebooks, for the home page.
FINDINGS_FILE = "findings.json"
#: The data build's report (``pipeline.REPORT_NAME``) under the processed data folder; named
#: here rather than imported so that the site builds without importing the data pipeline.
SOURCING_REPORT = "sourcing_report.json"
#: Renderers :func:`build_site` knows; ``auto`` picks quarto when it is on PATH.
RENDERERS = ("auto", "quarto", "smalldocs")
#: Seconds a ``quarto render`` may take: a dozen regions of four notebooks render in a few
#: minutes; an hour means something hangs.
QUARTO_TIMEOUT_SECONDS = 3_600
#: Label of the folded code of every notebook cell.
CODE_SUMMARY = "Show the code"
#: Label of the folded code of the cell papermill injected with the run's parameters.
PARAMETERS_SUMMARY = "Parameters of this run"


class SiteBuildError(RuntimeError):
    """The site could not be assembled or rendered; the message says which file or step."""


# --- executed notebooks ------------------------------------------------------------------


@dataclass(frozen=True)
class ExecutedNotebook:
    """One executed notebook of a run, as the runner wrote it.

    Attributes
    ----------
    run
        The run's folder name under ``reports/``: a region slug (``north-east``) or a name
        such as ``sample``.
    path
        The executed notebook.
    title, summary
        From its opening ``# Title`` markdown cell and the paragraph after it.
    parameters
        The parameters papermill injected (empty when the notebook ran with its defaults).
    """

    run: str
    path: Path
    title: str
    summary: str
    parameters: dict = field(default_factory=dict)

    @property
    def stem(self) -> str:
        return self.path.stem

    @property
    def page(self) -> str:
        """The staged source of the notebook's page, relative to the project (posix)."""
        return f"{REPORTS}/{self.run}/{self.path.name}"


def run_label(run: str) -> str:
    """A reader's name for a run folder: the region's name for a region slug.

    >>> run_label("yorkshire-and-the-humber")
    'Yorkshire and The Humber'
    >>> run_label("sample")
    'Sample'
    """
    return config.region_for_slug(run) or run.replace("-", " ").replace("_", " ").capitalize()


def _run_order(run: str) -> tuple[int, str]:
    """Regions in ONS order first, then any other run alphabetically."""
    slugs = [config.slugify(region) for region in config.REGIONS]
    return (slugs.index(run), run) if run in slugs else (len(slugs), run)


def _cell_source(cell: dict) -> str:
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else source


def _tags(cell: dict) -> set[str]:
    return set((cell.get("metadata") or {}).get("tags") or [])


def _title_and_summary(cells: Sequence[dict]) -> tuple[str | None, str]:
    """The first ``# heading`` of the first markdown cell, and the paragraph after it."""
    for cell in cells:
        if cell.get("cell_type") != "markdown":
            continue
        text = _cell_source(cell).strip()
        match = re.match(r"#\s+(.+)", text)
        if not match:
            return None, text.split("\n\n")[0].strip()
        rest = text[match.end() :].strip()
        return match.group(1).strip(), rest.split("\n\n")[0].strip()
    return None, ""


def _injected_parameters(nb: dict) -> dict:
    """The parameters papermill injected: from its metadata, else parsed from the cell."""
    stored = ((nb.get("metadata") or {}).get("papermill") or {}).get("parameters")
    if isinstance(stored, dict) and stored:
        return dict(stored)
    for cell in nb.get("cells", []):
        if "injected-parameters" in _tags(cell):
            values = {}
            try:
                tree = ast.parse(_cell_source(cell))
            except SyntaxError:  # not Python (another kernel): show no parameters
                return {}
            for node in tree.body:
                if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
                    try:
                        values[node.targets[0].id] = ast.literal_eval(node.value)
                    except ValueError:
                        values[node.targets[0].id] = ast.unparse(node.value)
            return values
    return {}


def read_executed_notebook(path: Path, run: str) -> ExecutedNotebook:
    """Read the title, summary and parameters of an executed notebook."""
    try:
        nb = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as error:
        raise SiteBuildError(f"cannot read executed notebook {path}: {error}") from error
    title, summary = _title_and_summary(nb.get("cells", []))
    return ExecutedNotebook(
        run=run,
        path=Path(path),
        title=title or Path(path).stem.replace("_", " "),
        summary=summary,
        parameters=_injected_parameters(nb),
    )


def discover_reports(reports_dir: Path) -> list[ExecutedNotebook]:
    """Every executed notebook ``reports/<run>/*.ipynb``, runs in region order then by name.

    Parameters
    ----------
    reports_dir
        The ``reports/`` folder; it may be missing (no run yet).
    """
    reports_dir = Path(reports_dir)
    if not reports_dir.is_dir():
        return []
    found = [
        read_executed_notebook(path, path.parent.name)
        for path in reports_dir.glob("*/*.ipynb")
        if not path.parent.name.startswith((".", "_")) and not path.name.startswith((".", "_"))
    ]
    return sorted(found, key=lambda nb: (_run_order(nb.run), nb.path.name))


def _fold_code(cell: dict, summary: str) -> dict:
    """Fold a code cell's code, unless the cell already says how to show it."""
    source = _cell_source(cell)
    lines = source.split("\n")
    options = [line for line in lines if line.startswith("#|")]
    if any(re.match(r"#\|\s*(code-fold|echo|include)\s*:", line) for line in options):
        return cell
    added = ["#| code-fold: true", f"#| code-summary: {json.dumps(summary)}"]
    return {**cell, "source": "\n".join(added + lines)}


def prepare_notebook(nb: dict, run: str) -> dict:
    """The staged copy of an executed notebook: a title block, folded code, outputs as saved.

    * The opening ``# Title`` becomes the page's title (a raw front-matter cell, which Quarto
      and smalldocs both read), and the run's name its subtitle.
    * When papermill injected parameters, the ``parameters`` cell of defaults is dropped: the
      injected values are the ones that ran, and showing both misleads.
    * Every code cell's code is folded (``#| code-fold: true``), per cell, because smalldocs
      folds a notebook's code only when the cell asks.

    Parameters
    ----------
    nb
        The notebook as JSON (nbformat 4); not modified.
    run
        The run folder's name.

    Examples
    --------
    >>> nb = {"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [
    ...     {"cell_type": "markdown", "metadata": {}, "source": "# Pay\\n\\nWhat pays."},
    ...     {"cell_type": "code", "metadata": {}, "source": "x = 1", "outputs": [], "execution_count": 1}]}
    >>> staged = prepare_notebook(nb, "north-east")
    >>> staged["cells"][0]["source"].splitlines()[1:3]
    ['title: Pay', 'subtitle: North East']
    >>> staged["cells"][2]["source"].splitlines()[0]
    '#| code-fold: true'
    """
    staged = copy.deepcopy(nb)
    cells = staged.get("cells", [])
    has_injected = any("injected-parameters" in _tags(cell) for cell in cells)
    title, _ = _title_and_summary(cells)
    kept = []
    for cell in cells:
        tags = _tags(cell)
        if has_injected and "parameters" in tags:
            continue
        if cell.get("cell_type") == "code":
            cell = _fold_code(cell, PARAMETERS_SUMMARY if "injected-parameters" in tags else CODE_SUMMARY)
        kept.append(cell)
    if title is not None:
        # The title moves into the title block; the heading would repeat it.
        first_md = next(i for i, cell in enumerate(kept) if cell.get("cell_type") == "markdown")
        text = re.sub(r"^\s*#\s+.+\n?", "", _cell_source(kept[first_md]), count=1).lstrip("\n")
        kept[first_md] = {**kept[first_md], "source": text}
    front = {"title": title or "Report", "subtitle": run_label(run)}
    header = {
        "cell_type": "raw",
        "metadata": {},
        "source": "---\n" + yaml.safe_dump(front, sort_keys=False, allow_unicode=True) + "---",
    }
    if any("id" in cell for cell in kept):  # nbformat 4.5 wants every cell to have an id
        header["id"] = "title-block"
    staged["cells"] = [header, *kept]
    return staged


# --- generated pages ---------------------------------------------------------------------


def _cell(value: object) -> str:
    r"""One markdown table cell: no line breaks, no unescaped pipes, quotes kept straight.

    Quotes become entities so that the renderers' "smart" typography leaves licence and
    citation text exactly as the catalogue states it.

    >>> _cell("cite 'Indeed'  |\n x")
    'cite &#39;Indeed&#39; \\| x'
    """
    text = re.sub(r"\s+", " ", str(value if value is not None else "")).strip()
    return text.replace("|", "\\|").replace("'", "&#39;").replace('"', "&quot;")


def markdown_table(header: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    """A pipe table, as Quarto and smalldocs read it.

    >>> print(markdown_table(["a", "b"], [[1, "x|y"]]))
    | a | b |
    |---|---|
    | 1 | x\\|y |
    """
    lines = ["| " + " | ".join(_cell(h) for h in header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(_cell(value) for value in row) + " |" for row in rows]
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


def data_log_markdown(rows: Sequence[dict], report: dict | None = None) -> str:
    """The data log page: every source file with its commit, sha256, size, licence, citation.

    Parameters
    ----------
    rows
        :func:`skills_engine.data.sourcing.data_log` rows.
    report
        The data build's ``sourcing_report.json``, if there is one.
    """
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
        line = f"- [{_cell(html.escape(_format_value(item['value'])))}]{{.value}} {_cell(html.escape(str(item['text'])))}"
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
                + [next((f"[view]({run}/{nb.path.name})" for nb in members if nb.stem == stem), "not run") for stem in stems]
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


REGIONAL_NOTEBOOK_STEM = "04_regional_comparison"
NATIONAL_RUN = "national"
MODEL_EVALUATION_FILE = "model_evaluation.json"


def home_findings(findings: Sequence[dict]) -> list[dict]:
    """Findings for the home page: the national ones and the default region's; other regions'
    findings go to the Regions page so the home page stays short.

    >>> [f["run"] for f in home_findings([{"run": "north-east"}, {"run": "wales"}, {"run": "national"}, {}])]
    ['north-east', 'national', None]
    """
    other_regions = {config.slugify(r) for r in config.REGIONS} - {config.slugify(config.DEFAULT_REGION)}
    return [f | {"run": f.get("run")} for f in findings if f.get("run") not in other_regions]


def regions_markdown(notebooks: Sequence[ExecutedNotebook], findings: Sequence[dict] = (), pages: Mapping[str, str] | None = None) -> str:
    """``regions.qmd``: the twelve regions, each linked to its regional report, and the national page."""
    regional = {nb.run: nb for nb in notebooks if nb.stem == REGIONAL_NOTEBOOK_STEM}
    national = [nb for nb in notebooks if nb.run == NATIONAL_RUN]
    parts = [
        "---",
        "title: Regions",
        "---",
        "",
        "Each region is compared with the rest of the UK: which occupations and skills its adverts ask for",
        "more or less often (location quotients with 95% intervals), what the same jobs pay there, and how",
        "job postings are growing against the national index. Figures resting on fewer adverts than the",
        "published minimum are suppressed.",
        "",
    ]
    if national:
        parts += ["**All regions side by side:** " + "; ".join(f"[{_cell(nb.title)}]({nb.page})" for nb in national), ""]
    rows = []
    for region in config.REGIONS:
        slug = config.slugify(region)
        nb = regional.get(slug)
        rows.append([f"[{region}]({nb.page})" if nb else region, "report" if nb else "not run yet: `skills-engine run --all-regions`"])
    parts += [markdown_table(["Region", "Regional comparison"], rows), ""]
    for region in config.REGIONS:
        own = [f for f in findings if f.get("run") == config.slugify(region)]
        if own:
            parts += [f"### {region}", "", findings_markdown(own, pages).replace("## Headline findings\n\n", ""), ""]
    return "\n".join(parts)


def model_metrics_markdown(path: Path) -> str:
    """The model card's metrics table from ``reports/model_evaluation.json`` (written by notebook 03)."""
    if not Path(path).is_file():
        return "The evaluation has not been run yet: run notebook 03 (`make run`).\n"
    payload = json.loads(Path(path).read_text(encoding="utf-8"))
    rows = []
    for name, metrics in payload["methods"].items():
        cells = [f"**{name}**" if name == payload["model"] else name]
        for metric in ("top1", "top5", "top10", "mrr"):
            low, high = metrics.get(f"{metric}_interval", [None, None])
            cells.append(f"{metrics[metric]:.3f} [{low:.3f}, {high:.3f}]" if low is not None else f"{metrics[metric]:.3f}")
        rows.append(cells)
    note = (
        f"Held-out adverts: {payload['n_test']:,} (split by employer); intervals are 95% bootstrap intervals. "
        f"Source: {payload.get('source', 'notebook 03')}, evaluated {payload.get('evaluated_at', 'at the last run')}."
    )
    return markdown_table(["Method", "Top-1", "Top-5", "Top-10", "MRR"], rows) + "\n\n" + note + "\n"


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


# --- assembling and rendering ------------------------------------------------------------


def _write_text(path: Path, text: str) -> None:
    from skills_engine.getters import atomic_write_text

    atomic_write_text(path, text)


def _read_sourcing_report(path: Path | None) -> dict | None:
    if path is None or not Path(path).is_file():
        return None
    try:
        report = json.loads(Path(path).read_text(encoding="utf-8"))
    except json.JSONDecodeError as error:
        raise SiteBuildError(f"{path} is not valid JSON: {error}") from error
    return report if isinstance(report, dict) else None


def stage_project(
    project_root: Path,
    staging: Path,
    sourcing_report: Path | None = None,
) -> list[ExecutedNotebook]:
    """Assemble the website project in ``staging``: config, pages, generated pages, notebooks.

    Parameters
    ----------
    project_root
        Holds ``_quarto.yml``, ``site/`` and ``reports/``.
    staging
        An empty folder to assemble the project in.
    sourcing_report
        The data build's ``sourcing_report.json``; optional.

    Returns
    -------
    The executed notebooks put on the site.
    """
    project_root, staging = Path(project_root), Path(staging)
    quarto_yml = project_root / "_quarto.yml"
    sources = project_root / SITE_SOURCES
    if not quarto_yml.is_file():
        raise SiteBuildError(f"no website config: {quarto_yml} is missing")
    if not (sources / "index.qmd").is_file():
        raise SiteBuildError(f"no home page: {sources / 'index.qmd'} is missing")
    shutil.copy2(quarto_yml, staging / "_quarto.yml")
    for item in sources.iterdir():
        if item.name.startswith((".", "_")):
            continue
        if item.is_dir():
            shutil.copytree(item, staging / item.name)
        else:
            shutil.copy2(item, staging / item.name)

    from skills_engine.publish import tryit
    from skills_engine.recommender import artifacts
    from skills_engine.data.sourcing import data_log

    try:
        engine, meta = artifacts.load_engine()
    except artifacts.EngineArtifactError as error:
        engine, meta = None, None
        log.warning("try-it page without a model: %s", error)
    # with no engine only the widget's JS and CSS are copied, so the page has no dead links
    tryit.write_site_assets(engine, staging, meta)

    notebooks = discover_reports(project_root / REPORTS)
    pages = {nb.page: f"{nb.title}, {run_label(nb.run)}" for nb in notebooks}
    all_findings = read_findings(project_root / REPORTS / FINDINGS_FILE)
    generated = {
        "_variables.yml": yaml.safe_dump(site_variables(), sort_keys=False),
        "data-log.qmd": data_log_markdown(data_log(), _read_sourcing_report(sourcing_report)),
        "_findings.md": findings_markdown(home_findings(all_findings), pages),
        "_reports.md": reports_list_markdown(notebooks),
        f"{REPORTS}/index.qmd": reports_index_markdown(notebooks),
        "regions.qmd": regions_markdown(notebooks, all_findings, pages),
        "_model_metrics.md": model_metrics_markdown(project_root / REPORTS / MODEL_EVALUATION_FILE),
    }
    for run, members in _by_run(notebooks).items():
        generated[f"{REPORTS}/{run}/index.qmd"] = run_index_markdown(run, members)
    for name, text in generated.items():
        _write_text(staging / name, text)
    for nb in notebooks:
        raw = json.loads(nb.path.read_text(encoding="utf-8"))
        _write_text(staging / nb.page, json.dumps(prepare_notebook(raw, nb.run), indent=1, ensure_ascii=False))
    return notebooks


def choose_renderer(renderer: str = "auto") -> str:
    """``quarto`` when asked or when ``auto`` finds it on PATH, else ``smalldocs``."""
    if renderer not in RENDERERS:
        raise ValueError(f"renderer must be one of {RENDERERS}, not {renderer!r}")
    if renderer == "quarto" and shutil.which("quarto") is None:
        raise SiteBuildError("renderer 'quarto' asked for, but the quarto binary is not on PATH")
    if renderer == "auto":
        return "quarto" if shutil.which("quarto") else "smalldocs"
    return renderer


def _render_quarto(staging: Path) -> None:
    try:
        subprocess.run(
            ["quarto", "render", str(staging), "--no-execute"],
            check=True,
            timeout=QUARTO_TIMEOUT_SECONDS,
            cwd=staging,
        )
    except subprocess.CalledProcessError as error:
        raise SiteBuildError(f"quarto render failed (exit {error.returncode}) in {staging}") from error
    except subprocess.TimeoutExpired as error:
        raise SiteBuildError(f"quarto render took over {QUARTO_TIMEOUT_SECONDS} s in {staging}") from error


def _render_smalldocs(staging: Path) -> list[str]:
    try:
        from smalldocs.config import BuildError, ConfigError
        from smalldocs.site import build
    except ImportError as error:  # an optional dependency: say how to get it
        raise SiteBuildError(
            "quarto is not on PATH and the fallback renderer is missing: pip install 'skills-engine[site]'"
        ) from error
    try:
        built = build(staging, quiet=True)
    except (BuildError, ConfigError) as error:
        raise SiteBuildError(f"smalldocs could not build {staging}: {error}") from error
    for warning in built.warnings:
        # `execute: enabled: false` is there for Quarto; smalldocs never runs code anyway.
        level = logging.DEBUG if warning.startswith("execute.enabled") else logging.WARNING
        log.log(level, "smalldocs: %s", warning)
    return list(built.warnings)


def _output_dir_in(staging: Path) -> Path:
    spec = yaml.safe_load((staging / "_quarto.yml").read_text(encoding="utf-8")) or {}
    return staging / str((spec.get("project") or {}).get("output-dir") or "_site")


def _replace_dir(new: Path, target: Path) -> None:
    """Put ``new`` at ``target`` by renames, so readers see the old site or the new, never half."""
    target.parent.mkdir(parents=True, exist_ok=True)
    old = None
    if target.exists():
        old = Path(tempfile.mkdtemp(prefix=f".{target.name}-old-", dir=target.parent))
        os.replace(target, old / target.name)
    try:
        shutil.move(str(new), str(target))
    except BaseException:
        if old is not None:
            os.replace(old / target.name, target)
        raise
    finally:
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)


def build_site(
    project_root: Path = config.PROJECT_ROOT,
    output_dir: str = "_site",
    renderer: str = "auto",
    sourcing_report: Path | None = None,
) -> Path:
    """Build the website of findings into ``<project_root>/<output_dir>``.

    Parameters
    ----------
    project_root
        Holds ``_quarto.yml``, ``site/`` (hand-written pages) and ``reports/`` (executed
        notebooks, ``reports/<run>/<NN_name>.ipynb``, and optionally ``findings.json``).
    output_dir
        Where the site goes, relative to ``project_root`` (or absolute).
    renderer
        ``auto`` (quarto if on PATH, else smalldocs), ``quarto`` or ``smalldocs``.
    sourcing_report
        The data build's report for the data log; default
        ``<data dir>/processed/sourcing_report.json`` when it exists.

    Returns
    -------
    The output folder, holding ``index.html``.

    Notes
    -----
    The project is assembled in ``site/_generated/`` and the last assembled project is left
    in ``site/_generated/project/``, so ``quarto render site/_generated/project`` reproduces
    the site. Notebooks are never re-executed.
    """
    project_root = Path(project_root).resolve()
    chosen = choose_renderer(renderer)
    if sourcing_report is None:
        sourcing_report = config.processed_dir() / SOURCING_REPORT
    staging_root = project_root / SITE_SOURCES / STAGING
    staging_root.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix="build-", dir=staging_root))
    try:
        notebooks = stage_project(project_root, staging, sourcing_report)
        log.info("rendering the site with %s: %d executed notebook(s)", chosen, len(notebooks))
        if chosen == "quarto":
            _render_quarto(staging)
        else:
            _render_smalldocs(staging)
        rendered = _output_dir_in(staging)
        if not (rendered / "index.html").is_file():
            raise SiteBuildError(f"{chosen} wrote no index.html into {rendered}")
        target = Path(output_dir) if Path(output_dir).is_absolute() else project_root / output_dir
        _replace_dir(rendered, target)
        _replace_dir(staging, staging_root / "project")
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    log.info("site written to %s", target)
    return target
