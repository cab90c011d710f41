"""Regional comparison statistics on hand-written adverts."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from skills_engine.config import REGIONS
from skills_engine.regional import comparison, growth, tiles


@pytest.fixture
def adverts() -> pd.DataFrame:
    # 100 North East adverts paying 30k, 300 London adverts paying 40k, 10 without a region;
    # every advert from its own employer (so the employer rule never bites here).
    return pd.DataFrame(
        {
            "advert_id": range(410),
            "employer": [f"employer {i}" for i in range(410)],
            "region": ["North East"] * 100 + ["London"] * 300 + [None] * 10,
            "occupation": ["nurse"] * 410,
            "salary_annual_gbp": [30_000.0] * 100 + [40_000.0] * 300 + [50_000.0] * 10,
        }
    )


def test_location_quotient_arithmetic_and_interval(adverts):
    # 'welding' in 50 of 100 North East adverts and 50 of 300 London adverts
    items = pd.DataFrame({"advert_id": list(range(50)) + list(range(100, 150)), "skill": "welding"})
    # 'rare' appears in 3 North East adverts only: below the published minimum
    items = pd.concat([items, pd.DataFrame({"advert_id": [0, 1, 2, 2], "skill": "rare"})])
    table = comparison.share_comparison(items, adverts, "North East", "skill").set_index("skill")
    welding = table.loc["welding"]
    assert welding["region_share"] == pytest.approx(0.5)
    assert welding["rest_share"] == pytest.approx(50 / 300)
    assert welding["national_share"] == pytest.approx(100 / 400)
    assert welding["location_quotient"] == pytest.approx(2.0)
    assert welding["lq_low"] < 2.0 < welding["lq_high"]
    assert welding["lq_low"] > 1.0  # clearly over-represented
    assert welding["n_region"] == 100 and welding["n_national"] == 400  # unplaced adverts excluded
    rare = table.loc["rare"]
    assert bool(rare["suppressed"]) and np.isnan(rare["location_quotient"]) and rare["national_adverts"] == 3
    assert not bool(rare["few_employers"])  # suppressed by the adverts rule, not the employers one
    over, under = comparison.over_under_represented(table.reset_index())
    assert over["skill"].tolist() == ["welding"] and under.empty


def test_median_salary_comparison(adverts):
    table = comparison.median_salary_comparison(adverts, "North East", "occupation").iloc[0]
    assert table["region_median"] == 30_000 and table["rest_median"] == 40_000
    assert table["ratio"] == pytest.approx(0.75)
    assert table["ratio_low"] <= 0.75 <= table["ratio_high"]
    few = adverts.iloc[95:].reset_index(drop=True)  # only 5 North East adverts left
    assert bool(comparison.median_salary_comparison(few, "North East", "occupation").iloc[0]["suppressed"])


def test_index_growth_uses_smoothed_levels():
    dates = pd.date_range("2020-02-01", "2022-02-01", freq="D")
    flat = pd.DataFrame({"date": dates, "geography": "Flat", "index": 100.0})
    doubling = pd.DataFrame({"date": dates, "geography": "Up", "index": np.where(dates >= "2021-06-01", 200.0, 100.0)})
    changes = growth.index_growth(pd.concat([flat, doubling])).set_index("geography")
    assert changes.loc["Flat", "change_12m"] == pytest.approx(0.0)
    assert changes.loc["Flat", "change_since_feb_2020"] == pytest.approx(0.0)
    assert changes.loc["Up", "change_12m"] == pytest.approx(1.0)
    assert changes.loc["Up", "change_since_feb_2020"] == pytest.approx(1.0)


@pytest.mark.parametrize(
    "change, uk, words",
    [
        (0.04, -0.01, "grew most over 12 months (+4.0%; UK \u22121.0%)"),
        (-0.015, -0.109, "fell least over 12 months (\u22121.5%; UK \u221210.9%)"),
        (-0.0004, -0.109, "held steady over 12 months (0.0%; UK \u221210.9%)"),
        (0.0, -0.109, "held steady over 12 months (0.0%; UK \u221210.9%)"),
        (0.0004, None, "held steady over 12 months (0.0%; UK \u2013)"),
    ],
)
def test_the_leading_region_held_steady_when_its_change_shows_as_zero(change, uk, words):
    assert growth.leading_region_text(change, uk) == f"region where Indeed job postings {words}"


@pytest.mark.parametrize("change", [0.0, -0.0004, 0.00049, -0.0005, 0.0005, -0.015, 0.031, 0.0006])
def test_the_front_page_and_the_tile_map_read_a_change_the_same_way(change):
    """One rule for a change that rounds to zero: the leading-region sentence, the tile's words
    and the figure shown all agree (held steady exactly when the figure reads an unsigned 0.0%)."""
    from skills_engine.publish.regions_page import _tile_class
    from skills_engine.publish.tables import format_percent

    shown = growth.format_change(change)
    assert shown == format_percent(change, signed=True)
    moved = growth.movement(change)
    assert (moved == "held steady") == (shown == "0.0%")
    assert moved == ("grew" if shown.startswith("+") else "fell" if shown.startswith("\u2212") else "held steady")
    leading = {"grew": "grew most", "fell": "fell least"}.get(moved, moved)
    assert f"job postings {leading} over 12 months ({shown};" in growth.leading_region_text(change, -0.2)
    _, words = _tile_class({"postings_change_12m": change, "uk_postings_change_12m": -0.2})
    assert words.startswith(f"{moved} ") or words == "fell less than the UK" and moved == "fell"


def test_tile_grid_places_every_region_once():
    grid = tiles.tile_grid(pd.Series({"North East": 1.2}))
    assert sorted(grid["region"]) == sorted(REGIONS)
    assert not grid[["col", "row"]].duplicated().any()
    assert grid.set_index("region").loc["North East", "value"] == 1.2
    assert grid["value"].isna().sum() == 11


def test_tile_map_writes_a_fall_with_a_true_minus_and_a_withheld_region_as_suppressed():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    _, ax = plt.subplots()
    changes = pd.Series({"North East": -0.279, "Wales": 0.04, "London": -0.001})
    tiles.plot_tile_map(changes, ax=ax, fmt=lambda change: growth.format_change(change, decimals=0), center=0.0)
    written = {text.get_text() for text in ax.texts}
    plt.close("all")
    assert {"\u221228%", "+4%", "0%", "suppressed"} <= written
    assert not any(text.startswith("-") for text in written)


def test_regions_table_suppresses_small_regions(adverts):
    table = comparison.regions_table(adverts).set_index("region")
    assert list(table.index) == list(REGIONS)
    assert table.loc["North East", "adverts"] == 100 and table.loc["North East", "median_salary"] == 30_000
    assert table.loc["North East", "employers"] == 100
    assert table.loc["Wales", "adverts"] == 0 and bool(table.loc["Wales", "suppressed"])
    assert table["share"].sum() == pytest.approx(1.0)


def test_items_that_carry_their_own_region_column_are_counted_once(adverts):
    items = adverts.assign(occupation="nurse")[["advert_id", "occupation", "region"]]
    counts, totals = comparison.item_region_counts(
        items.dropna(subset=["region"]), adverts.drop(columns="employer"), "occupation"
    )
    assert counts.set_index("region")["adverts"].to_dict() == {"London": 300, "North East": 100}
    assert totals.to_dict() == {"London": 300, "North East": 100}
