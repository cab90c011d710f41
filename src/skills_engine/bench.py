"""Benchmarks that print figures (never timed assertions in tests)."""

from __future__ import annotations

import os
import resource
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path


def peak_memory_mb() -> float:
    """Peak resident memory of this process so far (MB)."""
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


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
    from . import pipeline

    with tempfile.TemporaryDirectory(prefix="skills-engine-bench-") as folder, _data_dir(Path(folder)):
        started = time.perf_counter()
        report = pipeline.build_data(force=True)
        cold = time.perf_counter() - started
        started = time.perf_counter()
        pipeline.build_data()
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


def bench_recommend(n_queries: int = 500, random_state: int = 42) -> dict:
    """Fit seconds of the engine, and latency of ``recommend`` (k=10, over all occupations) for
    skill sets drawn from real held-out adverts."""
    import numpy as np

    from . import getters, modelling

    started = time.perf_counter()
    engine = modelling.build_engine()
    fit_seconds = time.perf_counter() - started
    advert_skills = getters.read_processed("advert_skills", columns=["advert_id", "skill_uri"])
    sets = advert_skills.groupby("advert_id")["skill_uri"].agg(list)
    rng = np.random.default_rng(random_state)
    chosen = [sets.iloc[i][:30] for i in rng.choice(len(sets), size=min(n_queries, len(sets)), replace=False)]
    modelling.recommendation_latency(engine, chosen[:20])  # warm caches before timing
    latency = modelling.recommendation_latency(engine, chosen)
    return {
        "fit_seconds": round(fit_seconds, 2),
        "queries": len(chosen),
        "occupations": len(engine.model_.occupation_uris),
        "p50_ms": round(float(np.percentile(latency, 50)), 3),
        "p99_ms": round(float(np.percentile(latency, 99)), 3),
        "peak_memory_mb": peak_memory_mb(),
    }


def bench_pipeline(params_file: Path | None = None) -> dict:
    """Seconds per notebook and in total for ``run --all-regions`` plus ``site``.

    Notebook 04 runs once per region; its line gives the total over regions and the mean.
    """
    from . import config, runner, site

    timings: dict[str, float] = {}
    counts: dict[str, int] = {}
    started_all = time.perf_counter()
    for plan in runner.plan_all_regions(params_file):
        for notebook in plan.notebooks:
            single = runner.RunPlan(plan.run_name, plan.parameters, (notebook,), plan.output_dir)
            started = time.perf_counter()
            runner.execute(single)
            timings[notebook.stem] = timings.get(notebook.stem, 0.0) + time.perf_counter() - started
            counts[notebook.stem] = counts.get(notebook.stem, 0) + 1
    started = time.perf_counter()
    site.build_site(config.PROJECT_ROOT)
    site_seconds = time.perf_counter() - started
    figures = {f"{stem}_seconds": round(seconds, 1) for stem, seconds in timings.items()}
    figures |= {f"{stem}_runs": n for stem, n in counts.items() if n > 1}
    figures |= {
        "site_seconds": round(site_seconds, 1),
        "total_seconds": round(time.perf_counter() - started_all, 1),
        "peak_memory_mb": peak_memory_mb(),
    }
    return figures
