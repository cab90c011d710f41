"""The skill resolver's match by meaning: per-encoder rules, the margin rule, the alternative-label
penalty, shared alternative labels, and tuning a rule on benchmark spans. Hand-written skills and
a stand-in index or hand-made vectors; no model is loaded."""

from __future__ import annotations

import pickle

import numpy as np
import pandas as pd
import pytest

from skills_engine.extraction import semantic
from skills_engine.recommender import resolver as resolver_module
from skills_engine.recommender.resolver import MeaningIndex, MeaningRule, SkillResolver, meaning_rule
from skills_engine.recommender.resolver_tuning import benchmark_phrases, meaning_rule_table, tune_meaning_rule

SKILLS = pd.DataFrame(
    {
        "skill_uri": ["s:care", "s:coordinate", "s:records", "s:join", "s:weld", "s:forklift", "s:farm"],
        "preferred_label": [
            "provide patient care",
            "coordinate care",
            "maintain records",
            "join metals",
            "operate welding equipment",
            "operate forklift",
            "drive agricultural machines",
        ],
        "alt_labels": [
            [],
            ["coordinate patient care"],
            ["record keeping"],
            ["welding", "metal joining"],  # "welding" is an alternative label of two skills
            ["welding"],
            [],
            ["drive forklifts"],
        ],
        "reuse_level": ["cross-sector", "sector-specific", "cross-sector", "sector-specific"]
        + ["cross-sector", "cross-sector", "sector-specific"],
    }
)


def use_index(monkeypatch, ranked: dict[str, list[tuple[str, str, float]]], encoder: str = "skill-encoder-x"):
    """Stand in for :class:`MeaningIndex`: fixed nearest skills per phrase, from a named encoder."""

    class Index:
        encoder_ = encoder

        def fit(self, skills):
            return self

        def rank_many(self, texts, k=3):
            return [ranked.get(text, [])[:k] for text in texts]

    monkeypatch.setattr(resolver_module, "MeaningIndex", Index)


# --- the acceptance rule ----------------------------------------------------------------------


def test_rule_needs_the_score_and_the_margin_over_the_second_skill():
    rule = MeaningRule(score=0.8, margin=0.05)
    assert rule.accepts([{"score": 0.85}, {"score": 0.70}])
    assert not rule.accepts([{"score": 0.85}, {"score": 0.83}])  # a near tie: ask the person
    assert not rule.accepts([{"score": 0.79}, {"score": 0.10}])  # too far in meaning
    assert rule.accepts([{"score": 0.81}])  # nothing second
    assert not rule.accepts([])


def test_each_encoder_has_its_own_rule(monkeypatch):
    monkeypatch.setattr(resolver_module, "ACCEPT_MEANING_SCORE_BASE", 0.9)
    monkeypatch.setattr(resolver_module, "ACCEPT_MEANING_SCORE_FINETUNED", 0.7)
    monkeypatch.setattr(resolver_module, "ACCEPT_MEANING_MARGIN_BASE", 0.0)
    monkeypatch.setattr(resolver_module, "ACCEPT_MEANING_MARGIN_FINETUNED", 0.0)
    assert meaning_rule(semantic.MODEL_NAME) == MeaningRule(0.9, 0.0)
    assert meaning_rule("all-MiniLM-L6-v2-skills-0123456789ab") == MeaningRule(0.7, 0.0)
    near = {"patient care": [("s:care", "provide patient care", 0.8), ("s:coordinate", "coordinate care", 0.5)]}
    answers = {}
    for encoder in [semantic.MODEL_NAME, "all-MiniLM-L6-v2-skills-0123456789ab"]:
        use_index(monkeypatch, near, encoder)
        resolver = SkillResolver().fit(SKILLS)
        answers[encoder] = [r["uri"] for r in resolver.resolve(["patient care"]).resolved]
    assert answers == {semantic.MODEL_NAME: [], "all-MiniLM-L6-v2-skills-0123456789ab": ["s:care"]}


def test_a_near_tie_by_meaning_is_left_to_the_person_with_both_suggested(monkeypatch):
    use_index(
        monkeypatch,
        {
            "care for patients": [("s:care", "provide patient care", 0.86), ("s:coordinate", "coordinate care", 0.85)],
            "welding work": [("s:weld", "operate welding equipment", 0.9), ("s:join", "join metals", 0.7)],
        },
    )
    resolver = SkillResolver(meaning_rule=MeaningRule(score=0.8, margin=0.05)).fit(SKILLS)
    resolution = resolver.resolve(["care for patients", "welding work"])
    assert [r["uri"] for r in resolution.resolved] == ["s:weld"]
    assert [s["uri"] for s in resolution.unknown[0]["suggestions"]] == ["s:care", "s:coordinate"]
    resolver.meaning_rule = MeaningRule(score=0.8, margin=0.0)
    resolver._cache.clear()
    assert [r["uri"] for r in resolver.resolve(["care for patients"]).resolved] == ["s:care"]


# --- ranking by meaning -----------------------------------------------------------------------


@pytest.fixture
def hand_made_vectors(monkeypatch):
    """Label vectors on four axes (care, coordination, forklifts, farming) instead of a model."""
    axes = {
        "provide patient care": [1, 0, 0, 0],
        "coordinate care": [0.3, 1, 0, 0],
        "coordinate patient care": [1, 0.35, 0, 0],
        "operate forklift": [0, 0, 1, 0],
        "drive agricultural machines": [0, 0, 0, 1],
        "drive forklifts": [0, 0, 1, 0.1],
        "patient care": [1, 0.3, 0, 0],
        "forklift": [0, 0, 1, 0.05],
    }

    def vectors(texts):
        out = np.array([axes.get(text, [0, 0, 0, 0]) for text in texts], dtype=np.float32) + 1e-3
        return out / np.linalg.norm(out, axis=1, keepdims=True)

    monkeypatch.setattr(semantic, "cached_encode", lambda texts, name, cache_dir=None: vectors(texts))
    monkeypatch.setattr(semantic, "encode", lambda texts, **kwargs: vectors(texts))
    monkeypatch.setattr(semantic, "active_encoder", lambda: ("/nowhere", "hand-made"))
    skills = SKILLS.loc[lambda d: d["skill_uri"].isin(["s:care", "s:coordinate", "s:forklift", "s:farm"])]
    return MeaningIndex().fit(skills)


def test_alternative_labels_count_less_than_preferred_labels(hand_made_vectors):
    index = hand_made_vectors
    assert index.encoder_ == "hand-made"
    (care, coordinate, *_), (forklift, farm, *_) = index.rank_many(["patient care", "forklift"], k=4)
    # "coordinate patient care" (an alternative label) is nearer "patient care" than the preferred
    # label "provide patient care" is, by less than the penalty: the preferred label wins.
    raw_alt = float(semantic.encode(["patient care"])[0] @ semantic.encode(["coordinate patient care"])[0])
    raw_preferred = float(semantic.encode(["patient care"])[0] @ semantic.encode(["provide patient care"])[0])
    assert raw_preferred < raw_alt < raw_preferred + resolver_module.ALT_LABEL_PENALTY
    assert (care[0], coordinate[0]) == ("s:care", "s:coordinate")
    assert coordinate[2] == pytest.approx(raw_alt - resolver_module.ALT_LABEL_PENALTY, abs=1e-5)
    assert (forklift[0], farm[0]) == ("s:forklift", "s:farm")


def test_without_the_penalty_the_alternative_label_would_win(hand_made_vectors, monkeypatch):
    monkeypatch.setattr(resolver_module, "ALT_LABEL_PENALTY", 0.0)
    skills = SKILLS.loc[lambda d: d["skill_uri"].isin(["s:care", "s:coordinate"])]
    assert MeaningIndex().fit(skills).rank_many(["patient care"], k=1)[0][0][0] == "s:coordinate"


# --- exact labels -----------------------------------------------------------------------------


def test_an_alternative_label_of_several_skills_goes_to_the_one_whose_label_shares_its_words():
    resolver = SkillResolver(semantic=False).fit(SKILLS)
    assert resolver.resolve(["Welding"]).resolved[0]["uri"] == "s:weld"  # not "join metals", listed first
    assert resolver.resolve(["metal joining"]).resolved[0]["uri"] == "s:join"


def test_on_equal_words_the_more_widely_reused_skill_takes_a_shared_alternative_label():
    skills = pd.DataFrame(
        {
            "skill_uri": ["s:narrow", "s:broad"],
            "preferred_label": ["tend kiln", "operate furnace"],
            "alt_labels": [["firing"], ["firing"]],
            "reuse_level": ["occupation-specific", "transversal"],
        }
    )
    assert SkillResolver(semantic=False).fit(skills).resolve(["firing"]).resolved[0]["uri"] == "s:broad"


def test_a_resolver_pickled_before_per_encoder_rules_still_loads():
    resolver = SkillResolver(semantic=False).fit(SKILLS)
    state = resolver.__getstate__()
    state.pop("meaning_rule")
    state["semantic_accept_score"] = 0.75
    old = SkillResolver.__new__(SkillResolver)
    old.__setstate__(state)
    clone = pickle.loads(pickle.dumps(old))
    assert clone.meaning_rule is None and not hasattr(clone, "semantic_accept_score")
    assert clone.resolve(["record keeping"]).resolved[0]["uri"] == "s:records"


# --- tuning a rule on benchmark spans ----------------------------------------------------------

NEAR = {
    "caring for patients": [("s:care", "provide patient care", 0.90), ("s:records", "maintain records", 0.60)],
    "patient care work": [("s:care", "provide patient care", 0.85), ("s:coordinate", "coordinate care", 0.70)],
    "joining metal": [("s:join", "join metals", 0.80), ("s:weld", "operate welding equipment", 0.60)],
    "Kubernetes": [("s:forklift", "operate forklift", 0.70), ("s:farm", "drive agricultural machines", 0.60)],
    "spring": [("s:farm", "drive agricultural machines", 0.65), ("s:care", "provide patient care", 0.50)],
    "agile delivery": [("s:records", "maintain records", 0.93), ("s:care", "provide patient care", 0.92)],
}
BENCHMARK = pd.DataFrame(
    [
        ("caring for patients", "provide patient care"),
        ("patient care work", "provide patient care"),
        ("patient care work", "coordinate care"),
        ("joining metal", "join metals"),
        ("Kubernetes", "LABEL NOT PRESENT"),
        ("spring", "LABEL NOT PRESENT"),
        ("agile delivery", "LABEL NOT PRESENT"),
        ("record keeping", "maintain records"),  # an exact alternative label: answered without the model
        ("it", "UNDERSPECIFIED"),
    ],
    columns=["span", "label"],
)


def test_tuning_takes_the_rule_with_most_net_right_answers(monkeypatch):
    use_index(monkeypatch, NEAR)
    resolver = SkillResolver().fit(SKILLS)
    phrases = benchmark_phrases(BENCHMARK, dict(zip(SKILLS["preferred_label"], SKILLS["skill_uri"])))
    assert len(phrases) == 7  # the UNDERSPECIFIED span counts neither way
    table = meaning_rule_table(resolver, phrases)
    everything = table.query("score == 0.6 and margin == 0").iloc[0]
    assert (everything["answered"], everything["right"], everything["wrong"]) == (7, 4, 3)
    rule, _ = tune_meaning_rule(resolver, phrases, window=0.0)
    # 0.71 answers the three right matches (0.80-0.90) and not the wrong 0.65-0.70 ones; a margin
    # of 0.02 drops the confident but near-tied wrong answer (0.93 against 0.92).
    assert rule == MeaningRule(score=0.71, margin=0.02)
    best = table.query("score == 0.71 and margin == 0.02").iloc[0]
    assert (best["right"], best["wrong"], best["net"]) == (4, 0, round(4 / 7, 4))


def test_a_margin_that_gains_little_is_not_kept(monkeypatch):
    use_index(monkeypatch, NEAR)
    resolver = SkillResolver().fit(SKILLS)
    phrases = benchmark_phrases(BENCHMARK, dict(zip(SKILLS["preferred_label"], SKILLS["skill_uri"])))
    # at a wrong answer's full cost the margin adds one net answer in seven (0.14): kept at a bar
    # of 0.1, not at 0.2
    for bar, rule in [(0.1, MeaningRule(0.71, 0.02)), (0.2, MeaningRule(0.71, 0.0))]:
        assert tune_meaning_rule(resolver, phrases, wrong_cost=1.0, window=0.0, min_margin_gain=bar)[0] == rule


def test_a_wrong_answer_that_costs_little_lowers_the_chosen_score(monkeypatch):
    use_index(monkeypatch, NEAR)
    resolver = SkillResolver().fit(SKILLS)
    phrases = benchmark_phrases(BENCHMARK, dict(zip(SKILLS["preferred_label"], SKILLS["skill_uri"])))
    assert tune_meaning_rule(resolver, phrases, wrong_cost=0.0, window=0.0)[0] == MeaningRule(0.6, 0.0)
