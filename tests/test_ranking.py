"""Occupation rankers on a tiny hand-written labour market (tests/data/recommend_world.py)."""

from __future__ import annotations

import importlib.util

import numpy as np
import pytest

from skills_engine.recommender import evaluation
from skills_engine.recommender import rankers as ranking


def _world():
    spec = importlib.util.spec_from_file_location(
        "recommend_world", __file__.replace("test_ranking.py", "data/recommend_world.py")
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


world = _world()
SKILL_URIS = world.SKILLS["skill_uri"].tolist()
OCC_URIS = world.OCCUPATIONS["occupation_uri"].tolist()


def fitted(name, **params):
    return ranking.METHODS[name](**params).fit(world.training(), world.OCCUPATION_SKILLS, SKILL_URIS, OCC_URIS)


def top(model, skills):
    scores = model.score(ranking.query_matrix([[f"skill:{s}" for s in skills]], SKILL_URIS))[0]
    return OCC_URIS[int(np.argmax(scores))]


@pytest.mark.parametrize("name", ["dwp_svd", "nesta_profile", "esco_overlap", "skill_profile_lm"])
@pytest.mark.parametrize(
    "skills, expected",
    [
        (["phlebotomy", "patient care"], "occ:nurse"),
        (["cooking", "food hygiene"], "occ:chef"),
        (["welding"], "occ:welder"),
        (["bookkeeping", "tax law"], "occ:accountant"),
    ],
)
def test_distinctive_skills_find_their_occupation(name, skills, expected):
    assert top(fitted(name, **({"n_components": 3} if name == "dwp_svd" else {})), skills) == expected


def test_popularity_ignores_the_query():
    model = fitted("popularity")
    assert top(model, ["welding"]) == "occ:nurse" == top(model, ["cooking"])


def test_language_model_reaches_occupations_without_adverts_through_esco():
    model = fitted("skill_profile_lm")
    scores = model.score(ranking.query_matrix([["skill:manual handling", "skill:patient care"]], SKILL_URIS))[0]
    # porters have no adverts, yet rank above occupations that share none of the skills
    assert scores[OCC_URIS.index("occ:porter")] > scores[OCC_URIS.index("occ:accountant")]
    assert scores[OCC_URIS.index("occ:porter")] > scores[OCC_URIS.index("occ:welder")]


def test_prior_weight_shifts_ties_towards_common_occupations():
    # "record keeping" belongs to nurses and accountants
    no_prior = fitted("skill_profile_lm", prior_weight=0.0)
    heavy_prior = fitted("skill_profile_lm", prior_weight=5.0)
    query = ranking.query_matrix([["skill:record keeping"]], SKILL_URIS)
    nurse, accountant = OCC_URIS.index("occ:nurse"), OCC_URIS.index("occ:accountant")
    gap_without = no_prior.score(query)[0][nurse] - no_prior.score(query)[0][accountant]
    gap_with = heavy_prior.score(query)[0][nurse] - heavy_prior.score(query)[0][accountant]
    assert gap_with > gap_without


def test_score_one_matches_batch_scoring():
    model = fitted("skill_profile_lm")
    skills = ["skill:cooking", "skill:manual handling"]
    batch = model.score(ranking.query_matrix([skills], SKILL_URIS))[0]
    one = model.score_one([SKILL_URIS.index(s) for s in skills])
    np.testing.assert_allclose(batch, one)


def test_evaluation_ranks_and_hide_half_check():
    model = fitted("skill_profile_lm")
    queries = evaluation.hide_half_queries(world.OCCUPATION_SKILLS, min_essential=2, random_state=1)
    assert set(queries["occupation_uri"]) == {"occ:nurse", "occ:chef", "occ:welder", "occ:accountant"}
    assert all(len(skills) == 1 for skills in queries["skills"])
    scores = model.score(ranking.query_matrix(queries["skills"].tolist(), SKILL_URIS))
    ranks = evaluation.ranks_of_truth(scores, queries["occupation_uri"].map(OCC_URIS.index).to_numpy())
    assert ranks.min() >= 1 and ranks.max() <= len(OCC_URIS)
    summary = evaluation.summarise(evaluation.per_query_metrics(ranks), n_bootstrap=50).set_index("metric")
    assert summary.loc["top5", "value"] == 1.0  # only five occupations
    assert summary.loc["top1", "low"] <= summary.loc["top1", "value"] <= summary.loc["top1", "high"]
