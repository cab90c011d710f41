"""The Spark engine on a real standalone cluster: a master and two workers on loopback, started
from pyspark's own ``spark-class`` and stopped at the end (even when the test fails), not only
``local[n]``. The cluster's answers must be the pandas engine's.
"""

from __future__ import annotations

import os
import socket
import subprocess
import time
from pathlib import Path

import pandas as pd
import pytest

from skills_engine.scale import session
from test_spark_engine import nulls_as_none

pytestmark = [
    pytest.mark.spark,
    pytest.mark.skipif(not session.java_available(), reason="no Java runtime: the Spark engine needs Java 17"),
]

#: Real adverts with text, and without, run on the cluster (small: two one-core workers).
N_WITH_TEXT, N_WITHOUT_TEXT = 80, 40
STARTUP_SECONDS = 90


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait_for_port(port: int, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"Spark process exited: {log.read_text()[-2000:]}")
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.5)
    raise RuntimeError(f"nothing listening on 127.0.0.1:{port} after {STARTUP_SECONDS} s")


def _stop(processes: list[subprocess.Popen]) -> None:
    for process in processes:
        if process.poll() is None:
            process.terminate()
    for process in processes:
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    """``spark://127.0.0.1:PORT`` with two registered workers (one core, 1 GB each)."""
    import pyspark

    spark_class = Path(pyspark.__file__).parent / "bin" / "spark-class"
    folder = tmp_path_factory.mktemp("spark-cluster")
    env = os.environ | {"SPARK_LOCAL_IP": "127.0.0.1", "SPARK_LOG_DIR": str(folder), "SPARK_WORKER_DIR": str(folder)}
    port, ui = _free_port(), _free_port()
    processes: list[subprocess.Popen] = []

    def start(name: str, *args: str) -> subprocess.Popen:
        # the child keeps its own copy of the log's descriptor: the parent's is closed at once
        with (folder / f"{name}.log").open("w") as log:
            process = subprocess.Popen(
                [str(spark_class), *args], env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
        processes.append(process)
        return process

    try:
        master = start(
            "master",
            "org.apache.spark.deploy.master.Master",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--webui-port",
            str(ui),
        )
        _wait_for_port(port, master, folder / "master.log")
        url = f"spark://127.0.0.1:{port}"
        for n in (1, 2):
            start(
                f"worker{n}",
                "org.apache.spark.deploy.worker.Worker",
                url,
                "--host",
                "127.0.0.1",
                "--cores",
                "1",
                "--memory",
                "1g",
                "--webui-port",
                str(_free_port()),
                "--work-dir",
                str(folder / f"work{n}"),
            )
        deadline = time.monotonic() + STARTUP_SECONDS
        while (folder / "master.log").read_text().count("Registering worker") < 2:
            if time.monotonic() > deadline:
                raise RuntimeError("the two workers did not register: " + (folder / "master.log").read_text()[-2000:])
            time.sleep(0.5)
        yield url
    finally:
        active = None
        try:
            from pyspark.sql import SparkSession

            active = SparkSession.getActiveSession()
        finally:
            if active is not None:
                active.stop()
            _stop(processes)


@pytest.mark.mirror
def test_standalone_cluster_gives_the_pandas_answers(real_mirror, cluster, tmp_path, monkeypatch):
    from skills_engine import getters
    from skills_engine.extraction import advert_skills, corpus_cache
    from skills_engine.occupations import labelling
    from skills_engine.scale import engines

    monkeypatch.setattr(corpus_cache, "cache_path", lambda extractor: tmp_path / "advert-skills.parquet")
    monkeypatch.setenv("SPARK_LOCAL_IP", "127.0.0.1")
    adverts = getters.read_adverts(columns=["advert_id", "source", "title", "description", "employer", "region"])
    has_text = adverts["description"].notna()
    slice_ = pd.concat(
        [
            adverts.loc[has_text].sample(N_WITH_TEXT, random_state=5),
            adverts.loc[~has_text].sample(N_WITHOUT_TEXT, random_state=5),
        ]
    ).reset_index(drop=True)
    steps = engines.corpus_steps("spark", cluster)
    assert steps.spark.sparkContext.master == cluster

    texts, _ = advert_skills.corpus_texts(slice_)
    spark_texts, _ = steps.corpus_texts(slice_)
    pd.testing.assert_frame_equal(texts, spark_texts)
    occupations = labelling.advert_occupations(slice_)
    spark_occupations = steps.advert_occupations(slice_)
    # NaN (pandas) and None (Spark) both mark a title without an occupation: one marker on both sides
    pd.testing.assert_frame_equal(nulls_as_none(occupations), nulls_as_none(spark_occupations), check_dtype=False)
    skills = advert_skills.build_advert_skills(slice_, occupations, texts=texts)
    spark_skills = steps.build_advert_skills(slice_, occupations, texts=texts)
    assert len(skills) > N_WITH_TEXT

    def ordered(frame):
        return (
            frame.astype({c: object for c in ["advert_id", "skill_uri", "skill_label", "method"]})
            .sort_values(list(frame.columns))
            .reset_index(drop=True)
        )

    pd.testing.assert_frame_equal(ordered(skills), ordered(spark_skills), check_dtype=False, rtol=0, atol=1e-9)
    # the work ran on the workers' executors (the driver counts as one block manager)
    assert steps.spark.sparkContext._jsc.sc().getExecutorMemoryStatus().size() >= 2
