"""The fitted engine as a versioned artefact, with the data provenance it was built from.

The CLI and the API load the engine once from ``data/processed/engine.joblib``. Loading
refuses, with a message saying how to build it, when the file is missing or was written by an
incompatible version of the package.

The artefact is a pickle (joblib), and unpickling a file runs whatever code it names. So
:func:`save_engine` writes a checksum sidecar (``engine.joblib.sha256``: sha256, artefact version,
provenance) and :func:`load_engine` reads nothing from the pickle until the file's sha256 matches
its sidecar and the version is this package's. This protects against a file that is not the one
``build-model`` wrote: a foreign or hand-edited artefact passed with ``--artifact`` or
``$SKILLS_ENGINE_ARTIFACT``, a truncated copy, an old artefact. It does not protect against
someone who can write both files in the data folder (they could edit the installed code as
well): keep ``data/processed/`` writable by the service's owner only.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from pathlib import Path

from skills_engine import __version__, paths
from skills_engine.atomic import atomic_path
from skills_engine.data import tables

#: Bumped whenever the pickled engine's structure or its classes' import paths change; older
#: files are refused. 2: the package was laid out in subpackages (``skills_engine.engine`` became
#: ``skills_engine.recommender.engine``), so version-1 pickles name classes that no longer exist.
#: 3: the engine ranks with :class:`~skills_engine.recommender.stacking.SkillProfileStack` (a
#: neural network and tuned smoothing), not the blend; a version-2 engine would rank the old way.
#: 4: the stack adds the coverage part (a version-3 engine has no ``coverage_weight_``).
ARTIFACT_VERSION = 4
ARTIFACT_NAME = paths.ENGINE_FILE
#: Suffix of the checksum file written beside the artefact by :func:`save_engine`.
SIDECAR_SUFFIX = ".sha256"
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


def sidecar_path(path: Path) -> Path:
    """The checksum file written beside an artefact: ``engine.joblib.sha256`` (JSON)."""
    return path.with_name(path.name + SIDECAR_SUFFIX)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def save_engine(engine, extra: dict | None = None, path: Path | None = None) -> Path:
    """Write the fitted engine and its provenance atomically, then its checksum sidecar.

    The sidecar (``<artefact>.sha256``) holds the artefact's sha256, its version and its
    provenance, so that :func:`load_engine` can refuse a file before unpickling it.
    """
    import joblib

    path = Path(path or artifact_path())
    meta = provenance() | (extra or {})
    with atomic_path(path) as part:
        joblib.dump({"engine": engine, "meta": meta}, part, compress=3)
    sidecar = {"sha256": _sha256(path), "artifact_version": meta.get("artifact_version"), "meta": meta}
    with atomic_path(sidecar_path(path)) as part:
        Path(part).write_text(json.dumps(sidecar, indent=2, default=str) + "\n", encoding="utf-8")
    return path


def _refuse(path: Path, why: str) -> EngineArtifactError:
    return EngineArtifactError(f"the engine artefact {path} {why}; rebuild it: {BUILD_HINT}")


def load_engine(path: Path | None = None):
    """Return ``(engine, meta)``; raise :class:`EngineArtifactError` with a how-to when unusable.

    Nothing is unpickled until the checksum sidecar says the file is the one ``build-model``
    wrote, with this package's artefact version: a foreign or edited file is refused unread.
    """
    import joblib

    from skills_engine.recommender.engine import Recommender

    path = Path(path or artifact_path())
    if not path.is_file():
        raise EngineArtifactError(f"no engine artefact at {path}: {BUILD_HINT}")
    sidecar_file = sidecar_path(path)
    if not sidecar_file.is_file():
        raise _refuse(path, f"has no checksum file {sidecar_file.name}: an older version of skills-engine wrote it")
    try:
        sidecar = json.loads(sidecar_file.read_text(encoding="utf-8"))
        expected, version = str(sidecar["sha256"]), sidecar.get("artifact_version")
    except (ValueError, KeyError, TypeError, UnicodeDecodeError) as error:
        raise _refuse(path, f"has an unreadable checksum file {sidecar_file.name} ({error})") from None
    if version != ARTIFACT_VERSION:
        raise _refuse(path, f"has version {version!r}, this package needs {ARTIFACT_VERSION}")
    actual = _sha256(path)
    if actual != expected:
        raise _refuse(path, f"does not match its checksum file (sha256 {actual[:12]}…, expected {expected[:12]}…)")
    try:
        payload = joblib.load(path)
    except (ModuleNotFoundError, AttributeError) as error:
        # A class the pickle names has moved or gone: the file predates this package's layout.
        raise _refuse(path, f"was written by an older version of skills-engine ({error})") from None
    except Exception as error:  # a truncated or foreign file: say what to do, not a traceback
        raise _refuse(path, f"could not be read ({error})") from None
    engine = payload.get("engine") if isinstance(payload, dict) else None
    meta = payload.get("meta", {}) if isinstance(payload, dict) else {}
    if not isinstance(engine, Recommender) or not hasattr(engine, "model_") or not isinstance(meta, dict):
        raise _refuse(path, "does not hold a fitted engine")
    if meta.get("artifact_version") != ARTIFACT_VERSION:
        raise _refuse(path, f"has version {meta.get('artifact_version')!r}, this package needs {ARTIFACT_VERSION}")
    return engine, meta
