"""The API's request and response models, and the limits they enforce.

The models are also the OpenAPI documentation at ``/docs``: every field, bound and example shown
there comes from here. Input is bounded: at most :data:`~skills_engine.recommender.engine.MAX_SKILLS`
skills of :data:`~skills_engine.recommender.engine.MAX_SKILL_CHARS` characters, ``k`` at most :data:`~skills_engine.recommender.engine.MAX_K`,
and :data:`MAX_BODY_BYTES` of request body.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from skills_engine.recommender.engine import MAX_K, MAX_SKILL_CHARS, MAX_SKILLS

#: Largest request body accepted, in bytes: 200 skills of 200 characters with JSON quoting
#: fit in about 41 KB, so 64 KB never refuses a legitimate request and bounds the work.
MAX_BODY_BYTES = 64 * 1024
#: Longest autocomplete query, in characters.
MAX_QUERY_CHARS = 100
#: Most autocomplete suggestions one request may ask for.
MAX_SUGGESTIONS = 50
#: Skills listed on an occupation's page.
N_PROFILE_SKILLS = 25
#: Occupations listed on a region's page.
N_REGION_OCCUPATIONS = 25
#: Provenance fields shown by ``/health`` (the artefact's evaluation figures are left to ``/recommend``).
HEALTH_FIELDS = (
    "artifact_version", "package_version", "built_at", "data_built_at", "inputs_digest", "origin", "adverts",
)  # fmt: skip

# --- request and response models (they are also the OpenAPI documentation) -------------------

SkillText = Annotated[str, StringConstraints(max_length=MAX_SKILL_CHARS)]


class RecommendRequest(BaseModel):
    """What a person knows, where they look for work, and how many job titles to return."""

    # strict: "k": "5" or true is refused with a 422 saying so, never coerced to a number.
    model_config = ConfigDict(
        extra="forbid",
        strict=True,
        json_schema_extra={
            "examples": [{"skills": ["patient care", "phlebotomy", "record keeping"], "region": "North East", "k": 10}]
        },
    )

    skills: list[SkillText] = Field(
        ...,
        min_length=1,
        max_length=MAX_SKILLS,
        description=f"Skills as typed (free text, matched to ESCO labels) or ESCO skill URIs; 1 to {MAX_SKILLS}.",
    )
    region: Annotated[str, StringConstraints(max_length=60)] | None = Field(
        None, description='A UK region by name ("North East") or slug ("north-east"); omit for the UK as a whole.'
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


class Readiness(BaseModel):
    """``/ready``: whether every request can be answered now, including skills matched by meaning."""

    status: str = Field(description="`ready`, `loading` (the semantic model is loading) or `failed`.")
    semantic: dict = Field(description="The semantic matcher: enabled, loaded, loads so far, last error.")


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
    query: dict = Field(
        description="Skills understood (``skills``), not recognised with close matches (``unknown``), region, k."
    )
    results: list[Recommendation]
    messages: list[str]
    engine: dict = Field(
        description="Provenance of the engine artefact: versions, build dates, input checksums digest."
    )


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


ERRORS = {
    422: {"model": Problem, "description": "Input that cannot be used; `detail` says why."},
    413: {"model": Problem, "description": f"Body over {MAX_BODY_BYTES // 1024} KB."},
}
