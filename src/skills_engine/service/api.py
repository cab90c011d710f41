"""The recommender over HTTP: a FastAPI app other websites can call, and the try-it page.

Start it with ``skills-engine serve --host 127.0.0.1 --port 8000`` (or
``uvicorn skills_engine.service.api:app``). The engine artefact written by ``skills-engine
build-model`` is loaded once at start-up and every answer comes from memory; the app refuses
to start, saying how to build the artefact, when it is missing or from an incompatible version.

Endpoints: ``GET /health``, ``GET /skills?q=`` (autocomplete over ESCO preferred and
alternative labels), ``POST /recommend``, ``GET /occupations/{id}``, ``GET /regions`` and
``GET /regions/{slug}``; OpenAPI documentation at ``/docs``; the try-it page at ``/``.

Configuration, by environment variable:

``SKILLS_ENGINE_ARTIFACT``
    Path of the engine artefact (default ``data/processed/engine.joblib``).
``SKILLS_ENGINE_CORS_ORIGINS``
    Comma-separated origins allowed to call the API from a browser, e.g.
    ``https://example.org,https://www.example.org``; ``*`` allows any. Default: none.

Input is bounded: at most :data:`~skills_engine.recommender.engine.MAX_SKILLS` skills, ``k`` at most
:data:`~skills_engine.recommender.engine.MAX_K`, and :data:`MAX_BODY_BYTES` of request body. Bad input
gets a 4xx whose JSON ``detail`` says what to change; errors never show a stack trace.
"""

from __future__ import annotations

import logging
import os
from contextlib import asynccontextmanager
from importlib import resources
from pathlib import Path
from typing import Annotated, Any

from fastapi import FastAPI, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import HTMLResponse, Response
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel, ConfigDict, Field, StringConstraints
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException

from skills_engine import __version__, config
from skills_engine.recommender import artifacts
from skills_engine.recommender.engine import MAX_K, MAX_SKILLS, normalise_label

log = logging.getLogger(__name__)

#: Largest request body accepted, in bytes: 200 skills of 200 characters with JSON quoting
#: fit in about 41 KB, so 64 KB never refuses a legitimate request and bounds the work.
MAX_BODY_BYTES = 64 * 1024
#: Longest single skill, in characters: the longest ESCO label is under 200.
MAX_SKILL_CHARS = 200
#: Longest autocomplete query, in characters.
MAX_QUERY_CHARS = 100
#: Most autocomplete suggestions one request may ask for.
MAX_SUGGESTIONS = 50
#: Skills listed on an occupation's page.
N_PROFILE_SKILLS = 25
#: Occupations listed on a region's page.
N_REGION_OCCUPATIONS = 25
ARTIFACT_ENV = "SKILLS_ENGINE_ARTIFACT"
CORS_ENV = "SKILLS_ENGINE_CORS_ORIGINS"
#: Provenance fields shown by ``/health`` (the artefact's evaluation figures are left to ``/recommend``).
HEALTH_FIELDS = ("artifact_version", "package_version", "built_at", "data_built_at", "inputs_digest", "origin", "adverts")


def _json(content: Any, status_code: int = 200) -> Response:
    """A JSON response serialised by orjson: answers are already plain data, so skip pydantic."""
    import orjson

    return Response(orjson.dumps(content, option=orjson.OPT_SERIALIZE_NUMPY, default=str), status_code=status_code,
                    media_type="application/json")


def cors_origins(value: str | None = None) -> list[str]:
    """Origins allowed by CORS, from ``SKILLS_ENGINE_CORS_ORIGINS`` (comma-separated).

    >>> cors_origins(" https://a.org, https://b.org ,")
    ['https://a.org', 'https://b.org']
    >>> cors_origins("")
    []
    """
    value = os.environ.get(CORS_ENV, "") if value is None else value
    return [origin.strip() for origin in value.split(",") if origin.strip()]


def region_from(text: str) -> str | None:
    """The region named or slugged by ``text`` (``"North East"`` or ``"north-east"``), else ``None``.

    >>> region_from("north-east"), region_from("North East"), region_from("Atlantis")
    ('North East', 'North East', None)
    """
    return config.region_for_slug(text)


def _region_list() -> list[dict]:
    return [{"name": region, "slug": config.slugify(region)} for region in config.REGIONS]


# --- request size ----------------------------------------------------------------------------


class BodyLimitMiddleware:
    """Refuse request bodies over ``max_bytes`` with a 413, by Content-Length and by bytes read.

    A pure ASGI middleware, so a chunked upload is counted as it streams and never buffered
    beyond the limit.
    """

    def __init__(self, app, max_bytes: int = MAX_BODY_BYTES):
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None:
            try:
                too_big = int(declared) > self.max_bytes
            except ValueError:
                return await self._refuse(send, 400, "the Content-Length header is not a number")
            if too_big:
                return await self._refuse(send, 413, self._message())
        # Read the whole (bounded) body first, then replay it: the app never sees an oversized body.
        chunks, size, more = [], 0, True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_bytes:
                return await self._refuse(send, 413, self._message())
            chunks.append(chunk)
            more = message.get("more_body", False)
        body, replayed = b"".join(chunks), False

        async def replay():
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        return await self.app(scope, replay, send)

    def _message(self) -> str:
        return f"request body too large: at most {self.max_bytes // 1024} KB ({MAX_SKILLS} skills) are accepted"

    @staticmethod
    async def _refuse(send, status: int, detail: str) -> None:
        import orjson

        body = orjson.dumps({"detail": detail})
        await send({"type": "http.response.start", "status": status,
                    "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
                                (b"connection", b"close")]})
        await send({"type": "http.response.body", "body": body})


# --- request and response models (they are also the OpenAPI documentation) -------------------

SkillText = Annotated[str, StringConstraints(max_length=MAX_SKILL_CHARS)]


class RecommendRequest(BaseModel):
    """What a person knows, where they look for work, and how many job titles to return."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={
        "examples": [{"skills": ["patient care", "phlebotomy", "record keeping"], "region": "North East", "k": 10}]
    })

    skills: list[SkillText] = Field(
        ..., min_length=1, max_length=MAX_SKILLS,
        description=f"Skills as typed (free text, matched to ESCO labels) or ESCO skill URIs; 1 to {MAX_SKILLS}.",
    )
    region: Annotated[str, StringConstraints(max_length=60)] | None = Field(
        None, description="A UK region by name (\"North East\") or slug (\"north-east\"); omit for the UK as a whole."
    )
    k: int = Field(10, ge=1, le=MAX_K, description=f"How many job titles to return, 1 to {MAX_K}.")


class Problem(BaseModel):
    """An error: ``detail`` says what was wrong and what to send instead."""

    detail: str
    errors: list[dict] | None = None
    regions: list[dict] | None = None


class Health(BaseModel):
    status: str
    version: str
    engine: dict
    occupations: int
    skills: int


class SkillSuggestion(BaseModel):
    uri: str
    label: str = Field(description="The skill's ESCO preferred label.")
    matched: str = Field(description="The (normalised) preferred or alternative label that matched the query.")


class SkillSuggestions(BaseModel):
    query: str
    results: list[SkillSuggestion]


class Recommendation(BaseModel):
    """One ranked job title with its evidence (see the CLI's ``recommend --json``)."""

    model_config = ConfigDict(extra="allow")
    rank: int
    occupation_uri: str
    title: str
    isco_code: str | None = None
    score: float
    matched_skills: list[dict]
    missing_skills: list[dict]
    salary: dict
    demand: dict
    growth: dict


class RecommendResponse(BaseModel):
    query: dict = Field(description="Skills understood (``skills``), not recognised with close matches (``unknown``), region, k.")
    results: list[Recommendation]
    messages: list[str]
    engine: dict = Field(description="Provenance of the engine artefact: versions, build dates, input checksums digest.")


class RegionSummary(BaseModel):
    model_config = ConfigDict(extra="allow")
    region: str
    slug: str
    adverts: int | None
    top_occupations: list[dict]


class OccupationProfile(BaseModel):
    model_config = ConfigDict(extra="allow")
    occupation_uri: str
    title: str
    skills: list[dict]
    national: dict
    regions: list[dict]


ERRORS = {422: {"model": Problem, "description": "Input that cannot be used; `detail` says why."},
          413: {"model": Problem, "description": f"Body over {MAX_BODY_BYTES // 1024} KB."}}


# --- the app ---------------------------------------------------------------------------------


class SkillIndex:
    """Autocomplete over ESCO preferred and alternative labels: prefix, word start, then substring.

    The normalised labels are kept in one newline-joined string so that a lookup is a few
    ``str.find`` scans in C, a millisecond over the ~100,000 labels, instead of fuzzy scoring.
    """

    def __init__(self, label_to_uri: dict[str, str], uri_to_label: dict[str, str]):
        self.label_to_uri = label_to_uri
        self.uri_to_label = uri_to_label
        # Shorter labels first: among equal matches the shortest is usually the general skill.
        self.keys = sorted(label_to_uri, key=lambda key: (len(key), key))
        self.text = "\n" + "\n".join(self.keys) + "\n"

    def search(self, query: str, limit: int = 10) -> list[dict]:
        needle = normalise_label(query)
        if not needle:
            return []
        found: dict[str, str] = {}
        for pattern in ("\n" + needle, " " + needle, needle):  # prefix, start of a word, anywhere
            start = 0
            while len(found) < limit:
                at = self.text.find(pattern, start)
                if at < 0:
                    break
                line_start = self.text.rfind("\n", 0, at + 1) + 1
                line_end = self.text.find("\n", at + len(pattern))
                key = self.text[line_start:line_end]
                uri = self.label_to_uri[key]
                found.setdefault(uri, key)
                start = line_end
            if len(found) >= limit:
                break
        return [{"uri": uri, "label": self.uri_to_label.get(uri, key), "matched": key} for uri, key in found.items()]


def all_exact(resolver, skills: list[str]) -> bool:
    """Whether every skill is an ESCO URI or an exact (normalised) label: the resolver's cheap cases."""
    return all(text.strip() in resolver.uri_to_label_ or normalise_label(text) in resolver.label_to_uri_ or not text.strip()
               for text in skills)


def _static_dir() -> Path:
    return Path(str(resources.files("skills_engine.service") / "static"))


def create_app(engine=None, meta: dict | None = None, artifact: Path | None = None, origins: list[str] | None = None) -> FastAPI:
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
    """
    state: dict[str, Any] = {}

    def install(fitted, provenance: dict) -> None:
        state["engine"], state["meta"] = fitted, dict(provenance or {})
        state["skills"] = SkillIndex(fitted.resolver_.label_to_uri_, fitted.resolver_.uri_to_label_)
        occupation_uris = fitted.model_.occupation_uris
        # An occupation is addressed by its full URI or by the URI's last segment (the ESCO UUID).
        state["occupations"] = {uri.rstrip("/").rsplit("/", 1)[-1]: uri for uri in occupation_uris} | {uri: uri for uri in occupation_uris}

    if engine is not None:
        install(engine, meta or {})

    @asynccontextmanager
    async def lifespan(_app: FastAPI):
        if "engine" not in state:
            path = artifact or (Path(os.environ[ARTIFACT_ENV]) if os.environ.get(ARTIFACT_ENV) else None)
            # Raises EngineArtifactError with a how-to; uvicorn then refuses to start.
            install(*artifacts.load_engine(path))
            log.info("engine loaded: %s", {key: state["meta"].get(key) for key in HEALTH_FIELDS})
        yield

    app = FastAPI(
        title="Skills Engine API",
        version=__version__,
        description=(
            "Job titles for a person's skills, with salary, demand and growth by UK region, from public job adverts "
            "matched to the ESCO taxonomy. Every figure carries its source and sample size; counts below "
            f"{config.MIN_PUBLISHED_COUNT} adverts are suppressed."
        ),
        lifespan=lifespan,
    )
    allowed = cors_origins() if origins is None else origins
    if allowed:
        app.add_middleware(CORSMiddleware, allow_origins=allowed, allow_methods=["GET", "POST"], allow_headers=["Content-Type"],
                           max_age=600)
    app.add_middleware(BodyLimitMiddleware, max_bytes=MAX_BODY_BYTES)

    @app.exception_handler(RequestValidationError)
    async def invalid(_request: Request, error: RequestValidationError) -> Response:
        errors = [
            {"where": "body", "problem": "not valid JSON"} if item.get("type") == "json_invalid"
            else {"where": ".".join(str(part) for part in item.get("loc", ())), "problem": item.get("msg", "invalid")}
            for item in error.errors()
        ]
        detail = "; ".join(f"{item['where']}: {item['problem']}" for item in errors[:5])
        return _json({"detail": f"invalid request: {detail}", "errors": errors[:20]}, 422)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_request: Request, error: StarletteHTTPException) -> Response:
        detail = error.detail if isinstance(error.detail, (str, dict)) else str(error.detail)
        return _json(detail if isinstance(detail, dict) else {"detail": detail}, error.status_code)

    @app.exception_handler(Exception)
    async def unexpected(_request: Request, error: Exception) -> Response:
        log.exception("unexpected error")  # the trace goes to the server log, never to the client
        return _json({"detail": "internal error: the request could not be answered"}, 500)

    def engine_meta() -> dict:
        return state["meta"]

    @app.get("/health", response_model=Health, tags=["service"])
    def health() -> Response:
        """The service is up; which engine artefact it answers from."""
        fitted = state["engine"]
        return _json({"status": "ok", "version": __version__, "engine": {key: engine_meta().get(key) for key in HEALTH_FIELDS},
                      "occupations": len(fitted.model_.occupation_uris), "skills": len(fitted.resolver_.uri_to_label_)})

    @app.get("/skills", response_model=SkillSuggestions, responses=ERRORS, tags=["skills"])
    async def skills(
        q: Annotated[str, Query(min_length=1, max_length=MAX_QUERY_CHARS, description="What the person has typed so far.")],
        limit: Annotated[int, Query(ge=1, le=MAX_SUGGESTIONS)] = 10,
    ) -> Response:
        """Autocomplete: ESCO skills whose preferred or alternative label starts with, or contains, ``q``."""
        return _json({"query": q, "results": state["skills"].search(q, limit)})

    @app.post("/recommend", response_model=RecommendResponse, responses=ERRORS, tags=["recommend"])
    async def recommend(request: RecommendRequest) -> Response:
        """Ranked job titles for the skills, with matched and missing skills, salary, demand and growth."""
        region = None
        if request.region is not None and request.region.strip():
            region = region_from(request.region)
            if region is None:
                return _json({"detail": f"unknown region {request.region[:60]!r}; use one of the names or slugs in 'regions'",
                              "regions": _region_list()}, 422)
        fitted = state["engine"]
        try:
            if all_exact(fitted.resolver_, request.skills):
                # Under a millisecond: answer on the event loop, one request at a time. Threads would
                # only take turns on the GIL and stretch every request's latency under load.
                answer = fitted.recommend(request.skills, region=region, k=request.k)
            else:  # spelling or meaning matches take tens of milliseconds: keep the loop free
                answer = await run_in_threadpool(fitted.recommend, request.skills, region=region, k=request.k)
        except ValueError as error:
            return _json({"detail": str(error)}, 422)
        return _json(answer | {"engine": engine_meta()})

    @app.get("/occupations/{occupation_id:path}", response_model=OccupationProfile, responses={404: {"model": Problem}},
             tags=["occupations"])
    def occupation(occupation_id: str) -> Response:
        """One occupation: its skills, and salary, demand and growth nationally and in every region.

        ``occupation_id`` is the ESCO occupation URI (URL-encoded) or its last segment.
        """
        uri = state["occupations"].get(occupation_id) or state["occupations"].get(occupation_id.rstrip("/").rsplit("/", 1)[-1])
        if uri is None:
            return _json({"detail": f"no occupation {occupation_id[:120]!r}: use an occupation_uri from /recommend, or its last segment"}, 404)
        profile = state["engine"].occupation_profile(uri, n_skills=N_PROFILE_SKILLS)
        for item in profile["regions"]:
            item["slug"] = config.slugify(item["region"])
        return _json(profile)

    @app.get("/regions", tags=["regions"])
    def regions() -> Response:
        """The twelve UK regions, with the slugs ``/regions/{slug}`` takes."""
        return _json({"regions": _region_list()})

    @app.get("/regions/{slug}", response_model=RegionSummary, responses={404: {"model": Problem}}, tags=["regions"])
    def region(slug: str) -> Response:
        """A region: adverts, growth and the most advertised occupations with their median salary."""
        name = region_from(slug)
        if name is None:
            return _json({"detail": f"no region {slug[:60]!r}; use one of the slugs in 'regions'", "regions": _region_list()}, 404)
        return _json(state["engine"].region_summary(name, n_occupations=N_REGION_OCCUPATIONS) | {"slug": config.slugify(name)})

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    def home() -> Response:
        page = (_static_dir() / "index.html").read_text(encoding="utf-8")
        return HTMLResponse(page)

    app.mount("/static", StaticFiles(directory=_static_dir()), name="static")
    return app


def __getattr__(name: str):
    # `skills_engine.service.api:app` for uvicorn, built on first use so that importing this module stays cheap.
    if name == "app":
        built = create_app()
        globals()["app"] = built
        return built
    raise AttributeError(name)
