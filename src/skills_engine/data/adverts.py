"""One tidy adverts table from NHS Jobs, Reed and Adzuna.

Each ``normalise_*`` function is pure: raw records in, rows of the common schema out
(see :mod:`skills_engine.schema`). :func:`build_adverts` reads the raw sources through
:mod:`skills_engine.getters`, maps regions and salaries, removes duplicates, validates
and writes ``data/processed/adverts.parquet``.

Duplicate rule: within one source, adverts with the same title, employer, location,
salary text, description, category and contract type are re-posts of one vacancy; the first by ``advert_id`` is
kept. Across sources nothing is removed: the sources cover different years and sectors.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pandas as pd

from skills_engine import getters
from skills_engine.data import salary, schema
from skills_engine.data.places import NOT_A_REGION, RegionLookups, assign_regions, normalise_place, region_from_place
from skills_engine.data.text import html_to_text

log = logging.getLogger(__name__)

COLUMNS = list(schema.ADVERT_COLUMNS)
DUPLICATE_KEY = [
    "source",
    "title",
    "employer",
    "location_raw",
    "salary_raw",
    "description",
    "category",
    "contract_type",
]


def _salary_text(base_salary: object) -> tuple[str | None, str | None]:
    """Salary text and unit from a schema.org ``baseSalary`` (value may be text or min/max)."""
    if not isinstance(base_salary, dict):
        return None, None
    value = base_salary.get("value")
    unit = None
    if isinstance(value, dict):
        unit = value.get("unitText")
        low, high, single = value.get("minValue"), value.get("maxValue"), value.get("value")
        if low is not None or high is not None:
            text = " - ".join(str(v) for v in (low, high) if v not in (None, ""))
        else:
            text = None if single is None else str(single)
    else:
        text = None if value is None else str(value)
    return (text.strip() or None) if text else None, unit


def normalise_nhs(postings: Iterable[tuple[str, dict]]) -> pd.DataFrame:
    """NHS Jobs schema.org ``JobPosting`` records to advert rows (plus postcode and coordinates)."""
    rows = []
    for name, posting in postings:
        place = (posting.get("jobLocation") or {}) if isinstance(posting.get("jobLocation"), dict) else {}
        address = place.get("address") or {}
        geo = place.get("geo") or {}
        salary_raw, unit = _salary_text(posting.get("baseSalary"))
        locality, postcode = address.get("addressLocality"), address.get("postalCode")
        rows.append(
            {
                "advert_id": f"nhs-{Path(name).stem}",
                "source": "nhs_jobs",
                "title": posting.get("title"),
                "description": html_to_text(posting.get("description")),
                "posted_date": posting.get("datePosted"),
                "employer": (posting.get("hiringOrganization") or {}).get("name"),
                "location_raw": ", ".join(p for p in (locality, postcode) if p) or None,
                "salary_raw": salary_raw,
                "salary_unit_hint": unit,
                "category": posting.get("industry") or "Healthcare",
                "contract_type": posting.get("employmentType"),
                "postcode": postcode,
                "locality": locality,
                "latitude": pd.to_numeric(geo.get("latitude"), errors="coerce"),
                "longitude": pd.to_numeric(geo.get("longitude"), errors="coerce"),
            }
        )
    return pd.DataFrame(rows)


def normalise_reed(raw: pd.DataFrame) -> pd.DataFrame:
    """Reed CSV rows to advert rows; ``advert_id`` is the row number in the pinned file."""
    return raw.reset_index(drop=True).pipe(
        lambda d: pd.DataFrame(
            {
                "advert_id": "reed-" + d.index.astype(str),
                "source": "reed",
                "title": d["job_title"].str.strip(),
                "description": None,
                "posted_date": None,
                "employer": None,
                "location_raw": (d["city"].str.strip() + ", " + d["state"].str.strip()).str.strip(", "),
                "salary_raw": d["salary_offered"].str.strip().replace("", None),
                "salary_unit_hint": None,
                "category": d["category"].str.replace(r"\s+jobs$", "", regex=True).str.strip().str.capitalize(),
                "contract_type": d["job_type"].str.strip(),
                "locality": d["city"].str.strip(),
                "county": d["state"].str.strip(),
            }
        )
    )


def normalise_adzuna(raw: pd.DataFrame) -> pd.DataFrame:
    """Adzuna Train_rev1 rows to advert rows; keeps Adzuna's own annualised salary."""
    return pd.DataFrame(
        {
            "advert_id": "adzuna-" + raw["Id"].astype(str),
            "source": "adzuna",
            "title": raw["Title"].str.strip(),
            "description": raw["FullDescription"].map(html_to_text),
            "posted_date": None,
            "employer": raw["Company"].str.strip().replace("", None),
            "location_raw": raw["LocationRaw"].str.strip(),
            "salary_raw": raw["SalaryRaw"].str.strip().replace("", None),
            "salary_unit_hint": None,
            "category": raw["Category"].str.replace(r"\s+Jobs$", "", regex=True).str.strip(),
            "contract_type": (raw["ContractTime"].str.strip() + " " + raw["ContractType"].str.strip())
            .str.strip()
            .replace("", None),
            "locality": raw["LocationNormalized"].str.strip(),
            "salary_normalised_source": pd.to_numeric(raw["SalaryNormalized"], errors="coerce"),
        }
    )


def _region_failure(location_raw: pd.Series, region: pd.Series) -> pd.Series:
    """Why no region was found, for adverts without one."""

    def reason(text: object) -> str:
        parts = [normalise_place(p) for p in str(text or "").split(",")]
        parts = [p for p in parts if p]
        if not parts:
            return "no location given"
        if all(p in NOT_A_REGION for p in parts):
            return "country only or outside the twelve regions"
        return "place not recognised"

    return pd.Series(np.where(region.isna(), location_raw.map(reason), None), index=region.index, dtype=object)


def map_regions(adverts: pd.DataFrame, lookups: RegionLookups) -> pd.DataFrame:
    """Add ``region``, ``region_method`` and ``region_failure`` to normalised adverts."""

    def col(name: str) -> pd.Series:
        return adverts[name] if name in adverts else pd.Series(None, index=adverts.index, dtype=object)

    candidates = pd.DataFrame(
        {
            "postcode": col("postcode").map(lookups.region_from_postcode),
            "coordinates": lookups.nearest_regions(
                pd.to_numeric(col("latitude"), errors="coerce").to_numpy(),
                pd.to_numeric(col("longitude"), errors="coerce").to_numpy(),
            ),
            "county or region": col("county").map(region_from_place),
            "town": col("locality").map(lookups.region_from_town),
            "location text": col("location_raw").map(lambda text: _first_region_in(text, lookups)),
        },
        index=adverts.index,
    )
    assigned = assign_regions(candidates)
    return adverts.assign(
        region=assigned["region"],
        region_method=assigned["region_method"],
        region_failure=lambda d: _region_failure(d["location_raw"], d["region"]),
    )


def _first_region_in(text: object, lookups: RegionLookups) -> str | None:
    """Region of the most specific recognisable comma-separated part of a location string."""
    for part in str(text or "").split(","):
        region = lookups.region_from_town(part)
        if region:
            return region
    return None


def add_salaries(adverts: pd.DataFrame) -> pd.DataFrame:
    """Parse ``salary_raw`` into min/max/annual columns; Adzuna's own annualisation fills gaps."""
    parsed = salary.parse_salaries(adverts["salary_raw"], adverts["salary_unit_hint"])
    source_annual = (
        adverts["salary_normalised_source"]
        if "salary_normalised_source" in adverts
        else pd.Series(np.nan, index=adverts.index)
    )
    use_source = parsed["salary_annual_gbp"].isna() & source_annual.notna()
    return adverts.assign(
        salary_min_gbp=parsed["salary_annual_min_gbp"],
        salary_max_gbp=parsed["salary_annual_max_gbp"],
        salary_period=parsed["salary_period"],
        salary_annual_gbp=parsed["salary_annual_gbp"].where(~use_source, source_annual),
        salary_method=np.select(
            [parsed["salary_annual_gbp"].notna(), use_source], ["parsed", "source annualised"], default=None
        ),
        salary_failure=parsed["salary_failure"].where(parsed["salary_annual_gbp"].isna() & ~use_source),
    )


def deduplicate(adverts: pd.DataFrame) -> tuple[pd.DataFrame, int]:
    """Apply the duplicate rule (module docstring); returns the kept rows and how many went."""
    key = adverts[DUPLICATE_KEY].fillna("").astype(str)
    duplicated = key.assign(order=adverts["advert_id"]).sort_values("order").duplicated(subset=DUPLICATE_KEY)
    kept = adverts.loc[~duplicated.reindex(adverts.index)]
    return kept.reset_index(drop=True), int(duplicated.sum())


def finalise(adverts: pd.DataFrame) -> pd.DataFrame:
    """Types and column order of the published schema."""
    return (
        adverts.assign(
            posted_date=lambda d: (
                pd.to_datetime(d["posted_date"], utc=True, errors="coerce").dt.tz_localize(None).dt.normalize()
            ),
        )
        .reindex(columns=COLUMNS)
        .astype({c: "string" for c in schema.STRING_COLUMNS})
        .astype({c: "float64" for c in schema.FLOAT_COLUMNS})
    )


def build_adverts(adzuna_path: Path | None = None, lookups: RegionLookups | None = None) -> tuple[pd.DataFrame, dict]:
    """Read every advert source, normalise, map regions and salaries, deduplicate, validate.

    Parameters
    ----------
    adzuna_path
        The full Kaggle ``Train_rev1.csv`` if you have it; default the pinned 2,499-row copy.

    Returns
    -------
    adverts, report
        The validated table and a dict of counts for the data log (rows per source,
        duplicates removed).
    """
    lookups = lookups or RegionLookups.from_sources(getters.read_postcode_districts(), getters.read_location_tree())
    by_source = {
        "nhs_jobs": normalise_nhs(getters.iter_nhs_postings()),
        "reed": normalise_reed(getters.read_reed_raw()),
        "adzuna": normalise_adzuna(getters.read_adzuna_raw(adzuna_path)),
    }
    combined = pd.concat(by_source.values(), ignore_index=True).pipe(map_regions, lookups).pipe(add_salaries)
    deduplicated, n_duplicates = deduplicate(combined)
    adverts = finalise(deduplicated).pipe(schema.validate_adverts)
    report = {
        "rows_read": {source: len(frame) for source, frame in by_source.items()},
        "duplicates_removed": n_duplicates,
        "rows_written": len(adverts),
    }
    return adverts, report


def write_adverts(adverts: pd.DataFrame) -> Path:
    return getters.write_processed(adverts, "adverts")
