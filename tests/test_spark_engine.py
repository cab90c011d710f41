"""The Spark engine gives the pandas engine's answers: same tables (after sorting; floats within
1e-9) and the same top 10 from the fitted recommender, on local[2].

Skipped only when Java is absent (``make test`` installs pyspark; ``.ci/run`` installs Java 17).
"""

from __future__ import annotations

import pandas as pd
import pytest

from skills_engine.scale import session

pytestmark = [
    pytest.mark.spark,
    pytest.mark.skipif(not session.java_available(), reason="no Java runtime: the Spark engine needs Java 17"),
]

#: Adverts with text and without (title-derived skills) in the real slice: small, so the
#: test stays within a couple of minutes on two cores.
N_WITH_TEXT, N_WITHOUT_TEXT = 240, 160
SKILL_SETS = [
    "patient care; phlebotomy; record keeping",
    "python; sql; data analysis",
    "customer service; cash handling",
    "welding; health and safety",
    "teaching; lesson planning",
]


def nulls_as_none(frame: pd.DataFrame) -> pd.DataFrame:
    """Every missing value of an object column as ``None``.

    Which null-like marks a missing value is no part of an answer: the pandas path's labels are
    NaN where a title has no occupation (``None`` once read back from parquet), Spark's are
    ``None``. Only the marker is made the same on both sides; a value against a missing value
    still fails the comparison.
    """
    objects = [c for c in frame.columns if frame[c].dtype == object]
    return frame.assign(**{c: frame[c].where(frame[c].notna(), None) for c in objects})


def sorted_frame(frame: pd.DataFrame) -> pd.DataFrame:
    columns = list(frame.columns)
    return (
        nulls_as_none(frame.astype({c: object for c in columns if frame[c].dtype != float}))
        .sort_values(columns)
        .reset_index(drop=True)
    )


def assert_same(left: pd.DataFrame, right: pd.DataFrame) -> None:
    assert list(left.columns) == list(right.columns)
    assert len(left) == len(right)
    pd.testing.assert_frame_equal(sorted_frame(left), sorted_frame(right), check_dtype=False, rtol=0, atol=1e-9)


@pytest.fixture(scope="module")
def spark():
    return session.get_session("local[2]")


@pytest.fixture(scope="module")
def steps(spark):
    from skills_engine.scale import engines

    return engines.corpus_steps("pandas"), engines.corpus_steps("spark", "local[2]")


def test_boilerplate_counts_in_spark_sql_match_the_detector(spark):
    """Hand-written corpus: one employer's template under five titles, a sentence shared by ten
    employers, adverts with no employer or title (each its own group)."""
    from skills_engine.extraction import advert_skills
    from skills_engine.extraction.boilerplate import BoilerplateDetector
    from skills_engine.scale import corpus

    about = "Our trust has cared for the people of the valley since 1948."
    shared = "We welcome applications from everyone in the community."
    jobs = ["Analyst", "Clerk", "Nurse", "Porter", "Cook"]
    rows = [(f"a{i}", f"<p>{about} You will need skill {i}.</p>", "Trust A", job) for i, job in enumerate(jobs)]
    rows += [(f"b{i}", f"{shared} Drive a van {i} times.", f"Firm {i}", "Driver") for i in range(10)]
    rows += [(f"c{i}", f"{about} {shared}", None, None) for i in range(3)]
    adverts = pd.DataFrame(rows, columns=["advert_id", "description", "employer", "title"])
    texts, detector = corpus.corpus_texts(adverts, spark=spark)
    expected_texts, expected = advert_skills.corpus_texts(adverts)
    assert isinstance(expected, BoilerplateDetector)
    pd.testing.assert_frame_equal(detector.table_, expected.table_, check_dtype=False)
    pd.testing.assert_frame_equal(texts, expected_texts)
    assert set(detector.table_["rule"]) == {"within-employer", "cross-employer"}
    assert "valley" not in texts.loc[texts["advert_id"] == "a0", "text"].item()


@pytest.mark.mirror
def test_both_engines_give_the_same_tables_and_rankings(real_mirror, steps, spark, tmp_path, monkeypatch):
    from skills_engine import getters
    from skills_engine.extraction import corpus_cache
    from skills_engine.scale import aggregates

    pandas_steps, spark_steps = steps
    # the pandas path's results cache would hold rows extracted in other batches (scores equal
    # only to float32 precision): start it empty, as a first run does
    monkeypatch.setattr(corpus_cache, "cache_path", lambda extractor: tmp_path / "advert-skills.parquet")
    adverts = getters.read_adverts(
        columns=["advert_id", "source", "title", "description", "employer", "region", "salary_annual_gbp"]
    )
    has_text = adverts["description"].notna()
    slice_ = pd.concat(
        [
            adverts.loc[has_text].sample(N_WITH_TEXT, random_state=3),
            adverts.loc[~has_text].sample(N_WITHOUT_TEXT, random_state=3),
        ]
    ).reset_index(drop=True)

    texts, detector = pandas_steps.corpus_texts(slice_)
    spark_texts, spark_detector = spark_steps.corpus_texts(slice_)
    pd.testing.assert_frame_equal(texts, spark_texts)
    pd.testing.assert_frame_equal(detector.table_, spark_detector.table_, check_dtype=False)

    occupations = pandas_steps.advert_occupations(slice_)
    assert_same(occupations, spark_steps.advert_occupations(slice_))

    skills = pandas_steps.build_advert_skills(slice_, occupations, texts=texts)
    spark_skills = spark_steps.build_advert_skills(slice_, occupations, texts=texts)
    assert skills["method"].nunique() >= 2 and len(skills) > N_WITH_TEXT
    assert_same(skills, spark_skills)

    assert_same(pandas_steps.build_training(skills, occupations), spark_steps.build_training(skills, occupations))
    labelled = slice_.merge(occupations, on="advert_id").dropna(subset=["occupation_uri"])
    counts, totals = pandas_steps.item_region_counts(labelled, slice_, "occupation_uri", "occupation_label")
    spark_counts, spark_totals = spark_steps.item_region_counts(labelled, slice_, "occupation_uri", "occupation_label")
    assert_same(counts, spark_counts)
    pd.testing.assert_series_equal(totals.sort_index(), spark_totals, check_dtype=False, check_names=False)
    assert_same(pandas_steps.cluster_totals(slice_), spark_steps.cluster_totals(slice_))

    engine = pandas_steps.fit_engine(slice_, occupations, skills)
    spark_engine = spark_steps.fit_engine(slice_, occupations, spark_skills)
    assert engine.demand_ == spark_engine.demand_ and engine.salary_region_ == spark_engine.salary_region_
    medians = aggregates.salary_medians(slice_, occupations, spark=spark)
    regional = medians.dropna(subset=["region"])
    assert len(regional) == len(engine.salary_region_) > 0
    for row in regional.itertuples():
        assert row.median == pytest.approx(engine.salary_region_[(row.occupation_uri, row.region)]["median"], abs=1e-9)
    for skill_set in SKILL_SETS:
        top = [r["occupation_uri"] for r in engine.recommend(skill_set, k=10)["results"]]
        spark_top = [r["occupation_uri"] for r in spark_engine.recommend(skill_set, k=10)["results"]]
        assert len(top) == 10 and top == spark_top, skill_set
