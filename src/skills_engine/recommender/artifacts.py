"""The fitted engine as a versioned artefact, with the data provenance it was built from.

The CLI and the API load the engine once from ``data/processed/engine.joblib``. Loading
refuses, with a message saying how to build it, when the file is missing or was written by an
incompatible version of the package.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from skills_engine import __version__, config
from skills_engine.data import tables
from skills_engine.atomic import atomic_path

#: Bumped whenever the pickled engine's structure changes; older files are refused.
ARTIFACT_VERSION = 1
ARTIFACT_NAME = "engine.joblib"
BUILD_HINT = "build it with `skills-engine build-model` (or `make run`, which runs notebook 03)"


class EngineArtifactError(RuntimeError):
    """The engine artefact is missing or incompatible."""


def artifact_path() -> Path:
    return config.processed_dir() / ARTIFACT_NAME


def provenance() -> dict:
    """Where the data behind the engine came from: source checksums digest and build times."""
    report = tables.read_report() or {}
    return {
        "artifact_version": ARTIFACT_VERSION,
        "package_version": __version__,
        "built_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "data_built_at": report.get("built_at"),
        "inputs_digest": report.get("inputs_digest"),
        "origin": report.get("origin"),
        "adverts": report.get("tables", {}).get("adverts"),
    }


def save_engine(engine, extra: dict | None = None, path: Path | None = None) -> Path:
    """Write the fitted engine and its provenance atomically."""
    import joblib

    path = Path(path or artifact_path())
    payload = {"engine": engine, "meta": provenance() | (extra or {})}
    with atomic_path(path) as part:
        joblib.dump(payload, part, compress=3)
    return path


def load_engine(path: Path | None = None):
    """Return ``(engine, meta)``; raise :class:`EngineArtifactError` with a how-to when unusable."""
    import joblib

    path = Path(path or artifact_path())
    if not path.is_file():
        raise EngineArtifactError(f"no engine artefact at {path}: {BUILD_HINT}")
    try:
        payload = joblib.load(path)
    except Exception as error:  # a truncated or foreign file: say what to do, not a traceback
        raise EngineArtifactError(f"could not read the engine artefact {path} ({error}): {BUILD_HINT}") from None
    meta = payload.get("meta", {}) if isinstance(payload, dict) else {}
    if meta.get("artifact_version") != ARTIFACT_VERSION:
        raise EngineArtifactError(
            f"the engine artefact {path} has version {meta.get('artifact_version')!r}, this package needs "
            f"{ARTIFACT_VERSION}: rebuild it ({BUILD_HINT})"
        )
    return payload["engine"], meta
