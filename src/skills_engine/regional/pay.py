"""Pay in a region against the rest of the UK, and the twelve regions side by side.

Medians follow the rules of :mod:`skills_engine.regional.comparison`: both publication rules
(adverts and distinct named employers) on each side, intervals from the employer bootstrap, and
source-mix standardisation by reweighting: each side's adverts are weighted so that every
source counts with its share of the occupation's priced adverts in the UK, over the sources
priced on both sides (``weight = w_s / adverts of source s on that side``). The ratio compares
these standardised medians; raw medians are kept beside them for readers.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from skills_engine import disclosure
from skills_engine.config import MIN_PUBLISHED_COUNT, RANDOM_STATE, REGIONS
from skills_engine.disclosure import MIN_PUBLISHED_EMPLOYERS
from skills_engine.regional.bootstrap import N_BOOTSTRAP, bounds, cluster_weights, weighted_median, with_clusters

PAY_COLUMNS = [
    "region_adverts",
    "region_employers",
    "rest_adverts",
    "rest_employers",
    "region_median",
    "rest_median",
    "region_median_std",
    "rest_median_std",
    "ratio",
    "ratio_unstandardised",
    "ratio_low",
    "ratio_high",
    "suppressed",
    "few_employers",
]


def _source_weights(inside: pd.DataFrame, outside: pd.DataFrame, frame: pd.DataFrame, standardise: bool):
    """Per-advert weights reweighting each side to the group's national source mix."""
    if not standardise:
        return np.ones(len(inside)), np.ones(len(outside))
    common = sorted(set(inside["source"]) & set(outside["source"]))
    national = frame.loc[frame["source"].isin(common)].groupby("source").size()
    mix = national / national.sum()

    def weights(side: pd.DataFrame) -> np.ndarray:
        return side["source"].map(mix / side.groupby("source").size()).fillna(0.0).to_numpy(float)

    return weights(inside), weights(outside)


def median_salary_comparison(
    adverts: pd.DataFrame,
    region: str,
    by: str,
    min_count: int = MIN_PUBLISHED_COUNT,
    n_bootstrap: int = N_BOOTSTRAP,
    random_state: int = RANDOM_STATE,
    *,
    min_employers: int = MIN_PUBLISHED_EMPLOYERS,
    bootstrap: str = "employer",
    standardise: bool = True,
) -> pd.DataFrame:
    """Median advertised salary by group in the region and in the rest of the UK, with the
    employer-bootstrap interval of the source-standardised ratio (region / rest).

    A group is suppressed unless both sides pass both rules: at least ``min_count`` priced
    adverts from at least ``min_employers`` distinct named employers (``few_employers`` marks
    the groups that fail on employers alone).
    """
    rng = np.random.default_rng(random_state)
    priced = with_clusters(adverts.dropna(subset=["salary_annual_gbp", "region", by]))
    rows = []
    for group, frame in priced.groupby(by):
        inside = frame.loc[frame["region"] == region].sort_values("salary_annual_gbp")
        outside = frame.loc[frame["region"] != region].sort_values("salary_annual_gbp")
        row = {
            by: group,
            "region_adverts": len(inside),
            "region_employers": inside["employer"].nunique(),
            "rest_adverts": len(outside),
            "rest_employers": outside["employer"].nunique(),
        }
        enough = disclosure.is_published(len(inside), min_count) and disclosure.is_published(len(outside), min_count)
        if not (
            disclosure.passes_rules(len(inside), row["region_employers"], min_count, min_employers)
            and disclosure.passes_rules(len(outside), row["rest_employers"], min_count, min_employers)
        ):
            rows.append(row | {"suppressed": True, "few_employers": enough})
            continue
        values_in = inside["salary_annual_gbp"].to_numpy(float)
        values_out = outside["salary_annual_gbp"].to_numpy(float)
        mix_in, mix_out = _source_weights(inside, outside, frame, standardise)
        median_in, median_out = weighted_median(values_in, mix_in), weighted_median(values_out, mix_out)
        draws_in = weighted_median(values_in, cluster_weights(inside["employer"], n_bootstrap, rng, bootstrap) * mix_in)
        draws_out = weighted_median(
            values_out, cluster_weights(outside["employer"], n_bootstrap, rng, bootstrap) * mix_out
        )
        with np.errstate(divide="ignore", invalid="ignore"):
            low, high = bounds((np.atleast_1d(draws_in) / np.atleast_1d(draws_out))[:, None])
        rows.append(
            row
            | {
                "region_median": float(np.median(values_in)),
                "rest_median": float(np.median(values_out)),
                "region_median_std": float(median_in),
                "rest_median_std": float(median_out),
                "ratio": float(median_in / median_out),
                "ratio_unstandardised": float(np.median(values_in) / np.median(values_out)),
                "ratio_low": float(low[0]),
                "ratio_high": float(high[0]),
                "suppressed": False,
                "few_employers": False,
            }
        )
    table = pd.DataFrame(rows, columns=[by, *PAY_COLUMNS])
    return table.astype({"suppressed": bool, "few_employers": bool}).sort_values(
        "region_adverts", ascending=False, ignore_index=True
    )


def regions_table(
    adverts: pd.DataFrame, min_count: int = MIN_PUBLISHED_COUNT, min_employers: int = MIN_PUBLISHED_EMPLOYERS
) -> pd.DataFrame:
    """All twelve regions side by side: adverts, named employers, share of the corpus and median
    salary (withheld unless the priced adverts pass both rules)."""
    placed = with_clusters(adverts.dropna(subset=["region"]))
    priced = placed.dropna(subset=["salary_annual_gbp"])
    summary = (
        placed.groupby("region")
        .agg(
            adverts=("advert_id", "size"),
            employers=("employer", "nunique"),
            priced=("salary_annual_gbp", "count"),
            median_salary=("salary_annual_gbp", "median"),
        )
        .join(priced.groupby("region")["employer"].nunique().rename("priced_employers"))
        .reindex(list(REGIONS))
        .fillna({"adverts": 0, "employers": 0, "priced": 0, "priced_employers": 0})
        .astype({"adverts": int, "employers": int, "priced": int, "priced_employers": int})
        .assign(share=lambda d: d["adverts"] / d["adverts"].sum())
        .rename_axis("region")
        .reset_index()
    )
    withheld = ~disclosure.rules_mask(summary["priced"], summary["priced_employers"], min_count, min_employers)
    return summary.assign(median_salary=summary["median_salary"].mask(withheld), suppressed=withheld)
