"""Regional comparisons: a region against the rest of the UK, with honest uncertainty.

All functions are pure: tidy frames in, tidy frames out. Intervals are percentile bootstrap
intervals with a fixed ``random_state``; groups smaller than
:data:`skills_engine.config.MIN_PUBLISHED_COUNT` are suppressed and counted.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from skills_engine import disclosure
from skills_engine.config import MIN_PUBLISHED_COUNT, RANDOM_STATE, REGIONS

#: Bootstrap resamples for intervals: 1,000 gives percentile bounds stable to about ±0.5
#: percentage points, and the binomial resampling below makes it cheap.
N_BOOTSTRAP = 1_000
#: Two-sided coverage of every interval (95%).
INTERVAL = 0.95


def _alpha() -> tuple[float, float]:
    tail = (1 - INTERVAL) / 2 * 100
    return tail, 100 - tail


def item_region_counts(
    items: pd.DataFrame, adverts: pd.DataFrame, item_col: str, label_col: str | None = None
) -> tuple[pd.DataFrame, pd.Series]:
    """Adverts asking for each item in each region, and the number of adverts per region.

    Computed once for the whole country, then reused for every region's comparison.
    Adverts without a region are left out of both.
    """
    placed = adverts.dropna(subset=["region"])
    keys = [item_col] + ([label_col] if label_col else [])
    counts = (
        items[["advert_id", *keys]]
        .drop_duplicates(["advert_id", item_col])
        .merge(placed[["advert_id", "region"]], on="advert_id")
        .groupby(keys + ["region"])
        .size()
        .rename("adverts")
        .reset_index()
    )
    return counts, placed.groupby("region").size()


def share_comparison(
    items: pd.DataFrame,
    adverts: pd.DataFrame,
    region: str,
    item_col: str,
    label_col: str | None = None,
    min_count: int = MIN_PUBLISHED_COUNT,
    n_bootstrap: int = N_BOOTSTRAP,
    random_state: int = RANDOM_STATE,
) -> pd.DataFrame:
    """Share of adverts asking for each item in the region, in the rest of the UK and nationally,
    with the location quotient (region share / national share) and its bootstrap interval.

    Parameters
    ----------
    items
        One row per (advert, item): ``advert_id`` and ``item_col`` (e.g. skill or occupation).
    adverts
        ``advert_id`` and ``region`` for every advert in the comparison (the denominators).
    region
        The region compared with the rest of the UK.

    Examples
    --------
    >>> adverts = pd.DataFrame({"advert_id": range(40), "region": ["North East"] * 20 + ["London"] * 20})
    >>> items = pd.DataFrame({"advert_id": list(range(12)) + [20, 21], "skill": "nursing"})
    >>> row = share_comparison(items, adverts, "North East", "skill", n_bootstrap=200).iloc[0]
    >>> float(round(row["region_share"], 2)), float(round(row["national_share"], 3)), float(round(row["location_quotient"], 2))
    (0.6, 0.35, 1.71)
    """
    counts, totals = item_region_counts(items, adverts, item_col, label_col)
    return compare_from_counts(counts, totals, region, item_col, label_col, min_count, n_bootstrap, random_state)


def compare_from_counts(
    counts: pd.DataFrame,
    region_totals: pd.Series,
    region: str,
    item_col: str,
    label_col: str | None = None,
    min_count: int = MIN_PUBLISHED_COUNT,
    n_bootstrap: int = N_BOOTSTRAP,
    random_state: int = RANDOM_STATE,
) -> pd.DataFrame:
    """:func:`share_comparison` from precomputed :func:`item_region_counts` (cheap per region).

    Notes
    -----
    Resampling adverts with replacement makes an item's count binomial in the number of
    adverts, so the bootstrap draws counts directly (exact for each item's marginal and
    far cheaper than resampling rows).
    """
    n_region = int(region_totals.get(region, 0))
    n_national = int(region_totals.sum())
    n_rest = n_national - n_region
    keys = [item_col] + ([label_col] if label_col else [])
    table = (
        counts.assign(in_region=lambda d: np.where(d["region"] == region, d["adverts"], 0))
        .groupby(keys)
        .agg(region_adverts=("in_region", "sum"), national_adverts=("adverts", "sum"))
        .reset_index()
        .assign(
            rest_adverts=lambda d: d["national_adverts"] - d["region_adverts"],
            region_share=lambda d: d["region_adverts"] / max(n_region, 1),
            rest_share=lambda d: d["rest_adverts"] / max(n_rest, 1),
            national_share=lambda d: d["national_adverts"] / max(n_national, 1),
            location_quotient=lambda d: d["region_share"] / d["national_share"],
        )
    )
    rng = np.random.default_rng(random_state)
    region_draws = rng.binomial(
        n_region, np.clip(table["region_share"].to_numpy(), 0, 1), size=(n_bootstrap, len(table))
    ) / max(n_region, 1)
    rest_draws = rng.binomial(n_rest, np.clip(table["rest_share"].to_numpy(), 0, 1), size=(n_bootstrap, len(table)))
    national_draws = (region_draws * n_region + rest_draws) / max(n_national, 1)
    with np.errstate(divide="ignore", invalid="ignore"):
        lq_draws = region_draws / national_draws
    if len(table) and n_region:
        low, high = np.nanpercentile(lq_draws, _alpha(), axis=0)
    else:
        low = high = np.full(len(table), np.nan)
    suppressed_columns = ("region_adverts", "region_share", "location_quotient", "lq_low", "lq_high")
    return (
        table.assign(
            lq_low=low,
            lq_high=high,
            n_region=n_region,
            n_national=n_national,
            suppressed=disclosure.suppressed_mask(table["region_adverts"], min_count),
        )
        .assign(**{c: lambda d, c=c: d[c].mask(d["suppressed"]) for c in suppressed_columns})
        .sort_values("national_adverts", ascending=False, ignore_index=True)
    )


def over_under_represented(comparison: pd.DataFrame, n: int = 10) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Items whose whole interval lies above 1 (over-) or below 1 (under-represented), strongest first."""
    published = comparison.loc[~comparison["suppressed"]]
    over = published.query("lq_low > 1").sort_values("location_quotient", ascending=False).head(n)
    under = published.query("lq_high < 1").sort_values("location_quotient").head(n)
    return over.reset_index(drop=True), under.reset_index(drop=True)


def median_salary_comparison(
    adverts: pd.DataFrame,
    region: str,
    by: str,
    min_count: int = MIN_PUBLISHED_COUNT,
    n_bootstrap: int = N_BOOTSTRAP,
    random_state: int = RANDOM_STATE,
) -> pd.DataFrame:
    """Median advertised salary by group in the region and in the rest of the UK, with the
    bootstrap interval of the ratio (region / rest). Groups with fewer than ``min_count``
    priced adverts on either side are suppressed.
    """
    rng = np.random.default_rng(random_state)
    priced = adverts.dropna(subset=["salary_annual_gbp", "region", by])
    rows = []
    for group, frame in priced.groupby(by):
        inside = frame.loc[frame["region"] == region, "salary_annual_gbp"].to_numpy()
        outside = frame.loc[frame["region"] != region, "salary_annual_gbp"].to_numpy()
        row = {by: group, "region_adverts": len(inside), "rest_adverts": len(outside)}
        if disclosure.is_published(len(inside), min_count) and disclosure.is_published(len(outside), min_count):
            inside_medians = np.median(rng.choice(inside, size=(n_bootstrap, len(inside))), axis=1)
            outside_medians = np.median(rng.choice(outside, size=(n_bootstrap, len(outside))), axis=1)
            low, high = np.percentile(inside_medians / outside_medians, _alpha())
            row |= {
                "region_median": float(np.median(inside)),
                "rest_median": float(np.median(outside)),
                "ratio": float(np.median(inside) / np.median(outside)),
                "ratio_low": float(low),
                "ratio_high": float(high),
                "suppressed": False,
            }
        else:
            row |= {
                "region_median": np.nan,
                "rest_median": np.nan,
                "ratio": np.nan,
                "ratio_low": np.nan,
                "ratio_high": np.nan,
                "suppressed": True,
            }
        rows.append(row)
    columns = [
        by,
        "region_adverts",
        "rest_adverts",
        "region_median",
        "rest_median",
        "ratio",
        "ratio_low",
        "ratio_high",
        "suppressed",
    ]
    return pd.DataFrame(rows, columns=columns).sort_values("region_adverts", ascending=False, ignore_index=True)


def regions_table(adverts: pd.DataFrame) -> pd.DataFrame:
    """All twelve regions side by side: adverts, share, median salary (small counts suppressed)."""
    placed = adverts.dropna(subset=["region"])
    summary = (
        placed.groupby("region")
        .agg(
            adverts=("advert_id", "size"),
            priced=("salary_annual_gbp", "count"),
            median_salary=("salary_annual_gbp", "median"),
        )
        .reindex(list(REGIONS))
        .fillna({"adverts": 0, "priced": 0})
        .assign(share=lambda d: d["adverts"] / d["adverts"].sum())
        .reset_index()
    )
    small = disclosure.suppressed_mask(summary["priced"])
    return summary.assign(median_salary=summary["median_salary"].mask(small), suppressed=small)
