"""Map advert locations onto the twelve UK ITL1 regions.

Three routes, most reliable first, each recorded in ``region_method``:

* ``postcode``: the outward code (``NE1`` of ``NE1 4LP``) looked up in the ONS/OS postcode
  districts table (NHS Jobs adverts carry postcodes).
* ``coordinates``: the nearest postcode district centroid to the advert's latitude and
  longitude, accepted within :data:`MAX_NEAREST_DISTRICT_KM`.
* ``place name``: a county, region or town name. Counties and region names come from the
  hand-written ``resources/place_aliases.csv`` (knowledge, not data, read through
  :mod:`skills_engine.getters`); towns from the postcode districts table and Adzuna's
  location tree, keeping only names that point at one region.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from skills_engine import getters
from skills_engine.config import REGIONS

#: Furthest (km) an advert's coordinates may be from the nearest postcode district centroid.
#: Districts are at most ~30 km across outside the Highlands; 25 km keeps offshore or
#: mistyped coordinates (0, 0) from being forced onto a region.
MAX_NEAREST_DISTRICT_KM = 25.0

_EARTH_RADIUS_KM = 6371.0

#: Region, county and country names as adverts write them, mapped to ITL1 regions: the twelve
#: region names, then the curated ``resources/place_aliases.csv`` (ceremonial, historic and
#: pre-1996 counties all appear in Reed's ``state`` field).
PLACE_ALIASES: dict[str, str] = {**{name.lower(): name for name in REGIONS}, **getters.read_place_aliases()}

#: Place names that are real but outside the twelve regions, or too broad to place
#: (``resources/not_a_region.csv``; includes "" for an empty field).
NOT_A_REGION: frozenset[str] = getters.read_not_a_region()


def normalise_place(name: object) -> str:
    """Lower case, ``&`` as ``and``, punctuation and brackets folded to single spaces.

    >>> normalise_place("  Tyne And Wear ")
    'tyne and wear'
    >>> normalise_place("West Midlands (Region)")
    'west midlands region'
    >>> normalise_place("Inverness-Shire")
    'inverness shire'
    """
    text = str(name or "").lower().replace("&", " and ")
    return re.sub(r"[^a-z0-9]+", " ", text).strip()


def region_from_place(name: object) -> str | None:
    """ITL1 region for a region or county name, or ``None``.

    >>> region_from_place("Yorkshire & the Humber")
    'Yorkshire and The Humber'
    >>> region_from_place("Tyne and Wear")
    'North East'
    >>> region_from_place("Rest of the World") is None
    True
    """
    return PLACE_ALIASES.get(normalise_place(name))


_OUTWARD = re.compile(r"^\s*([A-Z]{1,2}[0-9][0-9A-Z]?)\s*(?:[0-9][A-Z]{2})?\s*$")


def outward_code(postcode: object) -> str | None:
    """The outward code (district) of a UK postcode, or ``None`` if it is not one.

    >>> outward_code("ne1 4lp")
    'NE1'
    >>> outward_code("SW1A1AA")
    'SW1A'
    >>> outward_code("not a postcode") is None
    True
    """
    match = _OUTWARD.match(str(postcode or "").upper())
    if match is None:
        compact = str(postcode or "").upper().replace(" ", "")
        match = _OUTWARD.match(compact[:-3] + " " + compact[-3:]) if len(compact) > 4 else None
    return match.group(1) if match else None


@dataclass(frozen=True)
class RegionLookups:
    """Lookup tables built once from the postcode districts and Adzuna's location tree."""

    district_region: dict[str, str]
    town_region: dict[str, str]
    district_coords: pd.DataFrame  # columns: district, lat, lon, region

    @classmethod
    def from_sources(cls, districts: pd.DataFrame, location_tree: pd.DataFrame | None = None) -> RegionLookups:
        """Build lookups from the raw postcode districts table (and optionally the location tree)."""
        valid = districts.loc[districts["UK region"].isin(REGIONS)]
        district_region = dict(zip(valid["Postcode"].str.upper().str.strip(), valid["UK region"]))
        towns = pd.concat(
            [
                valid[["Town/Area", "UK region"]].set_axis(["place", "region"], axis=1),
                valid[["Post Town", "UK region"]].set_axis(["place", "region"], axis=1),
                valid[["Region", "UK region"]].set_axis(["place", "region"], axis=1),
            ]
        )
        if location_tree is not None:
            tree_regions = location_tree.assign(region=lambda d: d["region_raw"].map(region_from_place)).dropna(
                subset=["region"]
            )
            # every level below the region names a place inside it
            towns = pd.concat(
                [
                    towns,
                    tree_regions.assign(place=lambda d: d["path"].str[2:])
                    .explode("place")[["place", "region"]]
                    .dropna(),
                ]
            )
        town_region = (
            towns.assign(place=lambda d: d["place"].map(normalise_place))
            .query("place != ''")
            .drop_duplicates()
            .groupby("place")["region"]
            .agg(lambda regions: regions.iloc[0] if regions.nunique() == 1 else None)
            .dropna()
            .to_dict()
        )
        coords = (
            valid.assign(
                lat=lambda d: pd.to_numeric(d["Latitude"], errors="coerce"),
                lon=lambda d: pd.to_numeric(d["Longitude"], errors="coerce"),
            )
            .dropna(subset=["lat", "lon"])
            .rename(columns={"Postcode": "district", "UK region": "region"})[["district", "lat", "lon", "region"]]
            .reset_index(drop=True)
        )
        return cls(district_region, town_region, coords)

    def region_from_town(self, name: object) -> str | None:
        key = normalise_place(name)
        return PLACE_ALIASES.get(key) or self.town_region.get(key)

    def region_from_postcode(self, postcode: object) -> str | None:
        district = outward_code(postcode)
        return self.district_region.get(district) if district else None

    def nearest_regions(self, lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
        """Region of the nearest district centroid for each point, ``None`` beyond the cut-off."""
        from scipy.spatial import cKDTree

        lat = np.asarray(lat, dtype=float)
        lon = np.asarray(lon, dtype=float)
        result = np.full(lat.shape, None, dtype=object)
        ok = np.isfinite(lat) & np.isfinite(lon)
        if not ok.any() or self.district_coords.empty:
            return result
        tree = cKDTree(_to_xyz(self.district_coords["lat"].to_numpy(), self.district_coords["lon"].to_numpy()))
        distance, index = tree.query(_to_xyz(lat[ok], lon[ok]))
        regions = self.district_coords["region"].to_numpy()[index]
        regions[distance > MAX_NEAREST_DISTRICT_KM] = None
        result[ok] = regions
        return result


def _to_xyz(lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
    """Points on a sphere of Earth's radius, so Euclidean distance approximates km."""
    lat_r, lon_r = np.radians(lat), np.radians(lon)
    return _EARTH_RADIUS_KM * np.column_stack(
        (np.cos(lat_r) * np.cos(lon_r), np.cos(lat_r) * np.sin(lon_r), np.sin(lat_r))
    )


def assign_regions(candidates: pd.DataFrame) -> pd.DataFrame:
    """Pick the first non-null region among ordered candidate columns.

    ``candidates`` has one column per method, named by method, in priority order. Returns
    ``region`` and ``region_method`` columns on the same index.

    >>> frame = pd.DataFrame({"postcode": [None, "London"], "place name": ["Wales", "Wales"]})
    >>> assign_regions(frame).to_dict("list")
    {'region': ['Wales', 'London'], 'region_method': ['place name', 'postcode']}
    """
    region = pd.Series(None, index=candidates.index, dtype=object)
    method = pd.Series(None, index=candidates.index, dtype=object)
    for column in candidates.columns:
        fill = region.isna() & candidates[column].notna()
        region = region.mask(fill, candidates[column])
        method = method.mask(fill, column)
    return pd.DataFrame({"region": region, "region_method": method})
