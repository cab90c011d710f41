"""The tidy adverts table, built from hand-written records of each source."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from skills_engine.data import adverts as ad
from skills_engine.data import quality, schema
from skills_engine.data.places import RegionLookups


@pytest.fixture
def lookups(tests_data) -> RegionLookups:
    districts = pd.read_csv(tests_data / "postcode_districts_small.csv", dtype=str, keep_default_na=False)
    return RegionLookups.from_sources(districts)


@pytest.fixture
def nhs(tests_data) -> pd.DataFrame:
    postings = json.loads((tests_data / "nhs_postings_small.json").read_text())
    return ad.normalise_nhs((f"{9000 + i}.json", posting) for i, posting in enumerate(postings))


def reed_raw() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "category": ["catering jobs", "law jobs", "law jobs", "it jobs"],
            "city": ["Sunderland", "Swindon", "Swindon", "Sydney"],
            "job_title": ["Commis Chef", "Legal Secretary", "Legal Secretary", "Developer"],
            "job_type": ["Permanent, full-time"] * 4,
            "salary_offered": [
                " £18,323 per annum ",
                " £18,000 - £22,000 per annum ",
                " £18,000 - £22,000 per annum ",
                " Competitive ",
            ],
            "state": ["Tyne And Wear", "Wiltshire", "Wiltshire", "Australia"],
        }
    )


def adzuna_raw() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "Id": ["101", "102"],
            "Title": ["Engineering Systems Analyst", "Chef de Partie"],
            "FullDescription": ["Analyst role in <b>Durham</b>", "Busy kitchen"],
            "LocationRaw": ["Durham, County Durham", "UK"],
            "LocationNormalized": ["Durham", "UK"],
            "ContractType": ["", "full_time"],
            "ContractTime": ["permanent", ""],
            "Company": ["Gregory Martin", ""],
            "Category": ["Engineering Jobs", "Hospitality & Catering Jobs"],
            "SalaryRaw": ["20000 - 30000/annum 20-30K", "£****"],
            "SalaryNormalized": ["25000", "21000"],
            "SourceName": ["cv-library.co.uk", "caterer.com"],
        }
    )


def build(nhs: pd.DataFrame, lookups: RegionLookups) -> pd.DataFrame:
    combined = pd.concat([nhs, ad.normalise_reed(reed_raw()), ad.normalise_adzuna(adzuna_raw())], ignore_index=True)
    tidy, _ = ad.deduplicate(combined.pipe(ad.map_regions, lookups).pipe(ad.add_salaries))
    return ad.finalise(tidy).pipe(schema.validate_adverts).set_index("advert_id")


def test_nhs_records_are_normalised(nhs):
    nurse = nhs.iloc[0]
    assert nurse["advert_id"] == "nhs-9000"
    assert nurse["description"] == "Join our ward team.\nPatient care"
    assert nurse["salary_raw"] == "24907 - 30615" and nurse["salary_unit_hint"] == "YEAR"
    assert nurse["employer"] == "Newcastle Hospitals"
    assert nurse["location_raw"] == "NEWCASTLE, NE1 4LP"
    assert nhs.iloc[1]["salary_raw"] == "10.50" and nhs.iloc[1]["salary_unit_hint"] == "HOUR"


def test_regions_by_postcode_coordinates_and_place_name(nhs, lookups):
    table = build(nhs, lookups)
    assert table.loc["nhs-9000", ["region", "region_method"]].tolist() == ["North East", "postcode"]
    # an unknown postcode falls back to the coordinates
    assert table.loc["nhs-9001", ["region", "region_method"]].tolist() == ["Wales", "coordinates"]
    # Guernsey is outside the twelve regions
    assert pd.isna(table.loc["nhs-9002", "region"])
    assert table.loc["reed-0", ["region", "region_method"]].tolist() == ["North East", "county or region"]
    assert table.loc["reed-1", "region"] == "South West"
    assert pd.isna(table.loc["reed-3", "region"]) and table.loc["reed-3", "region_failure"] == "place not recognised"
    assert table.loc["adzuna-101", "region"] == "North East"
    assert table.loc["adzuna-102", "region_failure"] == "country only or outside the twelve regions"


def test_salaries_are_annualised_with_the_source_as_fallback(nhs, lookups):
    table = build(nhs, lookups)
    assert table.loc["nhs-9000", "salary_annual_gbp"] == pytest.approx((24907 + 30615) / 2)
    assert table.loc["nhs-9001", "salary_annual_gbp"] == pytest.approx(10.50 * 1950)
    assert pd.isna(table.loc["nhs-9002", "salary_annual_gbp"])
    assert table.loc["reed-1", ["salary_min_gbp", "salary_max_gbp"]].tolist() == [18000, 22000]
    assert table.loc["adzuna-101", "salary_method"] == "parsed"
    # a masked figure cannot be parsed; Adzuna's own annualised salary is used and labelled
    assert table.loc["adzuna-102", ["salary_annual_gbp", "salary_method"]].tolist() == [21000, "source annualised"]


def test_duplicate_rule_keeps_the_first_repost(nhs, lookups):
    table = build(nhs, lookups)
    assert "reed-1" in table.index and "reed-2" not in table.index
    combined = pd.concat([ad.normalise_reed(reed_raw())], ignore_index=True)
    _, removed = ad.deduplicate(combined)
    assert removed == 1


def test_failures_are_counted_by_reason(nhs, lookups):
    table = build(nhs, lookups).reset_index()
    failures = quality.failure_counts(table)
    region_fail = failures.query("field == 'region'").set_index(["source", "reason"])["adverts"].to_dict()
    assert region_fail == {
        ("adzuna", "country only or outside the twelve regions"): 1,
        ("nhs_jobs", "place not recognised"): 1,
        ("reed", "place not recognised"): 1,
    }
    salary_fail = failures.query("field == 'salary'")
    assert salary_fail["adverts"].sum() == 2  # the GP's "negotiable" and Reed's "Competitive"


def test_schema_error_names_column_check_and_advert(nhs, lookups):
    table = build(nhs, lookups).reset_index()
    broken = table.assign(region=table["region"].mask(table["advert_id"] == "reed-0", "Narnia").astype("string"))
    with pytest.raises(schema.AdvertsSchemaError) as caught:
        schema.validate_adverts(broken)
    message = str(caught.value)
    assert "'region'" in message and "isin" in message and "reed-0" in message and "Narnia" in message


def test_schema_rejects_implausible_salary_and_duplicate_ids(nhs, lookups):
    table = build(nhs, lookups).reset_index()
    with pytest.raises(schema.AdvertsSchemaError, match="salary_annual_gbp"):
        schema.validate_adverts(
            table.assign(salary_annual_gbp=table["salary_annual_gbp"].fillna(0).replace(0, 2_000_000.0))
        )
    with pytest.raises(schema.AdvertsSchemaError, match="advert_id"):
        schema.validate_adverts(pd.concat([table, table.head(1)], ignore_index=True))


@pytest.mark.mirror
def test_real_adverts_table_meets_its_targets(real_mirror):
    from skills_engine import getters
    from skills_engine.data import tables

    tables.build_data()
    adverts = getters.read_adverts()
    schema.validate_adverts(adverts)
    assert adverts.groupby("source").size().to_dict().keys() == {"nhs_jobs", "reed", "adzuna"}
    rates = quality.fill_rates(adverts)
    assert rates["region_filled"] >= 0.95
    assert rates["salary_filled_where_digit"] >= 0.95
    assert tables.build_data()["skipped"] is True
