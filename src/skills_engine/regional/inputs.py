"""National inputs to every region's comparison, computed once and cached.

Running notebook 04 for twelve regions must not recount the whole country twelve times:
:func:`load` builds the counts once, writes them under ``data/interim/regional/`` keyed by the
inputs' fingerprints and :data:`CACHE_VERSION`, and every later call reads them.

The employer bootstrap and the source standardisation of
:mod:`skills_engine.regional.comparison` need more than counts by (item, region): the counts
are by item, region, source and employer cluster (adverts without a named employer summed in
one ``<NA>`` row), and the denominators by region, source and employer
(``occupation_totals``, ``skill_totals``).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

import pandas as pd

from skills_engine import getters, paths
from skills_engine.extraction.advert_skills import TITLE_DERIVED
from skills_engine.occupations import labelling
from skills_engine.regional import comparison, growth

#: Version of the cached tables' layout: bump it whenever :func:`build` changes what it writes,
#: so that caches written by older code are rebuilt (2: counts by source and employer cluster).
CACHE_VERSION = 2
TABLES = (
    "adverts",
    "occupation_counts",
    "skill_counts",
    "occupation_totals",
    "skill_totals",
    "region_totals",
    "text_region_totals",
    "region_growth",
    "index_series",
)
INPUTS = ("adverts", "advert_occupations", "advert_skills", "indeed_regional", "indeed_national")


@dataclass(frozen=True)
class RegionalInputs:
    adverts: pd.DataFrame
    occupation_counts: pd.DataFrame
    skill_counts: pd.DataFrame
    occupation_totals: pd.DataFrame
    skill_totals: pd.DataFrame
    region_totals: pd.Series
    text_region_totals: pd.Series
    region_growth: pd.DataFrame
    index_series: pd.DataFrame

    @property
    def source_note(self) -> str:
        return "NHS Jobs 2020, Reed and Adzuna 2013 adverts"


def _fingerprint() -> str:
    parts = [f"version:{CACHE_VERSION}"]
    for name in INPUTS:
        path = getters.processed_path(name)
        if not path.is_file():
            raise FileNotFoundError(
                f"{path} is missing: run `make run` (notebooks 01-03) before the regional comparison"
            )
        stat = path.stat()
        parts.append(f"{name}:{stat.st_size}:{stat.st_mtime_ns}")
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:16]


def build() -> RegionalInputs:
    """Count everything the regional comparisons need, for the whole country."""
    adverts = getters.read_adverts(columns=["advert_id", "source", "employer", "region", "salary_annual_gbp"])
    occupations = getters.read_processed("advert_occupations").loc[
        lambda d: d["confidence"] >= labelling.MIN_TITLE_CONFIDENCE
    ]
    labelled = adverts.merge(
        occupations[["advert_id", "occupation_uri", "occupation_label"]], on="advert_id", how="left"
    )
    advert_skills = getters.read_processed("advert_skills", columns=["advert_id", "skill_uri", "skill_label", "method"])
    from_text = advert_skills.loc[lambda d: d["method"] != TITLE_DERIVED]
    occupation_counts, region_totals = comparison.item_region_counts(
        labelled.dropna(subset=["occupation_uri"]), labelled, "occupation_uri", "occupation_label"
    )
    text_adverts = adverts.loc[adverts["advert_id"].isin(from_text["advert_id"])]
    skill_counts, text_region_totals = comparison.item_region_counts(
        from_text, text_adverts, "skill_uri", "skill_label"
    )
    indeed_regional, indeed_national = (
        getters.read_processed("indeed_regional"),
        getters.read_processed("indeed_national"),
    )
    index_series = growth.smoothed_index(growth.regions_and_nation(indeed_regional, indeed_national))
    return RegionalInputs(
        adverts=labelled,
        occupation_counts=occupation_counts,
        skill_counts=skill_counts,
        occupation_totals=comparison.cluster_totals(labelled),
        skill_totals=comparison.cluster_totals(text_adverts),
        region_totals=region_totals,
        text_region_totals=text_region_totals,
        region_growth=growth.region_growth(indeed_regional, indeed_national),
        index_series=index_series,
    )


def load() -> RegionalInputs:
    """The cached national inputs, rebuilt when any input table has changed."""
    folder = paths.regional_cache_dir()
    fingerprint = _fingerprint()
    stamp = folder / "fingerprint.json"
    if stamp.is_file() and json.loads(stamp.read_text()).get("fingerprint") == fingerprint:
        # the fingerprint covers CACHE_VERSION: a cache written by older code never matches
        frames = {name: pd.read_parquet(folder / f"{name}.parquet") for name in TABLES}
        for name in ("region_totals", "text_region_totals"):
            frames[name] = frames[name].set_index("region")["adverts"]
        return RegionalInputs(**frames)
    inputs = build()
    for name in TABLES:
        frame = getattr(inputs, name)
        if isinstance(frame, pd.Series):
            frame = frame.rename("adverts").rename_axis("region").reset_index()
        getters.atomic_write_parquet(frame, folder / f"{name}.parquet")
    getters.atomic_write_json(stamp, {"fingerprint": fingerprint, "version": CACHE_VERSION})
    return inputs
