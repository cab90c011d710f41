"""The corpus steps at national scale: the Spark (PySpark) engine and the scale benchmark's runs.

Owns the second engine for the corpus steps: advert normalisation (regions and salaries), the
boilerplate rule, title normalisation, skill extraction and the aggregates the notebooks and the
recommender consume (adverts and employers by region and occupation or skill, salary medians by
occupation and region, training pairs). Per-advert work runs in Spark's ``mapInPandas`` through
the very same pandas functions, with each model fitted once per executor process; the group-bys
run in Spark SQL. :mod:`~skills_engine.scale.engines` gives both engines the same function names
and outputs, so a caller (CLI, notebook) only passes ``engine="pandas"`` or ``"spark"``.

pyspark is the optional extra ``.[spark]`` and needs Java 17; nothing here imports pyspark at
import time. May import data, occupations, extraction, regional and recommender (never publish,
service, bench or the CLI).
"""
