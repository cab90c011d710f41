"""The declared schema of the adverts table, checked with pandera.

A failing check raises :class:`AdvertsSchemaError`, whose message names the column, the
check and the first offending rows' ``advert_id`` values.
"""

from __future__ import annotations

import pandas as pd
import pandera.pandas as pa

from skills_engine.config import REGIONS, SALARY_MAX_PLAUSIBLE_GBP, SALARY_MIN_PLAUSIBLE_GBP

SOURCES = ("nhs_jobs", "reed", "adzuna")

STRING_COLUMNS = (
    "advert_id",
    "source",
    "title",
    "description",
    "employer",
    "location_raw",
    "region",
    "region_method",
    "region_failure",
    "salary_raw",
    "salary_period",
    "salary_method",
    "salary_failure",
    "category",
    "contract_type",
)
FLOAT_COLUMNS = ("salary_min_gbp", "salary_max_gbp", "salary_annual_gbp")
ADVERT_COLUMNS = (
    "advert_id",
    "source",
    "title",
    "description",
    "posted_date",
    "employer",
    "location_raw",
    "region",
    "region_method",
    "region_failure",
    "salary_raw",
    "salary_min_gbp",
    "salary_max_gbp",
    "salary_annual_gbp",
    "salary_period",
    "salary_method",
    "salary_failure",
    "category",
    "contract_type",
)

_salary_bounds = pa.Check.in_range(SALARY_MIN_PLAUSIBLE_GBP, SALARY_MAX_PLAUSIBLE_GBP)
_prefix_matches_source = pa.Check(
    lambda frame: frame["advert_id"].str.split("-").str[0].replace({"nhs": "nhs_jobs"}) == frame["source"],
    name="advert_id prefix matches source",
)
_min_not_above_max = pa.Check(
    lambda frame: ~(frame["salary_min_gbp"] > frame["salary_max_gbp"]),
    name="salary_min_gbp <= salary_max_gbp",
)

ADVERTS_SCHEMA = pa.DataFrameSchema(
    {
        "advert_id": pa.Column(
            "string", unique=True, nullable=False, checks=pa.Check.str_matches(r"^(nhs|reed|adzuna)-\S+$")
        ),
        "source": pa.Column("string", checks=pa.Check.isin(SOURCES)),
        "title": pa.Column("string", nullable=True),
        "description": pa.Column("string", nullable=True),
        "posted_date": pa.Column("datetime64[ns]", nullable=True),
        "employer": pa.Column("string", nullable=True),
        "location_raw": pa.Column("string", nullable=True),
        "region": pa.Column("string", nullable=True, checks=pa.Check.isin(REGIONS)),
        "region_method": pa.Column("string", nullable=True),
        "region_failure": pa.Column("string", nullable=True),
        "salary_raw": pa.Column("string", nullable=True),
        "salary_min_gbp": pa.Column("float64", nullable=True, checks=pa.Check.ge(0)),
        "salary_max_gbp": pa.Column("float64", nullable=True, checks=pa.Check.ge(0)),
        "salary_annual_gbp": pa.Column("float64", nullable=True, checks=_salary_bounds),
        "salary_period": pa.Column(
            "string", nullable=True, checks=pa.Check.isin(["hour", "day", "week", "month", "year"])
        ),
        "salary_method": pa.Column("string", nullable=True),
        "salary_failure": pa.Column("string", nullable=True),
        "category": pa.Column("string", nullable=True),
        "contract_type": pa.Column("string", nullable=True),
    },
    checks=[_prefix_matches_source, _min_not_above_max],
    strict=True,
    ordered=True,
    coerce=False,
)


class AdvertsSchemaError(ValueError):
    """The adverts table broke its declared schema."""


def validate_adverts(adverts: pd.DataFrame) -> pd.DataFrame:
    """Validate against :data:`ADVERTS_SCHEMA`, with an error naming column, check and rows."""
    try:
        return ADVERTS_SCHEMA.validate(adverts, lazy=True)
    except pa.errors.SchemaErrors as errors:
        cases = errors.failure_cases
        lines = []
        for (column, check), group in cases.groupby(["column", "check"], dropna=False, sort=False):
            index = group["index"].dropna().astype(int).tolist()[:5] if "index" in group else []
            ids = adverts["advert_id"].iloc[index].tolist() if index and "advert_id" in adverts else []
            values = group["failure_case"].astype(str).tolist()[:5]
            lines.append(f"column {column!r} failed {check!r}: {len(group)} rows, e.g. advert_id {ids} values {values}")
        raise AdvertsSchemaError("adverts table failed its schema:\n  " + "\n  ".join(lines)) from None
