"""Regional comparisons robust to employers and sources, on small hand-written adverts: the
employer (cluster) bootstrap, the employers publication rule, source-mix standardisation, and
the all-regions file the website's Regions page reads."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from skills_engine import disclosure
from skills_engine.config import REGIONS
from skills_engine.publish import findings
from skills_engine.regional import comparison, overview


def _world(region_employers: list[str], region_has: list[bool], rest: int = 1_000, rest_rate: float = 0.1):
    """Adverts in the North East (one employer each as given) and ``rest`` London adverts, each
    from its own employer; the skill ``x`` in the adverts flagged (and ``rest_rate`` of London)."""
    n = len(region_employers)
    adverts = pd.DataFrame(
        {
            "advert_id": range(n + rest),
            "region": ["North East"] * n + ["London"] * rest,
            "employer": region_employers + [f"london {i}" for i in range(rest)],
        }
    )
    flagged = [i for i, has in enumerate(region_has) if has] + [n + i for i in range(int(rest * rest_rate))]
    return adverts, pd.DataFrame({"advert_id": flagged, "skill": "x"})


def _width(adverts, items, bootstrap: str) -> float:
    row = comparison.share_comparison(items, adverts, "North East", "skill", bootstrap=bootstrap).iloc[0]
    assert not row["suppressed"]
    return row["lq_high"] - row["lq_low"]


def test_one_employer_posting_many_identical_adverts_widens_the_interval():
    # 40 identical adverts from one employer, all asking for x; 160 others, 20 asking for x
    employers = ["big employer"] * 40 + [f"small {i}" for i in range(160)]
    adverts, items = _world(employers, [True] * 40 + [i < 20 for i in range(160)])
    by_employer, by_advert = _width(adverts, items, "employer"), _width(adverts, items, "advert")
    assert by_employer > 1.5 * by_advert


def test_one_employer_per_advert_gives_about_the_same_interval():
    adverts, items = _world([f"own {i}" for i in range(200)], [i % 4 == 0 for i in range(200)])
    by_employer, by_advert = _width(adverts, items, "employer"), _width(adverts, items, "advert")
    assert by_employer == pytest.approx(by_advert, rel=0.15)


def test_adverts_without_an_employer_are_clusters_but_not_employers():
    adverts, items = _world([None] * 200, [i % 4 == 0 for i in range(200)])
    row = comparison.share_comparison(items, adverts, "North East", "skill").iloc[0]
    assert row["region_adverts"] == 50 and row["region_employers"] == 0
    assert bool(row["suppressed"]) and bool(row["few_employers"]) and np.isnan(row["location_quotient"])
    # the same adverts with every employer named: published, with an interval like the advert bootstrap's
    named = adverts.assign(employer=adverts["employer"].fillna(pd.Series([f"e{i}" for i in range(len(adverts))])))
    assert not comparison.share_comparison(items, named, "North East", "skill").iloc[0]["suppressed"]


def test_employer_rule_suppresses_12_adverts_from_2_employers():
    employers = ["a"] * 6 + ["b"] * 6 + [f"other {i}" for i in range(88)]
    adverts, items = _world(employers, [True] * 12 + [False] * 88)
    row = comparison.share_comparison(items, adverts, "North East", "skill").iloc[0]
    assert row["region_adverts"] == 12 and row["region_employers"] == 2
    assert bool(row["suppressed"]) and bool(row["few_employers"])
    assert all(np.isnan(row[c]) for c in ("location_quotient", "lq_low", "lq_high", "region_share"))
    over, _ = comparison.over_under_represented(comparison.share_comparison(items, adverts, "North East", "skill"))
    assert over.empty
    # five employers behind the same 12 adverts pass both rules
    spread = ["a", "b", "c", "d", "e", "a", "b", "c", "d", "e", "a", "b"] + employers[12:]
    adverts, items = _world(spread, [True] * 12 + [False] * 88)
    row = comparison.share_comparison(items, adverts, "North East", "skill").iloc[0]
    assert row["region_employers"] == 5 and not row["suppressed"]
    assert row["lq_low"] < row["location_quotient"] < row["lq_high"]
    assert disclosure.passes_rules(12, 5) and not disclosure.passes_rules(12, 2)


def _mixed_sources() -> tuple[pd.DataFrame, pd.DataFrame]:
    # North East: 300 NHS + 100 Reed adverts; London: 100 NHS + 500 Reed. Within each source the
    # item's share is the same everywhere (NHS 50%, Reed 10%): only the source mix differs.
    blocks = [
        ("North East", "nhs_jobs", 300),
        ("North East", "reed", 100),
        ("London", "nhs_jobs", 100),
        ("London", "reed", 500),
    ]
    frames = []
    for region, source, n in blocks:
        frames.append(
            pd.DataFrame(
                {
                    "region": region,
                    "source": source,
                    "employer": [f"{region} {source} {i % 25}" for i in range(n)],
                    "has": np.arange(n) < n * (0.5 if source == "nhs_jobs" else 0.1),
                    "salary_annual_gbp": 30_000.0 if source == "nhs_jobs" else 20_000.0,
                    "occupation": "nurse",
                }
            )
        )
    adverts = pd.concat(frames, ignore_index=True).assign(advert_id=lambda d: range(len(d)))
    return adverts, pd.DataFrame({"advert_id": adverts.loc[adverts["has"], "advert_id"], "skill": "x"})


def test_source_standardisation_removes_an_lq_caused_only_by_source_mix():
    adverts, items = _mixed_sources()
    row = comparison.share_comparison(items, adverts, "North East", "skill").iloc[0]
    assert row["region_share"] == pytest.approx(160 / 400) and row["national_share"] == pytest.approx(260 / 1000)
    assert row["lq_unstandardised"] == pytest.approx(0.4 / 0.26)  # spurious: NHS adverts ask for x more
    assert row["location_quotient"] == pytest.approx(1.0)
    assert row["lq_low"] < 1 < row["lq_high"] and row["standardised_over"] == "nhs_jobs, reed"
    over, under = comparison.over_under_represented(comparison.share_comparison(items, adverts, "North East", "skill"))
    assert over.empty and under.empty
    raw = comparison.share_comparison(items, adverts, "North East", "skill", standardise=False).iloc[0]
    assert raw["location_quotient"] == pytest.approx(raw["lq_unstandardised"]) and raw["lq_low"] > 1


def test_a_source_the_region_barely_has_is_left_out_of_the_standardisation():
    adverts, items = _mixed_sources()
    few = adverts.drop(adverts.query("region == 'North East' and source == 'reed'").index[5:])  # 5 Reed left
    row = comparison.share_comparison(items, few, "North East", "skill").iloc[0]
    assert row["standardised_over"] == "nhs_jobs"
    assert row["location_quotient"] == pytest.approx(1.0)  # NHS against NHS


def test_pay_ratio_is_standardised_and_needs_employers_on_both_sides():
    adverts, _ = _mixed_sources()  # NHS pays 30k, Reed 20k, everywhere
    pay = comparison.median_salary_comparison(adverts, "North East", "occupation").iloc[0]
    assert pay["region_median"] == 30_000 and pay["rest_median"] == 20_000  # raw: the mix
    assert pay["ratio_unstandardised"] == pytest.approx(1.5)
    assert pay["ratio"] == pytest.approx(1.0) and pay["ratio_low"] <= 1 <= pay["ratio_high"]
    one_employer = adverts.assign(employer=np.where(adverts["region"] == "North East", "only one", adverts["employer"]))
    pay = comparison.median_salary_comparison(one_employer, "North East", "occupation").iloc[0]
    assert bool(pay["suppressed"]) and bool(pay["few_employers"]) and np.isnan(pay["ratio"])


def test_regions_table_withholds_medians_without_enough_employers():
    adverts, _ = _mixed_sources()
    adverts = adverts.assign(employer=np.where(adverts["region"] == "London", None, adverts["employer"]))
    table = comparison.regions_table(adverts).set_index("region")
    assert table.loc["North East", "employers"] == 50 and table.loc["North East", "median_salary"] == 30_000
    assert table.loc["London", "adverts"] == 600 and table.loc["London", "employers"] == 0
    assert np.isnan(table.loc["London", "median_salary"]) and bool(table.loc["London", "suppressed"])


def test_headline_finding_carries_the_machine_readable_fields():
    adverts, items = _world([f"e{i % 30}" for i in range(200)], [i < 60 for i in range(200)])
    table = comparison.share_comparison(items, adverts, "North East", "skill").rename(columns={"skill": "skill_label"})
    top = overview.top_over_represented(table, "skill")
    finding = overview.headline_finding(top, "skill", "North East", "reports/north-east/04.ipynb")
    assert finding["kind"] == "most over-represented skill" and finding["region"] == "North East"
    assert finding["label"] == finding["value"] == "x"
    assert finding["adverts"] == 60 and finding["employers"] == 30
    assert 1 < finding["lq_low"] < finding["lq"] < finding["lq_high"]
    # the reader sees how uncertain the ratio is, in the bracket every figure of the site uses
    shown = f"{finding['lq']:.1f}× the UK share [{finding['lq_low']:.1f}–{finding['lq_high']:.1f}]"
    assert shown in finding["text"], finding["text"]
    nothing = table.assign(lq_low=0.5)
    assert overview.top_over_represented(nothing, "skill") is None


def test_record_regions_writes_the_schema(tmp_path):
    table = pd.DataFrame(
        {
            "region": list(REGIONS),
            "adverts": [500] + [3] + [100] * 10,
            "employers": [40] + [1] + [8] * 10,
            "priced": [200] + [2] + [50] * 10,
            "median_salary": [28_412.6] + [np.nan] * 11,
            "suppressed": [False] + [True] * 11,
            "postings_change_12m": [0.05123] + [np.nan] * 11,
            "postings_as_of": [pd.Timestamp("2024-05-01")] + [pd.NaT] * 11,
            "top_occupation": ["nurse"] + [None] * 11,
            "top_occupation_lq": [1.5] + [np.nan] * 11,
            "top_occupation_lq_low": [1.2] + [np.nan] * 11,
            "top_occupation_lq_high": [1.8] + [np.nan] * 11,
            "top_occupation_adverts": [40.0] + [np.nan] * 11,
            "top_occupation_employers": [12.0] + [np.nan] * 11,
        }
    )
    rows = overview.region_rows(table, uk_change_12m=0.02)
    target = findings.record_regions(rows, "reports/national/05_all_regions.ipynb", tmp_path / "regions.json")
    payload = json.loads(target.read_text())
    assert set(payload) == {"updated", "source", "min_published_count", "min_published_employers", "regions"}
    assert payload["min_published_count"] == 10 and payload["min_published_employers"] == 5
    first, second = payload["regions"][0], payload["regions"][1]
    assert list(first) == list(overview.REGION_ROW_KEYS)
    assert first == {
        "region": "North East",
        "slug": "north-east",
        "adverts": 500,
        "employers": 40,
        "median_salary_gbp": 28413,
        "salary_n": 200,
        "postings_change_12m": 0.0512,
        "uk_postings_change_12m": 0.02,
        "postings_as_of": "2024-05-01",
        "top_occupation": "nurse",
        "top_occupation_lq": 1.5,
        "top_occupation_lq_low": 1.2,
        "top_occupation_lq_high": 1.8,
        "top_occupation_adverts": 40,
        "top_occupation_employers": 12,
    }
    # a region with 3 adverts: every count and figure withheld
    assert second["adverts"] is None and second["employers"] is None and second["median_salary_gbp"] is None
    assert second["salary_n"] is None and second["top_occupation"] is None and second["postings_as_of"] is None
    with pytest.raises(ValueError, match="missing"):
        findings.record_regions([{"region": "Wales"}], "x", tmp_path / "bad.json")
