"""Regional comparisons: a region against the rest of the UK, with honest uncertainty.

All functions are pure: tidy frames in, tidy frames out. Three choices make the comparisons
robust to who posts the adverts and where they were collected:

* **Intervals resample employers, not adverts** (:mod:`skills_engine.regional.bootstrap`): a
  percentile cluster bootstrap with Poisson(1) weights per employer, drawn separately in the
  region and in the rest of the UK, with a fixed ``random_state``. An advert without a named
  employer is its own cluster.
* **Two publication rules** (:func:`skills_engine.disclosure.passes_rules`): a share, median or
  location quotient is published only when at least ``MIN_PUBLISHED_COUNT`` adverts *and* at
  least ``MIN_PUBLISHED_EMPLOYERS`` distinct named employers in the region stand behind it.
  Adverts without an employer count as adverts but never as employers (conservative). Intervals
  are computed only for what passes, which keeps twelve regions to seconds.
* **Direct standardisation for source mix.** Regions differ in where their adverts come from
  (NHS Jobs is 0% of Scotland's adverts and more than half of Wales's), so a raw share mostly
  measures how many NHS adverts landed in a region. Each share is therefore computed *within*
  each source and combined with the national source mix as weights: ``standardised share =
  sum over sources s of w_s * share within s``, where ``w_s`` is source s's share of the UK's
  adverts, restricted to the sources with at least ``MIN_PUBLISHED_COUNT`` adverts in the region
  (a source the region barely has cannot be compared). The national share is standardised with
  the *same* weights, and ``location_quotient = standardised region share / standardised
  national share``. We chose direct over indirect standardisation (observed / expected from the
  region's own mix) because it keeps the LQ a ratio of two shares readers can see, and puts
  every region on the same footing (the UK's mix), so regions can be compared with each other.
  If within every source the region's share equals the UK's, the LQ is 1 whatever the mix.
  The raw (unstandardised) shares and LQ are kept beside it for readers.

Pay ratios use the same three ideas: medians weighted to the occupation's national source mix
(over the sources priced on both sides), employers resampled, and both rules on both sides.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from skills_engine import disclosure
from skills_engine.config import MIN_PUBLISHED_COUNT, RANDOM_STATE
from skills_engine.disclosure import MIN_PUBLISHED_EMPLOYERS
from skills_engine.regional.bootstrap import INTERVAL, N_BOOTSTRAP, ONE_SOURCE, bounds, side_draws, with_clusters
from skills_engine.regional.pay import median_salary_comparison, regions_table

__all__ = [
    "INTERVAL",
    "N_BOOTSTRAP",
    "cluster_totals",
    "compare_from_counts",
    "item_region_counts",
    "median_salary_comparison",
    "over_under_represented",
    "regions_table",
    "share_comparison",
    "with_clusters",
]

CLUSTER_KEYS = ["region", "source", "employer"]


def cluster_totals(adverts: pd.DataFrame) -> pd.DataFrame:
    """Adverts by region, source and employer (``<NA>``: adverts without one, summed): the
    denominators of every share. Adverts without a region are left out."""
    placed = with_clusters(adverts.dropna(subset=["region"]))
    return placed.groupby(CLUSTER_KEYS, dropna=False, observed=True).size().rename("adverts").reset_index()


def item_region_counts(
    items: pd.DataFrame, adverts: pd.DataFrame, item_col: str, label_col: str | None = None
) -> tuple[pd.DataFrame, pd.Series]:
    """Adverts asking for each item by region, source and employer, and the adverts per region.

    Computed once for the whole country, then reused for every region's comparison. Adverts
    without a region are left out of both; adverts without an employer are summed in one row
    (``employer`` ``<NA>``) per item, region and source.
    """
    placed = with_clusters(adverts.dropna(subset=["region"]))
    keys = [item_col] + ([label_col] if label_col else [])
    counts = (
        items[["advert_id", *keys]]
        .drop_duplicates(["advert_id", item_col])
        .merge(placed[["advert_id", *CLUSTER_KEYS]], on="advert_id")
        .groupby(keys + CLUSTER_KEYS, dropna=False, observed=True)
        .size()
        .rename("adverts")
        .reset_index()
    )
    return counts, placed.groupby("region").size()


def _totals_frame(totals: pd.DataFrame | pd.Series) -> pd.DataFrame:
    if isinstance(totals, pd.Series):  # adverts by region only: one source, no named employers
        frame = totals.rename("adverts").rename_axis("region").reset_index()
        return frame.assign(source=ONE_SOURCE, employer=pd.Series(pd.NA, frame.index, dtype="string"))
    return totals


def _counts_frame(counts: pd.DataFrame) -> pd.DataFrame:
    missing = {"source": ONE_SOURCE, "employer": pd.NA}
    return counts.assign(**{c: v for c, v in missing.items() if c not in counts})


def _source_weights(region_by_source: pd.Series, national_by_source: pd.Series, min_count: int) -> pd.Series:
    """The UK's source mix over the sources with at least ``min_count`` adverts in the region."""
    kept = region_by_source.index[region_by_source >= min_count]
    national = national_by_source.reindex(kept).fillna(0)
    return national / national.sum() if national.sum() else national


def _standardised(numerators: np.ndarray, denominators: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """``sum_s w_s * numerator_s / denominator_s`` over the source axis (second to last)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        shares = numerators / denominators
    return (
        np.sum(weights[:, None] * shares, axis=-2)
        if len(weights)
        else np.full(shares.shape[:-2] + shares.shape[-1:], np.nan)
    )


def compare_from_counts(
    counts: pd.DataFrame,
    region_totals: pd.DataFrame | pd.Series,
    region: str,
    item_col: str,
    label_col: str | None = None,
    min_count: int = MIN_PUBLISHED_COUNT,
    n_bootstrap: int = N_BOOTSTRAP,
    random_state: int = RANDOM_STATE,
    *,
    min_employers: int = MIN_PUBLISHED_EMPLOYERS,
    bootstrap: str = "employer",
    standardise: bool = True,
) -> pd.DataFrame:
    """:func:`share_comparison` from precomputed :func:`item_region_counts` (cheap per region).

    ``region_totals`` is :func:`cluster_totals` (or, for one source and no employers, adverts
    by region). One row per item: raw adverts, named employers and shares in the region, the
    rest of the UK and nationally; the source-standardised shares; ``location_quotient``
    (standardised) with its cluster-bootstrap interval ``lq_low``-``lq_high``;
    ``lq_unstandardised``; ``suppressed`` where either publication rule fails, and
    ``few_employers`` where only the employers rule does.
    """
    counts, totals = _counts_frame(counts), _totals_frame(region_totals)
    if not standardise:
        counts, totals = counts.assign(source=ONE_SOURCE), totals.assign(source=ONE_SOURCE)
    keys = [item_col] + ([label_col] if label_col else [])
    in_region = (counts["region"] == region).to_numpy()
    by_source = totals.groupby(["source", totals["region"] == region])["adverts"].sum().unstack(fill_value=0)
    region_by_source = by_source.get(True, pd.Series(0, by_source.index))
    national_by_source = by_source.sum(axis=1)
    n_region, n_national = int(region_by_source.sum()), int(national_by_source.sum())
    n_rest = n_national - n_region
    weights = _source_weights(region_by_source, national_by_source, min_count)
    sources = list(weights.index)

    table = (
        counts.assign(in_region=np.where(in_region, counts["adverts"], 0))
        .groupby(keys, dropna=False)
        .agg(region_adverts=("in_region", "sum"), national_adverts=("adverts", "sum"))
        .reset_index()
    )
    named = counts.loc[in_region & counts["employer"].notna().to_numpy()]
    table["region_employers"] = table[item_col].map(named.groupby(item_col)["employer"].nunique()).fillna(0).astype(int)
    per_source = (
        counts.assign(side=np.where(in_region, "region", "national"))
        .pivot_table(index=item_col, columns=["side", "source"], values="adverts", aggfunc="sum", fill_value=0)
        .reindex(columns=pd.MultiIndex.from_product([["region", "national"], sources]), fill_value=0)
    )
    region_counts = per_source["region"].to_numpy(float).T[None]  # (1, sources, items)
    national_counts = region_counts[0] + per_source["national"].to_numpy(float).T
    region_std = _standardised(
        region_counts, region_by_source.reindex(sources).to_numpy(float)[None, :, None], weights.to_numpy()
    )[0]
    national_std = _standardised(
        national_counts[None], national_by_source.reindex(sources).to_numpy(float)[None, :, None], weights.to_numpy()
    )[0]
    standardised = pd.DataFrame(
        {"region_share_std": region_std, "national_share_std": national_std}, index=per_source.index
    )
    table = table.join(standardised, on=item_col).assign(
        rest_adverts=lambda d: d["national_adverts"] - d["region_adverts"],
        region_share=lambda d: d["region_adverts"] / max(n_region, 1),
        rest_share=lambda d: d["rest_adverts"] / max(n_rest, 1),
        national_share=lambda d: d["national_adverts"] / max(n_national, 1),
        lq_unstandardised=lambda d: d["region_share"] / d["national_share"],
        location_quotient=lambda d: d["region_share_std"] / d["national_share_std"],
    )
    passes = disclosure.rules_mask(table["region_adverts"], table["region_employers"], min_count, min_employers)
    passes &= np.isfinite(table["location_quotient"].to_numpy())
    low = np.full(len(table), np.nan)
    high = np.full(len(table), np.nan)
    if passes.any() and n_bootstrap > 0:
        items = pd.Index(table.loc[passes, item_col]).unique()
        rng = np.random.default_rng(random_state)
        chosen = counts[item_col].isin(items).to_numpy()
        draws = []
        totals_in_region = (totals["region"] == region).to_numpy()
        for inside in (True, False):  # the region, then the rest of the UK, resampled separately
            side = in_region if inside else ~in_region
            side_counts = (
                counts.loc[side & chosen]
                .groupby([item_col, "source", "employer"], dropna=False)["adverts"]
                .sum()
                .reset_index()
            )
            side_mask = totals_in_region if inside else ~totals_in_region
            side_totals = (
                totals.loc[side_mask].groupby(["source", "employer"], dropna=False)["adverts"].sum().reset_index()
            )
            draws.append(side_draws(side_counts, side_totals, items, sources, item_col, n_bootstrap, rng, bootstrap))
        (region_num, region_den), (rest_num, rest_den) = draws
        w = weights.to_numpy()
        lq_draws = _standardised(region_num, region_den, w) / _standardised(
            region_num + rest_num, region_den + rest_den, w
        )
        item_low, item_high = bounds(lq_draws)
        where = items.get_indexer(table.loc[passes, item_col])
        low[passes.to_numpy()], high[passes.to_numpy()] = item_low[where], item_high[where]
    rule_columns = ("region_share", "region_share_std", "lq_unstandardised", "location_quotient", "lq_low", "lq_high")
    few_adverts = disclosure.suppressed_mask(table["region_adverts"], min_count)
    return (
        table.assign(
            lq_low=low,
            lq_high=high,
            n_region=n_region,
            n_national=n_national,
            standardised_over=", ".join(sources),
            suppressed=~passes,
            few_employers=~passes & ~few_adverts,
        )
        .assign(**{c: lambda d, c=c: d[c].mask(d["suppressed"]) for c in rule_columns})
        .assign(region_adverts=lambda d: d["region_adverts"].mask(few_adverts))
        .sort_values("national_adverts", ascending=False, ignore_index=True)
    )


def share_comparison(
    items: pd.DataFrame,
    adverts: pd.DataFrame,
    region: str,
    item_col: str,
    label_col: str | None = None,
    min_count: int = MIN_PUBLISHED_COUNT,
    n_bootstrap: int = N_BOOTSTRAP,
    random_state: int = RANDOM_STATE,
    **options,
) -> pd.DataFrame:
    """Share of adverts asking for each item in the region, in the rest of the UK and nationally,
    with the source-standardised location quotient (region share / national share) and its
    employer-bootstrap interval (see the module docstring; ``options`` go to
    :func:`compare_from_counts`).

    Parameters
    ----------
    items
        One row per (advert, item): ``advert_id`` and ``item_col`` (e.g. skill or occupation).
    adverts
        ``advert_id`` and ``region`` for every advert in the comparison (the denominators), with
        ``source`` and ``employer`` where known.
    region
        The region compared with the rest of the UK.

    Examples
    --------
    >>> adverts = pd.DataFrame({"advert_id": range(40), "region": ["North East"] * 20 + ["London"] * 20,
    ...                         "employer": [f"employer {i % 8}" for i in range(40)]})
    >>> items = pd.DataFrame({"advert_id": list(range(12)) + [20, 21], "skill": "nursing"})
    >>> row = share_comparison(items, adverts, "North East", "skill", n_bootstrap=200).iloc[0]
    >>> float(round(row["region_share"], 2)), float(round(row["national_share"], 3)), float(round(row["location_quotient"], 2))
    (0.6, 0.35, 1.71)
    >>> int(row["region_employers"]), bool(row["suppressed"])
    (8, False)
    """
    counts, _ = item_region_counts(items, adverts, item_col, label_col)
    return compare_from_counts(
        counts, cluster_totals(adverts), region, item_col, label_col, min_count, n_bootstrap, random_state, **options
    )


def over_under_represented(comparison: pd.DataFrame, n: int = 10) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Items passing both rules whose whole interval lies above 1 (over-) or below 1
    (under-represented), strongest first."""
    published = comparison.loc[~comparison["suppressed"]]
    over = published.query("lq_low > 1").sort_values("location_quotient", ascending=False).head(n)
    under = published.query("lq_high < 1").sort_values("location_quotient").head(n)
    return over.reset_index(drop=True), under.reset_index(drop=True)
