"""The corpus steps on Spark: boilerplate, title normalisation and skill extraction.

Each step has the pandas path's name and output. The ``*_sdf`` functions take and return Spark
DataFrames (nothing row-level reaches the driver: what :mod:`~skills_engine.scale.job` runs on a
cluster); the functions named as in the pandas path accept pandas or Spark input and return the
pandas frame the pandas path returns, rows in the same order, for the CLI and the notebooks.

Per-advert work runs in :mod:`~skills_engine.scale.workers` through the pandas path's own
functions; the boilerplate rule's counting runs in Spark SQL. The extraction cache is not used:
on a cluster there is no shared folder to keep it in, so every distinct text is extracted (once,
however many adverts share it).
"""

from __future__ import annotations

import pandas as pd

from skills_engine import getters
from skills_engine.extraction.advert_skills import TITLE_DERIVED
from skills_engine.extraction.boilerplate import CROSS_EMPLOYER, WITHIN_EMPLOYER, BoilerplateDetector
from skills_engine.extraction.corpus_cache import FRAME_COLUMNS
from skills_engine.extraction.lexical import one_word_job_titles
from skills_engine.occupations import labelling
from skills_engine.occupations.labelling import MIN_TITLE_CONFIDENCE
from skills_engine.occupations.titles import OUTPUT_COLUMNS
from skills_engine.scale import workers
from skills_engine.scale.session import to_spark

ORDER = "_order"
#: Position of a find among its text's finds (the extractor's order).
RANK = "_rank"
#: Distinct texts per extraction batch: the pandas path's batch (``transform_frame``'s default).
BATCH_SIZE = 500


def with_order(spark, adverts):
    """Adverts as a Spark DataFrame with ``_order``: the row's position in a pandas input (kept so
    outputs come back in the pandas path's order), or a unique increasing id for Spark input."""
    from pyspark.sql import functions as F

    if isinstance(adverts, pd.DataFrame):
        return to_spark(spark, adverts.reset_index(drop=True).assign(**{ORDER: range(len(adverts))}))
    return adverts if ORDER in adverts.columns else adverts.withColumn(ORDER, F.monotonically_increasing_id())


def _ordered_pandas(frame) -> pd.DataFrame:
    return frame.toPandas().sort_values(ORDER, kind="stable").drop(columns=ORDER).reset_index(drop=True)


def _column_or_null(frame, name: str):
    from pyspark.sql import functions as F

    return F.col(name) if name in frame.columns else F.lit(None).cast("string").alias(name)


def fit_boilerplate_sdf(spark, cleaned, detector: BoilerplateDetector | None = None) -> BoilerplateDetector:
    """The boilerplate rule fitted on Spark: sentence counts by employer and title in Spark SQL,
    the (small) table of boilerplate sentences collected into a fitted detector."""
    from pyspark.sql import functions as F

    detector = detector or BoilerplateDetector()
    keys = cleaned.mapInPandas(workers.key_batches(detector.min_words), workers.KEYS_SCHEMA)
    per_employer = keys.groupBy("sentence", "employer_key").agg(
        F.count(F.lit(1)).alias("adverts"),
        F.countDistinct("title_key").alias("titles"),
        F.first("known").alias("known"),
    )
    per_sentence = per_employer.groupBy("sentence").agg(
        F.sum("adverts").alias("adverts"),
        F.count(F.lit(1)).alias("employers"),
        F.sum(F.col("known").cast("long")).alias("known_employers"),
        F.max("titles").alias("max_employer_titles"),
    )
    cross = F.col("employers") >= detector.min_employers
    table = (
        per_sentence.where(cross | (F.col("max_employer_titles") >= detector.min_employer_titles))
        .withColumn("rule", F.when(cross, CROSS_EMPLOYER).otherwise(WITHIN_EMPLOYER))
        .toPandas()
    )
    detector.table_ = (
        table[["sentence", "adverts", "employers", "known_employers", "max_employer_titles", "rule"]]
        .astype({c: "int64" for c in ("adverts", "employers", "known_employers", "max_employer_titles")})
        .sort_values(["adverts", "sentence"], ascending=[False, True])
        .reset_index(drop=True)
    )
    detector.sentences_ = frozenset(detector.table_["sentence"])
    detector.n_texts_ = cleaned.count()
    return detector


def corpus_texts_sdf(spark, adverts, strip_boilerplate: bool = True):
    """:func:`~skills_engine.extraction.advert_skills.corpus_texts` on Spark: ``advert_id,
    cleaned, text, text_hash, _order`` for every advert with a description, and the detector."""
    adverts = with_order(spark, adverts)
    with_text = adverts.where(adverts["description"].isNotNull()).select(
        "advert_id", "description", _column_or_null(adverts, "employer"), _column_or_null(adverts, "title"), ORDER
    )
    cleaned = with_text.mapInPandas(workers.clean_batches, workers.TEXTS_SCHEMA).cache()
    detector = fit_boilerplate_sdf(spark, cleaned) if strip_boilerplate else None
    sentences = detector.sentences_ if detector is not None else frozenset()
    texts = cleaned.mapInPandas(workers.strip_batches(workers.share(spark, sentences)), workers.STRIPPED_SCHEMA)
    return texts, detector


def corpus_texts(adverts, strip_boilerplate: bool = True, *, spark) -> tuple[pd.DataFrame, BoilerplateDetector | None]:
    """The pandas path's :func:`~skills_engine.extraction.advert_skills.corpus_texts`, run on Spark."""
    texts, detector = corpus_texts_sdf(spark, adverts, strip_boilerplate)
    return _ordered_pandas(texts.select("advert_id", "cleaned", "text", ORDER)), detector


def extract_sdf(spark, texts, extractor_params: dict | None = None):
    """Skills found in each text (``advert_id, text, _order``, text as :func:`corpus_texts_sdf`
    gives it), with ``_rank`` (a find's position among its text's finds).

    Each distinct text is extracted once, by an extractor fitted once per executor, in the very
    batches the pandas path uses: distinct texts in order of first appearance, cut every
    :data:`BATCH_SIZE` texts. The extractor's float32 similarity scores depend (in the last bits)
    on which sentences are encoded together, so batching as the pandas path does is what makes
    the two engines' scores agree exactly rather than to 1e-7.
    """
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    params = extractor_params if extractor_params is not None else _default_extractor_params()
    texts = with_order(spark, texts)
    if "text_hash" not in texts.columns:
        texts = texts.withColumn("text_hash", F.pandas_udf(workers.text_hashes, "string")(F.col("text")))
    taxonomy = workers.share(
        spark,
        (
            getters.read_esco_skills(),
            getters.read_occupation_skills(),
            one_word_job_titles(getters.read_esco_occupations()),  # as the pandas path's extractor reads them
        ),
    )
    firsts = texts.groupBy("text_hash").agg(F.min(ORDER).alias(ORDER))
    # one global numbering of the distinct texts (hash and position only: small rows)
    numbered = firsts.withColumn("_position", F.row_number().over(Window.orderBy(ORDER)) - 1).withColumn(
        "_batch", F.floor(F.col("_position") / BATCH_SIZE)
    )
    distinct = (
        texts.select("text_hash", "text")
        .dropDuplicates(["text_hash"])
        .join(numbered.select("text_hash", "_position", "_batch"), on="text_hash")
        .select(F.col("text_hash").alias("advert_id"), "text", "_position", "_batch")
    )
    found = distinct.groupBy("_batch").applyInPandas(
        workers.extract_batch(params, taxonomy, BATCH_SIZE), workers.EXTRACTED_SCHEMA
    )
    return (
        texts.select("advert_id", "text_hash")
        .join(found.withColumnRenamed("advert_id", "text_hash"), on="text_hash", how="inner")
        .select(*FRAME_COLUMNS, RANK)
    )


def _default_extractor_params() -> dict:
    from skills_engine.extraction.extractor import SkillExtractor

    return SkillExtractor().get_params()


def title_derived_sdf(spark, adverts_without_text, occupations_of_adverts):
    """:func:`~skills_engine.extraction.advert_skills.title_derived_skills` in Spark SQL."""
    from pyspark.sql import functions as F

    occupations = to_spark(spark, occupations_of_adverts).where(F.col("confidence") >= MIN_TITLE_CONFIDENCE)
    essential = to_spark(
        spark, getters.read_occupation_skills().query("relation_type == 'essential'")[["occupation_uri", "skill_uri"]]
    )
    labels = to_spark(
        spark,
        getters.read_esco_skills()[["skill_uri", "preferred_label"]].rename(columns={"preferred_label": "skill_label"}),
    )
    return (
        adverts_without_text.select("advert_id")
        .join(occupations.select("advert_id", "occupation_uri", "confidence"), on="advert_id")
        .join(essential, on="occupation_uri")
        .join(labels, on="skill_uri", how="left")
        .select(
            "advert_id",
            "skill_uri",
            "skill_label",
            F.col("confidence").alias("score"),
            F.lit(None).cast("double").alias("span_start"),
            F.lit(None).cast("double").alias("span_end"),
            F.lit(TITLE_DERIVED).alias("method"),
        )
    )


def build_advert_skills_sdf(spark, adverts, occupations_of_adverts, texts=None, extractor_params=None):
    """:func:`~skills_engine.extraction.advert_skills.build_advert_skills` on Spark (spans as doubles)."""
    from pyspark.sql import functions as F

    adverts = with_order(spark, adverts)
    texts = corpus_texts_sdf(spark, adverts)[0] if texts is None else with_order(spark, texts)
    extracted = extract_sdf(spark, texts, extractor_params)
    without_text = adverts.select("advert_id", ORDER).join(texts.select("advert_id"), on="advert_id", how="left_anti")
    derived = title_derived_sdf(spark, without_text, occupations_of_adverts)
    return extracted.select(
        *FRAME_COLUMNS[:4], *(F.col(c).cast("double").alias(c) for c in ("span_start", "span_end")), "method"
    ).unionByName(derived)


def build_advert_skills(
    adverts, occupations_of_adverts, extractor=None, texts=None, strip_boilerplate: bool = True, *, spark
) -> pd.DataFrame:
    """The pandas path's :func:`~skills_engine.extraction.advert_skills.build_advert_skills`, run on
    Spark: the same rows, extracted ones in advert order (each advert's in the extractor's order),
    then title-derived ones by advert. ``extractor`` gives the settings each executor fits its own
    extractor with (the fitted one is not sent: it does not pickle)."""
    params = extractor.get_params() if extractor is not None else None
    frame = with_order(spark, adverts)
    texts = corpus_texts_sdf(spark, frame, strip_boilerplate)[0] if texts is None else with_order(spark, texts)
    order = frame.select("advert_id", ORDER)
    extracted = (
        extract_sdf(spark, texts, params)
        .join(order, on="advert_id")
        .toPandas()
        .sort_values([ORDER, RANK], kind="stable")
        .astype({"span_start": "int64", "span_end": "int64"})
    )
    without_text = order.join(texts.select("advert_id"), on="advert_id", how="left_anti")
    derived = (
        title_derived_sdf(spark, without_text, occupations_of_adverts)
        .join(order, on="advert_id")
        .toPandas()
        .sort_values([ORDER, "skill_uri"], kind="stable")
    )
    return pd.concat([extracted[FRAME_COLUMNS], derived[FRAME_COLUMNS]], ignore_index=True)


def advert_occupations_sdf(spark, adverts):
    """:func:`~skills_engine.occupations.labelling.advert_occupations` on Spark, with ``_order``."""
    tables = workers.share(spark, (getters.read_esco_occupations(), getters.read_processed("isco_soc_crosswalk")))
    adverts = with_order(spark, adverts)
    return adverts.select("advert_id", _column_or_null(adverts, "title"), ORDER).mapInPandas(
        workers.title_batches(tables), workers.OCCUPATIONS_SCHEMA
    )


def advert_occupations(adverts, normaliser=None, *, spark) -> pd.DataFrame:
    """The pandas path's :func:`~skills_engine.occupations.labelling.advert_occupations`, run on
    Spark (``normaliser`` is not used: each executor fits the default one)."""
    frame = _ordered_pandas(advert_occupations_sdf(spark, adverts))
    return frame.astype({"advert_id": "string", "isco_code": "string", "soc2010_code": "string"})[
        ["advert_id", *OUTPUT_COLUMNS]
    ]


def ensure_advert_occupations(adverts=None, *, spark) -> pd.DataFrame:
    """The pandas path's :func:`~skills_engine.occupations.labelling.ensure_advert_occupations`,
    building the table on Spark when it is missing or stale."""
    return labelling.ensure_advert_occupations(adverts, build=lambda frame: advert_occupations(frame, spark=spark))
