"""The API's endpoints, on an :class:`~fastapi.APIRouter`, and the error handlers that shape their answers.

Every endpoint answers from the engine installed on ``request.app.state`` by
:func:`skills_engine.service.app.create_app`: ``engine`` (the fitted recommender), ``meta`` (its
provenance), ``skills`` (a :class:`SkillIndex` for autocomplete) and ``occupations`` (occupation
URI or its last segment to URI). Bad input gets a 4xx whose JSON ``detail`` says what to change;
errors never show a stack trace.
"""

from __future__ import annotations

import asyncio
import logging
from importlib import resources
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException

from skills_engine import __version__, config
from skills_engine.recommender.resolver import normalise_label
from skills_engine.service.models import (
    ERRORS,
    HEALTH_FIELDS,
    MAX_QUERY_CHARS,
    MAX_SUGGESTIONS,
    N_PROFILE_SKILLS,
    N_REGION_OCCUPATIONS,
    Health,
    OccupationProfile,
    Problem,
    Readiness,
    RecommendRequest,
    RecommendResponse,
    RegionSummary,
    SkillSuggestions,
)

log = logging.getLogger(__name__)

#: Seconds a recommendation may take before the client gets a 503 instead of waiting on. The
#: work itself is bounded (at most ``MAX_PHRASE_SKILLS`` phrases matched, in one batch), so this
#: catches a machine under pressure, not a request designed to be slow.
REQUEST_BUDGET_SECONDS = 10.0

router = APIRouter()


def _json(content: Any, status_code: int = 200) -> Response:
    """A JSON response serialised by orjson: answers are already plain data, so skip pydantic."""
    import orjson

    return Response(
        orjson.dumps(content, option=orjson.OPT_SERIALIZE_NUMPY, default=str),
        status_code=status_code,
        media_type="application/json",
    )


def region_from(text: str) -> str | None:
    """The region named or slugged by ``text`` (``"North East"`` or ``"north-east"``), else ``None``.

    >>> region_from("north-east"), region_from("North East"), region_from("Atlantis")
    ('North East', 'North East', None)
    """
    return config.region_for_slug(text)


def _region_list() -> list[dict]:
    return [{"name": region, "slug": config.slugify(region)} for region in config.REGIONS]


def static_dir() -> Path:
    """The folder of the try-it page and the embeddable widget (``service/static``)."""
    return Path(str(resources.files("skills_engine.service") / "static"))


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
    return all(
        text.strip() in resolver.uri_to_label_ or normalise_label(text) in resolver.label_to_uri_ or not text.strip()
        for text in skills
    )


# --- error handlers ----------------------------------------------------------------------------


async def invalid(_request: Request, error: RequestValidationError) -> Response:
    errors = [
        {"where": "body", "problem": "not valid JSON"}
        if item.get("type") == "json_invalid"
        else {"where": ".".join(str(part) for part in item.get("loc", ())), "problem": item.get("msg", "invalid")}
        for item in error.errors()
    ]
    detail = "; ".join(f"{item['where']}: {item['problem']}" for item in errors[:5])
    return _json({"detail": f"invalid request: {detail}", "errors": errors[:20]}, 422)


async def http_error(_request: Request, error: StarletteHTTPException) -> Response:
    detail = error.detail if isinstance(error.detail, (str, dict)) else str(error.detail)
    return _json(detail if isinstance(detail, dict) else {"detail": detail}, error.status_code)


async def unexpected(_request: Request, error: Exception) -> Response:
    log.exception("unexpected error")  # the trace goes to the server log, never to the client
    return _json({"detail": "internal error: the request could not be answered"}, 500)


#: Exception class and handler, in the order :func:`~skills_engine.service.app.create_app` registers them.
EXCEPTION_HANDLERS = ((RequestValidationError, invalid), (StarletteHTTPException, http_error), (Exception, unexpected))


# --- endpoints -----------------------------------------------------------------------------------


@router.get("/health", response_model=Health, tags=["service"])
@router.head("/health", include_in_schema=False)
def health(request: Request) -> Response:
    """Liveness: the service is up; which engine artefact it answers from (see ``/ready``)."""
    state = request.app.state
    fitted = state.engine
    return _json(
        {
            "status": "ok",
            "version": __version__,
            "engine": {key: state.meta.get(key) for key in HEALTH_FIELDS},
            "occupations": len(fitted.model_.occupation_uris),
            "skills": len(fitted.resolver_.uri_to_label_),
        }
    )


@router.get("/ready", response_model=Readiness, responses={503: {"model": Readiness}}, tags=["service"])
def ready(request: Request) -> Response:
    """Readiness: 200 once skills typed in any words can be matched by meaning (or meaning matches
    are not installed, so spelling is all there is), 503 while the model loads or after it failed."""
    status = request.app.state.engine.resolver_.semantic_status()
    if not status["enabled"] or status["loaded"]:
        return _json({"status": "ready", "semantic": status})
    return _json({"status": "failed" if status["error"] else "loading", "semantic": status}, 503)


@router.get("/skills", response_model=SkillSuggestions, responses=ERRORS, tags=["skills"])
async def skills(
    request: Request,
    q: Annotated[str, Query(min_length=1, max_length=MAX_QUERY_CHARS, description="What the person has typed so far.")],
    limit: Annotated[int, Query(ge=1, le=MAX_SUGGESTIONS)] = 10,
) -> Response:
    """Autocomplete: ESCO skills whose preferred or alternative label starts with, or contains, ``q``."""
    return _json({"query": q, "results": request.app.state.skills.search(q, limit)})


@router.post("/recommend", response_model=RecommendResponse, responses=ERRORS, tags=["recommend"])
async def recommend(request: Request, body: RecommendRequest) -> Response:
    """Ranked job titles for the skills, with matched and missing skills, salary, demand and growth."""
    region = None
    if body.region is not None and body.region.strip():
        region = region_from(body.region)
        if region is None:
            return _json(
                {
                    "detail": f"unknown region {body.region[:60]!r}; use one of the names or slugs in 'regions'",
                    "regions": _region_list(),
                },
                422,
            )
    fitted = request.app.state.engine
    try:
        if all_exact(fitted.resolver_, body.skills):
            # Under a millisecond: answer on the event loop, one request at a time. Threads would
            # only take turns on the GIL and stretch every request's latency under load.
            answer = fitted.recommend(body.skills, region=region, k=body.k)
        else:  # spelling or meaning matches take tens of milliseconds: keep the loop free
            if await request.is_disconnected():  # nobody is waiting for the answer: do no work
                return _json({"detail": "client disconnected"}, 499)
            answer = await asyncio.wait_for(
                run_in_threadpool(fitted.recommend, body.skills, region=region, k=body.k),
                timeout=REQUEST_BUDGET_SECONDS,
            )
    except ValueError as error:
        return _json({"detail": str(error)}, 422)
    except TimeoutError:
        return _json(
            {"detail": f"the answer took longer than {REQUEST_BUDGET_SECONDS:.0f} s; try again with fewer skills"}, 503
        )
    return _json(answer | {"engine": request.app.state.meta})


@router.get(
    "/occupations/{occupation_id:path}",
    response_model=OccupationProfile,
    responses={404: {"model": Problem}},
    tags=["occupations"],
)
def occupation(request: Request, occupation_id: str) -> Response:
    """One occupation: its skills, and salary, demand and growth nationally and in every region.

    ``occupation_id`` is the ESCO occupation URI (URL-encoded) or its last segment.
    """
    state = request.app.state
    uri = state.occupations.get(occupation_id) or state.occupations.get(occupation_id.rstrip("/").rsplit("/", 1)[-1])
    if uri is None:
        return _json(
            {
                "detail": f"no occupation {occupation_id[:120]!r}: "
                "use an occupation_uri from /recommend, or its last segment"
            },
            404,
        )
    profile = state.engine.occupation_profile(uri, n_skills=N_PROFILE_SKILLS)
    for item in profile["regions"]:
        item["slug"] = config.slugify(item["region"])
    return _json(profile)


@router.get("/regions", tags=["regions"])
def regions() -> Response:
    """The twelve UK regions, with the slugs ``/regions/{slug}`` takes."""
    return _json({"regions": _region_list()})


@router.get("/regions/{slug}", response_model=RegionSummary, responses={404: {"model": Problem}}, tags=["regions"])
def region(request: Request, slug: str) -> Response:
    """A region: adverts, growth and the most advertised occupations with their median salary."""
    name = region_from(slug)
    if name is None:
        return _json(
            {"detail": f"no region {slug[:60]!r}; use one of the slugs in 'regions'", "regions": _region_list()}, 404
        )
    summary = request.app.state.engine.region_summary(name, n_occupations=N_REGION_OCCUPATIONS)
    return _json(summary | {"slug": config.slugify(name)})


@router.get("/", response_class=HTMLResponse, include_in_schema=False)
def home() -> Response:
    page = (static_dir() / "index.html").read_text(encoding="utf-8")
    return HTMLResponse(page)
