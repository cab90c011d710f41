"""Reading the executed notebooks of ``reports/`` and staging them as pages of the site.

This module owns what the site knows of an executed notebook: where the runner wrote it
(``reports/<run>/<NN_name>.ipynb``), its title, summary and the parameters papermill
injected (:class:`ExecutedNotebook`, :func:`discover_reports`), and the copy staged on the
site, given a title block and folded code, its outputs kept as papermill saved them
(:func:`prepare_notebook`).

It also defines :class:`SiteBuildError`, the site build's error: reading a notebook is the
first step that can fail, and this module imports neither :mod:`~skills_engine.publish.pages`
nor :mod:`~skills_engine.publish.render` (which re-exports the error).
"""

from __future__ import annotations

import ast
import copy
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from skills_engine import config, paths

#: Where the runner writes executed notebooks: ``reports/<run>/<NN_name>.ipynb``.
REPORTS = paths.REPORTS
#: Label of the folded code of every notebook cell.
CODE_SUMMARY = "Show the code"
#: Label of the folded code of the cell papermill injected with the run's parameters.
PARAMETERS_SUMMARY = "Parameters of this run"


class SiteBuildError(RuntimeError):
    """The site could not be assembled or rendered; the message says which file or step."""


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


#: Local filesystem paths that must never reach a published page (a build machine's folders).
LOCAL_PATH = re.compile(
    r"(?<![\w.:/])/(?:home|root|tmp|work|Users|var/folders|private|opt|srv|mnt)/[^\s\"'<>`]+|[A-Za-z]:\\Users\\"
)
#: Parameters that switch advert text on in a notebook's output (local use only).
ADVERT_TEXT_PARAMETERS = ("show_advert_text",)


def _output_texts(output: dict) -> list[str]:
    texts = [output.get("text", "")] + [
        value for kind, value in (output.get("data") or {}).items() if not kind.startswith("image/")
    ]
    texts += [output.get("ename", ""), output.get("evalue", "")]
    return ["".join(text) if isinstance(text, list) else str(text) for text in texts]


def publication_problems(nb: dict) -> list[str]:
    """Why an executed notebook must not be published; empty when it may be.

    A notebook is refused when a cell failed (an ``error`` output), when it ran with advert
    text switched on (:data:`ADVERT_TEXT_PARAMETERS`), or when an output shows a local
    filesystem path (:data:`LOCAL_PATH`). Warnings on stderr are dropped from the published
    copy by :func:`prepare_notebook` and not checked.

    >>> cell = {"cell_type": "code", "source": "", "execution_count": 3, "outputs": [
    ...     {"output_type": "stream", "name": "stdout", "text": "saved /home/me/data/x.parquet"}]}
    >>> publication_problems({"cells": [cell], "metadata": {}})
    ['cell 1 (execution count 3) shows a local path: /home/me/data/x.parquet']
    """
    problems = []
    parameters = _injected_parameters(nb)
    for name in ADVERT_TEXT_PARAMETERS:
        if parameters.get(name) is True:
            problems.append(f"it ran with {name}=True: advert text is for local use only, never published")
    for number, cell in enumerate(nb.get("cells", []), start=1):
        where = f"cell {number} (execution count {cell.get('execution_count')})"
        for output in cell.get("outputs", []) or []:
            if output.get("output_type") == "error":
                problems.append(f"{where} failed with {output.get('ename')}: {str(output.get('evalue'))[:120]}")
                continue
            if output.get("output_type") == "stream" and output.get("name") == "stderr":
                continue
            for text in _output_texts(output):
                found = LOCAL_PATH.search(text)
                if found:
                    problems.append(f"{where} shows a local path: {found.group()[:120]}")
                    break
    return problems


def prepare_notebook(nb: dict, run: str) -> dict:
    """The staged copy of an executed notebook: a title block, folded code, outputs as saved.

    * The opening ``# Title`` becomes the page's title (a raw front-matter cell, which Quarto
      and smalldocs both read), and the run's name its subtitle.
    * When papermill injected parameters, the ``parameters`` cell of defaults is dropped: the
      injected values are the ones that ran, and showing both misleads.
    * Every code cell's code is folded (``#| code-fold: true``), per cell, because smalldocs
      folds a notebook's code only when the cell asks.
    * Warnings printed on stderr are dropped: they are for whoever runs the notebook.

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
            # Warnings on stderr (library notices with install paths) are for the developer, not readers.
            outputs = [
                o
                for o in cell.get("outputs", [])
                if not (o.get("output_type") == "stream" and o.get("name") == "stderr")
            ]
            cell = {**cell, "outputs": outputs}
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
