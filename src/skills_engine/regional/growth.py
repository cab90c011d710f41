"""Growth of job postings from the Indeed Hiring Lab index: by region, for the nation and by sector.

Pure functions over the tidy Indeed tables; the index is 100 on 1 February 2020.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from skills_engine import intervals
from skills_engine.occupations.sectors import sector_for_isco

#: Days averaged when reading a level off the daily Indeed index: a 28-day mean smooths the
#: weekly cycle and holiday dips that make single days misleading.
INDEX_SMOOTHING_DAYS = 28


def format_change(change: float | None, decimals: int = 1) -> str:
    """A change in postings as a reader sees it, in prose, titles and tiles alike.

    Parameters
    ----------
    change : float or None
        The change as a share (``-0.279`` for a fall of 27.9%); missing reads "–".
    decimals : int
        Decimals of the percentage.

    Returns
    -------
    str
        Signed by :func:`skills_engine.intervals.format_signed`: a true minus, and ``0%`` for a
        change that rounds to nothing.

    >>> format_change(-0.279), format_change(0.0412, decimals=0), format_change(-0.001, decimals=0)
    ('\u221227.9%', '+4%', '0%')
    """
    return intervals.format_signed(change, f".{decimals}%")


def movement(change: float, decimals: int = 1) -> str:
    """Which way postings moved, as :func:`format_change` shows the change: "grew", "fell", or
    "held steady" for a change that rounds to zero (:func:`skills_engine.intervals.shows_as_zero`,
    the rule that leaves such a figure unsigned). The tile map and the front page both say it so.

    >>> movement(0.031), movement(-0.015), movement(-0.0004), movement(0.0004, decimals=2)
    ('grew', 'fell', 'held steady', 'grew')
    """
    if intervals.shows_as_zero(change, f".{decimals}%"):
        return "held steady"
    return "grew" if change > 0 else "fell"


def leading_region_text(change: float, uk_change: float | None) -> str:
    """The front page's words for the region whose postings did best over 12 months.

    "Strongest change" would misread a year in which every region fell: the leader then fell
    least, and the sentence says so, beside the UK's figure for scale. A leader whose change
    shows as 0.0% held steady (:func:`movement`), as its tile on the Regions page says.

    >>> leading_region_text(-0.015, -0.109)
    'region where Indeed job postings fell least over 12 months (\u22121.5%; UK \u221210.9%)'
    >>> leading_region_text(0.04, None)
    'region where Indeed job postings grew most over 12 months (+4.0%; UK –)'
    >>> leading_region_text(-0.0004, -0.109)
    'region where Indeed job postings held steady over 12 months (0.0%; UK \u221210.9%)'
    """
    moved = movement(change)
    direction = {"grew": "grew most", "fell": "fell least"}.get(moved, moved)
    return f"region where Indeed job postings {direction} over 12 months ({format_change(change)}; UK {format_change(uk_change)})"


def smoothed_index(series: pd.DataFrame, days: int = INDEX_SMOOTHING_DAYS) -> pd.DataFrame:
    """Trailing ``days``-day mean of a daily index, per geography."""
    return series.sort_values("date").assign(
        index_smoothed=lambda d: d.groupby("geography")["index"].transform(
            lambda s: s.rolling(days, min_periods=days // 2).mean()
        )
    )


def index_growth(series: pd.DataFrame, months: int = 12, as_of: pd.Timestamp | None = None) -> pd.DataFrame:
    """Change of a (smoothed) Indeed index over the last ``months`` and since 1 February 2020.

    Returns one row per geography: ``latest_date``, ``latest`` (index, 100 = 1 Feb 2020),
    ``change_12m`` (relative change over ``months``) and ``change_since_feb_2020`` (latest/100 - 1).

    >>> dates = pd.date_range("2020-02-01", "2021-03-01", freq="D")
    >>> demo = pd.DataFrame({"date": dates, "geography": "X", "index": np.linspace(100, 120, len(dates))})
    >>> row = index_growth(demo, as_of=pd.Timestamp("2021-03-01")).iloc[0]
    >>> float(round(row["change_since_feb_2020"], 2)), bool(row["change_12m"] > 0)
    (0.19, True)
    """
    smoothed = smoothed_index(series)
    as_of = as_of or smoothed["date"].max()
    then = as_of - pd.DateOffset(months=months)
    rows = []
    for geography, frame in smoothed.groupby("geography"):
        frame = frame.set_index("date")["index_smoothed"].dropna()
        latest = frame.loc[:as_of]
        earlier = frame.loc[:then]
        if latest.empty:
            continue
        rows.append(
            {
                "geography": geography,
                "latest_date": latest.index[-1],
                "latest": float(latest.iloc[-1]),
                "change_12m": float(latest.iloc[-1] / earlier.iloc[-1] - 1) if not earlier.empty else np.nan,
                "change_since_feb_2020": float(latest.iloc[-1] / 100 - 1),
            }
        )
    return pd.DataFrame(rows)


def occupation_sector_growth(occupations: pd.DataFrame, sector_index: pd.DataFrame, months: int = 12) -> pd.DataFrame:
    """Each ESCO occupation with its Indeed sector and the sector's growth over ``months``.

    ``sector_index`` is the tidy Indeed sector table (``date, sector, index``).
    Returns ``occupation_uri, sector, change_12m, change_since_feb_2020, latest_date``.
    """
    by_sector = sector_index[["date", "sector", "index"]].rename(columns={"sector": "geography"})
    growth = index_growth(by_sector, months=months).rename(columns={"geography": "sector"})
    return (
        occupations[["occupation_uri", "isco_code"]]
        .assign(sector=lambda d: d["isco_code"].map(sector_for_isco))
        .merge(growth[["sector", "change_12m", "change_since_feb_2020", "latest_date"]], on="sector", how="left")
        .drop(columns="isco_code")
    )


def regions_and_nation(regional_index: pd.DataFrame, national_index: pd.DataFrame) -> pd.DataFrame:
    """The twelve regional series and the national total (``geography = United Kingdom``) in one long frame."""
    national = national_index.query("series == 'total postings'")[["date", "geography", "index"]]
    return pd.concat([regional_index[["date", "geography", "index"]], national], ignore_index=True)


def region_growth(regional_index: pd.DataFrame, national_index: pd.DataFrame, months: int = 12) -> pd.DataFrame:
    """Growth of each region's index and of the national index (``geography = United Kingdom``)."""
    return index_growth(regions_and_nation(regional_index, national_index), months=months)
