"""The second stage: candidate features, the fused order, the cross-file check and the cache.

Everything here runs on hand-written feature tables and a tiny taxonomy, so no model is loaded.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from skills_engine.extraction import rerank

TAXONOMY = pd.DataFrame(
    {
        "preferred_label": ["use spreadsheets software", "cook meals", "manage staff", "hygiene standards"],
        "skill_type": ["skill/competence", "skill/competence", "skill/competence", "knowledge"],
        "reuse_level": ["cross-sector", "sector-specific", "transversal", ""],
    }
)
PRIOR = np.array([0.9, 0.2, 0.5, 0.1])


def _features(values):
    return {name: np.asarray(values, dtype=np.float32) for name in rerank.FIRST_STAGE}


def test_skill_table_reads_type_reuse_level_and_label_words():
    skills = rerank.skill_table(TAXONOMY, PRIOR)
    assert skills["knowledge"].tolist() == [0, 0, 0, 1]
    assert skills["reuse"][0].tolist() == [0, 1, 0, 0]  # cross-sector
    assert skills["reuse"][3].tolist() == [0, 0, 0, 0]  # no reuse level: every indicator off
    assert skills["words"][0] == {"use", "spreadsheets", "software"}


def test_candidate_features_take_the_first_stage_top_in_order_with_one_row_each():
    skills = rerank.skill_table(TAXONOMY, PRIOR)
    scores = np.array([0.4, 0.9, 0.7, 0.1])
    rows, table = rerank.candidate_features(_features([1, 2, 3, 4]), scores, "Cook meals for staff", skills, depth=3)
    assert rows.tolist() == [1, 2, 0]
    assert table.shape == (3, len(rerank.FEATURE_NAMES))
    column = {name: table[:, i].tolist() for i, name in enumerate(rerank.FEATURE_NAMES)}
    assert column["gap_to_leader"] == pytest.approx([0.0, -0.2, -0.5])
    assert column["label_words_in_sentence"] == pytest.approx([1.0, 0.5, 0.0])  # "cook meals", "staff"
    assert column["occupations_listing_log"] == pytest.approx([0.2, 0.5, 0.9])


def test_ranked_puts_the_reordered_head_first_then_the_rest_by_score():
    assert rerank.ranked(np.array([0.9, 0.8, 0.7, 0.1]), 4, np.array([2, 0])).tolist() == [2, 0, 1, 3]
    assert rerank.ranked(np.array([0.9, 0.8, 0.7]), 2).tolist() == [0, 1]
    assert rerank.ranked(np.array([0.9, 0.8, 0.7]), 1, np.array([2, 0])).tolist() == [2]


def _rows(n, seed, signal="label_words_in_sentence"):
    """Sentences of 4 candidates where gold is the candidate with the largest ``signal`` feature."""
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(n):
        table = rng.normal(size=(4, len(rerank.FEATURE_NAMES)))
        is_gold = np.zeros(4, dtype=bool)
        is_gold[int(np.argmax(table[:, rerank.FEATURE_NAMES.index(signal)]))] = True
        out.append((table, is_gold))
    return out


def test_the_reranker_learns_which_feature_marks_gold_and_round_trips_through_json():
    model = rerank.SkillReranker(C=1.0).fit(_rows(200, 0))
    held_out = _rows(50, 1)
    hits = [int(np.argmax(model.decision(table))) == int(np.argmax(gold)) for table, gold in held_out]
    assert np.mean(hits) > 0.9
    again = rerank.SkillReranker.from_dict(json.loads(json.dumps(model.to_dict())))
    assert np.allclose(again.decision(held_out[0][0]), model.decision(held_out[0][0]))
    with pytest.raises(ValueError, match="gold and non-gold"):
        rerank.SkillReranker().fit([(np.zeros((3, len(rerank.FEATURE_NAMES))), np.zeros(3, dtype=bool))])


def test_a_fit_on_other_features_is_refused():
    fitted = rerank.SkillReranker(C=1.0).fit(_rows(20, 0)).to_dict() | {"feature_names": ["something else"]}
    with pytest.raises(ValueError, match="other features"):
        rerank.SkillReranker.from_dict(fitted)


class _FakeExtractor:
    """A first stage whose features for a sentence are read from a table: skill 0 always leads,
    and gold is the skill whose label shares the sentence's words (which the second stage sees)."""

    labels_ = np.array(TAXONOMY["preferred_label"])
    rerank_skills_ = rerank.skill_table(TAXONOMY, PRIOR)

    def features(self, sentence):
        return _features([1.0, 0.8, 0.6, 0.4])

    def combine(self, features):
        return features["sentence"]


def _frame(pairs):
    return pd.DataFrame({"sentence": [s for s, _ in pairs], "label": [label for _, label in pairs]})


def test_fit_reranker_checks_each_file_held_out_and_keeps_the_stage_only_when_both_gain():
    frames = {
        "a": _frame([("cook meals daily", "cook meals"), ("manage staff well", "manage staff")] * 5),
        "b": _frame([("hygiene standards kept", "hygiene standards"), ("cook meals fast", "cook meals")] * 5),
    }
    record = rerank.fit_reranker(_FakeExtractor(), frames, depth=4, C=1.0)
    assert set(record["held_out"]) == {"a", "b"}
    for scores in record["held_out"].values():
        assert scores["reranked"]["mrr"] > scores["first_stage"]["mrr"]
    assert record["kept"] is True
    # The same check on data where the first stage is already right: nothing to gain, not kept.
    right = {
        "a": _frame([("use spreadsheets software", "use spreadsheets software")] * 6),
        "b": _frame([("use spreadsheets software now", "use spreadsheets software")] * 6),
    }
    with pytest.raises(ValueError, match="gold and non-gold"):
        rerank.fit_reranker(_FakeExtractor(), right, depth=1)
    assert rerank.fit_reranker(_FakeExtractor(), right, depth=4)["kept"] is False


def test_the_cross_source_check_shows_a_source_the_stage_learned_the_opposite_from():
    # "named": each sentence names its gold skill (the overlap feature marks gold); "misleading":
    # each names a skill that is not gold, and the first stage's leader is. What one source
    # teaches the other undoes.
    named = [("cook meals daily", "cook meals"), ("manage staff well", "manage staff")]
    misleading = [("cook meals daily", "use spreadsheets software"), ("manage staff well", "use spreadsheets software")]
    frames = {
        "named": _frame([(f"{sentence} {i}", label) for i in range(6) for sentence, label in named]),
        "misleading": _frame([(f"{sentence} {i}", label) for i in range(6) for sentence, label in misleading]),
    }
    check = rerank.cross_source_check(_FakeExtractor(), frames, folds=3, depth=4, C=1.0)
    table = check.table
    assert table["variant"].tolist() == list(rerank.CROSS_VARIANTS) * 2
    assert table["n_sentences"].eq(12).all()
    rows = table.set_index(["source", "variant"])
    alone, others, every = rerank.CROSS_VARIANTS
    assert rows.loc[("misleading", alone), "mrr"] == 1.0  # the first stage is right there...
    assert rows.loc[("misleading", others), "mrr_gain_high"] < 0  # ...and the fit on "named" undoes it
    assert rows.loc[("named", others), "mrr_gain"] == 0.0  # "misleading" teaches nothing about names
    assert rows.loc[("named", every), "mrr_gain_low"] > 0  # seeing "named" itself does
    assert rows.loc[("named", alone), ["rp@5_gain", "mrr_gain"]].isna().all()
    overlap = check.coefficients.loc["label_words_in_sentence"]
    assert overlap["named"] > 0 > overlap["misleading"]  # the two sources reward opposite evidence
    with pytest.raises(ValueError, match="at least two sources"):
        rerank.cross_source_check(_FakeExtractor(), {"named": frames["named"]})


def test_eval_rerank_prints_the_check_and_one_json_line(monkeypatch):
    from typer.testing import CliRunner

    from skills_engine.cli import app
    from skills_engine.extraction import extractor as extractor_module

    class Fitted(_FakeExtractor):  # the command fits the project's first stage; this one is read from a table
        def __init__(self, rerank=True):
            assert rerank is False  # the check fits its own second stages on the first stage alone

        def fit(self):
            return self

    frames = {
        "tech validation": _frame([(f"cook meals daily {i}", "cook meals") for i in range(6)]),
        "skillskape dev": _frame([(f"manage staff well {i}", "manage staff") for i in range(6)]),
    }
    monkeypatch.setattr(extractor_module, "SkillExtractor", Fitted)
    monkeypatch.setattr(rerank, "check_sources", lambda sentences: frames)
    result = CliRunner().invoke(app, ["eval-rerank", "--json"])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.output.strip().splitlines()[-1])
    assert set(payload["coefficients"]) == set(rerank.FEATURE_NAMES)
    assert set(payload["coefficients"]["log_rank"]) == set(frames)
    assert [(row["source"], row["variant"]) for row in payload["rows"]][:3] == [
        ("tech validation", variant) for variant in rerank.CROSS_VARIANTS
    ]
    assert "fitted on the other sources" in result.output
    assert payload["rows"][0]["rp@5_gain"] is None  # the first stage's own row: null, never NaN
    assert "NaN" not in result.output.strip().splitlines()[-1]


def test_the_cache_is_used_only_for_the_encoder_and_data_it_was_fitted_on(tmp_path, monkeypatch):
    monkeypatch.setattr(rerank, "validation_checksums", lambda: {"tech_validation_csv": "a" * 64})
    monkeypatch.setattr(rerank.semantic, "active_encoder", lambda: ("folder", "encoder-1"))
    model = rerank.SkillReranker(C=1.0).fit(_rows(30, 0))
    record = {
        "version": rerank.RERANK_VERSION,
        "kept": True,
        "model": model.to_dict(),
        "encoder": "encoder-1",
        "validation_data": {"tech_validation_csv": "a" * 64},
        "matching_rules": rerank.CACHE_VERSION,
    }
    rerank.reranker_path(tmp_path).write_text(json.dumps(record))
    assert isinstance(rerank.from_cache(tmp_path), rerank.SkillReranker)
    rerank.reranker_path(tmp_path).write_text(json.dumps(record | {"kept": False}))
    assert rerank.from_cache(tmp_path) is None  # validation said no: the first stage ranks alone
    rerank.reranker_path(tmp_path).write_text(json.dumps(record | {"encoder": "encoder-0"}))
    assert rerank.cached_reranker(tmp_path) is None
    # fitted on the lexical feature of older matching rules: refitted, not reused
    rerank.reranker_path(tmp_path).write_text(json.dumps(record | {"matching_rules": "older"}))
    assert rerank.cached_reranker(tmp_path) is None
    rerank.reranker_path(tmp_path).write_text("{not json")
    assert rerank.cached_reranker(tmp_path) is None
