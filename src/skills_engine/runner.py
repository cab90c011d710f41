"""Execute the notebooks in order with papermill, one executed copy per parameter set.

Runs are transactional: each notebook executes into a temporary file that replaces the
published copy only when every cell succeeded, so a failed run leaves the previous report
byte-identical (its own copy, with the traceback, is kept beside it as ``NN_name.ipynb.failed``).
Parameters are checked against the notebooks' ``parameters`` cells before anything runs.
"""

from __future__ import annotations

import ast
import logging
import os
import re
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import yaml

from skills_engine import config, paths
from skills_engine.atomic import atomic_path

log = logging.getLogger(__name__)

#: Notebooks about the whole country: their executed copy goes to ``reports/national/``
#: whatever the run's region, so the national page is never duplicated per region.
NATIONAL_NOTEBOOKS = frozenset({"05_all_regions.ipynb", "06_scale.ipynb"})
#: Notebooks run once per region by ``run --all-regions`` (the others run once).
REGIONAL_NOTEBOOKS = frozenset({"04_regional_comparison.ipynb"})

#: Seconds one notebook cell may run before the run is stopped: the full-corpus extraction
#: cell is the slowest and takes a few minutes on two cores; an hour means something hangs.
CELL_TIMEOUT_SECONDS = 3_600
#: A run's name becomes a folder under ``reports/`` and a URL of the site: lower-case letters,
#: digits and hyphens, at most 64 characters, so it can never climb out of ``reports/``.
RUN_NAME_PATTERN = re.compile(r"[a-z0-9][a-z0-9-]{0,63}")
#: Suffix of the executed copy of a notebook that failed (not ``.ipynb``: never published).
FAILED_SUFFIX = ".failed"
#: Environment variables the notebook kernel must not inherit. ``MPLBACKEND=Agg`` (right for
#: the CLI and tests that plot outside Jupyter) would stop matplotlib drawing inline, and every
#: report would lose its figures.
KERNEL_ENV_EXCLUDED = ("MPLBACKEND",)


class NotebookRunError(RuntimeError):
    """A notebook cell failed; the message names the notebook and the cell."""


@dataclass(frozen=True)
class RunPlan:
    """What one run executes: its name, parameters, notebooks and output folder.

    ``named`` is true when the run's name was given (``run_name``) rather than taken from the
    region: such a run keeps even the national notebooks in its own folder.
    """

    run_name: str
    parameters: dict
    notebooks: tuple[Path, ...]
    output_dir: Path
    named: bool = False


def notebooks_dir() -> Path:
    return paths.notebooks_dir()


def reports_dir() -> Path:
    return paths.reports_dir()


def discover_notebooks(folder: Path | None = None) -> tuple[Path, ...]:
    """Notebooks named ``NN_*.ipynb``, in numeric order."""
    folder = folder or notebooks_dir()
    return tuple(sorted(p for p in folder.glob("[0-9][0-9]_*.ipynb")))


def load_parameters(params_file: Path | None) -> dict:
    """Parameters from a YAML file (plain values only), or ``{}`` for the notebook defaults."""
    if params_file is None:
        return {}
    path = Path(params_file)
    if not path.is_file():
        raise FileNotFoundError(f"parameters file not found: {path}")
    try:
        values = yaml.safe_load(path.read_text()) or {}
    except yaml.YAMLError as error:
        raise ValueError(f"{path}: not valid YAML ({error})".replace("\n", " ")) from None
    if not isinstance(values, dict):
        raise ValueError(f"{path}: expected a mapping of parameter names to values, got {type(values).__name__}")
    return values


def plan_run(
    params_file: Path | None = None,
    overrides: dict | None = None,
    notebooks: tuple[Path, ...] | None = None,
    output_root: Path | None = None,
) -> RunPlan:
    """Decide what to run and where the executed copies go.

    The run's name is ``run_name`` from the parameters, else the region's slug, so that
    runs for different regions never overwrite each other.

    >>> plan_run(overrides={"region": "North East"}, notebooks=()).run_name
    'north-east'
    """
    parameters = load_parameters(params_file) | (overrides or {})
    if "region" in parameters:
        region = config.region_for_slug(parameters["region"]) if isinstance(parameters["region"], str) else None
        if region is None:
            raise ValueError(f"unknown region {parameters['region']!r}; choose one of {', '.join(config.REGIONS)}")
        parameters["region"] = region
    named = parameters.pop("run_name", None)
    if named is not None and not (isinstance(named, str) and RUN_NAME_PATTERN.fullmatch(named)):
        raise ValueError(
            f"run_name {named!r} is not a safe name: use lower-case letters, digits and hyphens (e.g. 'north-east-full')"
        )
    run_name = named or config.slugify(parameters.get("region", config.DEFAULT_REGION))
    notebooks = discover_notebooks() if notebooks is None else notebooks
    check_parameters(parameters, notebooks)
    return RunPlan(
        run_name=run_name,
        parameters=parameters,
        notebooks=notebooks,
        output_dir=(output_root or reports_dir()) / run_name,
        named=named is not None,
    )


def notebook_parameters(notebook: Path) -> dict[str, object]:
    """The names and default values of a notebook's ``parameters`` cell."""
    import papermill as pm

    declared = pm.inspect_notebook(str(notebook))
    defaults = {}
    for name, spec in declared.items():
        try:
            defaults[name] = ast.literal_eval(spec["default"])
        except (ValueError, SyntaxError):
            defaults[name] = None  # an expression: any value is accepted
    return defaults


def check_parameters(parameters: dict, notebooks: tuple[Path, ...]) -> None:
    """Refuse a parameter no notebook of the project declares, or a value of the wrong type.

    A value must have the type of the notebook's default (an ``int`` where a ``float`` is
    expected is fine; ``None`` is accepted wherever the default is ``None`` or a number, for
    "no limit"). Checked before any notebook runs, so a typo never costs a half-finished run.
    """
    if not notebooks:
        return
    declared: dict[str, object] = {}
    for notebook in discover_notebooks(Path(notebooks[0]).parent) or notebooks:
        declared |= notebook_parameters(notebook)
    unknown = sorted(set(parameters) - set(declared))
    if unknown:
        raise ValueError(
            f"unknown parameter(s) {', '.join(unknown)}; the notebooks take: {', '.join(sorted(declared))}"
        )
    for name, value in parameters.items():
        default = declared[name]
        if default is None or value is None:
            continue
        expected = (int, float) if isinstance(default, float) else type(default)
        if isinstance(value, bool) != isinstance(default, bool) or not isinstance(value, expected):
            raise ValueError(
                f"parameter {name}={value!r} should be a {type(default).__name__} like its default ({default!r})"
            )


def output_path(plan: RunPlan, notebook: Path) -> Path:
    """Where a notebook's executed copy goes: the run's folder, or ``national/`` for national
    notebooks of a run named after its region (a named run keeps them in its own folder)."""
    if notebook.name in NATIONAL_NOTEBOOKS and not plan.named:
        return plan.output_dir.parent / paths.NATIONAL_RUN / notebook.name
    return plan.output_dir / notebook.name


def plan_all_regions(
    params_file: Path | None = None, overrides: dict | None = None, output_root: Path | None = None
) -> list[RunPlan]:
    """Every notebook for the run's region, then the regional notebooks for each other region."""
    first = plan_run(params_file, overrides, output_root=output_root)
    region = first.parameters.get("region", config.DEFAULT_REGION)
    regional = tuple(n for n in discover_notebooks() if n.name in REGIONAL_NOTEBOOKS)
    others = [
        plan_run(
            params_file,
            (overrides or {}) | {"region": other, "run_name": config.slugify(other)},
            notebooks=regional,
            output_root=output_root,
        )
        for other in config.REGIONS
        if other != region
    ]
    return [first, *others]


@contextmanager
def kernel_environment() -> Iterator[None]:
    """The environment notebook kernels start with: this process's, less :data:`KERNEL_ENV_EXCLUDED`."""
    saved = {name: os.environ.pop(name) for name in KERNEL_ENV_EXCLUDED if name in os.environ}
    try:
        yield
    finally:
        os.environ.update(saved)


def execute(plan: RunPlan, kernel_name: str = "python3") -> list[Path]:
    """Run each notebook of ``plan`` in order; stop at the first failing cell.

    Each executed copy is written to a temporary file and moved into place only when the
    notebook succeeded; a failure leaves the previous copy untouched and keeps the failed one,
    with its traceback, as ``<copy>.failed``.
    """
    import papermill as pm
    from papermill.exceptions import PapermillExecutionError

    written = []
    for notebook in plan.notebooks:
        output = output_path(plan, notebook)
        failed = output.with_name(output.name + FAILED_SUFFIX)
        log.info("running %s -> %s", notebook.name, output)
        try:
            with atomic_path(output) as part, kernel_environment(), warnings.catch_warnings():
                # The temporary copy is deliberately not named *.ipynb (it must never be published).
                warnings.filterwarnings("ignore", message="The specified file .* does not end in one of")
                try:
                    pm.execute_notebook(
                        str(notebook),
                        str(part),
                        parameters=plan.parameters,
                        kernel_name=kernel_name,
                        cwd=str(paths.PROJECT_ROOT),
                        execution_timeout=CELL_TIMEOUT_SECONDS,
                        progress_bar=False,
                        report_mode=False,
                    )
                except PapermillExecutionError:
                    if part.is_file():
                        os.replace(part, failed)
                    raise
        except PapermillExecutionError as error:
            raise NotebookRunError(
                f"{notebook.name}: cell {error.cell_index} (execution count {error.exec_count}) failed with "
                f"{error.ename}: {error.evalue}. The previous report is unchanged; the failed copy with the "
                f"traceback is {failed}"
            ) from None
        failed.unlink(missing_ok=True)
        written.append(output)
    return written
