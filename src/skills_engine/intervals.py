"""Intervals for every evaluation: a bootstrap that resamples clusters of queries, and the
paired interval of one method's lead over another.

Held-out adverts cluster by employer: one employer's twenty adverts, written to one house style,
are not twenty independent observations. Every interval here resamples *clusters* with
replacement, every query of a drawn cluster coming along: the recommender's evaluation passes
each advert's employer group; the skill-extraction benchmark, whose sentences carry no advert or
employer, resamples sentences. A lead is measured as the difference of two methods on the same
resampled clusters (paired), so its interval is that of the difference, not two separate
intervals.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from skills_engine.config import RANDOM_STATE

#: Bootstrap resamples for metric intervals (percentile method, 95%): 1,000 gives percentile
#: bounds stable to a few tenths of a point on a few thousand held-out adverts.
N_BOOTSTRAP = 1_000
#: What a missing or withheld value reads as (an en dash), wherever a reader sees it: the reader
#: tables (:mod:`skills_engine.publish.tables`), the lead tables and the recommender's answer.
MISSING = "–"
#: What a lead without a figure or an interval reads as: a missing value, as every reader table prints it.
NO_LEAD = MISSING
#: The minus sign (U+2212) of every negative figure a reader sees: lead tables and reader tables alike.
MINUS = "\u2212"


def cluster_weights(
    clusters: Sequence | None, n: int, n_bootstrap: int = N_BOOTSTRAP, random_state: int = RANDOM_STATE
) -> tuple[np.ndarray, np.ndarray]:
    """Bootstrap weights that resample clusters of queries, not queries.

    Each resample draws as many clusters as there are, with replacement; every query of a drawn
    cluster comes along. ``clusters`` gives each of the ``n`` queries its cluster (its employer
    group, :func:`.evaluation.employer_groups`); None makes each query its own cluster.

    Returns ``codes`` (each query's cluster, 0..C-1) and ``weights`` (resamples x C: how often
    each cluster was drawn). The same weights serve every method, so differences are paired.

    >>> codes, weights = cluster_weights(["a", "a", "b"], 3, n_bootstrap=4, random_state=0)
    >>> codes.tolist(), weights.shape, weights.sum(axis=1).tolist()
    ([0, 0, 1], (4, 2), [2.0, 2.0, 2.0, 2.0])
    """
    codes = np.arange(n) if clusters is None else pd.factorize(pd.Series(list(clusters)), use_na_sentinel=False)[0]
    if len(codes) != n:
        raise ValueError(f"clusters has {len(codes)} entries for {n} queries")
    n_clusters = int(codes.max()) + 1 if n else 0
    rng = np.random.default_rng(random_state)
    draws = rng.integers(0, max(n_clusters, 1), size=(n_bootstrap, n_clusters))
    weights = np.zeros((n_bootstrap, n_clusters))
    np.add.at(weights, (np.repeat(np.arange(n_bootstrap), n_clusters), draws.ravel()), 1.0)
    return codes, weights


def _drawn(
    resampling: tuple[np.ndarray, np.ndarray] | None,
    clusters: Sequence | None,
    n: int,
    n_bootstrap: int,
    random_state: int,
) -> tuple[np.ndarray, np.ndarray]:
    """The weights drawn beforehand (refused when drawn for another number of queries), else a new draw."""
    if resampling is None:
        return cluster_weights(clusters, n, n_bootstrap, random_state)
    codes, weights = resampling
    if len(codes) != n:
        raise ValueError(f"the resampling was drawn for {len(codes)} queries, not {n}")
    return codes, weights


def _resampled_means(values: np.ndarray, codes: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Each resample's mean of ``values`` (queries x metrics) under cluster ``weights``."""
    n_clusters = weights.shape[1]
    sums = np.zeros((n_clusters, values.shape[1]))
    np.add.at(sums, codes, values)
    sizes = np.bincount(codes, minlength=n_clusters).astype(float)
    with np.errstate(invalid="ignore", divide="ignore"):  # a resample of empty clusters only: undefined
        return (weights @ sums) / (weights @ sizes)[:, None]


def summarise(
    per_query: pd.DataFrame,
    n_bootstrap: int = N_BOOTSTRAP,
    random_state: int = RANDOM_STATE,
    clusters: Sequence | None = None,
    resampling: tuple[np.ndarray, np.ndarray] | None = None,
) -> pd.DataFrame:
    """Mean of each metric with a 95% percentile bootstrap interval.

    The bootstrap resamples ``clusters`` (:func:`cluster_weights`): pass each query's employer
    group, because one employer's twenty adverts are not twenty independent observations.
    Without them each query is resampled on its own. ``resampling`` passes weights already
    drawn by :func:`cluster_weights` instead (then ``clusters``, ``n_bootstrap`` and
    ``random_state`` are not used), so every method of one query set shares one draw.

    Returns one row per metric: ``metric, value, low, high, n``.
    """
    values = per_query.to_numpy(dtype=float)
    n = len(values)
    if n == 0:
        return pd.DataFrame({"metric": per_query.columns, "value": np.nan, "low": np.nan, "high": np.nan, "n": 0})
    codes, weights = _drawn(resampling, clusters, n, n_bootstrap, random_state)
    low, high = np.nanpercentile(_resampled_means(values, codes, weights), [2.5, 97.5], axis=0)
    return pd.DataFrame({"metric": per_query.columns, "value": values.mean(axis=0), "low": low, "high": high, "n": n})


def paired_gaps(
    metrics_by_method: Mapping[str, pd.DataFrame],
    reference: str,
    n_bootstrap: int = N_BOOTSTRAP,
    random_state: int = RANDOM_STATE,
    clusters: Sequence | None = None,
    resampling: tuple[np.ndarray, np.ndarray] | None = None,
) -> pd.DataFrame:
    """``reference``'s lead over every other method, per metric, with a paired 95% interval.

    Every method's per-query metrics (same queries, same order) are resampled with the same
    cluster weights (:func:`cluster_weights`, or ``resampling`` as in :func:`summarise`), so the
    interval is that of the *difference*: it is narrower than two separate intervals suggest
    when the methods succeed on the same queries.

    Returns one row per (method, metric): ``method, metric, value, low, high, n`` (``value`` is
    reference minus method; positive when the reference leads).

    >>> a = pd.DataFrame({"top1": [1.0, 1.0, 0.0, 1.0]})
    >>> b = pd.DataFrame({"top1": [1.0, 0.0, 0.0, 1.0]})
    >>> paired_gaps({"a": a, "b": b}, "a", n_bootstrap=200)[["method", "value"]].values.tolist()
    [['b', 0.25]]
    """
    reference_values = metrics_by_method[reference].to_numpy(dtype=float)
    n = len(reference_values)
    columns = ["method", "metric", "value", "low", "high", "n"]
    others = [name for name in metrics_by_method if name != reference]
    if n == 0 or not others:
        return pd.DataFrame(columns=columns)
    codes, weights = _drawn(resampling, clusters, n, n_bootstrap, random_state)
    rows = []
    for name in others:
        frame = metrics_by_method[name]
        if len(frame) != n or list(frame.columns) != list(metrics_by_method[reference].columns):
            raise ValueError(f"{name!r} was scored on other queries or metrics than {reference!r}")
        differences = reference_values - frame.to_numpy(dtype=float)
        low, high = np.nanpercentile(_resampled_means(differences, codes, weights), [2.5, 97.5], axis=0)
        rows.append(
            pd.DataFrame(
                {
                    "method": name,
                    "metric": frame.columns,
                    "value": differences.mean(axis=0),
                    "low": low,
                    "high": high,
                    "n": n,
                }
            )
        )
    return pd.concat(rows, ignore_index=True)[columns]


def shows_as_zero(value: float, spec: str = ".1f") -> bool:
    """Whether a figure, written with ``spec``, shows no digit but zeros: the one rule for a
    figure that "rounds to zero", so has no sign (:func:`format_figure`) and no direction.

    >>> shows_as_zero(-0.0004, ".1%"), shows_as_zero(0.0006, ".1%"), shows_as_zero(0.4, ".0f")
    (True, False, True)
    """
    return not any(digit in f"{abs(float(value)):{spec}}" for digit in "123456789")


def format_figure(value: float, spec: str = ".1f", signed: bool = False, prefix: str = "") -> str:
    """One figure as a reader sees it: a true minus when negative, no sign when it rounds to zero.

    Parameters
    ----------
    value : float
        The figure (missing values are the caller's: :func:`format_signed` reads them as a dash).
    spec : str
        Its format specification without the sign (``",.0f"``, ``".1%"``).
    signed : bool
        Mark a positive figure with "+" (changes and leads); a negative one always has its minus.
    prefix : str
        A unit written before the digits and after the sign: ``"£"`` gives ``−£5``, never ``£-5``.

    Returns
    -------
    str
        ``−£1,200``, ``+3.1%`` or ``0.0``.

    >>> format_figure(-1200, ",.0f", prefix="£"), format_figure(0.031, ".1%", signed=True), format_figure(-0.04)
    ('−£1,200', '+3.1%', '0.0')
    """
    digits = f"{abs(float(value)):{spec}}"
    if shows_as_zero(value, spec):
        return prefix + digits  # a figure shown as zero has no direction: "-0.0" would read as a loss
    sign = MINUS if value < 0 else ("+" if signed else "")
    return sign + prefix + digits


def format_signed(value: float | None, spec: str = ".1f") -> str:
    """One signed figure as a reader sees it, in tables and prose alike: "+" or a true minus.

    Parameters
    ----------
    value : float or None
        The figure; missing (``None`` or NaN) reads :data:`NO_LEAD`.
    spec : str
        Its format specification without the sign (``".1f"``, ``".1%"``).

    Returns
    -------
    str
        ``+1.5%`` or ``−27.9%``; a figure that rounds to nothing reads ``0.0``, unsigned.

    >>> format_signed(-0.279, ".1%"), format_signed(0.015, ".1%"), format_signed(-0.0004, ".1f")
    ('−27.9%', '+1.5%', '0.0')
    >>> format_signed(None), format_signed(float("nan"), ".0%")
    ('–', '–')
    """
    if value is None or np.isnan(float(value)):
        return NO_LEAD
    return format_figure(value, spec, signed=True)


def format_lead(value: float | None, low: float | None, high: float | None, decimals: int, scale: float = 1.0) -> str:
    """A lead and its paired interval as one signed string, the rendering of every lead table.

    Parameters
    ----------
    value, low, high : float or None
        The lead and its 95% interval; any of them missing (``None`` or NaN) reads :data:`NO_LEAD`.
    decimals : int
        Decimals shown, after scaling.
    scale : float
        Multiplier applied first (100 turns a share into points).

    Returns
    -------
    str
        ``+2.45 [+0.30, +4.62]``; each figure signed by :func:`format_signed`.

    >>> format_lead(0.031, 0.01, 0.05, 1, scale=100), format_lead(-4.123, -5.2, -3.05, 2)
    ('+3.1 [+1.0, +5.0]', '−4.12 [−5.20, −3.05]')
    >>> format_lead(0.5, None, 1.0, 2), format_lead(float("nan"), 0.0, 1.0, 2), format_lead(-0.0004, -0.01, 0.01, 1, 100)
    ('–', '–', '0.0 [−1.0, +1.0]')
    """
    figures = (value, low, high)
    if any(figure is None or np.isnan(float(figure)) for figure in figures):
        return NO_LEAD
    shown, shown_low, shown_high = (format_signed(float(figure) * scale, f".{decimals}f") for figure in figures)
    return f"{shown} [{shown_low}, {shown_high}]"
