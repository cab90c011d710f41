"""The cluster bootstrap behind every regional interval: resample employers, not adverts.

Adverts are not independent draws. An employer posting twenty adverts with the same "about us"
paragraph is one piece of evidence, not twenty, so the unit resampled is the *employer*: every
advert of a resampled employer comes along with it. An advert whose employer is unknown (every
Reed advert, most Adzuna ones) is its own cluster.

Weights are Poisson(1) per cluster (the "Poisson bootstrap"): each cluster enters a resample
``k ~ Poisson(1)`` times, independently, which vectorises as a (resamples x clusters) weight
matrix times the per-cluster counts. A sum of independent Poisson(1) weights over ``k``
single-advert clusters is Poisson(``k``), so the adverts without an employer are drawn in
aggregate, exactly, whatever their number: this keeps twelve regions' intervals to seconds.

``bootstrap="advert"`` treats every advert as its own cluster (the old advert bootstrap), for
comparison: with one employer per advert the two agree; with one employer behind many identical
adverts the employer bootstrap is wider, as it should be.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import sparse

#: Bootstrap resamples for intervals: 1,000 gives percentile bounds stable to about ±0.5
#: percentage points, and the aggregated Poisson draws below make it cheap.
N_BOOTSTRAP = 1_000
#: Two-sided coverage of every interval (95%).
INTERVAL = 0.95
#: What is resampled: ``"employer"`` (clusters of adverts; the default) or ``"advert"``.
BOOTSTRAP_UNITS = ("employer", "advert")
#: The source given to adverts of a table without a ``source`` column (one stratum).
ONE_SOURCE = "all"


def bounds(draws: np.ndarray, interval: float = INTERVAL) -> tuple[np.ndarray, np.ndarray]:
    """Percentile interval of ``draws`` along the first axis (resamples), ignoring undefined draws.

    >>> low, high = bounds(np.arange(101.0)[:, None])
    >>> round(float(low[0]), 6), round(float(high[0]), 6)
    (2.5, 97.5)
    """
    tail = (1 - interval) / 2 * 100
    if draws.shape[0] == 0 or draws.size == 0:
        return np.full(draws.shape[1:], np.nan), np.full(draws.shape[1:], np.nan)
    with np.errstate(all="ignore"):
        all_nan = np.isnan(draws).all(axis=0)
        filled = np.where(all_nan[None, ...], 0.0, draws)
        low, high = np.nanpercentile(filled, [tail, 100 - tail], axis=0)
    return np.where(all_nan, np.nan, low), np.where(all_nan, np.nan, high)


def employer_key(employers: pd.Series) -> pd.Series:
    """Employer names as cluster keys: case-folded, spaces collapsed, ``<NA>`` where unknown or blank.

    >>> employer_key(pd.Series(["Leeds  Teaching Hospitals ", "leeds teaching hospitals", "", None])).tolist()
    ['leeds teaching hospitals', 'leeds teaching hospitals', <NA>, <NA>]
    """
    keys = employers.astype("string").str.strip().str.replace(r"\s+", " ", regex=True).str.casefold()
    return keys.mask(keys == "")


def with_clusters(adverts: pd.DataFrame) -> pd.DataFrame:
    """``adverts`` with a ``source`` (``"all"`` when absent) and a normalised ``employer`` key
    (``<NA>`` when unknown: such an advert is its own cluster and no distinct employer)."""
    source = adverts["source"].astype("string") if "source" in adverts else ONE_SOURCE
    employer = (
        employer_key(adverts["employer"]) if "employer" in adverts else pd.Series(pd.NA, adverts.index, dtype="string")
    )
    return adverts.assign(source=source, employer=employer)


def side_draws(
    counts: pd.DataFrame,
    totals: pd.DataFrame,
    items: pd.Index,
    sources: list[str],
    item_col: str,
    n_bootstrap: int,
    rng: np.random.Generator,
    bootstrap: str = "employer",
) -> tuple[np.ndarray, np.ndarray]:
    """Resampled adverts asking for each item, and resampled adverts, by source, on one side.

    ``counts`` has ``item_col, source, employer, adverts`` (``employer`` ``<NA>`` for adverts
    without one, aggregated) and ``totals`` has ``source, employer, adverts``, for one side of
    the comparison (the region, or the rest of the UK). Returns two arrays of shape
    (resamples, sources, items): the weighted numerators and the weighted denominators.
    """
    if bootstrap not in BOOTSTRAP_UNITS:
        raise ValueError(f"bootstrap must be one of {BOOTSTRAP_UNITS}, not {bootstrap!r}")
    n_sources, n_items = len(sources), len(items)
    source_index = pd.Index(sources)
    counts = counts.loc[counts[item_col].isin(items) & counts["source"].isin(sources)]
    totals = totals.loc[totals["source"].isin(sources)]
    item_code = items.get_indexer(counts[item_col])
    count_source = source_index.get_indexer(counts["source"])
    total_source = source_index.get_indexer(totals["source"])
    if bootstrap == "advert":
        known_counts = np.zeros(len(counts), dtype=bool)
        known_totals = np.zeros(len(totals), dtype=bool)
    else:
        known_counts = counts["employer"].notna().to_numpy()
        known_totals = totals["employer"].notna().to_numpy()
    # adverts without a known employer (or every advert, for the advert bootstrap): aggregated
    singles = np.zeros((n_sources, n_items))
    np.add.at(
        singles, (count_source[~known_counts], item_code[~known_counts]), counts["adverts"].to_numpy()[~known_counts]
    )
    single_totals = np.bincount(
        total_source[~known_totals], weights=totals["adverts"].to_numpy()[~known_totals], minlength=n_sources
    )
    hits = rng.poisson(singles, size=(n_bootstrap, n_sources, n_items)).astype(float)
    misses = rng.poisson(np.clip(single_totals[:, None] - singles, 0, None), size=(n_bootstrap, n_sources, n_items))
    numerators, denominators = hits, hits + misses
    # named employers: one Poisson(1) weight each, shared by all its adverts and items
    employers = pd.Index(pd.unique(totals.loc[known_totals, "employer"]))
    if len(employers):
        weights = rng.poisson(1.0, size=(n_bootstrap, len(employers))).astype(float)
        row = employers.get_indexer(counts.loc[known_counts, "employer"])
        column = count_source[known_counts] * n_items + item_code[known_counts]
        by_employer = sparse.csr_matrix(
            (counts["adverts"].to_numpy()[known_counts].astype(float), (row, column)),
            shape=(len(employers), n_sources * n_items),
        )
        employer_totals = np.zeros((len(employers), n_sources))
        np.add.at(
            employer_totals,
            (employers.get_indexer(totals.loc[known_totals, "employer"]), total_source[known_totals]),
            totals["adverts"].to_numpy()[known_totals],
        )
        numerators = numerators + np.asarray(by_employer.T.dot(weights.T).T).reshape(n_bootstrap, n_sources, n_items)
        denominators = denominators + (weights @ employer_totals)[:, :, None]
    return numerators, denominators


def weighted_median(sorted_values: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Weighted median of ``sorted_values`` (ascending) under each row of ``weights``.

    The smallest value at which the cumulative weight reaches half the total; ``NaN`` for a row
    of zero weights (a resample that drew no adverts).

    >>> float(weighted_median(np.array([1.0, 2.0, 10.0]), np.array([1.0, 1.0, 1.0])))
    2.0
    >>> weighted_median(np.array([1.0, 2.0, 10.0]), np.array([[0.0, 0.0, 3.0], [0.0, 0.0, 0.0]])).tolist()
    [10.0, nan]
    """
    weights = np.atleast_2d(weights)
    cumulative = np.cumsum(weights, axis=1)
    total = cumulative[:, -1]
    index = np.minimum((cumulative < total[:, None] / 2).sum(axis=1), len(sorted_values) - 1)
    medians = np.where(total > 0, sorted_values[index], np.nan)
    return medians if medians.size > 1 or weights.shape[0] > 1 else medians[0]


def cluster_weights(
    employers: pd.Series, n_bootstrap: int, rng: np.random.Generator, bootstrap: str = "employer"
) -> np.ndarray:
    """Poisson(1) weights (resamples x adverts): adverts of one named employer share a weight,
    every other advert (or every advert, for ``bootstrap="advert"``) has its own."""
    if bootstrap not in BOOTSTRAP_UNITS:
        raise ValueError(f"bootstrap must be one of {BOOTSTRAP_UNITS}, not {bootstrap!r}")
    keys = employers.to_numpy(dtype=object)
    known = pd.notna(keys)
    codes = np.arange(len(keys))
    if bootstrap == "employer" and known.any():
        employer_codes, _ = pd.factorize(keys[known])
        codes = np.empty(len(keys), dtype=int)
        codes[known] = employer_codes
        codes[~known] = employer_codes.max() + 1 + np.arange((~known).sum())
    n_clusters = int(codes.max()) + 1 if len(codes) else 0
    return rng.poisson(1.0, size=(n_bootstrap, n_clusters)).astype(float)[:, codes]
