"""Advert labelling, title-derived skills, the training rule, the evaluation harness and fit_engine,
on small hand-written tables and the tiny labour market of tests/data/recommend_world.py."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from skills_engine import getters
from skills_engine.extraction.advert_skills import TITLE_DERIVED, title_derived_skills
from skills_engine.occupations import labelling
from skills_engine.occupations.labelling import MIN_TITLE_CONFIDENCE
from skills_engine.recommender import evaluation
from skills_engine.recommender.engine import Recommender
from skills_engine.recommender.training import build_training, fit_engine

# --- labelling ---------------------------------------------------------------------------

#: title -> (occupation_uri, confidence) for the stub normaliser
STUB_TITLES = {
    "Staff Nurse": ("occ:nurse", 0.9),
    "Sous Chef": ("occ:chef", 0.8),
    "MIG Welder": ("occ:welder", 0.7),
    "Ninja Rockstar": (None, 0.2),
}


class StubNormaliser:
    """Anything with ``transform(titles) -> DataFrame`` will do; returns rows in the titles' index."""

    def __init__(self):
        self.seen: list[list[str]] = []

    def fit(self):
        return self

    def transform(self, titles: pd.Series) -> pd.DataFrame:
        titles = pd.Series(titles)
        self.seen.append(titles.tolist())
        return pd.DataFrame(
            {
                "canonical_title": titles.str.lower(),
                "occupation_uri": titles.map(lambda t: STUB_TITLES[t][0]),
                "confidence": titles.map(lambda t: STUB_TITLES[t][1]),
            },
            index=titles.index,
        )


def test_advert_occupations_keeps_ids_aligned_with_a_non_default_index():
    adverts = pd.DataFrame(
        {"advert_id": ["b", "a", "d", "c"], "title": ["Sous Chef", "Staff Nurse", "Ninja Rockstar", "MIG Welder"]},
        index=[10, 3, 99, 7],
    )
    table = labelling.advert_occupations(adverts, normaliser=StubNormaliser())
    assert len(table) == 4
    assert table["advert_id"].tolist() == ["b", "a", "d", "c"]
    by_id = table.set_index("advert_id")
    assert by_id.loc["a", "occupation_uri"] == "occ:nurse" and by_id.loc["a", "confidence"] == 0.9
    assert by_id.loc["b", "occupation_uri"] == "occ:chef" and by_id.loc["b", "canonical_title"] == "sous chef"
    assert by_id.loc["c", "occupation_uri"] == "occ:welder"
    assert pd.isna(by_id.loc["d", "occupation_uri"]) and by_id.loc["d", "confidence"] == 0.2


@pytest.fixture
def data_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("SKILLS_ENGINE_DATA_DIR", str(tmp_path))
    return tmp_path


@pytest.fixture
def normaliser_fits(monkeypatch) -> list:
    """Every title normaliser the labelling fits, in order (a stub that records itself)."""
    fits = []

    class CountingNormaliser(StubNormaliser):
        def fit(self):
            fits.append(self)
            return self

    monkeypatch.setattr(labelling, "TitleNormaliser", CountingNormaliser)
    return fits


def test_ensure_advert_occupations_writes_once_then_rebuilds_for_new_adverts(data_dir, normaliser_fits):
    fits = normaliser_fits
    getters.write_processed(pd.DataFrame({"advert_id": ["a", "b"], "title": ["Staff Nurse", "Sous Chef"]}), "adverts")

    first = labelling.ensure_advert_occupations()  # reads the processed adverts
    assert len(fits) == 1 and getters.processed_path("advert_occupations").is_file()
    assert dict(zip(first["advert_id"], first["occupation_uri"])) == {"a": "occ:nurse", "b": "occ:chef"}

    # the cached table covers these adverts: no new normaliser, the stored table comes back
    again = labelling.ensure_advert_occupations(pd.DataFrame({"advert_id": ["b"], "title": ["Sous Chef"]}))
    assert len(fits) == 1
    pd.testing.assert_frame_equal(again, first)

    # a new advert id: rebuilt and rewritten
    grown = pd.DataFrame({"advert_id": ["a", "b", "c"], "title": ["Staff Nurse", "Sous Chef", "MIG Welder"]})
    rebuilt = labelling.ensure_advert_occupations(grown)
    assert len(fits) == 2 and fits[1].seen == [["Staff Nurse", "Sous Chef", "MIG Welder"]]
    stored = getters.read_processed("advert_occupations")
    assert set(stored["advert_id"]) == {"a", "b", "c"} == set(rebuilt["advert_id"])
    assert stored.set_index("advert_id").loc["c", "occupation_uri"] == "occ:welder"


# --- advert skills and the training rule ----------------------------------------------------


def test_title_derived_skills_are_the_essential_skills_of_confident_titles_only(recommend_world):
    without_text = pd.DataFrame({"advert_id": ["w1", "c1", "n1", "u1"]})
    occupations_of_adverts = pd.DataFrame(
        {
            "advert_id": ["w1", "c1", "n1", "w2"],
            "occupation_uri": ["occ:welder", "occ:chef", "occ:nurse", "occ:welder"],
            # c1 just below the threshold, n1 exactly on it; w2 has text (not in without_text)
            "confidence": [0.9, MIN_TITLE_CONFIDENCE - 0.01, MIN_TITLE_CONFIDENCE, 0.95],
        }
    )
    derived = title_derived_skills(
        without_text, occupations_of_adverts, recommend_world.OCCUPATION_SKILLS, recommend_world.SKILLS
    )
    assert list(derived.columns) == [
        "advert_id",
        "skill_uri",
        "skill_label",
        "score",
        "span_start",
        "span_end",
        "method",
    ]
    pairs = set(zip(derived["advert_id"], derived["skill_uri"]))
    # the nurse's optional phlebotomy is not essential; the chef's title is not trusted; u1 has no label
    assert pairs == {
        ("w1", "skill:welding"),
        ("w1", "skill:metal cutting"),
        ("n1", "skill:patient care"),
        ("n1", "skill:record keeping"),
    }
    assert (derived["method"] == TITLE_DERIVED).all()
    assert derived["span_start"].isna().all() and derived["span_end"].isna().all()
    assert derived.set_index("skill_uri").loc["skill:metal cutting", "skill_label"] == "metal cutting"
    assert dict(zip(derived["advert_id"], derived["score"])) == {"w1": 0.9, "n1": MIN_TITLE_CONFIDENCE}


def test_build_training_keeps_text_skills_of_trusted_adverts_once():
    advert_skills = pd.DataFrame(
        [
            ("a1", "skill:welding", "lexical"),
            ("a1", "skill:welding", "semantic"),  # one pair twice
            ("a1", "skill:metal cutting", "lexical"),
            ("a1", "skill:manual handling", TITLE_DERIVED),
            ("a2", "skill:cooking", "lexical"),  # low-confidence title
            ("a3", "skill:tax law", "lexical"),  # no occupation
            ("a4", "skill:patient care", TITLE_DERIVED),  # no text at all
            ("a5", "skill:bookkeeping", "lexical"),  # confidence exactly at the threshold
            ("a6", "skill:cooking", "lexical"),  # not labelled at all
        ],
        columns=["advert_id", "skill_uri", "method"],
    )
    occupations_of_adverts = pd.DataFrame(
        {
            "advert_id": ["a1", "a2", "a3", "a4", "a5"],
            "occupation_uri": ["occ:welder", "occ:chef", None, "occ:nurse", "occ:accountant"],
            "confidence": [0.9, 0.3, 0.95, 0.9, MIN_TITLE_CONFIDENCE],
        }
    )
    training = build_training(advert_skills, occupations_of_adverts)
    assert set(training.columns) == {"advert_id", "skill_uri", "occupation_uri"}
    assert len(training) == 3
    assert set(map(tuple, training[["advert_id", "skill_uri", "occupation_uri"]].to_numpy())) == {
        ("a1", "skill:welding", "occ:welder"),
        ("a1", "skill:metal cutting", "occ:welder"),
        ("a5", "skill:bookkeeping", "occ:accountant"),
    }
    # a lower threshold lets the chef advert in
    assert "a2" in set(build_training(advert_skills, occupations_of_adverts, min_confidence=0.2)["advert_id"])


# --- evaluation harness ---------------------------------------------------------------------


def _employer_key(name):
    return None if name is None else name.lower().strip()


def test_employer_split_keeps_each_employer_on_one_side_and_is_repeatable():
    employers = [f"employer {i % 12}" for i in range(48)]
    employers[1] = "EMPLOYER 1 "  # same employer, spelt differently
    employers[5] = None
    employers[7] = None
    adverts = pd.DataFrame({"advert_id": [f"ad{i}" for i in range(48)], "employer": employers})
    train, test = evaluation.employer_split(adverts, test_share=0.25, random_state=3)
    assert set(train).isdisjoint(test) and set(train) | set(test) == set(adverts["advert_id"])
    side = {ad: "train" for ad in train} | {ad: "test" for ad in test}
    sides_of_employer = (
        adverts.assign(key=adverts["employer"].map(_employer_key), side=adverts["advert_id"].map(side))
        .dropna(subset=["key"])
        .groupby("key")["side"]
        .nunique()
    )
    assert (sides_of_employer == 1).all()
    assert len(test) > 0 and len(train) > len(test)
    again_train, again_test = evaluation.employer_split(adverts, test_share=0.25, random_state=3)
    assert list(again_train) == list(train) and list(again_test) == list(test)
    others = [set(evaluation.employer_split(adverts, test_share=0.25, random_state=seed)[1]) for seed in range(4, 10)]
    assert any(other != set(test) for other in others)


def test_ranks_and_metrics_on_a_hand_made_score_matrix():
    scores = np.array(
        [
            [0.9, 0.1, 0.3, 0.2, 0.0, 0.0],  # truth 0: best, rank 1
            [0.2, 0.5, 0.5, 0.9, 0.1, 0.0],  # truth 1: tied with column 2, below column 3: rank 3
            [0.6, 0.5, 0.4, 0.3, 0.2, 0.1],  # truth 5: last, rank 6
        ]
    )
    ranks = evaluation.ranks_of_truth(scores, np.array([0, 1, 5]))
    assert ranks.tolist() == [1, 3, 6]
    metrics = evaluation.per_query_metrics(ranks)
    assert metrics["top1"].tolist() == [1.0, 0.0, 0.0]
    assert metrics["top5"].tolist() == [1.0, 1.0, 0.0]
    assert metrics["top10"].tolist() == [1.0, 1.0, 1.0]
    assert metrics["mrr"].tolist() == pytest.approx([1.0, 1 / 3, 1 / 6])
    assert metrics["mrr"].mean() == pytest.approx(0.5)
    assert metrics["ndcg10"].tolist() == pytest.approx([1.0, 0.5, 1 / np.log2(7)])
    summary = evaluation.summarise(metrics, n_bootstrap=100).set_index("metric")
    assert summary.loc["top5", "value"] == pytest.approx(2 / 3) and summary.loc["mrr", "n"] == 3


@pytest.fixture(scope="module")
def world_evaluation(recommend_world):
    adverts = recommend_world.adverts()[["advert_id", "employer", "source", "region"]]
    result = evaluation.evaluate_methods(
        adverts,
        recommend_world.training(),
        recommend_world.OCCUPATIONS,
        recommend_world.OCCUPATION_SKILLS,
        recommend_world.SKILLS,
        n_bootstrap=200,
    )
    return adverts, result


def test_evaluate_methods_on_the_tiny_world(world_evaluation, recommend_world):
    adverts, result = world_evaluation
    assert result["n_train"] + result["n_test"] == len(adverts) == 17
    assert result["n_test"] > 0 and result["n_train"] > 0
    names = set(evaluation.default_methods())
    summary = result["summary"]
    assert set(summary["method"]) == names and set(result["timings"]) == names
    assert set(summary["metric"]) == {"top1", "top5", "top10", "mrr", "ndcg10"}
    assert (summary.groupby("method").size() == 5).all()
    assert (summary["n"] == result["n_test"]).all()
    assert ((summary["low"] <= summary["value"] + 1e-12) & (summary["value"] <= summary["high"] + 1e-12)).all()
    assert summary["value"].between(0, 1).all()
    # five occupations only: the truth is always within the top five
    assert (summary.query("metric == 'top5'")["value"] == 1.0).all()
    per_query = result["per_query"]
    assert len(per_query) == result["n_test"] * len(names)
    assert per_query[["source", "region"]].notna().all().all()
    # held-out employers never trained a model
    employer = adverts.set_index("advert_id")["employer"]
    test_employers = set(employer[per_query["advert_id"].unique()])
    train_ids = set(adverts["advert_id"]) - set(per_query["advert_id"])
    assert test_employers.isdisjoint(set(employer[list(train_ids)]))
    # intervals resample the held-out employers (an advert without one is its own)
    groups = evaluation.employer_groups(adverts.set_index("advert_id").loc[per_query["advert_id"]].reset_index())
    assert per_query["employer_group"].tolist() == groups.tolist()
    assert result["n_employers"] == per_query["employer_group"].nunique() < result["n_test"]
    # the model's lead over each method is the difference of their means, in every metric
    gaps = result["gaps"].set_index(["method", "metric"])
    means = summary.set_index(["method", "metric"])["value"]
    assert set(gaps.index.get_level_values("method")) == names - {evaluation.MODEL_NAME}
    for (name, metric), row in gaps.iterrows():
        assert row["value"] == pytest.approx(means[evaluation.MODEL_NAME, metric] - means[name, metric])
        assert row["low"] <= row["value"] + 1e-12 <= row["high"] + 2e-12


def test_evaluation_json_shape(world_evaluation):
    _, result = world_evaluation
    payload = evaluation.evaluation_json(result)
    assert {"model", "n_test", "methods", "methods_by_query_size"} <= set(payload)
    assert payload["model"] == evaluation.MODEL_NAME and payload["model"] in payload["methods"]
    assert payload["n_test"] == result["n_test"] and isinstance(payload["n_test"], int)
    assert set(payload["methods"]) == set(evaluation.default_methods())
    for name, metrics in payload["methods"].items():
        for metric in ("top1", "top5", "top10", "mrr"):
            assert 0.0 <= metrics[metric] <= 1.0, (name, metric)
            low, high = metrics[f"{metric}_interval"]
            assert 0.0 <= low <= high <= 1.0
        expected = result["summary"].query("method == @name and metric == 'mrr'")["value"].iloc[0]
        assert metrics["mrr"] == pytest.approx(expected, abs=1e-4)
    assert set(payload["gaps"]) == set(payload["methods"]) - {payload["model"]}
    for name, lead in payload["gaps"].items():
        expected = payload["methods"][payload["model"]]["top5"] - payload["methods"][name]["top5"]
        assert lead["top5"] == pytest.approx(expected, abs=2e-4)
        assert lead["top5_interval"][0] <= lead["top5"] + 1e-4 and lead["top5"] <= lead["top5_interval"][1] + 1e-4
    assert set(payload["gaps_by_query_size"]) == set(payload["methods_by_query_size"])
    assert payload["bootstrap"]["unit"] == "employer"
    assert payload["bootstrap"]["n_employers"] == result["n_employers"]


# --- fit_engine on processed tables -----------------------------------------------------------


def _daily(start: str, switch: str, end: str, before: float, after: float) -> pd.DataFrame:
    dates = pd.date_range(start, end, freq="D")
    return pd.DataFrame({"date": dates, "index": np.where(dates < pd.Timestamp(switch), before, after)})


def write_reference_tables(world) -> None:
    """The ESCO, earnings and Indeed tables in the columns of skills_engine.data.reference."""
    occupations = world.OCCUPATIONS.assign(
        alt_labels=[[] for _ in range(len(world.OCCUPATIONS))],
        esco_code=[f"{c}.1" for c in world.OCCUPATIONS["isco_code"]],
        description="",
    )[["occupation_uri", "preferred_label", "alt_labels", "isco_code", "esco_code", "description"]]
    skills = world.SKILLS.assign(
        alt_labels=[[] for _ in range(len(world.SKILLS))],
        skill_type="skill/competence",
        reuse_level="cross-sector",
        description="",
    )[["skill_uri", "preferred_label", "alt_labels", "skill_type", "reuse_level", "description"]]
    relations = world.OCCUPATION_SKILLS.assign(skill_type="skill/competence")
    earnings = pd.DataFrame(
        {
            "occupation_uri": ["occ:porter", "occ:welder"],
            "preferred_label": ["hospital porter", "welder"],
            "isco_code": ["9629", "7212"],
            "job_zone": [1, 2],
            "annual_earnings_gbp": [21_500.0, 29_000.0],
            "skills_based_sector": ["x", "y"],
            "earnings_source": "ASHE 2019 via Nesta Mapping Career Causeways (national)",
        }
    )
    # levels of 100 until 2021, then a step: 28-day means a year apart give the change exactly
    start, switch, end = "2020-02-01", "2021-01-01", "2021-03-31"
    sector = _daily(start, switch, end, 100.0, 120.0).assign(
        level="sector", geography="United Kingdom", sector="Nursing", series="total postings"
    )[["date", "level", "geography", "sector", "series", "index"]]
    regional = pd.concat(
        [
            _daily(start, switch, end, 100.0, 90.0).assign(geography="North East"),
            _daily(start, switch, end, 100.0, 110.0).assign(geography="London"),
        ],
        ignore_index=True,
    ).assign(level="region", series="total postings")[["date", "level", "geography", "series", "index"]]
    national = _daily(start, switch, end, 100.0, 105.0).assign(
        level="national", geography="United Kingdom", series="total postings", index_nsa=100.0
    )[["date", "level", "geography", "series", "index", "index_nsa"]]
    for name, frame in {
        "esco_occupations": occupations,
        "esco_skills": skills,
        "esco_occupation_skills": relations,
        "occupation_earnings": earnings,
        "indeed_sector": sector,
        "indeed_regional": regional,
        "indeed_national": national,
    }.items():
        getters.write_processed(frame, name)


def test_fit_engine_from_processed_tables(data_dir, recommend_world):
    write_reference_tables(recommend_world)
    world_adverts = recommend_world.adverts()
    extra = pd.DataFrame(
        {
            # an untrusted welder title paying far more: neither evidence nor training
            "advert_id": ["welder-low", "chef-notext"],
            "region": ["North East", "Wales"],
            "salary_annual_gbp": [99_000.0, np.nan],
            "source": "reed",
            "employer": ["x", "y"],
        }
    )
    adverts = pd.concat([world_adverts.drop(columns="occupation_uri"), extra], ignore_index=True)
    occupations_of_adverts = pd.concat(
        [
            world_adverts[["advert_id", "occupation_uri"]].assign(confidence=0.9),
            pd.DataFrame(
                {
                    "advert_id": ["welder-low", "chef-notext"],
                    "occupation_uri": ["occ:welder", "occ:chef"],
                    "confidence": [MIN_TITLE_CONFIDENCE - 0.1, 0.9],
                }
            ),
        ],
        ignore_index=True,
    )
    advert_skills = pd.concat(
        [
            recommend_world.advert_skills().assign(method="lexical"),
            pd.DataFrame(
                {
                    "advert_id": ["welder-low"] * 2,
                    "skill_uri": ["skill:welding", "skill:metal cutting"],
                    "method": "lexical",
                }
            ),
            # a chef advert whose (wrong) title-derived skills must never reach the model
            pd.DataFrame(
                {
                    "advert_id": ["chef-notext"] * 2,
                    "skill_uri": ["skill:welding", "skill:metal cutting"],
                    "method": TITLE_DERIVED,
                }
            ),
        ],
        ignore_index=True,
    )
    engine = fit_engine(adverts, occupations_of_adverts, advert_skills, min_count=1, semantic_skills=False)
    assert isinstance(engine, Recommender)

    answer = engine.recommend(["welding", "metal cutting"], region="North East", k=3)
    results = answer["results"]
    assert len(results) == 3 and results[0]["occupation_uri"] == "occ:welder" and results[0]["title"] == "welder"
    welder = results[0]
    assert {s["label"] for s in welder["matched_skills"]} == {"welding", "metal cutting"}
    # two trusted welder adverts (28k, 29k; North East holds the first); the untrusted one is left out
    assert welder["demand"]["national_adverts"] == 2 and welder["demand"]["region_adverts"] == 1
    assert welder["salary"]["national_median_gbp"] == 28_500 and welder["salary"]["region_median_gbp"] == 28_000
    # Indeed regional index: 100 -> 90 in the North East over the year
    assert welder["growth"]["area"] == "North East" and welder["growth"]["area_change_12m"] == pytest.approx(-0.1)

    everyone = {r["occupation_uri"]: r for r in engine.recommend(["welding"], k=5)["results"]}
    assert everyone["occ:chef"]["matched_skills"] == []  # title-derived rows did not train the chef
    assert everyone["occ:welder"]["growth"]["area"] == "United Kingdom"
    assert everyone["occ:welder"]["growth"]["area_change_12m"] == pytest.approx(0.05)
    # chef-notext is still evidence of demand (all sources count), though it trained nothing
    assert everyone["occ:chef"]["demand"]["national_adverts"] == 5

    nurse = engine.recommend(["patient care", "phlebotomy"], k=1)["results"][0]
    assert nurse["occupation_uri"] == "occ:nurse"
    assert nurse["growth"]["sector"] == "Nursing" and nurse["growth"]["sector_change_12m"] == pytest.approx(0.2)
    porter = engine.recommend(["manual handling"], k=5)["results"]
    porter = next(r for r in porter if r["occupation_uri"] == "occ:porter")
    assert porter["salary"]["national_median_gbp"] == 21_500 and "ASHE" in porter["salary"]["source"]


def test_ensure_advert_occupations_relabels_when_the_title_rules_change(data_dir, normaliser_fits, monkeypatch):
    fits = normaliser_fits
    adverts = pd.DataFrame({"advert_id": ["a"], "title": ["Staff Nurse"]})
    first = labelling.ensure_advert_occupations(adverts)
    assert first["title_rules"].eq(labelling.title_rules_digest()).all() and len(fits) == 1

    labelling.ensure_advert_occupations(adverts)
    assert len(fits) == 1  # same rules: the stored labels come back

    # an edited synonyms table (say, a corrected row) must not leave the old labels in place
    monkeypatch.setattr(labelling, "title_rules_digest", lambda: "edited-rules")
    relabelled = labelling.ensure_advert_occupations(adverts)
    assert len(fits) == 2 and relabelled["title_rules"].eq("edited-rules").all()
    assert getters.read_processed("advert_occupations")["title_rules"].eq("edited-rules").all()


def test_title_rules_digest_reads_every_rule_file():
    assert len(labelling.title_rules_digest()) == 12
    for name in labelling.TITLE_RULE_FILES:
        assert getters.resource_file(name).is_file(), name
