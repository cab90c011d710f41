"""The national counts behind every regional comparison, and their cache under data/interim/regional/."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from skills_engine import getters, paths
from skills_engine.extraction.advert_skills import TITLE_DERIVED
from skills_engine.occupations.labelling import MIN_TITLE_CONFIDENCE
from skills_engine.regional import inputs

ADVERTS = pd.DataFrame(
    {
        "advert_id": ["a1", "a2", "a3", "a4", "a5", "a6"],
        "source": ["nhs_jobs", "nhs_jobs", "reed", "adzuna", "adzuna", "reed"],
        "employer": ["Trust A", "trust  a", None, "Cafe B", None, None],
        "region": ["North East", "North East", "London", "London", "Wales", None],
        "salary_annual_gbp": [30_000.0, 31_000.0, 35_000.0, 22_000.0, np.nan, 30_000.0],
        "title": ["Nurse", "Staff Nurse", "Nurse", "Cook", "Chef", "Nurse"],
    }
)
OCCUPATIONS = pd.DataFrame(
    {
        "advert_id": ["a1", "a2", "a3", "a4", "a5", "a6"],
        "canonical_title": ["nurse", "staff nurse", "nurse", "cook", "chef", "nurse"],
        "occupation_uri": ["occ:nurse", "occ:nurse", "occ:nurse", "occ:chef", "occ:chef", "occ:nurse"],
        "occupation_label": ["nurse", "nurse", "nurse", "chef", "chef", "nurse"],
        # a4's title is not trusted; a6 has no region
        "confidence": [0.9, MIN_TITLE_CONFIDENCE, 0.95, MIN_TITLE_CONFIDENCE - 0.1, 0.8, 0.9],
    }
)
SKILLS = pd.DataFrame(
    [
        ("a1", "skill:care", "patient care", "lexical"),
        ("a1", "skill:care", "patient care", "semantic"),  # the same skill twice counts once
        ("a1", "skill:records", "record keeping", "lexical"),
        ("a2", "skill:care", "patient care", TITLE_DERIVED),  # a2 has no text
        ("a3", "skill:care", "patient care", "lexical"),
        ("a4", "skill:cooking", "cooking", "lexical"),
        ("a5", "skill:cooking", "cooking", TITLE_DERIVED),  # a5 has no text
        ("a5", "skill:hygiene", "food hygiene", TITLE_DERIVED),
        ("a6", "skill:care", "patient care", "lexical"),  # no region
    ],
    columns=["advert_id", "skill_uri", "skill_label", "method"],
).assign(score=0.9, span_start=np.nan, span_end=np.nan)


def _indeed() -> tuple[pd.DataFrame, pd.DataFrame]:
    dates = pd.date_range("2020-02-01", "2021-03-31", freq="D")

    def step(after: float) -> np.ndarray:
        return np.where(dates < pd.Timestamp("2021-01-01"), 100.0, after)

    regional = pd.concat(
        [
            pd.DataFrame({"date": dates, "geography": "North East", "index": step(90.0)}),
            pd.DataFrame({"date": dates, "geography": "London", "index": step(110.0)}),
        ],
        ignore_index=True,
    ).assign(level="region", series="total postings")[["date", "level", "geography", "series", "index"]]
    national = pd.DataFrame(
        {
            "date": dates,
            "level": "national",
            "geography": "United Kingdom",
            "series": "total postings",
            "index": step(105.0),
            "index_nsa": 100.0,
        }
    )
    return regional, national


@pytest.fixture
def data_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("SKILLS_ENGINE_DATA_DIR", str(tmp_path))
    regional, national = _indeed()
    for name, frame in {
        "adverts": ADVERTS,
        "advert_occupations": OCCUPATIONS,
        "advert_skills": SKILLS,
        "indeed_regional": regional,
        "indeed_national": national,
    }.items():
        getters.write_processed(frame, name)
    return tmp_path


def _counts(frame: pd.DataFrame, item: str) -> dict:
    return frame.groupby([item, "region"])["adverts"].sum().to_dict()


def _clusters(frame: pd.DataFrame) -> set:
    return {
        (r["region"], r["source"], None if pd.isna(r["employer"]) else r["employer"], r["adverts"])
        for _, r in frame.iterrows()
    }


def test_build_counts_by_hand(data_dir):
    built = inputs.build()
    # a4's occupation is untrusted, a6 has no region
    assert _counts(built.occupation_counts, "occupation_uri") == {
        ("occ:nurse", "North East"): 2,
        ("occ:nurse", "London"): 1,
        ("occ:chef", "Wales"): 1,
    }
    assert set(built.occupation_counts.query("occupation_uri == 'occ:chef'")["occupation_label"]) == {"chef"}
    # every placed advert counts towards its region, labelled or not
    assert built.region_totals.to_dict() == {"North East": 2, "London": 2, "Wales": 1}
    # skills from text only: a2 and a5 (title-derived) add nothing, a1's care counts once, a6 has no region
    assert _counts(built.skill_counts, "skill_uri") == {
        ("skill:care", "North East"): 1,
        ("skill:care", "London"): 1,
        ("skill:records", "North East"): 1,
        ("skill:cooking", "London"): 1,
    }
    assert "skill:hygiene" not in set(built.skill_counts["skill_uri"])
    assert built.text_region_totals.to_dict() == {"North East": 1, "London": 2}
    # by source and employer cluster: a1 and a2 are one employer once names are normalised;
    # adverts without an employer are summed in one <NA> row
    assert set(
        built.occupation_counts.query("region == 'North East'")[["source", "employer", "adverts"]].itertuples(
            index=False, name=None
        )
    ) == {("nhs_jobs", "trust a", 2)}
    assert _clusters(built.occupation_totals) == {
        ("North East", "nhs_jobs", "trust a", 2),
        ("London", "reed", None, 1),
        ("London", "adzuna", "cafe b", 1),
        ("Wales", "adzuna", None, 1),
    }
    assert _clusters(built.skill_totals) == {
        ("North East", "nhs_jobs", "trust a", 1),
        ("London", "reed", None, 1),
        ("London", "adzuna", "cafe b", 1),
    }
    labelled = built.adverts.set_index("advert_id")
    assert len(labelled) == 6 and pd.isna(labelled.loc["a4", "occupation_uri"])
    assert labelled.loc["a5", "occupation_uri"] == "occ:chef"
    growth = built.region_growth.set_index("geography")["change_12m"]
    assert growth.to_dict() == pytest.approx({"North East": -0.1, "London": 0.1, "United Kingdom": 0.05})
    assert {"North East", "London", "United Kingdom"} == set(built.index_series["geography"])


def _same(left: inputs.RegionalInputs, right: inputs.RegionalInputs) -> None:
    for name in ("occupation_counts", "skill_counts", "occupation_totals", "skill_totals"):
        key = [c for c in getattr(left, name).columns if c != "adverts"]
        pd.testing.assert_frame_equal(
            getattr(left, name).sort_values(key).reset_index(drop=True),
            getattr(right, name).sort_values(key).reset_index(drop=True),
        )
    for name in ("region_totals", "text_region_totals"):
        pd.testing.assert_series_equal(
            getattr(left, name).sort_index(),
            getattr(right, name).sort_index(),
            check_names=False,
            check_index_type=False,
        )
    assert sorted(left.adverts["advert_id"]) == sorted(right.adverts["advert_id"])


def test_load_caches_once_and_rebuilds_when_an_input_changes(data_dir, monkeypatch):
    real_build = inputs.build
    calls = []

    def counting_build():
        calls.append(1)
        return real_build()

    monkeypatch.setattr(inputs, "build", counting_build)
    first = inputs.load()
    folder = paths.regional_cache_dir()
    assert len(calls) == 1
    assert (folder / "fingerprint.json").is_file()
    assert json.loads((folder / "fingerprint.json").read_text())["fingerprint"]
    assert all((folder / f"{name}.parquet").is_file() for name in inputs.TABLES)

    def no_build():
        raise AssertionError("build() called although the cache is fresh")

    monkeypatch.setattr(inputs, "build", no_build)
    cached = inputs.load()
    _same(cached, first)
    assert cached.region_totals.to_dict() == {"North East": 2, "London": 2, "Wales": 1}

    # one changed input table invalidates the cache: a4's title is now trusted (a chef in London)
    relabelled = OCCUPATIONS.copy()
    relabelled.loc[relabelled["advert_id"] == "a4", ["canonical_title", "confidence"]] = ["head cook", 0.85]
    getters.write_processed(relabelled, "advert_occupations")
    monkeypatch.setattr(inputs, "build", counting_build)
    rebuilt = inputs.load()
    assert len(calls) == 2
    assert _counts(rebuilt.occupation_counts, "occupation_uri")[("occ:chef", "London")] == 1
    assert rebuilt.region_totals.to_dict() == {"North East": 2, "London": 2, "Wales": 1}

    # and the rebuilt counts are what the next load reads back
    monkeypatch.setattr(inputs, "build", no_build)
    _same(inputs.load(), rebuilt)


def test_cache_written_by_an_older_layout_is_rebuilt(data_dir, monkeypatch):
    inputs.load()
    stamp = paths.regional_cache_dir() / "fingerprint.json"
    assert json.loads(stamp.read_text())["version"] == inputs.CACHE_VERSION
    calls = []
    real_build = inputs.build
    monkeypatch.setattr(inputs, "build", lambda: calls.append(1) or real_build())
    monkeypatch.setattr(inputs, "CACHE_VERSION", inputs.CACHE_VERSION + 1)  # the layout changed
    rebuilt = inputs.load()
    assert calls == [1] and {"occupation_totals", "skill_totals"} <= set(inputs.TABLES)
    assert json.loads(stamp.read_text())["version"] == inputs.CACHE_VERSION
    inputs.load()
    assert calls == [1]  # and read back, not rebuilt, next time
    assert _clusters(rebuilt.occupation_totals) == _clusters(inputs.load().occupation_totals)


def test_load_says_which_input_is_missing(data_dir):
    getters.processed_path("advert_skills").unlink()
    with pytest.raises(FileNotFoundError, match="advert_skills"):
        inputs.load()
