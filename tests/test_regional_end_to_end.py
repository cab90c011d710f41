"""End-to-end on the real data: every "most over-represented" headline of notebooks 04 and 05
rests on at least 10 adverts and 5 distinct named employers in its region, counted afresh from the
processed tables (not from the notebooks' own counts).

Needs the processed tables that notebooks 01-03 write, so it is skipped when they are absent.
Findings and ``regions.json`` go to a temporary reports folder, never the user's.
"""

from __future__ import annotations

import json

import pandas as pd
import pytest

from skills_engine import disclosure, getters, paths, runner
from skills_engine.occupations.labelling import MIN_TITLE_CONFIDENCE


def _evidence(label_adverts: set, region: str, adverts: pd.DataFrame) -> tuple[int, int]:
    here = adverts.loc[adverts["advert_id"].isin(label_adverts) & (adverts["region"] == region)]
    return len(here), here["employer"].dropna().nunique()


@pytest.mark.mirror
def test_over_represented_headlines_pass_both_rules(real_mirror, tmp_path, monkeypatch):
    for table in ("adverts", "advert_occupations", "advert_skills"):
        if not getters.processed_path(table).is_file():
            pytest.skip(f"{table} not built yet: run the notebooks first (make test does)")
    reports = tmp_path / "reports"
    monkeypatch.setenv("SKILLS_ENGINE_REPORTS_DIR", str(reports))
    notebooks = tuple(runner.notebooks_dir() / n for n in ("04_regional_comparison.ipynb", "05_all_regions.ipynb"))
    plan = runner.plan_run(
        overrides={"region": "North East", "n_bootstrap": 200}, notebooks=notebooks, output_root=reports
    )
    runner.execute(plan)

    adverts = getters.read_adverts(columns=["advert_id", "employer", "region"])
    skills = getters.read_processed("advert_skills", columns=["advert_id", "skill_label"])
    occupations = getters.read_processed("advert_occupations").loc[
        lambda d: d["confidence"] >= MIN_TITLE_CONFIDENCE, ["advert_id", "occupation_label"]
    ]
    by_label = {
        "skill": skills.groupby("skill_label")["advert_id"].agg(set),
        "occupation": occupations.groupby("occupation_label")["advert_id"].agg(set),
    }

    recorded = json.loads(paths.findings_file().read_text())["findings"]
    headlines = [f for f in recorded if str(f.get("kind", "")).startswith("most over-represented")]
    for finding in headlines:
        kind = finding["kind"].removeprefix("most over-represented ")
        assert {"region", "label", "adverts", "employers", "lq", "lq_low", "lq_high"} <= set(finding)
        n_adverts, n_employers = _evidence(by_label[kind][finding["label"]], finding["region"], adverts)
        assert disclosure.passes_rules(n_adverts, n_employers), finding
        assert n_adverts >= finding["adverts"] and n_employers >= finding["employers"]
        assert 1 < finding["lq_low"] <= finding["lq"] <= finding["lq_high"]
        assert f"[{finding['lq_low']:.1f}–{finding['lq_high']:.1f}]" in finding["text"], finding["text"]

    regions = json.loads(paths.regions_file().read_text())
    assert regions["min_published_count"] == 10 and regions["min_published_employers"] == 5
    assert len(regions["regions"]) == 12
    for row in regions["regions"]:
        if row["top_occupation"] is None:
            assert row["top_occupation_lq"] is None and row["top_occupation_employers"] is None
            continue
        n_adverts, n_employers = _evidence(by_label["occupation"][row["top_occupation"]], row["region"], adverts)
        assert disclosure.passes_rules(n_adverts, n_employers), row
        assert row["top_occupation_lq_low"] > 1
