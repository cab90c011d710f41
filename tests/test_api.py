"""The HTTP API, its static export and its load client, on the tiny labour market of recommend_world.

The engine is fitted on hand-written data, saved with :func:`skills_engine.recommender.artifacts.save_engine`
into the test's folder and loaded by the app at start-up, as in production; the project's
real artefact is never read.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from browser_support import serve_app
from skills_engine import config, paths
from skills_engine.bench import api_load
from skills_engine.publish import tryit
from skills_engine.recommender import artifacts
from skills_engine.recommender.engine import MAX_K, MAX_SKILLS, Recommender
from skills_engine.service import app as service_app
from skills_engine.service.middleware import BodyLimitMiddleware
from skills_engine.service.models import MAX_BODY_BYTES


@pytest.fixture(scope="module")
def engine(api_world) -> Recommender:
    return api_world.tiny_engine()


@pytest.fixture(scope="module")
def artefact(engine, tmp_path_factory) -> Path:
    return artifacts.save_engine(engine, path=tmp_path_factory.mktemp("api-engine") / "engine.joblib")


@pytest.fixture(scope="module")
def client(artefact):
    with TestClient(service_app.create_app(artifact=artefact, origins=["https://embed.example.org"])) as test_client:
        yield test_client


def no_leak(response) -> None:
    """An error never shows a stack trace or a file path."""
    text = response.text
    assert "Traceback" not in text and 'File "' not in text and "/work/" not in text and "site-packages" not in text, (
        text
    )


# --- service and artefact ---------------------------------------------------------------------


def test_health_reports_the_artefact_it_loaded(client):
    body = client.get("/health").json()
    assert body["status"] == "ok" and body["occupations"] == 5 and body["skills"] == 10
    assert body["engine"]["artifact_version"] == artifacts.ARTIFACT_VERSION
    assert body["engine"]["built_at"]  # the provenance written by save_engine


def test_missing_or_incompatible_artefact_refuses_to_start(tmp_path, engine):
    with pytest.raises(artifacts.EngineArtifactError, match="build-model"):
        with TestClient(service_app.create_app(artifact=tmp_path / "missing.joblib")):
            pass
    old = artifacts.save_engine(
        engine, extra={"artifact_version": artifacts.ARTIFACT_VERSION - 1}, path=tmp_path / "old.joblib"
    )
    with pytest.raises(artifacts.EngineArtifactError, match="rebuild"):
        with TestClient(service_app.create_app(artifact=old)):
            pass


def test_serve_command_refuses_to_start_without_an_artefact(tmp_path):
    from skills_engine.cli import app

    result = CliRunner().invoke(app, ["serve", "--artifact", str(tmp_path / "missing.joblib")])
    assert result.exit_code == 1
    assert "build-model" in result.output


def test_engine_is_loaded_once_and_answers_from_memory(artefact, monkeypatch):
    calls = []
    real = artifacts.load_engine
    monkeypatch.setattr(artifacts, "load_engine", lambda path=None: calls.append(path) or real(path))
    monkeypatch.setenv(service_app.ARTIFACT_ENV, str(artefact))
    with TestClient(service_app.create_app()) as test_client:
        for _ in range(3):
            assert test_client.post("/recommend", json={"skills": ["cooking"]}).status_code == 200
    assert calls == [artefact]


# --- endpoints ------------------------------------------------------------------------------------


def test_recommend_returns_the_engine_answer_with_provenance(client, engine):
    response = client.post(
        "/recommend", json={"skills": ["patient care", "Phlebotomy", "record-keeping"], "region": "north-east", "k": 3}
    )
    assert response.status_code == 200
    body = response.json()
    expected = json.loads(
        json.dumps(
            engine.recommend(["patient care", "Phlebotomy", "record-keeping"], region="North East", k=3), default=str
        )
    )
    assert {key: body[key] for key in expected} == expected
    assert body["results"][0]["occupation_uri"] == "occ:nurse" and body["query"]["region"] == "North East"
    assert body["engine"]["artifact_version"] == artifacts.ARTIFACT_VERSION


def test_recommend_lists_unknown_skills_with_suggestions(client):
    body = client.post("/recommend", json={"skills": ["quantum basket weaving"], "k": 2}).json()
    assert body["results"] == [] and body["query"]["unknown"][0]["input"] == "quantum basket weaving"
    assert body["query"]["unknown"][0]["suggestions"] and body["messages"]


def test_skills_autocomplete_uses_preferred_and_alternative_labels(client):
    labels = [r["label"] for r in client.get("/skills", params={"q": "cook"}).json()["results"]]
    assert labels == ["cooking"]
    found = client.get("/skills", params={"q": "blood"}).json()["results"]
    assert [(r["label"], r["matched"]) for r in found] == [("phlebotomy", "drawing blood")]
    # prefix matches before matches inside a label; one entry per skill
    care = [r["label"] for r in client.get("/skills", params={"q": "care", "limit": 5}).json()["results"]]
    assert care[0] == "patient care" and len(care) == len(set(care))
    assert client.get("/skills", params={"q": "zzzz"}).json()["results"] == []


def test_occupation_by_uri_or_last_segment(client):
    body = client.get("/occupations/occ:nurse").json()
    assert body["title"] == "nurse responsible for general care"
    assert body["skills"][0] == {
        "uri": "skill:patient care",
        "label": "patient care",
        "weight": 10.0,
        "essential": True,
    }
    regions = {r["region"]: r for r in body["regions"]}
    assert set(regions) == set(config.REGIONS) and regions["North East"]["slug"] == "north-east"
    assert (
        regions["North East"]["salary"]["region_median_gbp"] == 33_000
        and regions["North East"]["demand"]["region_adverts"] == 3
    )
    assert regions["Scotland"]["demand"]["region_adverts"] is None  # no adverts there: nothing published
    assert body["national"]["salary"]["national_median_gbp"] == 33_500
    missing = client.get("/occupations/no-such-job")
    assert missing.status_code == 404 and "no occupation" in missing.json()["detail"]


def test_region_summary_and_unknown_slug(client):
    body = client.get("/regions/north-east").json()
    assert body["region"] == "North East" and body["slug"] == "north-east"
    assert body["adverts"] == 7  # nurses 3, chefs 2, welders 1, accountants 1
    # only nurses reach min_count=3 in the North East; smaller counts are suppressed
    assert [(o["occupation_uri"], o["adverts"]) for o in body["top_occupations"]] == [("occ:nurse", 3)]
    assert body["growth"]["area_change_12m"] == -0.05
    response = client.get("/regions/atlantis")
    assert response.status_code == 404
    assert "no region 'atlantis'" in response.json()["detail"] and len(response.json()["regions"]) == len(
        config.REGIONS
    )
    assert [r["slug"] for r in client.get("/regions").json()["regions"]][0] == "north-east"


def test_try_it_page_and_docs_are_served(client):
    page = client.get("/")
    assert page.status_code == 200 and "/static/skills-engine.js" in page.text
    assert client.get("/static/skills-engine.js").status_code == 200
    assert client.get("/docs").status_code == 200
    schema = client.get("/openapi.json").json()
    assert {"/health", "/skills", "/recommend", "/occupations/{occupation_id}", "/regions/{slug}"} <= set(
        schema["paths"]
    )


def test_cors_allows_only_configured_origins(client):
    allowed = client.options(
        "/recommend", headers={"Origin": "https://embed.example.org", "Access-Control-Request-Method": "POST"}
    )
    assert allowed.status_code == 200 and allowed.headers["access-control-allow-origin"] == "https://embed.example.org"
    other = client.post("/recommend", json={"skills": ["cooking"]}, headers={"Origin": "https://elsewhere.example.com"})
    assert "access-control-allow-origin" not in other.headers


# --- validation and safety --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "phrase"),
    [
        ({"skills": []}, "at least 1 item"),
        ({"skills": ["cooking"] * (MAX_SKILLS + 1)}, f"at most {MAX_SKILLS} items"),
        ({"skills": ["cooking"], "k": 0}, "greater than or equal to 1"),
        ({"skills": ["cooking"], "k": MAX_K + 1}, f"less than or equal to {MAX_K}"),
        ({"skills": ["cooking"], "k": "ten"}, "valid integer"),
        ({"skills": "cooking"}, "valid list"),
        ({"skills": ["x" * 201]}, "at most 200 characters"),
        ({"skills": ["cooking"], "colour": "red"}, "Extra inputs"),
        ({"skills": ["  ", ""]}, "no skills given"),
    ],
)
def test_bad_input_gets_a_readable_422(client, body, phrase):
    response = client.post("/recommend", json=body)
    assert response.status_code == 422, response.text
    assert phrase in response.json()["detail"], response.json()
    no_leak(response)


def test_unknown_region_lists_the_regions(client):
    response = client.post("/recommend", json={"skills": ["cooking"], "region": "../../etc/passwd"})
    assert response.status_code == 422
    assert "unknown region" in response.json()["detail"]
    assert {r["name"] for r in response.json()["regions"]} == set(config.REGIONS)


def test_malformed_json_gets_a_readable_422(client):
    response = client.post("/recommend", content=b'{"skills": [', headers={"Content-Type": "application/json"})
    assert response.status_code == 422 and "not valid JSON" in response.json()["detail"]
    no_leak(response)


def test_oversized_body_is_refused_by_declared_and_by_streamed_size(client):
    big = json.dumps({"skills": ["cooking " * 20] * 500}).encode()
    assert len(big) > MAX_BODY_BYTES
    declared = client.post("/recommend", content=big, headers={"Content-Type": "application/json"})
    assert declared.status_code == 413 and "too large" in declared.json()["detail"]

    def chunks():  # no Content-Length: the size is counted as the body streams in
        for start in range(0, len(big), 4096):
            yield big[start : start + 4096]

    streamed = client.post("/recommend", content=chunks(), headers={"Content-Type": "application/json"})
    assert streamed.status_code == 413 and "too large" in streamed.json()["detail"]
    small = client.post(
        "/recommend", content=json.dumps({"skills": ["cooking"]}).encode(), headers={"Content-Type": "application/json"}
    )
    assert small.status_code == 200


def test_body_limit_middleware_counts_a_chunked_body_without_reading_it_all():
    reads = []

    async def app(scope, receive, send):  # never reached for an oversized body
        raise AssertionError("the app saw an oversized body")

    async def receive():
        reads.append(1)
        return {"type": "http.request", "body": b"x" * 1024, "more_body": True}

    sent = []

    async def send(message):
        sent.append(message)

    middleware = BodyLimitMiddleware(app, max_bytes=10 * 1024)
    asyncio.run(middleware({"type": "http", "method": "POST", "headers": []}, receive, send))
    assert sent[0]["status"] == 413 and len(reads) == 11


def test_unexpected_error_is_a_500_without_a_trace(artefact, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("secret detail from /work/main/data/processed")

    with TestClient(service_app.create_app(artifact=artefact), raise_server_exceptions=False) as test_client:
        monkeypatch.setattr(Recommender, "recommend", broken)
        response = test_client.post("/recommend", json={"skills": ["cooking"]})
    assert response.status_code == 500 and response.json() == {
        "detail": "internal error: the request could not be answered"
    }
    no_leak(response)


#: Examples schemathesis generates per operation and mode: bounded, so the test takes seconds.
FUZZ_EXAMPLES = 25


def fuzz(app) -> dict[int, int]:
    """Status codes of requests schemathesis generates from ``app``'s OpenAPI spec, valid and invalid."""
    import collections

    schemathesis = pytest.importorskip("schemathesis")
    from hypothesis import HealthCheck, given, settings
    from hypothesis.errors import Unsatisfiable
    from schemathesis import GenerationMode

    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    statuses: collections.Counter = collections.Counter()
    for result in schema.get_all_operations():
        operation = result.ok()
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):

            @given(case=operation.as_strategy(generation_mode=mode))
            @settings(
                max_examples=FUZZ_EXAMPLES,
                deadline=None,
                database=None,
                derandomize=True,
                suppress_health_check=list(HealthCheck),
            )
            def send(case):
                response = case.call()
                statuses[response.status_code] += 1
                assert "Traceback" not in response.text

            try:
                send()
            except Unsatisfiable:  # an operation without inputs has no invalid request
                assert mode is GenerationMode.NEGATIVE
    return dict(statuses)


def test_openapi_schema_fuzzing_finds_no_server_error(artefact, monkeypatch):
    """schemathesis sends generated requests, valid and invalid, to every operation: no 5xx."""
    statuses = fuzz(service_app.create_app(*artifacts.load_engine(artefact)))
    assert sum(statuses.values()) > 100 and statuses.get(200) and statuses.get(422), statuses
    assert not [status for status in statuses if status >= 500], statuses
    # the harness does reach the engine: a failure there surfaces (the ASGI transport re-raises it)
    monkeypatch.setattr(Recommender, "recommend", lambda *args, **kwargs: 1 / 0)
    with pytest.raises(ZeroDivisionError):
        fuzz(service_app.create_app(*artifacts.load_engine(artefact)))


# --- the static export ------------------------------------------------------------------------------

QUERIES = [
    (["patient care", "phlebotomy", "record keeping"], None),
    (["cooking", "food hygiene"], "London"),
    (["welding", "metal cutting", "manual handling"], "Wales"),
    (["bookkeeping", "tax law", "record keeping"], None),
    (["manual handling"], "North East"),
    (["care of patients", "keep records"], None),  # alternative labels
]


@pytest.fixture(scope="module")
def exported(engine, tmp_path_factory) -> dict:
    path = tryit.export_static_model(
        engine, tmp_path_factory.mktemp("export") / "model.json", meta={"built_at": "x", "secret": "y"}
    )
    return json.loads(path.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def profile_engine(api_world) -> Recommender:
    """The engine ranking with the skill-profile model alone, as the static try-it page does."""
    return api_world.tiny_engine(knn_weight=0.0)


@pytest.mark.parametrize(("skills", "region"), QUERIES)
def test_exported_model_ranks_as_the_engines_skill_profile_model(profile_engine, exported, skills, region):
    ids, unknown = tryit.match_skills(exported, skills)
    assert unknown == []
    ranked = tryit.rank_exported(exported, ids, k=5)
    answer = profile_engine.recommend(skills, region=region, k=5)
    assert [uri for uri, _ in ranked] == [r["occupation_uri"] for r in answer["results"]]
    # weights are exported to 4 decimals: each score moves by at most n_skills * 5e-5
    assert [score for _, score in ranked] == pytest.approx([r["score"] for r in answer["results"]], abs=1e-3)


def test_exported_model_publishes_aggregates_only(exported):
    assert exported["engine"] == {key: ("x" if key == "built_at" else None) for key in tryit.META_FIELDS}
    minimum = exported["min_count"]
    occupations = {o["u"]: o for o in exported["occupations"]}
    counts = [o["dem"] for o in occupations.values()] + [
        o["sal"][1] for o in occupations.values() if o["sal"][2] == "ads"
    ]
    counts += [value for o in occupations.values() for entry in o["r"].values() for value in entry[1:]]
    assert all(count is None or count >= minimum for count in counts)
    assert occupations["occ:welder"]["dem"] is None and occupations["occ:welder"]["sal"] == [29_000, None, "ashe"]
    assert occupations["occ:nurse"]["sal"] == [33_500, 8, "ads"]
    north_east = str(config.REGIONS.index("North East"))
    assert occupations["occ:nurse"]["r"][north_east] == [33_000, 3, 3]
    # skills ordered by their count in the profile, as the engine lists missing skills
    assert [exported["skills"]["labels"][s] for s in occupations["occ:nurse"]["s"][:2]] == [
        "patient care",
        "record keeping",
    ]


def test_site_assets_are_written_together(engine, tmp_path):
    folder = tryit.write_site_assets(engine, tmp_path / "site")
    assert sorted(p.name for p in folder.iterdir()) == sorted([tryit.MODEL_FILE, *tryit.ASSETS])
    assert "score" in (folder / "skills-engine.js").read_text(encoding="utf-8")
    bare = tryit.write_site_assets(None, tmp_path / "bare")
    assert sorted(p.name for p in bare.iterdir()) == sorted(tryit.ASSETS)


# --- the load client --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def live_server(artefact):
    """The app under uvicorn on an ephemeral loopback port, in a thread."""
    with serve_app(service_app.create_app(artifact=artefact)) as base:
        yield base


def test_bench_api_reports_every_level(live_server):
    result = api_load.bench_api(live_server, levels=(1, 4), requests_per_level=20)
    runs = result["runs"]
    assert [(run["mix"], run["concurrency"]) for run in runs] == [
        ("everyday", 1),
        ("everyday", 4),
        ("with_200_unknown", api_load.UNKNOWN_MIX_CONCURRENCY),
    ]
    for run in runs:
        assert run["requests"] == 20 and run["errors"] == 0, run
        assert 0 < run["p50_ms"] <= run["p99_ms"] <= run["max_ms"] and run["requests_per_second"] > 0
        assert run["health_p99_ms"] > 0


def test_bench_api_counts_errors(live_server):
    # /recommend under a wrong path answers 404: every request is an error, none is lost
    result = api_load.bench_api(live_server + "/nowhere", levels=(2,), requests_per_level=6)
    assert result["runs"][0]["errors"] == 6 and result["runs"][0]["error_kinds"] == ["HTTP 404"]
    assert result["runs"][0]["health_p99_ms"] > 0  # the floor is measured on the same (wrong) base URL


def test_bench_api_json_last_line(live_server):
    from skills_engine.cli import app

    result = CliRunner().invoke(app, ["bench", "api", "--url", live_server, "--requests", "5", "--json"])
    assert result.exit_code == 0, result.output
    runs = json.loads(result.output.strip().splitlines()[-1])["runs"]
    assert [run["concurrency"] for run in runs] == [*api_load.LEVELS, api_load.UNKNOWN_MIX_CONCURRENCY]
    assert {"concurrency", "requests_per_second", "p50_ms", "p99_ms", "errors", "health_p99_ms"} <= set(runs[-1])


def test_bench_api_refuses_a_remote_url():
    with pytest.raises(ValueError, match="loopback"):
        api_load.check_url("http://example.org:8000")


def _old_layout_artefact(path: Path) -> Path:
    """An artefact as version 1 wrote it: the engine pickled under its old import path
    ``skills_engine.engine``, which the subpackage layout removed."""
    import sys
    import types

    import joblib

    old_module = types.ModuleType("skills_engine.engine")
    old_class = type("Recommender", (), {"__module__": "skills_engine.engine"})
    old_module.Recommender = old_class
    sys.modules["skills_engine.engine"] = old_module
    try:
        joblib.dump({"engine": old_class(), "meta": {"artifact_version": 1}}, path)
    finally:
        del sys.modules["skills_engine.engine"]
    return path


def test_an_artefact_from_before_the_layout_is_refused_with_the_rebuild_command(tmp_path, monkeypatch):
    from skills_engine.cli import app

    monkeypatch.setenv("SKILLS_ENGINE_DATA_DIR", str(tmp_path))
    paths.processed_dir().mkdir(parents=True)
    old = _old_layout_artefact(paths.engine_artifact())
    with pytest.raises(artifacts.EngineArtifactError, match="older version") as refused:
        artifacts.load_engine(old)  # version 1 wrote no checksum sidecar
    assert f"rebuild it: `{artifacts.BUILD_COMMAND}`" in str(refused.value)
    for command in (["recommend", "--skills", "python"], ["serve", "--artifact", str(old)]):
        result = CliRunner().invoke(app, command)
        assert result.exit_code == 1, (command, result.output)
        assert artifacts.BUILD_COMMAND in result.output and "Traceback" not in result.output


class _RunsCodeWhenUnpickled:
    """A pickle that, if it were ever loaded, would create a marker file: the attack to refuse."""

    def __init__(self, marker: Path):
        self.marker = marker

    def __reduce__(self):
        return (Path.touch, (self.marker,))


def test_an_edited_or_foreign_artefact_is_refused_before_it_is_unpickled(tmp_path, engine):
    import joblib

    saved = artifacts.save_engine(engine, path=tmp_path / "engine.joblib")
    marker = tmp_path / "code-ran"
    joblib.dump(
        {"engine": _RunsCodeWhenUnpickled(marker), "meta": {"artifact_version": artifacts.ARTIFACT_VERSION}}, saved
    )
    with pytest.raises(artifacts.EngineArtifactError, match="does not match its checksum file") as refused:
        artifacts.load_engine(saved)
    assert not marker.exists(), "the crafted pickle was loaded"
    assert artifacts.BUILD_COMMAND in str(refused.value)
    artifacts.sidecar_path(saved).unlink()
    with pytest.raises(artifacts.EngineArtifactError, match="has no checksum file"):
        artifacts.load_engine(saved)
    artifacts.sidecar_path(saved).write_text("{not json")
    with pytest.raises(artifacts.EngineArtifactError, match="unreadable checksum file"):
        artifacts.load_engine(saved)
    assert not marker.exists()


def test_a_right_version_artefact_with_wrong_contents_gives_the_how_to(tmp_path):
    wrong = artifacts.save_engine({"not": "an engine"}, path=tmp_path / "engine.joblib")
    with pytest.raises(artifacts.EngineArtifactError, match="does not hold a fitted engine") as refused:
        artifacts.load_engine(wrong)
    assert artifacts.BUILD_COMMAND in str(refused.value)


class _SlowRanker:
    """Stands in for the resolver's MeaningIndex: counts loads, takes a while, can fail on demand."""

    fits = 0
    fail = False

    def fit(self, skills):
        import time

        type(self).fits += 1
        time.sleep(0.2)
        if type(self).fail:
            raise OSError("model file unreadable")
        return self

    def rank_many(self, texts, k=3):
        return [[("skill:cooking", "cooking", 0.9)] for _ in texts]


@pytest.fixture
def slow_ranker(monkeypatch):
    from skills_engine.recommender import resolver

    _SlowRanker.fits, _SlowRanker.fail = 0, False
    monkeypatch.setattr(resolver, "MeaningIndex", _SlowRanker)
    return _SlowRanker


def _semantic_resolver(recommend_world):
    from skills_engine.recommender.resolver import SkillResolver

    return SkillResolver(semantic=True).fit(recommend_world.SKILLS)


def test_eight_concurrent_first_requests_load_the_model_once(slow_ranker, recommend_world):
    import threading

    resolver = _semantic_resolver(recommend_world)
    threads = [threading.Thread(target=resolver.resolve, args=([f"something new {i}"],)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert slow_ranker.fits == 1
    assert resolver.semantic_status() == {"enabled": True, "loaded": True, "loads": 1, "error": None}


def test_a_failed_model_load_is_reported_and_retried_never_kept(slow_ranker, recommend_world, monkeypatch):
    from skills_engine.recommender import resolver as resolver_module

    slow_ranker.fail = True
    resolver = _semantic_resolver(recommend_world)
    resolver.resolve(["something new"])
    status = resolver.semantic_status()
    assert status["enabled"] and not status["loaded"] and "model file unreadable" in status["error"]
    resolver.resolve(["something else"])
    assert slow_ranker.fits == 1  # within the retry delay: not hammered
    slow_ranker.fail = False
    monkeypatch.setattr(resolver_module, "SEMANTIC_RETRY_SECONDS", 0.0)
    resolver.resolve(["something else"])
    assert resolver.semantic_status() == {"enabled": True, "loaded": True, "loads": 2, "error": None}


def test_ready_says_loading_then_ready_and_health_answers_head(slow_ranker, recommend_world, engine):
    import copy

    fitted = copy.copy(engine)
    fitted.resolver_ = _semantic_resolver(recommend_world)
    with TestClient(service_app.create_app(fitted, {})) as client:
        assert client.head("/health").status_code == 200
        waiting = client.get("/ready")
        assert waiting.status_code == 503 and waiting.json()["status"] == "loading"
        fitted.resolver_.warm()
        assert client.get("/ready").json() == {"status": "ready", "semantic": fitted.resolver_.semantic_status()}


def test_phrases_past_the_cap_come_back_unknown_with_a_note(recommend_world, engine):
    from skills_engine.recommender.resolver import SkillResolver

    resolver = SkillResolver(semantic=False, max_phrases=2).fit(recommend_world.SKILLS)
    resolution = resolver.resolve(["cookng", "weldng", "blorf one", "blorf two"])
    assert resolution.over_cap == ["blorf one", "blorf two"]
    assert [u["input"] for u in resolution.unknown if "note" in u] == ["blorf one", "blorf two"]
    answer = engine.recommend(["cooking"] + [f"blorf {i}" for i in range(40)], k=3)
    assert any("at most" in message and "matched by spelling and meaning" in message for message in answer["messages"])


def test_the_cli_refuses_a_skill_the_api_would_refuse(engine):
    from skills_engine.recommender.engine import MAX_SKILL_CHARS

    with pytest.raises(ValueError, match=f"at most {MAX_SKILL_CHARS} characters"):
        engine.recommend(["x" * (MAX_SKILL_CHARS + 1)])


@pytest.mark.parametrize("k", ["5", True, 5.0])
def test_k_must_be_an_integer_not_coerced(client, k):
    response = client.post("/recommend", json={"skills": ["cooking"], "k": k})
    assert response.status_code == 422, response.text
    assert "k" in response.json()["detail"]


def test_every_response_carries_the_security_headers(client):
    for response in (
        client.get("/health"),
        client.get("/"),
        client.get("/docs"),
        client.post("/recommend", json={"skills": []}),
        client.post("/recommend", content=b"x" * (MAX_BODY_BYTES + 1), headers={"content-type": "application/json"}),
    ):
        assert response.headers["x-content-type-options"] == "nosniff", response.request.url
        assert response.headers["x-frame-options"] == "SAMEORIGIN"
        assert "frame-ancestors 'self'" in response.headers["content-security-policy"]


def test_the_documentation_page_loads_nothing_from_a_cdn(client):
    page = client.get("/docs").text
    assert "cdn." not in page and "https://" not in page.split("<body", 1)[-1], page[:500]
    for asset in ("swagger-ui-bundle.js", "swagger-ui.css"):
        assert f"{service_app.DOCS_ASSETS_URL}/{asset}" in page
        assert client.get(f"{service_app.DOCS_ASSETS_URL}/{asset}").status_code == 200


def test_a_recommendation_over_the_time_budget_answers_503_not_a_hang(engine, monkeypatch):
    import copy
    import time

    from skills_engine.service import routes

    slow = copy.copy(engine)
    slow.recommend = lambda *args, **kwargs: time.sleep(1.0) or engine.recommend(*args, **kwargs)
    monkeypatch.setattr(routes, "REQUEST_BUDGET_SECONDS", 0.2)
    with TestClient(service_app.create_app(slow, {})) as client:
        started = time.perf_counter()
        response = client.post("/recommend", json={"skills": ["something typed freely"], "k": 3})
    assert response.status_code == 503 and "longer than" in response.json()["detail"]
    assert time.perf_counter() - started < 0.9
