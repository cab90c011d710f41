"""Throughput and memory of skill extraction on real advert text.

``bench_extraction`` reads advert descriptions (the processed adverts table when it
exists, else Adzuna's ``FullDescription`` and NHS Jobs descriptions from the raw
sources), then times the lexical stage alone and the full extractor on the same texts.
The extraction cache is not used, so the figures are for first-time processing.
"""

from __future__ import annotations

import time

import pandas as pd

from skills_engine import config
from skills_engine.bench.memory import peak_memory_mb


def advert_texts(n_adverts: int = 2000) -> list[str]:
    """Up to ``n_adverts`` advert descriptions from the corpus (raw HTML kept)."""
    from skills_engine import getters

    if getters.processed_path("adverts").is_file():
        frame = getters.read_adverts(columns=["advert_id", "description"])
        texts = frame["description"].dropna().astype(str).loc[lambda s: s.str.len() > 0]
        return texts.sample(min(n_adverts, len(texts)), random_state=config.RANDOM_STATE).tolist()
    texts = getters.read_adzuna_raw()["FullDescription"].loc[lambda s: s.str.len() > 0].tolist()
    half = max(n_adverts - len(texts[: n_adverts // 2]), 0)
    texts = texts[: n_adverts // 2]
    for _, posting in getters.iter_nhs_postings(limit=half):
        if posting.get("description"):
            texts.append(str(posting["description"]))
    if len(texts) < n_adverts:
        extra = getters.read_adzuna_raw()["FullDescription"].tolist()[n_adverts // 2 :]
        texts += extra[: n_adverts - len(texts)]
    return texts[:n_adverts]


def bench_extraction(n_adverts: int = 2000, extractor=None) -> dict:
    """Adverts per second for the lexical stage and the full extractor, and peak memory.

    Parameters
    ----------
    n_adverts : int
        Adverts timed (the same texts for both stages).
    extractor : SkillExtractor, optional
        A fitted semantic extractor; by default one is fitted on the ESCO tables
        (fitting is not timed).

    Returns
    -------
    dict
        ``n_adverts``, ``adverts_per_second_lexical``, ``adverts_per_second_full``,
        ``skills_per_advert_lexical``, ``skills_per_advert_full``, ``peak_memory_mb``
        (resident set size of this process, MiB).
    """
    from skills_engine.extraction.extractor import SkillExtractor

    texts = advert_texts(n_adverts)
    full = extractor if extractor is not None else SkillExtractor().fit()
    lexical = SkillExtractor(**{**full.get_params(), "semantic": False})
    # Share the fitted lexical index; only the semantic switch differs.
    lexical.__dict__.update({k: v for k, v in full.__dict__.items() if k.endswith("_")})
    lexical.transform(texts[:10])
    full.transform(texts[:10])  # warm-up: load the encoder, fill caches

    start = time.perf_counter()
    found_lexical = lexical.transform(texts)
    lexical_seconds = time.perf_counter() - start
    start = time.perf_counter()
    found_full = full.transform(texts)
    full_seconds = time.perf_counter() - start
    n = len(texts)
    return {
        "n_adverts": n,
        "adverts_per_second_lexical": round(n / lexical_seconds, 1),
        "adverts_per_second_full": round(n / full_seconds, 1),
        "skills_per_advert_lexical": round(sum(map(len, found_lexical)) / max(n, 1), 2),
        "skills_per_advert_full": round(sum(map(len, found_full)) / max(n, 1), 2),
        "peak_memory_mb": peak_memory_mb(),
    }


def texts_frame(texts: list[str]) -> pd.DataFrame:
    """Texts as a minimal adverts frame (``advert_id``, ``description``) for ``transform_frame``."""
    return pd.DataFrame({"advert_id": [f"bench-{i}" for i in range(len(texts))], "description": texts})
