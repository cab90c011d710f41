"""The Spark session of the corpus steps: which master, which Python, which settings."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from functools import cache

#: Spark master when neither ``--master`` nor ``SPARK_MASTER`` names one: two local cores, the
#: size of the CI runner; any master URL Spark accepts (``spark://host:7077``, ``yarn``,
#: ``k8s://...``, ``local[*]``) may replace it.
DEFAULT_MASTER = "local[2]"
MASTER_ENV = "SPARK_MASTER"
#: Environment copied to every executor, so executors read the same data folder and never ask a
#: model hub for weights.
EXECUTOR_ENV = ("SKILLS_ENGINE_DATA_DIR", "SKILLS_ENGINE_MIRROR", "HF_HUB_OFFLINE", "MPLBACKEND")
#: Shuffle partitions (count): Spark's default of 200 is sized for clusters; on a few cores each
#: group-by would then run 200 near-empty tasks.
SHUFFLE_PARTITIONS = 8
#: Adverts per Arrow batch handed to one ``mapInPandas`` call: large enough that per-batch
#: overhead is small, small enough that an executor holds a batch's texts and results easily.
ARROW_BATCH_ADVERTS = 2000


def compute_threads() -> int:
    """Threads of numerical libraries (BLAS, torch) in the driver, given to every executor too.

    The extractor's float32 sentence similarities differ in the last bits with the number of
    threads summing them; pyspark would start each Python worker with one thread, and its scores
    would then differ from the pandas path's by about 3e-7.
    """
    return int(os.environ.get("OMP_NUM_THREADS") or os.cpu_count() or 1)


def master_url(master: str | None = None) -> str:
    """``master``, else ``$SPARK_MASTER``, else :data:`DEFAULT_MASTER`.

    >>> master_url("spark://127.0.0.1:7077")
    'spark://127.0.0.1:7077'
    """
    return master or os.environ.get(MASTER_ENV) or DEFAULT_MASTER


@cache
def java_available() -> bool:
    """Whether a Java runtime (Spark needs 17 or later) answers ``java -version``."""
    java = shutil.which(
        "java", path=os.path.join(os.environ["JAVA_HOME"], "bin") if "JAVA_HOME" in os.environ else None
    )
    java = java or shutil.which("java")
    if not java:
        return False
    return subprocess.run([java, "-version"], capture_output=True, check=False).returncode == 0


def spark_available() -> bool:
    """pyspark installed (the ``spark`` extra) and Java present."""
    try:
        import pyspark  # noqa: F401
    except ImportError:
        return False
    return java_available()


def get_session(master: str | None = None, app_name: str = "skills-engine"):
    """The active Spark session, or a new one on ``master`` (see :func:`master_url`).

    Executors run this interpreter (``spark.pyspark.python``) unless ``PYSPARK_PYTHON`` says
    otherwise, and reuse their Python worker between tasks, so a model fitted in a worker serves
    every later partition of that worker.
    """
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        raise RuntimeError(
            "the Spark engine needs pyspark: pip install -e '.[spark]' (and Java 17: apt-get install openjdk-17-jre-headless)"
        ) from None
    if not java_available():
        raise RuntimeError("the Spark engine needs Java 17: apt-get install openjdk-17-jre-headless")
    active = SparkSession.getActiveSession()
    url = master_url(master)
    if active is not None and (active.sparkContext.master == url or master is None and MASTER_ENV not in os.environ):
        return active
    if active is not None:
        active.stop()
    # the driver's choice of executor Python travels with every task; the environment variable
    # is what pyspark reads for it (the ``spark.pyspark.python`` setting alone is not enough)
    python = os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    # under spark-submit (it starts the JVM first) its --master stands unless one is named here
    submitted = master is None and MASTER_ENV not in os.environ and "PYSPARK_GATEWAY_PORT" in os.environ
    builder = SparkSession.builder if submitted else SparkSession.builder.master(url)
    builder = (
        builder.appName(app_name)
        .config("spark.pyspark.python", python)
        .config("spark.pyspark.driver.python", sys.executable)
        .config("spark.python.worker.reuse", "true")
        .config("spark.sql.execution.arrow.pyspark.enabled", "true")
        .config("spark.sql.execution.arrow.maxRecordsPerBatch", str(ARROW_BATCH_ADVERTS))
        .config("spark.sql.shuffle.partitions", str(SHUFFLE_PARTITIONS))
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
    )
    threads = str(compute_threads())
    for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        builder = builder.config(f"spark.executorEnv.{name}", threads)
    for name in EXECUTOR_ENV:
        if name in os.environ:
            builder = builder.config(f"spark.executorEnv.{name}", os.environ[name])
    session = builder.getOrCreate()
    session.sparkContext.setLogLevel("ERROR")
    return session


def to_spark(spark, frame):
    """A pandas frame as a Spark DataFrame (a Spark DataFrame passes through)."""
    import pandas as pd

    if not isinstance(frame, pd.DataFrame):
        return frame
    # object columns of strings and missing values: Arrow infers them; an all-missing column
    # has no type, so it is sent as strings.
    fixed = frame.copy()
    for column in fixed.columns:
        if fixed[column].dtype == object and fixed[column].isna().all():
            fixed[column] = fixed[column].astype("string")
    return spark.createDataFrame(fixed)
