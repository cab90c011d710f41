"""The fitted engine as a versioned artefact, with the data provenance it was built from.

The CLI and the API load the engine once from ``data/processed/engine.joblib``. Loading
refuses, with a message saying how to build it, when the file is missing or was written by an
incompatible version of the package.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from skills_engine import __version__, paths
from skills_engine.atomic import atomic_path
from skills_engine.data import tables

#: Bumped whenever the pickled engine's structure or its classes' import paths change; older
#: files are refused. 2: the package was laid out in subpackages (``skills_engine.engine`` became
#: ``skills_engine.recommender.engine``), so version-1 pickles name classes that no longer exist.
ARTIFACT_VERSION = 2
ARTIFACT_NAME = paths.ENGINE_FILE
BUILD_COMMAND = "skills-engine build-model"
BUILD_HINT = f"`{BUILD_COMMAND}` builds it (`make run` does too, in notebook 03)"


class EngineArtifactError(RuntimeError):
    """The engine artefact is missing or incompatible."""


def artifact_path() -> Path:
    return paths.engine_artifact()


def provenance() -> dict:
    """Where the data behind the engine came from: source checksums digest and build times."""
    report = tables.read_report() or {}
    return {
        "artifact_version": ARTIFACT_VERSION,
        "package_version": __version__,
        "built_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
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
    except (ModuleNotFoundError, AttributeError) as error:
        # A class the pickle names has moved or gone: the file predates this package's layout.
        raise EngineArtifactError(
            f"the engine artefact {path} was written by an older version of skills-engine ({error}); rebuild it: {BUILD_HINT}"
        ) from None
    except Exception as error:  # a truncated or foreign file: say what to do, not a traceback
        raise EngineArtifactError(
            f"could not read the engine artefact {path} ({error}); rebuild it: {BUILD_HINT}"
        ) from None
    meta = payload.get("meta", {}) if isinstance(payload, dict) else {}
    if meta.get("artifact_version") != ARTIFACT_VERSION:
        raise EngineArtifactError(
            f"the engine artefact {path} has version {meta.get('artifact_version')!r}, this package needs "
            f"{ARTIFACT_VERSION}; rebuild it: {BUILD_HINT}"
        )
    return payload["engine"], meta
