"""The corpus steps as a Spark job: adverts in from any path Spark reads, tables out to any path
it writes (local, ``hdfs://``, ``s3a://``), nothing row-level collected on the driver.

Run with ``spark-submit`` (see the README's "Running at national scale on Spark")::

    spark-submit --master spark://HOST:7077 src/skills_engine/scale/job.py \\
        --adverts s3a://bucket/adverts/ --output s3a://bucket/skills-engine/

The adverts are parquet in the processed adverts schema (``advert_id, source, title,
description, employer, region, salary_annual_gbp``; others are ignored). Written, one parquet
folder each: ``advert_occupations``, ``advert_skills``, ``training`` (row level, by the
executors) and ``occupation_counts``, ``skill_counts``, ``cluster_totals`` (aggregates).
"""

from __future__ import annotations

import argparse

from skills_engine.occupations.labelling import MIN_TITLE_CONFIDENCE

ROW_TABLES = ("advert_occupations", "advert_skills", "training")
AGGREGATES = ("occupation_counts", "skill_counts", "cluster_totals")


def run_corpus(spark, adverts_path: str, output: str) -> dict[str, str]:
    """Every corpus step on ``adverts_path``; returns where each table was written."""
    from pyspark.sql import functions as F

    from skills_engine.extraction.advert_skills import TITLE_DERIVED
    from skills_engine.scale import aggregates, corpus

    out = output.rstrip("/")
    adverts = corpus.with_order(spark, spark.read.parquet(adverts_path)).cache()
    occupations = corpus.advert_occupations_sdf(spark, adverts).drop(corpus.ORDER).cache()
    texts, _ = corpus.corpus_texts_sdf(spark, adverts)
    skills = corpus.build_advert_skills_sdf(spark, adverts, occupations, texts=texts).cache()
    rows = {
        "advert_occupations": occupations,
        "advert_skills": skills,
        "training": aggregates.build_training_sdf(spark, skills, occupations),
    }
    for name, frame in rows.items():
        frame.write.mode("overwrite").parquet(f"{out}/{name}")
    labelled = adverts.join(
        occupations.where((F.col("confidence") >= MIN_TITLE_CONFIDENCE) & F.col("occupation_uri").isNotNull()).select(
            "advert_id", "occupation_uri", "occupation_label"
        ),
        on="advert_id",
    )
    from_text = skills.where(F.col("method") != TITLE_DERIVED)
    text_adverts = adverts.join(from_text.select("advert_id").distinct(), on="advert_id", how="left_semi")
    tables = {
        "occupation_counts": aggregates.item_region_counts(
            labelled, adverts, "occupation_uri", "occupation_label", spark=spark
        )[0],
        "skill_counts": aggregates.item_region_counts(from_text, text_adverts, "skill_uri", "skill_label", spark=spark)[
            0
        ],
        "cluster_totals": aggregates.cluster_totals(adverts, spark=spark),
    }
    for name, frame in tables.items():
        spark.createDataFrame(frame).coalesce(1).write.mode("overwrite").parquet(f"{out}/{name}")
    return {name: f"{out}/{name}" for name in (*ROW_TABLES, *AGGREGATES)}


def main(argv: list[str] | None = None) -> None:
    from skills_engine.scale import session

    parser = argparse.ArgumentParser(description="The skills engine's corpus steps on Spark.")
    parser.add_argument(
        "--adverts", required=True, help="Parquet adverts: any path Spark reads (file, folder, s3a://, hdfs://)."
    )
    parser.add_argument("--output", required=True, help="Folder the tables are written under (any path Spark writes).")
    parser.add_argument(
        "--master", default=None, help="Spark master (default: spark-submit's, else $SPARK_MASTER or local[2])."
    )
    args = parser.parse_args(argv)
    from pyspark.sql import SparkSession

    spark = SparkSession.getActiveSession() or session.get_session(args.master)
    for name, path in run_corpus(spark, args.adverts, args.output).items():
        print(f"{name:<20} {path}")


if __name__ == "__main__":
    main()
