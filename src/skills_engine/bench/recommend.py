"""Benchmark of the engine: fit time and the latency of one recommendation."""

from __future__ import annotations

import time

import numpy as np

from skills_engine.bench.memory import peak_memory_mb


def recommendation_latency(engine, skill_sets: list[list[str]], repeats: int = 1) -> np.ndarray:
    """Milliseconds per ``recommend`` call over the given skill sets (for the benchmark)."""
    timings = []
    for _ in range(repeats):
        for skills in skill_sets:
            started = time.perf_counter()
            engine.recommend(skills, k=10)
            timings.append((time.perf_counter() - started) * 1000)
    return np.array(timings)


def bench_recommend(n_queries: int = 500, random_state: int = 42) -> dict:
    """Fit seconds of the engine, and latency of ``recommend`` (k=10, over all occupations) for
    skill sets drawn from real held-out adverts."""
    from skills_engine import getters
    from skills_engine.recommender import training

    started = time.perf_counter()
    engine = training.build_engine()
    fit_seconds = time.perf_counter() - started
    advert_skills = getters.read_processed("advert_skills", columns=["advert_id", "skill_uri"])
    sets = advert_skills.groupby("advert_id")["skill_uri"].agg(list)
    rng = np.random.default_rng(random_state)
    chosen = [sets.iloc[i][:30] for i in rng.choice(len(sets), size=min(n_queries, len(sets)), replace=False)]
    recommendation_latency(engine, chosen[:20])  # warm caches before timing
    latency = recommendation_latency(engine, chosen)
    return {
        "fit_seconds": round(fit_seconds, 2),
        "queries": len(chosen),
        "occupations": len(engine.model_.occupation_uris),
        "p50_ms": round(float(np.percentile(latency, 50)), 3),
        "p99_ms": round(float(np.percentile(latency, 99)), 3),
        "peak_memory_mb": peak_memory_mb(),
    }
