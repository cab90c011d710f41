"""Tests for the advert salary parser (``skills_engine.salary``)."""

from __future__ import annotations

import math
import os
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from skills_engine import config
from skills_engine.data.salary import OUTPUT_COLUMNS, PERIODS, ParsedSalary, parse_salaries, parse_salary

CASES_CSV = Path(__file__).parent / "data" / "salary_cases.csv"
#: Share of real salary strings holding a digit (and no "****" mask) that must get an annual
#: figure: the brief's bar; the misses are euro/dollar amounts, typos and "Band 5" labels.
MIN_ANNUAL_SHARE = 0.95


def _cases() -> pd.DataFrame:
    return pd.read_csv(CASES_CSV, dtype=str, keep_default_na=False)


def _number(text: str) -> float | None:
    return float(text) if text.strip() else None


def _close(actual: float | None, expected: float | None) -> bool:
    if expected is None:
        return actual is None
    return actual is not None and math.isclose(actual, expected, abs_tol=0.01)


def test_cases_file_covers_enough_strings():
    cases = _cases()
    assert len(cases) >= 60
    assert not cases.duplicated(["text", "unit_hint"]).any()
    # every failure code and every period appears at least once
    assert {"empty", "no_amount", "masked", "not_gbp", "unparsed", "implausible"} <= set(cases["expected_failure"])
    assert set(PERIODS) <= set(cases["expected_period"])


@pytest.mark.parametrize("case", _cases().to_dict("records"), ids=lambda c: f"{c['text'][:45]}|{c['unit_hint']}")
def test_parse_salary_cases(case):
    parsed = parse_salary(case["text"], case["unit_hint"] or None)
    expected_failure = case["expected_failure"] or None
    assert parsed.failure == expected_failure
    assert _close(parsed.min_gbp, _number(case["expected_min"]))
    assert _close(parsed.max_gbp, _number(case["expected_max"]))
    assert parsed.period == (case["expected_period"] or None)
    assert _close(parsed.annual_gbp, _number(case["expected_annual"]))
    if expected_failure:
        assert parsed.annual_min_gbp is None and parsed.annual_max_gbp is None
    else:
        factor = {"hour": config.HOURS_PER_YEAR, "day": config.DAYS_PER_YEAR, "week": config.WEEKS_PER_YEAR,
                  "month": config.MONTHS_PER_YEAR, "year": 1}[parsed.period]  # fmt: skip
        for bound, annual in ((parsed.min_gbp, parsed.annual_min_gbp), (parsed.max_gbp, parsed.annual_max_gbp)):
            assert _close(annual, None if bound is None else bound * factor)


@pytest.mark.parametrize(
    ("text", "period", "failure"),
    [
        ("£99", "hour", None),
        ("£100", "day", None),
        ("£999", "day", None),
        ("£1,000", None, "ambiguous_period"),
        ("£4,999", None, "ambiguous_period"),
        ("£5,000", "year", None),
    ],
)
def test_period_inferred_from_magnitude_at_the_cut_offs(text, period, failure):
    parsed = parse_salary(text)
    assert (parsed.period, parsed.failure) == (period, failure)


def test_hint_applies_only_when_the_text_names_no_period():
    assert parse_salary("£450", "WEEK").period == "week"
    assert parse_salary("£450 per day", "WEEK").period == "day"
    assert parse_salary("£450", "not a unit").period == "day"


def test_band_numbers_are_not_amounts():
    for text in ("Band 5", "Band 8a-8b", "NVQ Level 3", "Band 5/6 equivalent"):
        parsed = parse_salary(text)
        assert parsed.failure == "unparsed", text
        assert parsed.min_gbp is None
    assert parse_salary("Band 5 £24,907").min_gbp == 24907


def test_numbers_are_accepted_as_text():
    assert parse_salary(24907, "YEAR").annual_gbp == 24907
    assert parse_salary(24907.0).annual_gbp == 24907
    assert parse_salary(float("nan")).failure == "empty"
    assert parse_salary(pd.NA).failure == "empty"


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="£$0123456789.,-/ kKpahdwmrtoupe*%", max_size=40))
def test_parse_salary_never_raises_and_is_consistent(text):
    parsed = parse_salary(text)
    assert isinstance(parsed, ParsedSalary)
    assert (parsed.failure is None) == (parsed.annual_gbp is not None)
    if parsed.annual_gbp is not None:
        assert config.SALARY_MIN_PLAUSIBLE_GBP <= parsed.annual_gbp <= config.SALARY_MAX_PLAUSIBLE_GBP
        assert parsed.period in PERIODS
        if parsed.min_gbp is not None and parsed.max_gbp is not None:
            assert parsed.min_gbp <= parsed.max_gbp


def test_parse_salaries_matches_parse_salary_row_by_row():
    cases = _cases()
    texts = pd.Series(cases["text"].tolist() * 2, index=range(100, 100 + 2 * len(cases)))
    hints = pd.Series((cases["unit_hint"].replace("", None)).tolist() * 2, index=texts.index)
    out = parse_salaries(texts, hints)
    assert list(out.columns) == list(OUTPUT_COLUMNS)
    assert out.index.equals(texts.index)
    assert out["salary_annual_gbp"].dtype == "float64"
    for position, (text, hint) in enumerate(zip(texts, hints)):
        parsed = parse_salary(text, hint)
        row = out.iloc[position]
        assert (row["salary_period"] if pd.notna(row["salary_period"]) else None) == parsed.period
        assert (row["salary_failure"] if pd.notna(row["salary_failure"]) else None) == parsed.failure
        for column, value in (
            ("salary_min_gbp", parsed.min_gbp),
            ("salary_max_gbp", parsed.max_gbp),
            ("salary_annual_gbp", parsed.annual_gbp),
        ):
            assert _close(None if pd.isna(row[column]) else row[column], value)


def test_parse_salaries_handles_missing_values_and_rejects_misaligned_hints():
    texts = pd.Series([None, float("nan"), "£30k", pd.NA], index=list("abcd"), dtype=object)
    out = parse_salaries(texts)
    assert out["salary_failure"].tolist()[:2] == ["empty", "empty"]
    assert out.loc["c", "salary_annual_gbp"] == 30000
    assert parse_salaries(pd.Series([], dtype=object)).empty
    with pytest.raises(ValueError, match="same index"):
        parse_salaries(texts, pd.Series(["YEAR"] * 4))


# --- end to end on the mirror ---------------------------------------------------------------

needs_mirror = pytest.mark.skipif(not os.environ.get("SKILLS_ENGINE_MIRROR"), reason="SKILLS_ENGINE_MIRROR is not set")


def _annual_share(texts: pd.Series, hints: pd.Series | None = None) -> float:
    """Share of strings with a digit and no mask that get an annual figure."""
    as_text = texts.astype(str)
    eligible = as_text.str.contains(r"\d") & ~as_text.str.contains(r"\*\*\*\*", regex=True)
    parsed = parse_salaries(texts, hints)
    return parsed.loc[eligible, "salary_annual_gbp"].notna().mean()


@pytest.mark.mirror
@needs_mirror
def test_reed_salaries_mostly_annualised():
    from skills_engine import getters

    texts = getters.read_reed_raw()["salary_offered"]
    assert _annual_share(texts) >= MIN_ANNUAL_SHARE


@pytest.mark.mirror
@needs_mirror
def test_adzuna_salaries_mostly_annualised_and_agree_with_adzuna():
    from skills_engine import getters

    raw = getters.read_adzuna_raw()
    assert _annual_share(raw["SalaryRaw"]) >= MIN_ANNUAL_SHARE
    # Adzuna annualised each advert itself; on yearly salaries (no hours/weeks conventions
    # involved) our midpoint must agree with theirs almost always.
    yearly = (
        parse_salaries(raw["SalaryRaw"]).join(raw["SalaryNormalized"].astype(float)).query("salary_period == 'year'")
    )
    agree = (yearly["salary_annual_gbp"] - yearly["SalaryNormalized"]).abs() <= 1
    assert len(yearly) > 1000
    assert agree.mean() >= 0.98


def _nhs_salary_text(posting: dict) -> tuple[object, object]:
    """NHS ``baseSalary``: "min - max" when given, else its free text; and the unitText."""
    value = (posting.get("baseSalary") or {}).get("value")
    if not isinstance(value, dict):
        return value, None
    bounds = [str(value[k]) for k in ("minValue", "maxValue") if value.get(k) not in (None, "")]
    return (" - ".join(bounds) if bounds else value.get("value")), value.get("unitText")


@pytest.mark.mirror
@needs_mirror
def test_nhs_salaries_mostly_annualised():
    from skills_engine import getters

    pairs = [_nhs_salary_text(posting) for _, posting in getters.iter_nhs_postings()]
    texts = pd.Series([text for text, _ in pairs], dtype=object)
    hints = pd.Series([hint for _, hint in pairs], dtype=object)
    assert _annual_share(texts, hints) >= MIN_ANNUAL_SHARE
