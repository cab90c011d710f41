"""Occupation rankers on a tiny hand-written labour market (tests/data/recommend_world.py)."""

from __future__ import annotations

import importlib.util
import itertools

import numpy as np
import pandas as pd
import pytest

from skills_engine import intervals
from skills_engine.recommender import baselines, classifier, evaluation, stacking
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
    return evaluation.METHODS[name](**params).fit(world.training(), world.OCCUPATION_SKILLS, SKILL_URIS, OCC_URIS)


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


def test_the_bootstrap_resamples_employers_so_one_employers_many_adverts_count_once():
    # twenty adverts of one employer all hit; twenty adverts of twenty other employers all miss
    metrics = pd.DataFrame({"top5": [1.0] * 20 + [0.0] * 20})
    employers = ["big trust"] * 20 + [f"advert:{i}" for i in range(20)]
    by_advert = intervals.summarise(metrics, n_bootstrap=2000, random_state=0).set_index("metric").loc["top5"]
    by_employer = (
        intervals.summarise(metrics, n_bootstrap=2000, random_state=0, clusters=employers)
        .set_index("metric")
        .loc["top5"]
    )
    assert by_advert["value"] == by_employer["value"] == 0.5
    assert by_advert["low"] > 0.3  # forty independent adverts: a tight interval
    # one employer left out of a resample (about a third of them) takes every hit with it
    assert by_employer["low"] == 0.0 and by_employer["high"] > by_advert["high"]
    with pytest.raises(ValueError, match="3 entries for 40 queries"):
        intervals.summarise(metrics, clusters=["a", "b", "c"])


def test_paired_gaps_measure_the_lead_itself_not_two_separate_intervals():
    rng = np.random.default_rng(0)
    baseline = (rng.random(200) < 0.6).astype(float)
    ours = baseline.copy()
    ours[np.flatnonzero(baseline == 0)[:10]] = 1.0  # ten more hits; every other query the same
    metrics = {"ours": pd.DataFrame({"top5": ours}), "baseline": pd.DataFrame({"top5": baseline})}
    gap = intervals.paired_gaps(metrics, "ours", n_bootstrap=1000).set_index("method").loc["baseline"]
    assert gap["metric"] == "top5" and gap["value"] == pytest.approx(0.05) and gap["n"] == 200
    assert 0.0 < gap["low"] < 0.05 < gap["high"]  # never behind on any query: the lead is real
    separate = {name: intervals.summarise(frame, n_bootstrap=1000).iloc[0] for name, frame in metrics.items()}
    assert separate["ours"]["low"] < separate["baseline"]["high"]  # yet the separate intervals overlap
    with pytest.raises(ValueError, match="'short' was scored on other queries"):
        intervals.paired_gaps(metrics | {"short": pd.DataFrame({"top5": baseline[:5]})}, "ours")


def test_one_draw_of_employers_serves_every_method_of_a_query_set():
    metrics = pd.DataFrame({"top5": [1.0, 1.0, 0.0, 1.0, 0.0, 0.0]})
    employers = ["a", "a", "b", "c", "c", "d"]
    resampling = intervals.cluster_weights(employers, 6, n_bootstrap=300, random_state=3)
    drawn_once = intervals.summarise(metrics, resampling=resampling)
    drawn_again = intervals.summarise(metrics, n_bootstrap=300, random_state=3, clusters=employers)
    pd.testing.assert_frame_equal(drawn_once, drawn_again)
    other_seed = intervals.summarise(metrics, n_bootstrap=300, random_state=4, clusters=employers)
    assert not drawn_once.equals(other_seed)  # the draw, not the seed's defaults, made the interval
    pair = {"ours": metrics, "theirs": metrics.assign(top5=[1.0, 0.0, 0.0, 0.0, 0.0, 0.0])}
    pd.testing.assert_frame_equal(
        intervals.paired_gaps(pair, "ours", resampling=resampling),
        intervals.paired_gaps(pair, "ours", n_bootstrap=300, random_state=3, clusters=employers),
    )
    with pytest.raises(ValueError, match="drawn for 6 queries, not 2"):
        intervals.summarise(metrics.head(2), resampling=resampling)


def test_both_lead_tables_write_a_lead_behind_alike_with_a_true_minus():
    from skills_engine.extraction import evaluate
    from skills_engine.recommender import formatting

    extraction = evaluate.lead_table(
        pd.DataFrame(
            {"file": ["dev"], "method": ["b"], "metric": ["rp@5"], "value": [-4.123], "low": [-5.22], "high": [0.5]}
        ),
        "ours",
    )
    recommender = formatting.lead_table(
        {"model": "m", "gaps": {"b": {"top5": -0.041, "top5_interval": [-0.052, 0.005]}}, "gaps_by_query_size": {}}
    )
    assert extraction.iloc[0, 2] == "\u22124.12 [\u22125.22, +0.50]"
    assert recommender.iloc[0, 1] == "\u22124.1 [\u22125.2, +0.5]"
    assert "-" not in extraction.iloc[0, 2] + recommender.iloc[0, 1]  # no hyphen passing for a minus
    missing = {"model": "m", "gaps": {"b": {"top5": 0.01, "top5_interval": [None, None]}}}
    assert formatting.lead_table(missing).iloc[0, 1] == intervals.NO_LEAD


def test_hide_half_check_scores_a_fitted_method_as_it_is_and_refits_the_others():
    def check(**kwargs):
        return evaluation.hide_half_check(
            world.OCCUPATIONS,
            world.OCCUPATION_SKILLS,
            world.SKILLS,
            world.training(),
            methods={"skill_profile_lm": ranking.SkillProfileLM(), "popularity": ranking.PopularityRanker()},
            min_essential=2,
            **kwargs,
        ).set_index(["method", "metric"])["value"]

    refitted = check()
    assert not refitted.loc["skill_profile_lm"].equals(refitted.loc["popularity"])
    # given a (popularity) model under the profile's name, the check scores that model, unrefitted
    stand_in = ranking.PopularityRanker().fit(world.training(), world.OCCUPATION_SKILLS, SKILL_URIS, OCC_URIS)
    given = check(fitted={"skill_profile_lm": stand_in})
    assert given.loc["skill_profile_lm"].equals(refitted.loc["popularity"])
    assert given.loc["popularity"].equals(refitted.loc["popularity"])
    other_vocabulary = ranking.SkillProfileLM().fit(
        world.training(), world.OCCUPATION_SKILLS, SKILL_URIS[:-1], OCC_URIS
    )
    with pytest.raises(ValueError, match="skill_profile_lm"):
        check(fitted={"skill_profile_lm": other_vocabulary})


# --- stronger baselines: logistic regression, nearest adverts, published methods + prior ------------------

NEW_METHODS = {
    "logistic": ["model_", "classes_", "columns_"],
    "knn_adverts": ["idf_", "advert_vectors_", "advert_occupations_", "n_neighbors_", "popularity_share_"],
    "dwp_svd+prior": ["method_", "prior_weight_", "validation_scores_", "log_prior_"],
    "nesta_profile+prior": ["method_", "prior_weight_", "validation_scores_", "log_prior_"],
    "esco_overlap+prior": ["method_", "prior_weight_", "validation_scores_", "log_prior_"],
}


@pytest.mark.parametrize("name", sorted(NEW_METHODS))
def test_new_methods_fit_return_self_and_set_learned_attributes(name):
    params = {"n_components": 3} if name == "dwp_svd+prior" else {}
    model = evaluation.METHODS[name](random_state=3, **params)
    assert not any(hasattr(model, attribute) for attribute in NEW_METHODS[name])
    assert model.fit(world.training(), world.OCCUPATION_SKILLS, SKILL_URIS, OCC_URIS) is model
    assert all(hasattr(model, attribute) for attribute in NEW_METHODS[name])
    scores = model.score(ranking.query_matrix([["skill:welding"], ["skill:cooking", "skill:tax law"]], SKILL_URIS))
    assert scores.shape == (2, len(OCC_URIS)) and np.isfinite(scores).all()


def test_default_methods_construct_every_method_with_the_seed():
    methods = evaluation.default_methods(random_state=11)
    assert set(methods) == set(evaluation.METHODS) >= set(NEW_METHODS) | {"skill_profile_lm"}
    assert all(method.random_state == 11 for method in methods.values())
    assert methods["nesta_profile+prior"].method.random_state == 11


@pytest.mark.parametrize("name", ["logistic", "knn_adverts"])
@pytest.mark.parametrize(
    "skills, expected",
    [
        (["phlebotomy", "patient care"], "occ:nurse"),
        (["cooking", "food hygiene"], "occ:chef"),
        (["welding", "metal cutting"], "occ:welder"),
        (["bookkeeping", "tax law"], "occ:accountant"),
    ],
)
def test_supervised_and_neighbour_baselines_find_the_occupation(name, skills, expected):
    assert top(fitted(name), skills) == expected


def test_logistic_ranks_occupations_without_adverts_last():
    model = fitted("logistic")
    porter = OCC_URIS.index("occ:porter")  # no adverts: the classifier cannot predict it
    assert porter not in model.classes_
    scores = model.score(ranking.query_matrix([["skill:manual handling", "skill:patient care"], []], SKILL_URIS))
    assert (scores[:, porter] == baselines.UNSEEN_SCORE).all()
    assert (np.delete(scores, porter, axis=1) > baselines.UNSEEN_SCORE).all()
    # seen occupations get log-probabilities that sum to one
    np.testing.assert_allclose(np.exp(scores[:, model.classes_]).sum(axis=1), 1.0)


def test_nearest_adverts_votes_by_similarity_and_breaks_ties_by_popularity():
    model = fitted("knn_adverts", n_neighbors=3)
    assert model.n_neighbors_ == 3
    scores = model.score(ranking.query_matrix([["skill:welding"], []], SKILL_URIS))
    welder, nurse, porter = (OCC_URIS.index(o) for o in ("occ:welder", "occ:nurse", "occ:porter"))
    assert scores[0, welder] > 0.5  # both welder adverts share the query's only skill
    # an empty query has no neighbours' votes: popularity alone orders it, porters (no adverts) last
    assert np.argmax(scores[1]) == nurse and np.argmin(scores[1]) == porter
    assert scores[1].max() <= baselines.POPULARITY_TIE_BREAK
    assert fitted("knn_adverts", n_neighbors=1_000).n_neighbors_ == len(world.adverts())


def test_prior_weight_zero_keeps_the_method_order_and_a_large_one_follows_popularity():
    query = ranking.query_matrix([["skill:welding"], ["skill:bookkeeping"]], SKILL_URIS)
    base = fitted("nesta_profile").score(query)
    unchanged = fitted("nesta_profile+prior", prior_weight=0.0)
    heavy = fitted("nesta_profile+prior", prior_weight=50.0)
    assert unchanged.prior_weight_ == 0.0 and unchanged.validation_scores_ == {}
    np.testing.assert_array_equal(np.argsort(-unchanged.score(query), kind="stable"), np.argsort(-base, kind="stable"))
    assert [OCC_URIS[i] for i in np.argmax(base, axis=1)] == ["occ:welder", "occ:accountant"]
    # popularity dominates: nurses (8 adverts) first, porters (none) last, whatever the skills
    heavy_scores = heavy.score(query)
    assert [OCC_URIS[i] for i in np.argmax(heavy_scores, axis=1)] == ["occ:nurse", "occ:nurse"]
    assert [OCC_URIS[i] for i in np.argmin(heavy_scores, axis=1)] == ["occ:porter", "occ:porter"]


def test_prior_weight_is_tuned_on_training_employers_with_a_fixed_seed():
    training = world.training().merge(world.adverts()[["advert_id", "employer"]], on="advert_id")
    models = [
        evaluation.METHODS["nesta_profile+prior"](random_state=5).fit(
            training, world.OCCUPATION_SKILLS, SKILL_URIS, OCC_URIS
        )
        for _ in range(2)
    ]
    tuned = models[0]
    assert set(tuned.validation_scores_) == set(baselines.PRIOR_WEIGHT_GRID)
    assert tuned.prior_weight_ in baselines.PRIOR_WEIGHT_GRID
    assert tuned.prior_weight_ == models[1].prior_weight_ and tuned.validation_scores_ == models[1].validation_scores_
    best = max(score["top5"] for score in tuned.validation_scores_.values())
    assert tuned.validation_scores_[tuned.prior_weight_]["top5"] == best
    n_validation = {score["n"] for score in tuned.validation_scores_.values()}
    assert len(n_validation) == 1 and 0 < n_validation.pop() < len(world.adverts())
    # the wrapped method itself is never fitted: a copy is
    assert not hasattr(tuned.method, "profiles_") and hasattr(tuned.method_, "profiles_")


def test_prior_wrapper_without_groups_to_validate_on_leaves_the_method_alone():
    one_advert = world.training().query("advert_id == 'occ:nurse-0'")
    model = evaluation.METHODS["nesta_profile+prior"]().fit(one_advert, world.OCCUPATION_SKILLS, SKILL_URIS, OCC_URIS)
    assert model.prior_weight_ == 0.0 and model.validation_scores_ == {}


# --- person-sized queries ---------------------------------------------------------------------------------


def test_query_size_sampling_is_seeded_honours_the_size_and_stays_within_the_advert():
    adverts = [[f"s{i}" for i in range(n)] for n in (1, 3, 4, 6, 9, 2, 5)] + [["a", "a", "b", "c"]]
    first, kept = evaluation.sample_query_skills(adverts, 3, random_state=4)
    again, kept_again = evaluation.sample_query_skills(adverts, 3, random_state=4)
    assert first == again and kept.tolist() == kept_again.tolist()
    assert kept.tolist() == [1, 2, 3, 4, 6, 7]  # fewer than three distinct skills: left out
    for sample, position in zip(first, kept, strict=True):
        assert len(sample) == len(set(sample)) == 3
        assert set(sample) <= set(adverts[position])
    others = [evaluation.sample_query_skills(adverts, 3, random_state=seed)[0] for seed in range(5, 12)]
    assert any(other != first for other in others)
    five, kept_five = evaluation.sample_query_skills(adverts, 5, random_state=4)
    assert kept_five.tolist() == [3, 4, 6] and all(len(sample) == 5 for sample in five)


def test_one_advert_losing_a_skill_leaves_every_other_advert_query_as_it_was():
    adverts = [[f"s{i}" for i in range(n)] for n in (6, 7, 5, 8, 9, 6)]
    ids = [f"advert-{i}" for i in range(len(adverts))]
    before, _ = evaluation.sample_query_skills(adverts, 3, random_state=4, keys=ids)
    changed = [adverts[0][:-1], *adverts[1:]]  # a false match removed from the first advert
    after, _ = evaluation.sample_query_skills(changed, 3, random_state=4, keys=ids)
    assert after[1:] == before[1:]
    # keyed by advert, not by position: the same advert later in the list draws the same query
    moved, _ = evaluation.sample_query_skills(adverts[::-1], 3, random_state=4, keys=ids[::-1])
    assert moved[::-1] == before


@pytest.fixture(scope="module")
def tiny_evaluation():
    adverts = world.adverts()[["advert_id", "employer", "source", "region"]]
    return evaluation.evaluate_methods(
        adverts,
        world.training(),
        world.OCCUPATIONS,
        world.OCCUPATION_SKILLS,
        world.SKILLS,
        methods={
            name: evaluation.METHODS[name](**({"n_components": 3} if name == "dwp_svd" else {}))
            for name in ["popularity", "dwp_svd", "logistic", "nesta_profile+prior", "skill_profile_lm"]
        },
        n_bootstrap=50,
        query_sizes=(2, 3, 5),
    )


def test_evaluation_scores_person_sized_queries(tiny_evaluation):
    result = tiny_evaluation
    assert set(result["summary_by_query_size"]) == set(result["n_test_by_query_size"]) == {2, 3, 5}
    counts = result["n_test_by_query_size"]
    assert result["n_test"] >= counts[2] >= counts[3] >= counts[5] == 0  # no tiny advert has five skills
    assert counts[2] > 0
    for size, summary in result["summary_by_query_size"].items():
        assert set(summary["method"]) == set(result["summary"]["method"])
        assert (summary["n"] == counts[size]).all()
    two = result["summary_by_query_size"][2]
    assert two["value"].between(0, 1).all() and (two["low"] <= two["high"]).all()


def test_evaluation_json_carries_methods_by_query_size(tiny_evaluation):
    import json

    payload = evaluation.evaluation_json(tiny_evaluation)
    assert {"model", "n_test", "methods"} <= set(payload)
    assert set(payload["methods_by_query_size"]) == set(payload["n_test_by_query_size"]) == {"2", "3", "5"}
    assert set(payload["methods_by_query_size"]["3"]) == set(payload["methods"])
    for metrics in payload["methods_by_query_size"]["3"].values():
        assert {"top1", "top5", "top10", "mrr", "top1_interval", "top5_interval", "mrr_interval"} <= set(metrics)
        assert 0.0 <= metrics["top5_interval"][0] <= metrics["top5"] <= metrics["top5_interval"][1] <= 1.0
    # a size no held-out advert reaches gives nulls, and the payload stays strict JSON
    assert payload["methods_by_query_size"]["5"]["logistic"]["top5"] is None
    json.dumps(payload, allow_nan=False)


def test_evaluation_json_defaults_to_sizes_three_and_five():
    assert evaluation.QUERY_SIZES == (3, 5)
    result = evaluation.evaluate_methods(
        world.adverts()[["advert_id", "employer", "source", "region"]],
        world.training(),
        world.OCCUPATIONS,
        world.OCCUPATION_SKILLS,
        world.SKILLS,
        methods={"popularity": evaluation.METHODS["popularity"]()},
        n_bootstrap=20,
    )
    assert set(evaluation.evaluation_json(result)["methods_by_query_size"]) == {"3", "5"}


# --- the shipped blend: skill-profile model plus the nearest adverts' vote -----------------


def test_blend_with_no_vote_is_the_skill_profile_model():
    queries = ranking.query_matrix([["skill:cooking", "skill:manual handling"], ["skill:welding"]], SKILL_URIS)
    np.testing.assert_allclose(
        fitted("skill_profile_blend", knn_weight=0.0).score(queries), fitted("skill_profile_lm").score(queries)
    )


def test_blend_vote_moves_scores_and_its_fast_path_matches_batch_scoring():
    blend = fitted("skill_profile_blend", knn_weight=1.0)
    skills = ["skill:cooking", "skill:manual handling"]
    batch = blend.score(ranking.query_matrix([skills], SKILL_URIS))[0]
    np.testing.assert_allclose(blend.score_one([SKILL_URIS.index(s) for s in skills]), batch)
    plain = fitted("skill_profile_lm").score(ranking.query_matrix([skills], SKILL_URIS))[0]
    assert not np.allclose(batch, plain)
    # the vote goes to occupations of adverts that share the skills: chef gains on accountant
    chef, accountant = OCC_URIS.index("occ:chef"), OCC_URIS.index("occ:accountant")
    assert batch[chef] - plain[chef] > batch[accountant] - plain[accountant]


def test_blend_tunes_its_weight_on_held_out_training_adverts_from_its_grid():
    from skills_engine.recommender import blend

    model = fitted("skill_profile_blend")
    assert model.knn_weight_ in blend.BLEND_WEIGHT_GRID
    assert set(model.validation_scores_) == set(blend.BLEND_WEIGHT_GRID)
    assert all(0.0 <= v["top5"] <= 1.0 and v["n"] > 0 for v in model.validation_scores_.values())


# --- the shipped stack: skill profile + nearest adverts' vote + a neural network's lift ---------------------


def with_employers(training=None):
    training = world.training() if training is None else training
    return training.merge(world.adverts()[["advert_id", "employer"]], on="advert_id")


def fitted_stack(training=None, **params):
    return stacking.SkillProfileStack(**params).fit(
        with_employers(training), world.OCCUPATION_SKILLS, SKILL_URIS, OCC_URIS
    )


def test_subqueries_are_seeded_proper_parts_of_their_advert():
    adverts = ranking.query_matrix(
        [["skill:welding"], ["skill:cooking", "skill:food hygiene"], [f"skill:{s}" for s in ("a", "b")]]
        + [["skill:patient care", "skill:phlebotomy", "skill:record keeping", "skill:manual handling"]],
        SKILL_URIS,
    )
    subsets, parents = classifier.sample_subqueries(adverts, 3, random_state=1)
    again, parents_again = classifier.sample_subqueries(adverts, 3, random_state=1)
    assert (subsets != again).nnz == 0 and parents.tolist() == parents_again.tolist()
    # one-skill rows (and a row whose skills are all unknown) lend nothing; the others lend three each
    assert parents.tolist() == [1, 1, 1, 3, 3, 3]
    sizes = np.asarray(subsets.sum(axis=1)).ravel()
    assert (sizes >= 1).all() and (sizes < np.asarray(adverts[parents].sum(axis=1)).ravel()).all()
    assert (subsets.multiply(adverts[parents]) != subsets).nnz == 0  # every skill comes from its advert


def test_network_learns_occupations_and_gives_unseen_ones_the_floor():
    network = classifier.NeuralOccupations(max_iter=300, random_state=0)
    assert not hasattr(network, "model_")
    assert network.fit(world.training(), world.OCCUPATION_SKILLS, SKILL_URIS, OCC_URIS) is network
    assert top(network, ["cooking", "food hygiene"]) == "occ:chef"
    assert top(network, ["bookkeeping", "tax law"]) == "occ:accountant"
    scores = network.score(ranking.query_matrix([["skill:welding"], []], SKILL_URIS))
    porter = OCC_URIS.index("occ:porter")  # no adverts: the network cannot predict it
    assert (scores[:, porter] == baselines.UNSEEN_SCORE).all()
    np.testing.assert_allclose(np.exp(scores[:, network.classes_]).sum(axis=1), 1.0)


def test_employer_folds_keep_every_employer_on_one_side():
    training = with_employers()
    folds = stacking.employer_folds(training, 4)
    assert len(folds) == 4
    held_ids = [set(held["advert_id"]) for _, held in folds]
    assert set().union(*held_ids) == set(training["advert_id"]) and sum(map(len, held_ids)) == len(world.adverts())
    for inner, held in folds:
        assert set(inner["employer"]).isdisjoint(held["employer"])
    assert stacking.employer_folds(training.query("advert_id == 'occ:nurse-0'"), 4) == []


def test_stack_fit_returns_self_and_tunes_mu_and_weights_on_employer_folds():
    model = stacking.SkillProfileStack(random_state=3)
    learned = ["mu_", "knn_weight_", "network_weight_", "coverage_weight_", "knn_", "network_", "presence_"]
    learned += ["network_empty_", "validation_scores_"]
    assert not any(hasattr(model, attribute) for attribute in learned)
    assert model.fit(with_employers(), world.OCCUPATION_SKILLS, SKILL_URIS, OCC_URIS) is model
    assert model.mu is None and model.mu_ in stacking.MU_GRID
    assert model.knn_weight_ in stacking.KNN_WEIGHT_GRID and model.network_weight_ in stacking.NETWORK_WEIGHT_GRID
    assert model.coverage_weight_ in stacking.COVERAGE_WEIGHT_GRID
    assert set(model.validation_scores_["mu"]) == set(stacking.MU_GRID)
    weights = model.validation_scores_["weights"]
    assert set(weights) == set(
        itertools.product(stacking.KNN_WEIGHT_GRID, stacking.NETWORK_WEIGHT_GRID, stacking.COVERAGE_WEIGHT_GRID)
    )
    best = max(score["top5"] for score in weights.values())
    chosen = weights[(model.knn_weight_, model.network_weight_, model.coverage_weight_)]["top5"]
    assert chosen >= best - stacking.COVERAGE_TOLERANCE  # no more given up for the coverage
    near_best = [setting for setting, score in weights.items() if score["top5"] >= best - stacking.COVERAGE_TOLERANCE]
    assert model.coverage_weight_ == max(setting[2] for setting in near_best)
    # the cross-fitted queries are every training advert plus person-sized parts of them
    assert {score["n"] for score in weights.values()} == {model.validation_scores_["mu"][model.mu_]["n"]}
    assert next(iter(weights.values()))["n"] > len(world.adverts())
    again = fitted_stack(random_state=3)
    assert (again.mu_, again.knn_weight_, again.network_weight_, again.coverage_weight_) == (
        model.mu_,
        model.knn_weight_,
        model.network_weight_,
        model.coverage_weight_,
    )


def test_stack_with_every_part_left_out_is_the_skill_profile_model():
    model = fitted_stack(mu=20.0, prior_weight=0.5, knn_weight=0.0, network_weight=0.0, coverage_weight=0.0)
    assert model.knn_ is None and model.network_ is None and model.validation_scores_ == {}
    assert model.presence_ is None  # no coverage part, nothing built for it
    queries = ranking.query_matrix([["skill:cooking", "skill:manual handling"], ["skill:welding"]], SKILL_URIS)
    np.testing.assert_allclose(model.score(queries), fitted("skill_profile_lm").score(queries))


def test_stack_parts_move_scores_and_its_fast_path_matches_batch_scoring():
    model = fitted_stack(mu=20.0, knn_weight=1.0, network_weight=1.0, coverage_weight=1.0)
    profile = fitted_stack(mu=20.0, knn_weight=0.0, network_weight=0.0, coverage_weight=0.0)
    skills = ["skill:cooking", "skill:manual handling"]
    batch = model.score(ranking.query_matrix([skills], SKILL_URIS))[0]
    np.testing.assert_allclose(model.score_one([SKILL_URIS.index(s) for s in skills]), batch)
    plain = profile.score(ranking.query_matrix([skills], SKILL_URIS))[0]
    # the vote and the network know chefs' adverts pair cooking with manual handling
    chef, accountant = OCC_URIS.index("occ:chef"), OCC_URIS.index("occ:accountant")
    assert batch[chef] - plain[chef] > batch[accountant] - plain[accountant]


def test_skills_no_advert_mentions_are_left_to_the_profile():
    # no training advert asks for metal cutting: only ESCO (welders' essential skill) knows it
    training = world.training().query("skill_uri != 'skill:metal cutting'")
    model = fitted_stack(training, mu=20.0, knn_weight=0.0, network_weight=2.0, coverage_weight=0.0)
    profile = fitted_stack(training, mu=20.0, knn_weight=0.0, network_weight=0.0, coverage_weight=0.0)
    query = ranking.query_matrix([["skill:metal cutting"]], SKILL_URIS)
    # the network's lift is exactly zero: it adds nothing, where its raw output would favour nurses
    np.testing.assert_allclose(model.score(query), profile.score(query))
    assert OCC_URIS[int(np.argmax(model.score(query)[0]))] == "occ:welder"
    raw = model.network_.score(query)[0][model.network_.classes_]
    assert np.ptp(raw) > 0  # the raw output (its guess for no skills) would have moved the ranking
    # tuning scores the parts as the fitted stack does: one lift, the empty query's row reused
    parts = stacking.SkillProfileStack._part_scores(
        model, None, model.network_, query, presence=None, network_empty=model.network_empty_
    )
    np.testing.assert_allclose(model.score(query), parts["profile"] + 2.0 * parts["network"])


def test_coverage_lifts_an_occupation_sharing_the_skills_over_a_popular_one_sharing_none():
    # the coverage adds its weight times the share of the query held by each profile, nothing else
    query = ranking.query_matrix([["skill:welding", "skill:metal cutting"]], SKILL_URIS)
    plain = fitted_stack(mu=1000.0, prior_weight=5.0, knn_weight=0.0, network_weight=0.0, coverage_weight=0.0)
    covered = fitted_stack(mu=1000.0, prior_weight=5.0, knn_weight=0.0, network_weight=0.0, coverage_weight=4.0)
    chef, welder = OCC_URIS.index("occ:chef"), OCC_URIS.index("occ:welder")
    gap = covered.score(query)[0] - plain.score(query)[0]
    assert gap[welder] == pytest.approx(4.0) and gap[chef] == pytest.approx(0.0)  # welders hold both skills
    np.testing.assert_allclose(
        covered.score_one([SKILL_URIS.index("skill:welding")]),
        covered.score(ranking.query_matrix([["skill:welding"]], SKILL_URIS))[0],
    )


def test_the_stack_is_the_evaluated_engine():
    assert evaluation.MODEL_NAME == "skill_profile_stack" == list(evaluation.METHODS)[-1]
    assert evaluation.METHODS[evaluation.MODEL_NAME] is stacking.SkillProfileStack
