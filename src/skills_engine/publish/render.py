"""The website of findings: stage the project, render it with Quarto or smalldocs.

The site is a Quarto website project described by ``_quarto.yml`` at the project root.
:func:`build_site` assembles it in a staging folder (``site/_generated/``, git-ignored):

* the hand-written pages and stylesheet of ``site/`` (home page, caveats);
* pages generated from the code and the data, never typed by hand (their markdown comes
  from :mod:`skills_engine.publish.pages`): the data log, an index of the executed
  reports, one index per run, the home page's headline findings and ``_variables.yml``,
  and the Regions page (:mod:`skills_engine.publish.regions_page`, from
  ``reports/regions.json``);
* a staged copy of every executed notebook ``reports/<run>/<NN_name>.ipynb``, given a
  title block and folded code, its outputs kept as papermill saved them (read and staged by
  :mod:`skills_engine.publish.notebooks`).

It then renders the staged project with ``quarto render`` when the Quarto binary is on
``PATH``, or else with the pure-Python renderer ``smalldocs``, which reads the same
``_quarto.yml``. Neither re-executes a notebook. The rendered site replaces
``<project_root>/_site`` in one rename, so a failed build never leaves half a site.

This module owns staging and rendering: :func:`stage_project`, :func:`choose_renderer`,
:func:`build_site` and :class:`SiteBuildError` (defined in
:mod:`~skills_engine.publish.notebooks`, the bottom of the import chain, and re-exported
here).
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import yaml

from skills_engine import paths
from skills_engine.publish.model_card import extraction_metrics_markdown, model_metrics_markdown
from skills_engine.publish.notebooks import (
    LOCAL_PATH,
    REPORTS,
    ExecutedNotebook,
    SiteBuildError,
    discover_reports,
    prepare_notebook,
    publication_problems,
    run_label,
)
from skills_engine.publish.pages import (
    _by_run,
    data_log_markdown,
    findings_markdown,
    home_findings,
    read_findings,
    reports_index_markdown,
    reports_list_markdown,
    run_index_markdown,
    site_variables,
)
from skills_engine.publish.regions_page import read_regions, regions_markdown

log = logging.getLogger(__name__)

#: Folder of hand-written page sources, relative to the project root.
SITE_SOURCES = "site"
#: Staging folder for the assembled project, inside ``site/`` (git-ignored by ``site/.gitignore``).
STAGING = "_generated"
#: Renderers :func:`build_site` knows; ``auto`` picks quarto when it is on PATH.
RENDERERS = ("auto", "quarto", "smalldocs")
#: Seconds a ``quarto render`` may take: a dozen regions of four notebooks render in a few
#: minutes; an hour means something hangs.
QUARTO_TIMEOUT_SECONDS = 3_600


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

    from skills_engine.data.sourcing import data_log
    from skills_engine.publish import tryit
    from skills_engine.recommender import artifacts

    try:
        engine, meta = artifacts.load_engine()
    except artifacts.EngineArtifactError as error:
        engine, meta = None, None
        log.warning("try-it page without a model: %s", error)
    # with no engine only the widget's JS and CSS are copied, so the page has no dead links
    tryit.write_site_assets(engine, staging, meta)

    notebooks = discover_reports(project_root / REPORTS)
    pages = {nb.page: f"{nb.title}, {run_label(nb.run)}" for nb in notebooks}
    all_findings = read_findings(paths.findings_file(project_root))
    generated = {
        "_variables.yml": yaml.safe_dump(site_variables(), sort_keys=False),
        "data-log.qmd": data_log_markdown(data_log(), _read_sourcing_report(sourcing_report)),
        "_findings.md": findings_markdown(home_findings(all_findings), pages),
        "_reports.md": reports_list_markdown(notebooks),
        f"{REPORTS}/index.qmd": reports_index_markdown(notebooks),
        "regions.qmd": regions_markdown(notebooks, all_findings, pages, read_regions(paths.regions_file(project_root))),
        "_model_metrics.md": model_metrics_markdown(paths.model_evaluation_file(project_root)),
        "_extraction_metrics.md": extraction_metrics_markdown(paths.extraction_evaluation_file(project_root)),
    }
    for run, members in _by_run(notebooks).items():
        generated[f"{REPORTS}/{run}/index.qmd"] = run_index_markdown(run, members)
    refused = [
        f"{name}: shows a local path {found.group()[:120]}"
        for name, text in generated.items()
        if (found := LOCAL_PATH.search(text))
    ]
    raws = {}
    for nb in notebooks:
        raws[nb.page] = json.loads(nb.path.read_text(encoding="utf-8"))
        refused += [f"{REPORTS}/{nb.run}/{nb.path.name}: {problem}" for problem in publication_problems(raws[nb.page])]
    if refused:
        raise SiteBuildError(
            "refusing to publish (fix the notebook or re-run it, then build again):\n  " + "\n  ".join(refused[:20])
        )
    for name, text in generated.items():
        _write_text(staging / name, text)
    for nb in notebooks:
        _write_text(
            staging / nb.page, json.dumps(prepare_notebook(raws[nb.page], nb.run), indent=1, ensure_ascii=False)
        )
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
    project_root: Path = paths.PROJECT_ROOT,
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
        sourcing_report = paths.sourcing_report()
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
