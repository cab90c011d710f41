"""The aggregates on Spark: counts by region, occupation or skill, source and employer; salary
medians by occupation and region; training pairs; the fitted recommender.

Group-bys run in Spark SQL; the one per-advert step (the employer key of
:func:`~skills_engine.regional.bootstrap.with_clusters`) runs the pandas function in
``mapInPandas``. Only aggregates, and the training pairs the recommender is fitted on, reach the
driver.
"""

from __future__ import annotations

import json

import pandas as pd

from skills_engine import getters, paths
from skills_engine.extraction.advert_skills import TITLE_DERIVED
from skills_engine.occupations.labelling import MIN_TITLE_CONFIDENCE
from skills_engine.regional import growth
from skills_engine.regional import inputs as regional_inputs
from skills_engine.regional.comparison import CLUSTER_KEYS
from skills_engine.scale.session import to_spark


def _cluster_batches(batches):
    from skills_engine.regional.bootstrap import with_clusters

    for batch in batches:
        yield with_clusters(batch)[["advert_id", *CLUSTER_KEYS]]


def placed_sdf(spark, adverts):
    """Adverts with a region, keyed by region, source and normalised employer (``with_clusters``)."""
    from pyspark.sql import functions as F

    frame = to_spark(spark, adverts)
    for name in ("source", "employer"):
        if name not in frame.columns:
            frame = frame.withColumn(name, F.lit(None).cast("string"))
    return (
        frame.where(F.col("region").isNotNull())
        .select("advert_id", "region", "source", "employer")
        .mapInPandas(_cluster_batches, "advert_id string, region string, source string, employer string")
    )


def _counts_pandas(frame, keys: list[str]) -> pd.DataFrame:
    return (
        frame.toPandas()
        .astype({"adverts": "int64", **{c: "string" for c in CLUSTER_KEYS}})
        .sort_values(keys, na_position="last", kind="stable")
        .reset_index(drop=True)
    )


def item_region_counts(items, adverts, item_col: str, label_col: str | None = None, *, spark):
    """The pandas path's :func:`~skills_engine.regional.comparison.item_region_counts` in Spark SQL."""
    placed = placed_sdf(spark, adverts).cache()
    keys = [item_col] + ([label_col] if label_col else [])
    counts = (
        to_spark(spark, items)
        .select("advert_id", *keys)
        .dropDuplicates(["advert_id", item_col])
        .join(placed, on="advert_id")
        .groupBy(*keys, *CLUSTER_KEYS)
        .count()
        .withColumnRenamed("count", "adverts")
    )
    region_totals = (
        placed.groupBy("region")
        .count()
        .toPandas()
        .astype({"region": "string"})
        .set_index("region")["count"]
        .sort_index()
    )
    return _counts_pandas(counts, keys + CLUSTER_KEYS), region_totals.rename(None).astype("int64")


def cluster_totals(adverts, *, spark) -> pd.DataFrame:
    """The pandas path's :func:`~skills_engine.regional.comparison.cluster_totals` in Spark SQL."""
    counts = placed_sdf(spark, adverts).groupBy(*CLUSTER_KEYS).count().withColumnRenamed("count", "adverts")
    return _counts_pandas(counts, CLUSTER_KEYS)


def build_training_sdf(spark, advert_skills, occupations_of_adverts, min_confidence: float = MIN_TITLE_CONFIDENCE):
    """(advert, skill, occupation) training pairs as a Spark DataFrame (see :func:`build_training`)."""
    from pyspark.sql import functions as F

    trusted = (
        to_spark(spark, occupations_of_adverts)
        .where((F.col("confidence") >= min_confidence) & F.col("occupation_uri").isNotNull())
        .select("advert_id", "occupation_uri")
    )
    return (
        to_spark(spark, advert_skills)
        .where(F.col("method") != TITLE_DERIVED)
        .select("advert_id", "skill_uri")
        .dropDuplicates()
        .join(trusted, on="advert_id")
    )


def build_training(advert_skills, occupations_of_adverts, min_confidence: float = MIN_TITLE_CONFIDENCE, *, spark):
    """The pandas path's :func:`~skills_engine.recommender.training.build_training` in Spark SQL."""
    return (
        build_training_sdf(spark, advert_skills, occupations_of_adverts, min_confidence)
        .toPandas()
        .sort_values(["advert_id", "skill_uri"], kind="stable")
        .reset_index(drop=True)
    )


def salary_medians(adverts, occupations_of_adverts, *, spark) -> pd.DataFrame:
    """Median advertised annual salary and priced adverts by occupation and region (exact
    medians, as pandas computes them), the figures :class:`~skills_engine.recommender.engine.Recommender`
    reports; ``region`` missing for the national row of each occupation."""
    from pyspark.sql import functions as F

    priced = (
        to_spark(spark, adverts)
        .select("advert_id", "region", "salary_annual_gbp")
        .where(F.col("salary_annual_gbp").isNotNull() & ~F.isnan("salary_annual_gbp"))
        .join(
            to_spark(spark, occupations_of_adverts)
            .where(F.col("confidence") >= MIN_TITLE_CONFIDENCE)
            .where(F.col("occupation_uri").isNotNull())
            .select("advert_id", "occupation_uri"),
            on="advert_id",
        )
    )
    stats = [F.median("salary_annual_gbp").alias("median"), F.count(F.lit(1)).alias("size")]
    regional = priced.where(F.col("region").isNotNull()).groupBy("occupation_uri", "region").agg(*stats)
    national = priced.groupBy("occupation_uri").agg(*stats).withColumn("region", F.lit(None).cast("string"))
    return (
        regional.unionByName(national)
        .toPandas()
        .astype({"size": "int64", "median": "float64"})
        .sort_values(["occupation_uri", "region"], na_position="last", kind="stable")
        .reset_index(drop=True)
    )


def fit_engine(adverts, occupations_of_adverts, advert_skills, *, spark, **params):
    """The pandas path's :func:`~skills_engine.recommender.training.fit_engine`: the evidence and
    training pairs joined in Spark SQL, the recommender fitted on them as the pandas path fits it."""
    from pyspark.sql import functions as F

    from skills_engine.recommender.training import fit_on_evidence

    evidence = (
        to_spark(spark, adverts)
        .select("advert_id", "region", "salary_annual_gbp")
        .join(
            to_spark(spark, occupations_of_adverts)
            .where(F.col("confidence") >= MIN_TITLE_CONFIDENCE)
            .select("advert_id", "occupation_uri"),
            on="advert_id",
        )
        .toPandas()
        .sort_values("advert_id", kind="stable")
        .reset_index(drop=True)
    )
    return fit_on_evidence(evidence, build_training(advert_skills, occupations_of_adverts, spark=spark), **params)


def build_regional_inputs(*, spark) -> regional_inputs.RegionalInputs:
    """The pandas path's :func:`~skills_engine.regional.inputs.build`, the counts in Spark SQL."""
    adverts = getters.read_adverts(columns=["advert_id", "source", "employer", "region", "salary_annual_gbp"])
    occupations = getters.read_processed("advert_occupations").loc[lambda d: d["confidence"] >= MIN_TITLE_CONFIDENCE]
    labelled = adverts.merge(
        occupations[["advert_id", "occupation_uri", "occupation_label"]], on="advert_id", how="left"
    )
    advert_skills = getters.read_processed("advert_skills", columns=["advert_id", "skill_uri", "skill_label", "method"])
    from_text = advert_skills.loc[lambda d: d["method"] != TITLE_DERIVED]
    occupation_counts, region_totals = item_region_counts(
        labelled.dropna(subset=["occupation_uri"]), labelled, "occupation_uri", "occupation_label", spark=spark
    )
    text_adverts = adverts.loc[adverts["advert_id"].isin(from_text["advert_id"])]
    skill_counts, text_region_totals = item_region_counts(
        from_text, text_adverts, "skill_uri", "skill_label", spark=spark
    )
    indeed_regional, indeed_national = (
        getters.read_processed("indeed_regional"),
        getters.read_processed("indeed_national"),
    )
    return regional_inputs.RegionalInputs(
        adverts=labelled,
        occupation_counts=occupation_counts,
        skill_counts=skill_counts,
        occupation_totals=cluster_totals(labelled, spark=spark),
        skill_totals=cluster_totals(text_adverts, spark=spark),
        region_totals=region_totals,
        text_region_totals=text_region_totals,
        region_growth=growth.region_growth(indeed_regional, indeed_national),
        index_series=growth.smoothed_index(growth.regions_and_nation(indeed_regional, indeed_national)),
    )


def load_regional_inputs(*, spark) -> regional_inputs.RegionalInputs:
    """The pandas path's :func:`~skills_engine.regional.inputs.load` (same cache, same key), built on Spark."""
    folder = paths.regional_cache_dir()
    fingerprint = regional_inputs._fingerprint()
    stamp = folder / "fingerprint.json"
    if stamp.is_file() and json.loads(stamp.read_text()).get("fingerprint") == fingerprint:
        return regional_inputs.load()
    built = build_regional_inputs(spark=spark)
    for name in regional_inputs.TABLES:
        frame = getattr(built, name)
        if isinstance(frame, pd.Series):
            frame = frame.rename("adverts").rename_axis("region").reset_index()
        getters.atomic_write_parquet(frame, folder / f"{name}.parquet")
    getters.atomic_write_json(stamp, {"fingerprint": fingerprint, "version": regional_inputs.CACHE_VERSION})
    return built
