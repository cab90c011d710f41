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


#: Words put before an everyday phrase to make phrases no earlier request has sent (so nothing is
#: answered from the resolver's memory of resolved phrases).
PHRASE_MODIFIERS = ("basic", "advanced", "experienced in", "good", "some", "strong", "daily", "hands-on")
#: Never-seen everyday phrases per timed request: what a person types in a first visit.
NEW_PHRASES_PER_REQUEST = 3


def new_phrase_requests(n: int, random_state: int = 42) -> list[list[str]]:
    """``n`` requests of :data:`NEW_PHRASES_PER_REQUEST` everyday phrases, none repeated across requests.

    >>> requests = new_phrase_requests(4)
    >>> len(requests), len({p for r in requests for p in r})
    (4, 12)
    """
    from skills_engine.bench.api_load import EVERYDAY_PHRASES

    phrases = [f"{modifier} {phrase}" for modifier in PHRASE_MODIFIERS for phrase in EVERYDAY_PHRASES]
    phrases = [phrases[i] for i in np.random.default_rng(random_state).permutation(len(phrases))]
    if n * NEW_PHRASES_PER_REQUEST > len(phrases):
        raise ValueError(f"at most {len(phrases) // NEW_PHRASES_PER_REQUEST} requests of new phrases, asked {n}")
    return [
        phrases[i : i + NEW_PHRASES_PER_REQUEST] for i in range(0, n * NEW_PHRASES_PER_REQUEST, NEW_PHRASES_PER_REQUEST)
    ]


def bench_recommend(n_queries: int = 500, random_state: int = 42) -> dict:
    """Fit seconds of the engine, and latency of ``recommend`` (k=10, over all occupations) for
    skill sets drawn from real held-out adverts; then, with the sentence model loaded, of requests
    of never-seen everyday phrases (one batched encode and one matrix product each)."""
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
    semantic = engine.resolver_.warm()
    new_phrases = new_phrase_requests(30, random_state) if semantic["loaded"] else []
    recommendation_latency(engine, new_phrases[:2])  # the first encodes pay torch's one-off set-up
    new_latency = recommendation_latency(engine, new_phrases[2:])
    return {
        "fit_seconds": round(fit_seconds, 2),
        "queries": len(chosen),
        "occupations": len(engine.model_.occupation_uris),
        "p50_ms": round(float(np.percentile(latency, 50)), 3),
        "p99_ms": round(float(np.percentile(latency, 99)), 3),
        "new_phrase_requests": len(new_latency),
        "new_phrase_p50_ms": round(float(np.percentile(new_latency, 50)), 1) if len(new_latency) else None,
        "new_phrase_p99_ms": round(float(np.percentile(new_latency, 99)), 1) if len(new_latency) else None,
        "peak_memory_mb": peak_memory_mb(),
    }
