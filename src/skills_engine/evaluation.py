"""Evaluating occupation rankings: splits, ranks, metrics and bootstrap intervals."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from .config import RANDOM_STATE

#: Share of employers whose adverts are held out for testing.
TEST_SHARE = 0.25
#: Bootstrap resamples for metric intervals (percentile method, 95%).
N_BOOTSTRAP = 1_000


def employer_split(adverts: pd.DataFrame, test_share: float = TEST_SHARE, random_state: int = RANDOM_STATE) -> tuple[pd.Index, pd.Index]:
    """Split adverts by employer so that no employer's adverts sit on both sides.

    Adverts with no employer are grouped by their own id (each is its own group).

    >>> ads = pd.DataFrame({"advert_id": list("abcdef"), "employer": ["x", "x", "y", "y", None, "z"]})
    >>> train, test = employer_split(ads, test_share=0.5, random_state=0)
    >>> set(ads.loc[ads["advert_id"].isin(train), "employer"].dropna()) & set(ads.loc[ads["advert_id"].isin(test), "employer"].dropna())
    set()
    """
    from sklearn.model_selection import GroupShuffleSplit

    groups = adverts["employer"].fillna("advert:" + adverts["advert_id"].astype(str)).str.lower().str.strip()
    splitter = GroupShuffleSplit(n_splits=1, test_size=test_share, random_state=random_state)
    train_idx, test_idx = next(splitter.split(adverts, groups=groups))
    return pd.Index(adverts["advert_id"].iloc[train_idx]), pd.Index(adverts["advert_id"].iloc[test_idx])


def ranks_of_truth(scores: np.ndarray, truth: np.ndarray) -> np.ndarray:
    """1-based rank of the true column in each row of ``scores`` (ties count against the truth).

    >>> ranks_of_truth(np.array([[0.1, 0.9, 0.5], [0.7, 0.7, 0.1]]), np.array([2, 0])).tolist()
    [2, 2]
    """
    true_scores = scores[np.arange(len(truth)), truth]
    return (scores >= true_scores[:, None]).sum(axis=1)


def per_query_metrics(ranks: np.ndarray, ks: Sequence[int] = (1, 5, 10)) -> pd.DataFrame:
    """Hit at k, reciprocal rank and NDCG@10 (one relevant item) for each query.

    >>> per_query_metrics(np.array([1, 3, 20])).round(3).to_dict("list")["ndcg10"]
    [1.0, 0.5, 0.0]
    """
    ranks = np.asarray(ranks)
    metrics = {f"top{k}": (ranks <= k).astype(float) for k in ks}
    metrics["mrr"] = 1.0 / ranks
    metrics["ndcg10"] = np.where(ranks <= 10, 1.0 / np.log2(ranks + 1), 0.0)
    return pd.DataFrame(metrics)


def summarise(per_query: pd.DataFrame, n_bootstrap: int = N_BOOTSTRAP, random_state: int = RANDOM_STATE) -> pd.DataFrame:
    """Mean of each metric with a 95% percentile bootstrap interval over queries.

    Returns one row per metric: ``metric, value, low, high, n``.
    """
    values = per_query.to_numpy()
    rng = np.random.default_rng(random_state)
    n = len(values)
    if n == 0:
        return pd.DataFrame({"metric": per_query.columns, "value": np.nan, "low": np.nan, "high": np.nan, "n": 0})
    means = np.stack([values[rng.integers(0, n, n)].mean(axis=0) for _ in range(n_bootstrap)])
    low, high = np.percentile(means, [2.5, 97.5], axis=0)
    return pd.DataFrame({"metric": per_query.columns, "value": values.mean(axis=0), "low": low, "high": high, "n": n})


def hide_half_queries(occupation_skills: pd.DataFrame, min_essential: int = 4, random_state: int = RANDOM_STATE) -> pd.DataFrame:
    """ESCO-derived check: for each occupation with at least ``min_essential`` essential skills,
    keep a random half of them as the query (the other half is hidden).

    Returns ``occupation_uri`` and ``skills`` (list of kept skill URIs).
    """
    rng = np.random.default_rng(random_state)
    rows = []
    essential = occupation_skills.query("relation_type == 'essential'")
    for occupation, frame in essential.groupby("occupation_uri", sort=True):
        skills = frame["skill_uri"].to_numpy()
        if len(skills) < min_essential:
            continue
        kept = rng.choice(skills, size=len(skills) // 2, replace=False)
        rows.append({"occupation_uri": occupation, "skills": sorted(kept)})
    return pd.DataFrame(rows)
