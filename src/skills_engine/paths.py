"""Where everything lives: every path of ``data/`` and ``reports/`` is defined here, once.

Environment variables
---------------------
SKILLS_ENGINE_DATA_DIR
    Where raw, interim and processed data live (default ``./data`` of the source checkout).
SKILLS_ENGINE_MIRROR
    A folder laid out like ``shared/mirror`` (``github/<owner>/<repo>/<commit>/<path>``).
    When set, sources are read from it instead of downloaded, and checked the same way.
SKILLS_ENGINE_REPORTS_DIR
    Where executed notebooks and the findings files go (default ``reports/`` of the project).
    The end-to-end site tests point it at a temporary project so that they never overwrite a
    user's reports.

``data/`` holds ``raw/`` (verified sources, immutable), ``interim/`` (caches: extraction,
embeddings, regional counts) and ``processed/`` (tidy tables, the sourcing report and the
engine). ``reports/`` holds one folder of executed notebooks per run, ``national/`` for the
national notebook, and the JSON files the website reads.
"""

from __future__ import annotations

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[2]

#: Folder names under the project root (relative, so the site builder can stage a copy).
NOTEBOOKS = "notebooks"
REPORTS = "reports"
#: The run folder of notebooks about the whole country, whatever the run's region.
NATIONAL_RUN = "national"
#: Files under ``reports/`` that the notebooks write and the website reads.
FINDINGS_FILE = "findings.json"
MODEL_EVALUATION_FILE = "model_evaluation.json"
EXTRACTION_EVALUATION_FILE = "extraction_evaluation.json"
REGIONS_FILE = "regions.json"
#: Files under ``data/processed/``.
SOURCING_REPORT_FILE = "sourcing_report.json"
ENGINE_FILE = "engine.joblib"


def data_dir() -> Path:
    """Root data folder, from ``SKILLS_ENGINE_DATA_DIR`` or the project's ``data/``.

    A relative ``SKILLS_ENGINE_DATA_DIR`` resolves against the current working directory,
    as a user expects. Without it, a source checkout uses its own ``data/`` whatever the
    working directory (notebooks run from ``notebooks/``); an installed package uses ``./data``.
    """
    value = os.environ.get("SKILLS_ENGINE_DATA_DIR")
    if value:
        return Path(value).expanduser().resolve()
    if (PROJECT_ROOT / "pyproject.toml").is_file():
        return PROJECT_ROOT / "data"
    return Path("data").resolve()


def raw_dir() -> Path:
    """Verified copies of the sources, one folder per dataset (never edited)."""
    return data_dir() / "raw"


def interim_dir() -> Path:
    """Caches that make re-runs cheap; safe to delete."""
    return data_dir() / "interim"


def processed_dir() -> Path:
    """Tidy tables, the sourcing report and the engine artefact."""
    return data_dir() / "processed"


def extraction_cache_dir() -> Path:
    """Skill extraction results by text hash, and label embeddings."""
    return interim_dir() / "extraction"


def encoder_dir() -> Path:
    """The fine-tuned skill encoder (one folder of weights per training recipe) and its JSON sidecar."""
    return interim_dir() / "encoder"


def regional_cache_dir() -> Path:
    """National counts for the regional comparisons, keyed by the inputs' fingerprints."""
    return interim_dir() / "regional"


def processed_table(name: str) -> Path:
    """The parquet file of processed table ``name``."""
    return processed_dir() / f"{name}.parquet"


def sourcing_report() -> Path:
    return processed_dir() / SOURCING_REPORT_FILE


def rejected_adverts() -> Path:
    """File, row and reason of every row of ``data --adverts`` input that was not an advert."""
    return interim_dir() / "rejected_adverts.csv"


def engine_artifact() -> Path:
    return processed_dir() / ENGINE_FILE


def mirror_dir() -> Path | None:
    """The mirror folder from ``SKILLS_ENGINE_MIRROR``, or ``None`` to download."""
    value = os.environ.get("SKILLS_ENGINE_MIRROR")
    return Path(value).expanduser().resolve() if value else None


def notebooks_dir(root: Path = PROJECT_ROOT) -> Path:
    return Path(root) / NOTEBOOKS


def reports_dir(root: Path | None = None) -> Path:
    """Executed notebooks, one folder per run: ``root/reports`` for a given project root, else
    ``SKILLS_ENGINE_REPORTS_DIR`` or this project's ``reports/``."""
    if root is not None:
        return Path(root) / REPORTS
    value = os.environ.get("SKILLS_ENGINE_REPORTS_DIR")
    return Path(value).expanduser().resolve() if value else PROJECT_ROOT / REPORTS


def findings_file(root: Path | None = None) -> Path:
    """Headline findings recorded by the notebooks, for the home page."""
    return reports_dir(root) / FINDINGS_FILE


def model_evaluation_file(root: Path | None = None) -> Path:
    """The recommender's held-out evaluation, for the model card."""
    return reports_dir(root) / MODEL_EVALUATION_FILE


def extraction_evaluation_file(root: Path | None = None) -> Path:
    """The skill extractor's benchmark and set-level figures written by notebook 02, for the model card."""
    return reports_dir(root) / EXTRACTION_EVALUATION_FILE


def regions_file(root: Path | None = None) -> Path:
    """The all-regions table written by notebook 05, for the website's Regions page."""
    return reports_dir(root) / REGIONS_FILE
