"""Descriptive tables the notebooks show: coverage, failures by reason, counts over time.

Every function is pure and returns a tidy frame; counts below
:data:`skills_engine.config.MIN_PUBLISHED_COUNT` are suppressed by
:func:`skills_engine.disclosure.suppress_small` (re-exported here for the notebooks) before
anything is published.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from skills_engine.config import RANDOM_STATE
from skills_engine.disclosure import suppress_small


def select_adverts(
    adverts: pd.DataFrame,
    sources: Sequence[str] | None = None,
    sample_size: int | None = None,
    random_state: int = RANDOM_STATE,
) -> pd.DataFrame:
    """Keep the named sources and, if ``sample_size`` is set, a random sample of that many per source.

    >>> frame = pd.DataFrame({"source": ["a"] * 5 + ["b"] * 2, "x": range(7)})
    >>> select_adverts(frame, sample_size=3).groupby("source").size().to_dict()
    {'a': 3, 'b': 2}
    """
    chosen = adverts if sources is None else adverts.query("source in @sources")
    if sample_size is None:
        return chosen.reset_index(drop=True)
    return (
        chosen.sample(frac=1.0, random_state=random_state)
        .groupby("source", sort=False)
        .head(sample_size)
        .sort_index()
        .reset_index(drop=True)
    )


def coverage_table(adverts: pd.DataFrame) -> pd.DataFrame:
    """Share of adverts with each field filled, by source (0-1)."""
    return adverts.drop(columns=["source"]).notna().groupby(adverts["source"]).mean().T.rename_axis("field").round(3)


def failure_counts(adverts: pd.DataFrame) -> pd.DataFrame:
    """Adverts without a region or a salary, counted by source and reason.

    Salary failures are counted only for adverts whose ``salary_raw`` contains a digit (the
    target population); the others are reported as ``no figure in the advert``.
    """
    region = (
        adverts.loc[adverts["region"].isna()]
        .groupby(["source", "region_failure"], dropna=False)
        .size()
        .rename("adverts")
        .reset_index()
        .rename(columns={"region_failure": "reason"})
        .assign(field="region")
    )
    has_digit = adverts["salary_raw"].fillna("").str.contains(r"\d")
    salary = (
        adverts.loc[adverts["salary_annual_gbp"].isna()]
        .assign(
            reason=lambda d: np.where(
                has_digit.loc[d.index], d["salary_failure"].fillna("unknown"), "no figure in the advert"
            )
        )
        .groupby(["source", "reason"])
        .size()
        .rename("adverts")
        .reset_index()
        .assign(field="salary")
    )
    return pd.concat([region, salary], ignore_index=True)[["field", "source", "reason", "adverts"]]


def fill_rates(adverts: pd.DataFrame) -> dict[str, float]:
    """The two targets of the data step: region filled overall; salary filled where the text has a digit."""
    has_digit = adverts["salary_raw"].fillna("").str.contains(r"\d")
    return {
        "region_filled": float(adverts["region"].notna().mean()),
        "salary_filled_where_digit": float(adverts.loc[has_digit, "salary_annual_gbp"].notna().mean()),
    }


def counts_by(adverts: pd.DataFrame, *columns: str) -> pd.DataFrame:
    """Advert counts by the given columns, largest first."""
    return (
        adverts.groupby(list(columns), dropna=False)
        .size()
        .rename("adverts")
        .reset_index()
        .sort_values("adverts", ascending=False, ignore_index=True)
    )


def counts_by_month(adverts: pd.DataFrame) -> pd.DataFrame:
    """Adverts per posting month and source (adverts without a date are left out)."""
    return (
        adverts.dropna(subset=["posted_date"])
        .assign(month=lambda d: d["posted_date"].dt.to_period("M").dt.to_timestamp())
        .groupby(["month", "source"])
        .size()
        .rename("adverts")
        .reset_index()
    )


def salary_summary(adverts: pd.DataFrame, by: str | list[str] = "source") -> pd.DataFrame:
    """Count, quartiles and median of annual salary by group, small groups suppressed."""
    return (
        adverts.dropna(subset=["salary_annual_gbp"])
        .groupby(by)["salary_annual_gbp"]
        .agg(
            adverts="size",
            lower_quartile=lambda s: s.quantile(0.25),
            median="median",
            upper_quartile=lambda s: s.quantile(0.75),
        )
        .reset_index()
        .pipe(suppress_small, value_columns=["lower_quartile", "median", "upper_quartile"])
        .round(0)
    )
