"""Region mapping on a hand-written postcode districts table."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from skills_engine.data.places import RegionLookups, outward_code, region_from_place


@pytest.fixture
def lookups(tests_data) -> RegionLookups:
    districts = pd.read_csv(tests_data / "postcode_districts_small.csv", dtype=str, keep_default_na=False)
    tree = pd.DataFrame(
        {"path": [["UK", "North East England", "Tyne and Wear", "Gateshead"], ["UK", "Channel Isles", "Jersey"]]}
    ).assign(region_raw=lambda d: d["path"].str[1])
    return RegionLookups.from_sources(districts, tree)


@pytest.mark.parametrize(
    "postcode, district",
    [
        ("NE1 4LP", "NE1"),
        ("ne14lp", "NE1"),
        ("SW1A 1AA", "SW1A"),
        ("CF10 1EP", "CF10"),
        ("DH1", "DH1"),
        ("", None),
        ("12345", None),
    ],
)
def test_outward_code(postcode, district):
    assert outward_code(postcode) == district


@pytest.mark.parametrize(
    "place, region",
    [
        ("Tyne And Wear", "North East"),
        ("Cleveland", "North East"),
        ("South East England", "South East"),
        ("West Midlands (Region)", "West Midlands"),
        ("East Anglia", "East of England"),
        ("Yorkshire & the Humber", "Yorkshire and The Humber"),
        ("North Humberside", "Yorkshire and The Humber"),
        ("Middlesex", "London"),
        ("Mid Glamorgan", "Wales"),
        ("Inverness-Shire", "Scotland"),
        ("County Antrim", "Northern Ireland"),
        ("Rest of the World", None),
        ("England", None),
        ("Narnia", None),
    ],
)
def test_region_from_place(place, region):
    assert region_from_place(place) == region


def test_postcode_lookup(lookups):
    assert lookups.region_from_postcode("NE1 4LP") == "North East"
    assert lookups.region_from_postcode("BT1 1AA") == "Northern Ireland"
    assert lookups.region_from_postcode("GY1 1AA") is None  # Guernsey: outside the twelve regions
    assert lookups.region_from_postcode("ZZ9 9ZZ") is None


def test_ambiguous_town_names_are_not_guessed(lookups):
    assert lookups.region_from_town("Newport") is None  # Wales and the Isle of Wight
    assert lookups.region_from_town("Durham") == "North East"
    assert lookups.region_from_town("GATESHEAD") == "North East"  # from the location tree
    assert lookups.region_from_town("Jersey") is None


def test_nearest_district_within_cut_off(lookups):
    regions = lookups.nearest_regions(np.array([54.97, 51.50, 0.0, np.nan]), np.array([-1.60, -0.14, 0.0, 1.0]))
    assert list(regions) == ["North East", "London", None, None]


def test_curated_place_and_sector_tables_load_as_before():
    from skills_engine import config, getters
    from skills_engine.data import places
    from skills_engine.occupations import sectors

    aliases = getters.read_place_aliases()
    assert set(aliases.values()) <= set(config.REGIONS)
    assert places.PLACE_ALIASES == {**{r.lower(): r for r in config.REGIONS}, **aliases}
    assert list(places.PLACE_ALIASES)[: len(config.REGIONS)] == [r.lower() for r in config.REGIONS]
    assert places.NOT_A_REGION == getters.read_not_a_region() and {"", "england", "isle of man"} <= places.NOT_A_REGION
    codes = getters.read_isco_sectors()
    assert sectors.ISCO_TO_SECTOR == codes and len(codes) == 128
    assert codes["0"] == "Security & Public Safety" and codes["6"] is None and codes["92"] is None
    assert all(isinstance(code, str) and code.isdigit() for code in codes)
