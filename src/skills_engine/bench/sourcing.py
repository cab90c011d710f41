"""Benchmark of sourcing: the full corpus fetched and normalised into an empty data folder, then again."""

from __future__ import annotations

import os
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

from skills_engine.bench.memory import peak_memory_mb


@contextmanager
def _data_dir(path: Path):
    previous = os.environ.get("SKILLS_ENGINE_DATA_DIR")
    os.environ["SKILLS_ENGINE_DATA_DIR"] = str(path)
    try:
        yield
    finally:
        if previous is None:
            os.environ.pop("SKILLS_ENGINE_DATA_DIR", None)
        else:
            os.environ["SKILLS_ENGINE_DATA_DIR"] = previous


def bench_sourcing() -> dict:
    """Sourcing plus normalisation of the full corpus into an empty data folder (cold), then again (warm).

    Uses the mirror when ``SKILLS_ENGINE_MIRROR`` is set, otherwise downloads.
    """
    from skills_engine.data import tables

    with tempfile.TemporaryDirectory(prefix="skills-engine-bench-") as folder, _data_dir(Path(folder)):
        started = time.perf_counter()
        report = tables.build_data(force=True)
        cold = time.perf_counter() - started
        started = time.perf_counter()
        tables.build_data()
        warm = time.perf_counter() - started
    return {
        "cold_seconds": round(cold, 2),
        "cold_fetch_seconds": report["fetch_seconds"],
        "cold_build_seconds": report["build_seconds"],
        "warm_seconds": round(warm, 3),
        "adverts": report["tables"]["adverts"],
        "peak_memory_mb": peak_memory_mb(),
        "origin": report["origin"],
    }
