"""The Recommender on a tiny hand-written labour market: results, evidence and bad input."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pandas as pd
import pytest

from skills_engine.recommender.engine import MAX_SKILLS, Recommender
from skills_engine.recommender.resolver import SkillResolver

spec = importlib.util.spec_from_file_location("recommend_world", Path(__file__).parent / "data" / "recommend_world.py")
world = importlib.util.module_from_spec(spec)
spec.loader.exec_module(world)


@pytest.fixture(scope="module")
def engine() -> Recommender:
    earnings = pd.DataFrame(
        {"occupation_uri": ["occ:porter", "occ:welder"], "annual_earnings_gbp": [21_500.0, 29_000.0]}
    )
    sector_growth = pd.DataFrame(
        {
            "occupation_uri": ["occ:nurse"],
            "sector": ["Nursing"],
            "change_12m": [0.125],
            "latest_date": [pd.Timestamp("2024-08-01")],
        }
    )
    region_growth = pd.DataFrame(
        {
            "geography": ["North East", "United Kingdom"],
            "change_12m": [-0.05, -0.02],
            "latest_date": [pd.Timestamp("2026-08-01")] * 2,
        }
    )
    # spelling-only resolution keeps these tests deterministic; meaning is tested separately below
    return Recommender(min_count=3, semantic_skills=False).fit(
        world.adverts(),
        world.training(),
        world.OCCUPATIONS,
        world.OCCUPATION_SKILLS,
        world.SKILLS,
        earnings=earnings,
        sector_growth=sector_growth,
        region_growth=region_growth,
    )


def test_free_text_skills_give_the_expected_title_with_evidence(engine):
    answer = engine.recommend("patient care; Phlebotomy; record-keeping", region="North East", k=3)
    first = answer["results"][0]
    assert first["occupation_uri"] == "occ:nurse" and first["rank"] == 1
    assert {s["label"] for s in first["matched_skills"]} == {"patient care", "phlebotomy", "record keeping"}
    assert [r["rank"] for r in answer["results"]] == [1, 2, 3]
    # 8 nurse adverts paying 30k + 1k*i, i = 0..7: national median 33,500
    assert first["salary"]["national_median_gbp"] == 33_500 and first["salary"]["national_n"] == 8
    # North East holds adverts i = 0, 3, 6
    assert first["salary"]["region_median_gbp"] == 33_000 and first["salary"]["region_n"] == 3
    assert first["demand"]["region_adverts"] == 3 and first["demand"]["national_adverts"] == 8
    assert first["growth"]["sector"] == "Nursing" and first["growth"]["sector_change_12m"] == 0.125
    assert first["growth"]["area"] == "North East" and first["growth"]["area_change_12m"] == -0.05
    assert "manual handling" in {s["label"] for s in first["missing_skills"]}
    assert all(s["label"] not in {"patient care", "phlebotomy"} for s in first["missing_skills"])


def test_small_groups_are_suppressed_and_ashe_fills_salary(engine):
    answer = engine.recommend(["welding", "metal cutting"], region="Wales", k=5)
    welder = next(r for r in answer["results"] if r["occupation_uri"] == "occ:welder")
    # two welder adverts: below min_count=3, so ASHE is shown and labelled
    assert welder["salary"]["national_median_gbp"] == 29_000 and "ASHE" in welder["salary"]["source"]
    assert welder["salary"]["region_median_gbp"] is None and "fewer than 3" in welder["salary"]["note"]
    assert welder["demand"]["region_adverts"] is None and welder["demand"]["national_adverts"] is None
    # the counts behind suppressed medians are withheld too: every published count respects the minimum
    assert welder["salary"]["region_n"] is None and welder["salary"]["national_n"] is None
    porter = engine.recommend(["manual handling"], k=5)["results"]
    assert any(r["occupation_uri"] == "occ:porter" for r in porter)


def test_esco_uris_are_accepted(engine):
    answer = engine.recommend(["skill:cooking", "skill:food hygiene"], k=1)
    assert answer["results"][0]["occupation_uri"] == "occ:chef"
    assert answer["query"]["skills"][0]["matched_by"] == "ESCO URI"


def test_unknown_skills_are_listed_with_close_matches(engine):
    answer = engine.recommend(["bookeeping", "quantum basket weaving", "tax law"], k=2)
    assert answer["results"][0]["occupation_uri"] == "occ:accountant"
    unknown = {u["input"]: u for u in answer["query"]["unknown"]}
    assert "quantum basket weaving" in unknown
    assert len(unknown["quantum basket weaving"]["suggestions"]) == 3
    assert all(0 <= s["score"] <= 1 for s in unknown["quantum basket weaving"]["suggestions"])
    resolved = {s["input"]: s for s in answer["query"]["skills"]}
    # a small typo is accepted as the close ESCO label
    assert (
        resolved["bookeeping"]["label"] == "bookkeeping" and resolved["bookeeping"]["matched_by"] == "close ESCO label"
    )
    assert any("not recognised" in m for m in answer["messages"])


def test_only_unknown_skills_give_an_empty_result_not_an_error(engine):
    answer = engine.recommend(["zzzz qqqq"], k=3)
    assert answer["results"] == [] and any("none of the skills" in m for m in answer["messages"])


def test_duplicates_are_reported_once(engine):
    answer = engine.recommend(["cooking", "Cooking", "skill:cooking"], k=1)
    assert len(answer["query"]["skills"]) == 1
    assert any("2 duplicate" in m for m in answer["messages"])


@pytest.mark.parametrize(
    "skills, region, k, message",
    [
        ([], None, 5, "no skills given"),
        ("  ;  ; ", None, 5, "no skills given"),
        ([f"skill {i}" for i in range(1_000)], None, 5, f"1,000 skills given; at most {MAX_SKILLS}"),
        (["cooking"], "Atlantis", 5, "unknown region 'Atlantis'"),
        (["cooking"], None, 0, "k must be between 1 and 100"),
        (["cooking"], None, 101, "k must be between 1 and 100"),
    ],
)
def test_bad_input_gets_a_clear_message(engine, skills, region, k, message):
    with pytest.raises(ValueError, match=message):
        engine.recommend(skills, region=region, k=k)


def test_resolver_exact_and_alternative_labels():
    skills = world.SKILLS.assign(alt_labels=[["care of patients"]] + [[]] * 9)
    resolver = SkillResolver(semantic=False).fit(skills)
    resolution = resolver.resolve(["Care of patients", "WELDING"])
    assert [r["uri"] for r in resolution.resolved] == ["skill:patient care", "skill:welding"]
    assert [r["matched_by"] for r in resolution.resolved] == ["ESCO label", "ESCO label"]


def test_resolver_finds_a_skill_by_meaning_when_no_label_matches():
    pytest.importorskip("torch")
    pytest.importorskip("sentence_transformers")
    skills = world.SKILLS.assign(
        alt_labels=[[]] * 10,
        description=[
            "Care for patients.",
            "Take blood.",
            "Keep records.",
            "Cook food.",
            "Food safety.",
            "Join metal.",
            "Cut metal.",
            "Keep accounts.",
            "Tax rules.",
            "Lift and move loads.",
        ],
    )
    resolver = SkillResolver(semantic=True).fit(skills)
    resolution = resolver.resolve(["caring for patients", "cookery", "quantum chromodynamics"])
    assert [r["uri"] for r in resolution.resolved] == ["skill:patient care", "skill:cooking"]
    assert resolution.resolved[0]["matched_by"] == "nearest ESCO skill by meaning"
    assert [u["input"] for u in resolution.unknown] == ["quantum chromodynamics"]
    import pickle

    clone = pickle.loads(pickle.dumps(resolver))
    assert clone._ranker is None and clone.resolve(["phlebotomy"]).resolved[0]["uri"] == "skill:phlebotomy"


def test_the_cli_table_labels_withheld_counts_instead_of_printing_none(engine):
    from skills_engine.recommender.formatting import format_answer

    table = format_answer(engine.recommend(["welding", "metal cutting"], region="Wales", k=5))
    welder_row = next(line for line in table.splitlines() if "welder" in line.lower())
    assert "ASHE 2019" in welder_row and "too few adverts" in welder_row
    assert "None" not in table and "n=None" not in table


def test_the_answer_table_is_what_the_cli_prints_headed_in_words_with_a_column_per_figure(engine):
    from skills_engine.recommender.formatting import answer_table, format_answer

    answer = engine.recommend(["welding", "metal cutting"], region="Wales", k=5)
    table = answer_table(answer)
    assert list(table.columns) == [
        "#",
        "job title (ESCO)",
        "your matching skills",
        "skills to add",
        "median salary UK",
        "median in Wales",
        "adverts (Wales)",
        "sector growth 12m",
    ]
    assert table["#"].tolist() == [str(i) for i in range(1, len(table) + 1)]
    assert all(isinstance(cell, str) and cell for cell in table.to_numpy().ravel())  # text, never None
    printed = format_answer(answer)
    for title in table["job title (ESCO)"]:
        assert title in printed
    national = answer_table(engine.recommend(["welding"], k=3))
    assert "adverts (UK)" in national.columns and not any(c.startswith("median in") for c in national.columns)


def test_the_answer_marks_a_missing_value_with_the_en_dash_of_every_reader_table(engine):
    from skills_engine import intervals
    from skills_engine.publish import tables
    from skills_engine.recommender.formatting import answer_table, format_answer

    assert tables.MISSING is intervals.MISSING == "\u2013"  # one mark, defined once
    answer = engine.recommend(["welding", "metal cutting"], region="Wales", k=5)
    table = answer_table(answer)
    welder = table[table["job title (ESCO)"].str.contains("welder", case=False)].iloc[0]
    # the welder's occupation has no Indeed sector: one dash, not one for the sector and one for its change
    assert welder["sector growth 12m"] == intervals.MISSING
    cells = " ".join(table.to_numpy().ravel())
    assert "\u2014" not in cells, cells  # never the em dash
    printed = format_answer(answer)
    assert "\u2014" not in printed and f"{intervals.MISSING} (too few adverts)" in printed  # the CLI's table


def _fit(training, **params) -> Recommender:
    return Recommender(min_count=3, semantic_skills=False, **params).fit(
        world.adverts(), training, world.OCCUPATIONS, world.OCCUPATION_SKILLS, world.SKILLS
    )


def test_the_engine_ranks_with_the_stack_and_knn_weight_zero_is_the_profile_alone(engine):
    from skills_engine.recommender.rankers import SkillProfileLM
    from skills_engine.recommender.stacking import SkillProfileStack

    assert isinstance(engine.model_, SkillProfileStack) and engine.model_.network_ is not None
    profile = _fit(world.training(), knn_weight=0.0)
    assert profile.model_.knn_ is None and profile.model_.network_ is None
    # with both parts out, the engine ranks by the skill-profile score the static try-it page computes
    columns = [profile.model_.vocabulary_.skill_index[f"skill:{s}"] for s in ("cooking", "manual handling")]
    expected = SkillProfileLM.score_one(profile.model_, columns)
    answer = profile.recommend(["cooking", "manual handling"], k=5)
    assert [r["occupation_uri"] for r in answer["results"]] == [
        profile.model_.occupation_uris[i] for i in sorted(range(5), key=lambda i: -expected[i])
    ]


def test_labels_esco_ships_with_a_trailing_space_are_shown_without_it():
    # ESCO's own "plan " (and 77 more): an answer listing "plan , surgery" reads as a typo
    padded = {"skill:patient care": "patient care ", "skill:manual handling": "manual handling  "}
    skills = world.SKILLS.assign(preferred_label=lambda d: d["skill_uri"].map(padded).fillna(d["preferred_label"]))
    occupations = world.OCCUPATIONS.assign(preferred_label=lambda d: d["preferred_label"] + " ")
    engine = Recommender(min_count=3, semantic_skills=False).fit(
        world.adverts(), world.training(), occupations, world.OCCUPATION_SKILLS, skills
    )
    answer = engine.recommend(["patient care", "phlebotomy"], k=2)
    first = answer["results"][0]
    assert first["title"] == "nurse responsible for general care"
    assert "patient care" in {s["label"] for s in first["matched_skills"]}
    assert "manual handling" in {s["label"] for s in first["missing_skills"]}
    assert [entry["label"] for entry in answer["query"]["skills"]] == ["patient care", "phlebotomy"]


def test_a_skill_no_advert_asks_for_still_finds_its_occupation_through_esco():
    # no advert asks for metal cutting, an ESCO essential skill of welders; the network and the vote
    # know nothing of it, so they must not drown the profile's evidence in their guesses
    engine = _fit(world.training().query("skill_uri != 'skill:metal cutting'"), knn_weight=1.0, network_weight=2.0)
    first = engine.recommend(["metal cutting"], k=3)["results"][0]
    assert first["occupation_uri"] == "occ:welder"
    assert [s["label"] for s in first["matched_skills"]] == ["metal cutting"]
