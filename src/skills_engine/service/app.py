"""The recommender over HTTP: a FastAPI app other websites can call, and the try-it page.

Start it with ``skills-engine serve --host 127.0.0.1 --port 8000`` (or
``uvicorn skills_engine.service.app:app``). The engine artefact written by ``skills-engine
build-model`` is loaded once at start-up and every answer comes from memory; the app refuses
to start, saying how to build the artefact, when it is missing or from an incompatible version.

Endpoints (:mod:`~skills_engine.service.routes`): ``GET /health``, ``GET /skills?q=`` (autocomplete
over ESCO preferred and alternative labels), ``POST /recommend``, ``GET /occupations/{id}``,
``GET /regions`` and ``GET /regions/{slug}``; OpenAPI documentation at ``/docs``; the try-it page at ``/``.

Configuration, by environment variable:

``SKILLS_ENGINE_ARTIFACT``
    Path of the engine artefact (default ``data/processed/engine.joblib``).
``SKILLS_ENGINE_CORS_ORIGINS``
    Comma-separated origins allowed to call the API from a browser, e.g.
    ``https://example.org,https://www.example.org``; ``*`` allows any. Default: none.

Input is bounded: at most :data:`~skills_engine.recommender.engine.MAX_SKILLS` skills, ``k`` at most
:data:`~skills_engine.recommender.engine.MAX_K`, and :data:`~skills_engine.service.models.MAX_BODY_BYTES`
of request body. Bad input gets a 4xx whose JSON ``detail`` says what to change; errors never show a
stack trace.
"""

from __future__ import annotations

import logging
import os
import threading
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from fastapi_offline import FastAPIOffline
from starlette.datastructures import State

from skills_engine import __version__, config
from skills_engine.recommender import artifacts
from skills_engine.service.middleware import CORS_ENV, add_middleware
from skills_engine.service.models import HEALTH_FIELDS
from skills_engine.service.routes import EXCEPTION_HANDLERS, SkillIndex, router, static_dir

# CORS_ENV lives with the middleware that reads it; it is re-exported so every setting is importable from here.
__all__ = ["ARTIFACT_ENV", "CORS_ENV", "EAGER_MODEL_ENV", "create_app"]

log = logging.getLogger(__name__)

ARTIFACT_ENV = "SKILLS_ENGINE_ARTIFACT"
#: Where the documentation pages' Swagger UI and ReDoc assets are served from (this package's
#: dependency fastapi-offline ships them), so /docs loads nothing from a CDN.
DOCS_ASSETS_URL = "/docs-assets"
#: Set to 1 to load the semantic model at start-up (in the background: ``/health`` answers at once,
#: ``/ready`` once the model is in); unset, it loads on the first request that needs it.
EAGER_MODEL_ENV = "SKILLS_ENGINE_EAGER_MODEL"


def install(state: State, fitted, provenance: dict) -> None:
    """Put ``fitted`` and what the endpoints look up in it on ``state`` (the app's ``app.state``)."""
    state.engine, state.meta = fitted, dict(provenance or {})
    state.skills = SkillIndex(fitted.resolver_.label_to_uri_, fitted.resolver_.uri_to_label_)
    occupation_uris = fitted.model_.occupation_uris
    # An occupation is addressed by its full URI or by the URI's last segment (the ESCO UUID).
    state.occupations = {uri.rstrip("/").rsplit("/", 1)[-1]: uri for uri in occupation_uris} | {
        uri: uri for uri in occupation_uris
    }


def create_app(
    engine=None,
    meta: dict | None = None,
    artifact: Path | None = None,
    origins: list[str] | None = None,
    eager_model: bool | None = None,
) -> FastAPI:
    """Build the API app.

    Parameters
    ----------
    engine, meta
        A fitted :class:`~skills_engine.recommender.engine.Recommender` and its provenance; when
        ``None`` the artefact is loaded once at start-up.
    artifact
        The artefact to load (default ``$SKILLS_ENGINE_ARTIFACT``, else
        ``data/processed/engine.joblib``).
    origins
        CORS origins (default ``$SKILLS_ENGINE_CORS_ORIGINS``).
    eager_model
        Load the semantic model at start-up, in the background (default ``$SKILLS_ENGINE_EAGER_MODEL``).
    """

    @asynccontextmanager
    async def lifespan(_app: FastAPI):
        if not hasattr(app.state, "engine"):
            path = artifact or (Path(os.environ[ARTIFACT_ENV]) if os.environ.get(ARTIFACT_ENV) else None)
            # Raises EngineArtifactError with a how-to; uvicorn then refuses to start.
            install(app.state, *artifacts.load_engine(path))
            log.info("engine loaded: %s", {key: app.state.meta.get(key) for key in HEALTH_FIELDS})
        if eager_model if eager_model is not None else os.environ.get(EAGER_MODEL_ENV) == "1":
            threading.Thread(target=app.state.engine.resolver_.warm, name="semantic-warm-up", daemon=True).start()
        yield

    app = FastAPIOffline(
        static_url=DOCS_ASSETS_URL,
        title="Skills Engine API",
        version=__version__,
        description=(
            "Job titles for a person's skills, with salary, demand and growth by UK region, from public job adverts "
            "matched to the ESCO taxonomy. Every figure carries its source and sample size; counts below "
            f"{config.MIN_PUBLISHED_COUNT} adverts are suppressed."
        ),
        lifespan=lifespan,
    )
    if engine is not None:
        install(app.state, engine, meta or {})
    add_middleware(app, origins)
    for exception, handler in EXCEPTION_HANDLERS:
        app.add_exception_handler(exception, handler)
    app.include_router(router)
    app.mount("/static", StaticFiles(directory=static_dir()), name="static")
    return app


def __getattr__(name: str):
    # `skills_engine.service.app:app` for uvicorn, built on first use so that importing this module stays cheap.
    if name == "app":
        built = create_app()
        globals()["app"] = built
        return built
    raise AttributeError(name)
