"""Map advert locations onto the twelve UK ITL1 regions.

Three routes, most reliable first, each recorded in ``region_method``:

* ``postcode``: the outward code (``NE1`` of ``NE1 4LP``) looked up in the ONS/OS postcode
  districts table (NHS Jobs adverts carry postcodes).
* ``coordinates``: the nearest postcode district centroid to the advert's latitude and
  longitude, accepted within :data:`MAX_NEAREST_DISTRICT_KM`.
* ``place name``: a county, region or town name. Counties and region names come from the
  hand-written table below (knowledge, not data); towns from the postcode districts table
  and Adzuna's location tree, keeping only names that point at one region.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from skills_engine.config import REGIONS

#: Furthest (km) an advert's coordinates may be from the nearest postcode district centroid.
#: Districts are at most ~30 km across outside the Highlands; 25 km keeps offshore or
#: mistyped coordinates (0, 0) from being forced onto a region.
MAX_NEAREST_DISTRICT_KM = 25.0

_EARTH_RADIUS_KM = 6371.0

#: Region, county and country names as adverts write them, mapped to ITL1 regions.
#: Ceremonial, historic and pre-1996 counties all appear in Reed's ``state`` field.
PLACE_ALIASES: dict[str, str] = {
    **{name.lower(): name for name in REGIONS},
    # regions as sources spell them
    "north east england": "North East", "ne england": "North East", "n e england": "North East",
    "north west england": "North West", "nw england": "North West",
    "yorkshire and humberside": "Yorkshire and The Humber", "yorkshire and the humber": "Yorkshire and The Humber",
    "yorkshire": "Yorkshire and The Humber", "yorks": "Yorkshire and The Humber",
    "east midlands": "East Midlands", "e midlands": "East Midlands", "east mids": "East Midlands",
    "west midlands": "West Midlands", "west midlands region": "West Midlands", "w midlands": "West Midlands",
    "west mids": "West Midlands",
    "eastern england": "East of England", "east anglia": "East of England", "east of england": "East of England",
    "south east england": "South East", "se england": "South East",
    "south west england": "South West", "sw england": "South West",
    "cymru": "Wales",
    # London and its compass points
    "central london": "London", "city of london": "London", "east london": "London", "north london": "London",
    "north west london": "London", "south east london": "London", "south west london": "London",
    "west london": "London", "south london": "London", "middlesex": "London", "greater london": "London",
    # England, by county
    "northumberland": "North East", "tyne and wear": "North East", "county durham": "North East",
    "durham": "North East", "cleveland": "North East",
    "cumbria": "North West", "lancashire": "North West", "merseyside": "North West", "cheshire": "North West",
    "greater manchester": "North West", "manchester": "North West",
    "north yorkshire": "Yorkshire and The Humber", "west yorkshire": "Yorkshire and The Humber",
    "south yorkshire": "Yorkshire and The Humber", "east yorkshire": "Yorkshire and The Humber",
    "east riding of yorkshire": "Yorkshire and The Humber", "north humberside": "Yorkshire and The Humber",
    "south humberside": "Yorkshire and The Humber", "humberside": "Yorkshire and The Humber",
    "derbyshire": "East Midlands", "nottinghamshire": "East Midlands", "leicestershire": "East Midlands",
    "lincolnshire": "East Midlands", "northamptonshire": "East Midlands", "rutland": "East Midlands",
    "staffordshire": "West Midlands", "shropshire": "West Midlands", "warwickshire": "West Midlands",
    "worcestershire": "West Midlands", "herefordshire": "West Midlands", "birmingham": "West Midlands",
    "norfolk": "East of England", "suffolk": "East of England", "essex": "East of England",
    "cambridgeshire": "East of England", "hertfordshire": "East of England", "bedfordshire": "East of England",
    "kent": "South East", "surrey": "South East", "east sussex": "South East", "west sussex": "South East",
    "sussex": "South East", "hampshire": "South East", "isle of wight": "South East", "berkshire": "South East",
    "buckinghamshire": "South East", "oxfordshire": "South East",
    "cornwall": "South West", "devon": "South West", "somerset": "South West", "dorset": "South West",
    "wiltshire": "South West", "gloucestershire": "South West", "avon": "South West", "bristol": "South West",
    # Wales (preserved counties and cities)
    "clwyd": "Wales", "dyfed": "Wales", "gwent": "Wales", "gwynedd": "Wales", "powys": "Wales",
    "mid glamorgan": "Wales", "south glamorgan": "Wales", "west glamorgan": "Wales", "cardiff": "Wales",
    "wrexham": "Wales", "swansea": "Wales",
    # Scotland (historic counties and cities)
    "aberdeen": "Scotland", "aberdeenshire": "Scotland", "angus": "Scotland", "argyll": "Scotland",
    "ayrshire": "Scotland", "berwickshire": "Scotland", "caithness": "Scotland", "clackmannanshire": "Scotland",
    "dumfriesshire": "Scotland", "dunbartonshire": "Scotland", "east lothian": "Scotland", "edinburgh": "Scotland",
    "fife": "Scotland", "glasgow": "Scotland", "inverness shire": "Scotland", "isle of orkney": "Scotland",
    "kincardineshire": "Scotland", "lanarkshire": "Scotland", "midlothian": "Scotland", "morayshire": "Scotland",
    "perthshire": "Scotland", "renfrewshire": "Scotland", "ross shire": "Scotland", "roxburghshire": "Scotland",
    "selkirkshire": "Scotland", "shetland islands": "Scotland", "stirlingshire": "Scotland", "sutherland": "Scotland",
    "west lothian": "Scotland", "wigtownshire": "Scotland",
    # Northern Ireland
    "county antrim": "Northern Ireland", "county armagh": "Northern Ireland", "county derry": "Northern Ireland",
    "county down": "Northern Ireland", "county tyrone": "Northern Ireland", "county fermanagh": "Northern Ireland",
    "county londonderry": "Northern Ireland", "belfast": "Northern Ireland",
}

#: Place names that are real but outside the twelve regions, or too broad to place.
NOT_A_REGION = {
    "uk", "united kingdom", "england", "great britain", "gb", "other", "rest of the world", "ireland",
    "channel islands", "channel isles", "isle of man", "gibraltar", "",
}


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
    def from_sources(cls, districts: pd.DataFrame, location_tree: pd.DataFrame | None = None) -> "RegionLookups":
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
            tree_regions = location_tree.assign(region=lambda d: d["region_raw"].map(region_from_place)).dropna(subset=["region"])
            # every level below the region names a place inside it
            towns = pd.concat(
                [towns, tree_regions.assign(place=lambda d: d["path"].str[2:]).explode("place")[["place", "region"]].dropna()]
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
    return _EARTH_RADIUS_KM * np.column_stack((np.cos(lat_r) * np.cos(lon_r), np.cos(lat_r) * np.sin(lon_r), np.sin(lat_r)))


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
