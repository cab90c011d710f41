"""Execute the notebooks in order with papermill, one executed copy per parameter set."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import yaml

from skills_engine import config

log = logging.getLogger(__name__)

#: Notebooks about the whole country: their executed copy goes to ``reports/national/``
#: whatever the run's region, so the national page is never duplicated per region.
NATIONAL_NOTEBOOKS = frozenset({"05_all_regions.ipynb"})
NATIONAL_RUN = "national"
#: Notebooks run once per region by ``run --all-regions`` (the others run once).
REGIONAL_NOTEBOOKS = frozenset({"04_regional_comparison.ipynb"})

#: Seconds one notebook cell may run before the run is stopped: the full-corpus extraction
#: cell is the slowest and takes a few minutes on two cores; an hour means something hangs.
CELL_TIMEOUT_SECONDS = 3_600


class NotebookRunError(RuntimeError):
    """A notebook cell failed; the message names the notebook and the cell."""


@dataclass(frozen=True)
class RunPlan:
    run_name: str
    parameters: dict
    notebooks: tuple[Path, ...]
    output_dir: Path


def notebooks_dir() -> Path:
    return config.PROJECT_ROOT / "notebooks"


def reports_dir() -> Path:
    return config.PROJECT_ROOT / "reports"


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
    values = yaml.safe_load(path.read_text()) or {}
    if not isinstance(values, dict):
        raise ValueError(f"{path}: expected a mapping of parameter names to values, got {type(values).__name__}")
    return values


def plan_run(params_file: Path | None = None, overrides: dict | None = None, notebooks: tuple[Path, ...] | None = None,
             output_root: Path | None = None) -> RunPlan:
    """Decide what to run and where the executed copies go.

    The run's name is ``run_name`` from the parameters, else the region's slug, so that
    runs for different regions never overwrite each other.

    >>> plan_run(overrides={"region": "North East"}, notebooks=()).run_name
    'north-east'
    """
    parameters = load_parameters(params_file) | (overrides or {})
    if "region" in parameters and parameters["region"] not in config.REGIONS:
        raise ValueError(f"unknown region {parameters['region']!r}; choose one of {', '.join(config.REGIONS)}")
    run_name = parameters.pop("run_name", None) or config.slugify(parameters.get("region", config.DEFAULT_REGION))
    return RunPlan(
        run_name=run_name,
        parameters=parameters,
        notebooks=discover_notebooks() if notebooks is None else notebooks,
        output_dir=(output_root or reports_dir()) / run_name,
    )


def output_path(plan: RunPlan, notebook: Path) -> Path:
    """Where a notebook's executed copy goes: the run's folder, or ``national/`` for national notebooks."""
    if notebook.name in NATIONAL_NOTEBOOKS:
        return plan.output_dir.parent / NATIONAL_RUN / notebook.name
    return plan.output_dir / notebook.name


def plan_all_regions(params_file: Path | None = None, overrides: dict | None = None, output_root: Path | None = None) -> list[RunPlan]:
    """Every notebook for the run's region, then the regional notebooks for each other region."""
    first = plan_run(params_file, overrides, output_root=output_root)
    region = first.parameters.get("region", config.DEFAULT_REGION)
    regional = tuple(n for n in discover_notebooks() if n.name in REGIONAL_NOTEBOOKS)
    others = [
        plan_run(params_file, (overrides or {}) | {"region": other, "run_name": config.slugify(other)}, notebooks=regional, output_root=output_root)
        for other in config.REGIONS
        if other != region
    ]
    return [first, *others]


def execute(plan: RunPlan, kernel_name: str = "python3") -> list[Path]:
    """Run each notebook of ``plan`` in order; stop at the first failing cell."""
    import papermill as pm
    from papermill.exceptions import PapermillExecutionError

    written = []
    for notebook in plan.notebooks:
        output = output_path(plan, notebook)
        output.parent.mkdir(parents=True, exist_ok=True)
        log.info("running %s -> %s", notebook.name, output)
        try:
            pm.execute_notebook(
                str(notebook),
                str(output),
                parameters=plan.parameters,
                kernel_name=kernel_name,
                cwd=str(config.PROJECT_ROOT),
                execution_timeout=CELL_TIMEOUT_SECONDS,
                progress_bar=False,
                report_mode=False,
            )
        except PapermillExecutionError as error:
            raise NotebookRunError(
                f"{notebook.name}: cell {error.cell_index} (execution count {error.exec_count}) failed with "
                f"{error.ename}: {error.evalue}. The executed copy with the traceback is {output}"
            ) from None
        written.append(output)
    return written
