"""Tidy taxonomy and statistics tables: ESCO, crosswalks, earnings and the Indeed index.

Each ``tidy_*`` function is pure (raw frame in, tidy frame out) so it can be tested on
hand-written rows; :func:`build_taxonomy_tables` reads the raw sources through
:mod:`skills_engine.getters` and writes every table to ``data/processed``.
"""

from __future__ import annotations

import pandas as pd

from skills_engine import getters
from skills_engine.data.places import region_from_place


def split_labels(text: str) -> list[str]:
    """ESCO keeps alternative labels one per line in a single cell.

    >>> split_labels("nurse\\nregistered nurse \\n")
    ['nurse', 'registered nurse']
    """
    return [label.strip() for label in str(text or "").split("\n") if label.strip()]


def tidy_esco_skills(raw: pd.DataFrame) -> pd.DataFrame:
    """ESCO ``skills_en.csv`` to one row per released skill."""
    return (
        raw.query("status == 'released'")
        .assign(alt_labels=lambda d: d["altLabels"].map(split_labels))
        .rename(
            columns={
                "conceptUri": "skill_uri",
                "preferredLabel": "preferred_label",
                "skillType": "skill_type",
                "reuseLevel": "reuse_level",
            }
        )[["skill_uri", "preferred_label", "alt_labels", "skill_type", "reuse_level", "description"]]
        .reset_index(drop=True)
    )


def tidy_esco_occupations(raw: pd.DataFrame) -> pd.DataFrame:
    """ESCO ``occupations_en.csv`` to one row per released occupation with its ISCO-08 unit group."""
    return (
        raw.query("status == 'released'")
        .assign(
            alt_labels=lambda d: d["altLabels"].map(split_labels),
            isco_code=lambda d: d["iscoGroup"].str.zfill(4),
        )
        .rename(columns={"conceptUri": "occupation_uri", "preferredLabel": "preferred_label", "code": "esco_code"})[
            ["occupation_uri", "preferred_label", "alt_labels", "isco_code", "esco_code", "description"]
        ]
        .reset_index(drop=True)
    )


def tidy_occupation_skills(raw: pd.DataFrame) -> pd.DataFrame:
    return raw.rename(
        columns={
            "occupationUri": "occupation_uri",
            "relationType": "relation_type",
            "skillType": "skill_type",
            "skillUri": "skill_uri",
        }
    )[["occupation_uri", "skill_uri", "relation_type", "skill_type"]]


def tidy_skill_hierarchy(raw: pd.DataFrame) -> pd.DataFrame:
    """ESCO's skill pillar broader relations: ``skill_uri, broader_uri, broader_type``."""
    return raw.rename(
        columns={
            "conceptUri": "skill_uri",
            "conceptType": "concept_type",
            "broaderUri": "broader_uri",
            "broaderType": "broader_type",
        }
    )[["skill_uri", "concept_type", "broader_uri", "broader_type"]]


def tidy_isco_soc(raw: pd.DataFrame) -> pd.DataFrame:
    """ISCO-08 unit group to SOC 2010 code; ``part`` marks a partial correspondence.

    The crosswalk shipped with Career Causeways maps ISCO-08 to the 2010 SOC of the US
    Bureau of Labor Statistics (the data log and caveats page say so).
    """
    return (
        raw.rename(
            columns={
                "ISCO-08 Code": "isco_code",
                "ISCO-08 Title EN": "isco_title",
                "part": "partial",
                "2010 SOC Code": "soc2010_code",
                "2010 SOC Title": "soc2010_title",
            }
        )
        .dropna(subset=["isco_code", "soc2010_code"])
        .assign(
            isco_code=lambda d: d["isco_code"].str.strip().str.zfill(4),
            partial=lambda d: d["partial"].fillna("").str.strip() == "*",
        )[["isco_code", "isco_title", "soc2010_code", "soc2010_title", "partial"]]
        .reset_index(drop=True)
    )


def tidy_occupation_earnings(raw: pd.DataFrame) -> pd.DataFrame:
    """Career Causeways' national annual earnings (ASHE 2019) per ESCO occupation."""
    return raw.rename(
        columns={
            "concept_uri": "occupation_uri",
            "occupation": "preferred_label",
            "annual_earnings": "annual_earnings_gbp",
        }
    ).assign(
        isco_code=lambda d: d["isco_code"].astype(str).str.zfill(4),
        earnings_source="ASHE 2019 via Nesta Mapping Career Causeways (national)",
    )[
        [
            "occupation_uri",
            "preferred_label",
            "isco_code",
            "job_zone",
            "annual_earnings_gbp",
            "skills_based_sector",
            "earnings_source",
        ]
    ]


def tidy_indeed_regional(raw: pd.DataFrame) -> pd.DataFrame:
    """Daily regional index, long form: ``date, geography, series, index``."""
    return raw.assign(
        date=lambda d: pd.to_datetime(d["date"]),
        # Indeed writes "Yorkshire & the Humber"; the region aliases know every spelling
        geography=lambda d: d["region"].map(lambda name: region_from_place(name) or name),
        series="total postings",
        level="region",
    ).rename(columns={"indeed_job_postings_index": "index"})[["date", "level", "geography", "series", "index"]]


def tidy_indeed_national(raw: pd.DataFrame) -> pd.DataFrame:
    """National index (seasonally adjusted where published), long form."""
    return raw.assign(date=lambda d: pd.to_datetime(d["date"]), level="national", geography="United Kingdom").rename(
        columns={
            "variable": "series",
            "indeed_job_postings_index_SA": "index",
            "indeed_job_postings_index_NSA": "index_nsa",
        }
    )[["date", "level", "geography", "series", "index", "index_nsa"]]


def tidy_indeed_sector(raw: pd.DataFrame) -> pd.DataFrame:
    return raw.assign(date=lambda d: pd.to_datetime(d["date"]), level="sector", geography="United Kingdom").rename(
        columns={"display_name": "sector", "variable": "series", "indeed_job_postings_index": "index"}
    )[["date", "level", "geography", "sector", "series", "index"]]


def tidy_indeed_sector_titles(raw: pd.DataFrame) -> pd.DataFrame:
    """Example job titles per Indeed sector, one row per (sector, title)."""
    return (
        raw.assign(job_title=lambda d: d["job_titles"].str.split(","))
        .explode("job_title")
        .assign(job_title=lambda d: d["job_title"].str.strip())[["sector", "job_title"]]
        .reset_index(drop=True)
    )


def build_taxonomy_tables() -> dict[str, int]:
    """Read the raw taxonomy and statistics sources and write tidy parquet tables.

    Returns the row count of each table written.
    """
    tables = {
        "esco_skills": tidy_esco_skills(getters.read_esco_raw("skills_en.csv")),
        "esco_occupations": tidy_esco_occupations(getters.read_esco_raw("occupations_en.csv")),
        "esco_occupation_skills": tidy_occupation_skills(getters.read_esco_raw("occupationSkillRelations.csv")),
        "esco_skill_hierarchy": tidy_skill_hierarchy(getters.read_esco_raw("broaderRelationsSkillPillar.csv")),
        "isco_soc_crosswalk": tidy_isco_soc(getters.read_isco_soc_crosswalk_raw()),
        "occupation_earnings": tidy_occupation_earnings(getters.read_career_causeways_occupations()),
        "indeed_regional": tidy_indeed_regional(getters.read_indeed_raw("regional_csv")),
        "indeed_national": tidy_indeed_national(getters.read_indeed_raw("national_csv")),
        "indeed_sector": tidy_indeed_sector(getters.read_indeed_raw("sector_csv")),
        "indeed_sector_titles": tidy_indeed_sector_titles(getters.read_indeed_raw("sector_titles_csv")),
    }
    for name, frame in tables.items():
        getters.write_processed(frame, name)
    return {name: len(frame) for name, frame in tables.items()}
