"""The corpus run of the skill extractor, cached by text hash.

Extracting skills from 17k adverts takes minutes; a re-run must only process adverts whose
text it has not seen with the same settings. Results are kept in one parquet file per
(extraction version, settings, taxonomy) under ``data/interim/``, written atomically.
"""

from __future__ import annotations

import hashlib
import logging
from pathlib import Path

import numpy as np
import pandas as pd

from skills_engine import getters
from skills_engine.data.text import clean_text

log = logging.getLogger(__name__)

#: Columns of the corpus table `advert_skills` (one row per advert and skill found).
FRAME_COLUMNS = ["advert_id", "skill_uri", "skill_label", "score", "span_start", "span_end", "method"]

#: Version of the extraction logic, part of the cache key: bump it when results change.
CACHE_VERSION = "7"  # bump whenever matching rules change: cached results are then recomputed


def text_hash(text: str) -> str:
    """Stable short hash of a text, the key of the extraction cache.

    >>> text_hash("Python")
    '18885f27b5af9012'
    """
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:16]


def cache_path(extractor) -> Path:
    """The cache file of a fitted extractor: one per version, settings, encoder and taxonomy.

    The corpus path's static encoder always distils the shipped MiniLM, so the encoder in use
    enters the key only when ``transform_encoder`` embeds sentences with it; the reranker's
    settings never do.
    """
    # The reranker reorders ``rank``'s candidates only; ``transform`` never reads it.
    params = {name: value for name, value in extractor.get_params().items() if name not in ("encoder", "rerank")}
    if params.get("transform_encoder") != "static":
        from skills_engine.extraction import semantic

        params["encoder"] = semantic.MODEL_NAME if extractor._base else semantic.active_encoder()[1]
    key = hashlib.sha256(
        repr(
            (
                CACHE_VERSION,
                params,
                len(extractor.taxonomy_),
                text_hash("\n".join(extractor.uris_[:50].tolist() + extractor.uris_[-50:].tolist())),
            )
        ).encode()
    ).hexdigest()[:12]
    return extractor._cache_dir() / f"advert-skills-{key}.parquet"


def transform_frame(
    extractor,
    adverts: pd.DataFrame,
    text_col: str = "description",
    id_col: str = "advert_id",
    batch_size: int = 500,
    use_cache: bool = True,
    clean: bool = True,
) -> pd.DataFrame:
    """One row per (advert, skill found), cached by text hash.

    Returns columns ``advert_id, skill_uri, skill_label, score, span_start, span_end,
    method`` (``"lexical"`` or ``"semantic"``); spans index the cleaned text. With
    ``clean=False`` the texts are taken as already cleaned (boilerplate-stripped corpus texts,
    :func:`~skills_engine.extraction.advert_skills.corpus_texts`) and spans index them as given.
    The key is the hash of the text extracted from, so a stripped text and its unstripped
    original never share cache rows. Adverts
    whose text was extracted before (same hash, same settings) are read from the cache
    in ``cache_dir``; only new texts are processed, and the cache is rewritten atomically.
    An advert whose extraction fails is logged and left out (and retried on the next
    run) rather than stopping the run.
    """
    frame = adverts[[id_col, text_col]].rename(columns={id_col: "advert_id", text_col: "text"})
    cleaned = frame["text"].map(clean_text) if clean else frame["text"].fillna("").astype(str)
    frame = frame.assign(text=cleaned, text_hash=cleaned.map(text_hash))
    path = cache_path(extractor)
    cache = pd.DataFrame(columns=["text_hash", *FRAME_COLUMNS[1:]])
    if use_cache and path.is_file():
        cache = pd.read_parquet(path)
    done_hashes = set(cache["text_hash"])
    new = frame.drop_duplicates("text_hash").loc[lambda d: ~d["text_hash"].isin(done_hashes)]
    pieces = [cache]
    for start in range(0, len(new), batch_size):
        batch = new.iloc[start : start + batch_size]
        try:
            results = extractor._transform_clean(batch["text"].tolist())
        except Exception:  # noqa: BLE001 - one bad advert must not stop a corpus run
            log.exception("skill extraction failed on a batch; retrying its adverts one by one")
            keep, results = [], []
            for position, text in enumerate(batch["text"]):
                try:
                    results.append(extractor._transform_clean([text])[0])
                    keep.append(position)
                except Exception:  # noqa: BLE001
                    log.exception("skill extraction failed for advert %s", batch["advert_id"].iloc[position])
            batch = batch.iloc[keep]
        rows = [
            (
                h,
                str(extractor.uris_[r["skill"]]),
                str(extractor.labels_[r["skill"]]),
                r["score"],
                r["start"],
                r["end"],
                r["method"],
            )
            for h, found in zip(batch["text_hash"], results)
            for r in found
        ]
        # Texts with no skill still get a marker row so they are not redone.
        empty = [(h, None, None, np.nan, -1, -1, "none") for h, found in zip(batch["text_hash"], results) if not found]
        pieces.append(pd.DataFrame(rows + empty, columns=["text_hash", *FRAME_COLUMNS[1:]]))
    nonempty = [p for p in pieces if len(p)]
    cache = pd.concat(nonempty, ignore_index=True) if nonempty else cache
    if use_cache and len(pieces) > 1:
        getters.atomic_write_parquet(cache, path)
    return (
        frame[["advert_id", "text_hash"]]
        .merge(cache, on="text_hash", how="inner")
        .query("method != 'none'")
        .drop(columns="text_hash")
        .astype({"span_start": "int64", "span_end": "int64", "score": "float64"})[FRAME_COLUMNS]
        .reset_index(drop=True)
    )
