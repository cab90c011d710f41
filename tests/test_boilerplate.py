"""Boilerplate removal before corpus skill extraction: the rule, its edges, spans, the summary."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from skills_engine.extraction import advert_skills, boilerplate
from skills_engine.extraction.boilerplate import (
    CROSS_EMPLOYER,
    EXAMPLE_CHARS,
    MIN_EMPLOYER_TITLES,
    MIN_EMPLOYERS,
    MIN_WORDS,
    WITHIN_EMPLOYER,
    BoilerplateDetector,
    boilerplate_summary,
    compare_mentions,
    normalise_sentence,
)
from skills_engine.extraction.extractor import SkillExtractor
from skills_engine.extraction.lexical import split_sentences

DATA = Path(__file__).parent / "data"

EQUALITY = "We are an equal opportunities employer and welcome applications from all sections of the community."
ABOUT_US = "Riverside Trust staff help customers across the valley, as they have since 1948."
#: Distinct words, so that sentences meant to differ still differ once digits are normalised.
DUTIES = (
    "filing triage cleaning cooking lifting coding portering baking sorting typing washing mending "
    "ironing painting dusting stacking welding plumbing wiring glazing tiling carving weaving knitting"
).split()
REQUIREMENT = "You will need SQL and Python to build our reports."


def corpus() -> pd.DataFrame:
    """Ten employers; Riverside Trust posts six different jobs, all with its "about us"."""
    riverside_jobs = ["Data Analyst", "Ward Clerk", "Staff Nurse", "Porter", "Cook", "Data Analyst"]
    rows = [
        {
            "advert_id": f"r{i}",
            "employer": "Riverside Trust",
            "title": title,
            "description": f"{ABOUT_US} Daily duty: {DUTIES[i]} things. {EQUALITY if i == 0 else ''}",
        }
        for i, title in enumerate(riverside_jobs)
    ]
    rows[0]["description"] += f" {REQUIREMENT}"
    rows[5]["description"] += f" {REQUIREMENT}"  # a genuine requirement repeated only twice
    rows += [
        {
            "advert_id": f"e{i}",
            "employer": f"Employer {i}",
            "title": "Care Assistant",
            "description": f"Support residents with {DUTIES[i]} work.\n{EQUALITY}",
        }
        for i in range(1, MIN_EMPLOYERS)
    ]
    return pd.DataFrame(rows)


def fitted(frame: pd.DataFrame, **params) -> tuple[BoilerplateDetector, list[str]]:
    detector = BoilerplateDetector(**params)
    stripped = detector.fit_transform(
        frame["description"].tolist(), frame["employer"].tolist(), frame["title"].tolist()
    )
    return detector, stripped


def shared_by(n_employers: int, sentence: str, employer=lambda i: f"E{i}", title=lambda i: "Nurse") -> pd.DataFrame:
    """``n_employers`` adverts, one per employer, each with ``sentence`` and a sentence of its own."""
    return pd.DataFrame(
        {
            "employer": [employer(i) for i in range(n_employers)],
            "title": [title(i) for i in range(n_employers)],
            "description": [f"Own duty of {DUTIES[i]} here. {sentence}" for i in range(n_employers)],
        }
    )


def test_strips_about_us_and_equality_statement_and_keeps_requirements():
    frame = corpus()
    detector, stripped = fitted(frame)
    assert detector.sentences_ == {normalise_sentence(ABOUT_US), normalise_sentence(EQUALITY)}
    rules = detector.table_.set_index("sentence")["rule"]
    assert rules[normalise_sentence(ABOUT_US)] == WITHIN_EMPLOYER
    assert rules[normalise_sentence(EQUALITY)] == CROSS_EMPLOYER
    assert stripped[0] == f"Daily duty: filing things.\n{REQUIREMENT}"
    assert stripped[1] == "Daily duty: triage things."
    assert stripped[5] == f"Daily duty: coding things.\n{REQUIREMENT}"
    assert stripped[6] == "Support residents with triage work."
    assert all(EQUALITY not in text and ABOUT_US not in text for text in stripped)


def test_a_text_without_boilerplate_comes_back_as_the_same_string():
    detector, _ = fitted(corpus())
    text = "Nothing here is a template. Really."
    assert detector.strip(text) is text
    assert detector.strip(None) == "" and detector.strip("") == ""


def test_within_employer_rule_counts_titles_at_its_edge():
    sentence = "Our staff bank offers weekly pay and flexible shifts."
    below = shared_by(MIN_EMPLOYER_TITLES - 1, sentence, employer=lambda i: "Bank", title=lambda i: DUTIES[i])
    at = shared_by(MIN_EMPLOYER_TITLES, sentence, employer=lambda i: "Bank", title=lambda i: DUTIES[i])
    assert normalise_sentence(sentence) not in fitted(below)[0].sentences_
    assert fitted(at)[0].table_["rule"].tolist() == [WITHIN_EMPLOYER]
    # One job re-posted (one title) keeps its sentences however often it is posted.
    reposted = shared_by(3 * MIN_EMPLOYER_TITLES, sentence, employer=lambda i: "Bank", title=lambda i: "Nurse")
    assert fitted(reposted)[0].sentences_ == frozenset()


def test_cross_employer_rule_at_its_edge():
    sentence = "Welsh and English speakers are equally welcome to apply."
    assert fitted(shared_by(MIN_EMPLOYERS - 1, sentence))[0].sentences_ == frozenset()
    detector, stripped = fitted(shared_by(MIN_EMPLOYERS, sentence))
    assert detector.table_["rule"].tolist() == [CROSS_EMPLOYER]
    assert stripped[0] == "Own duty of filing here."


def test_shortest_sentence_that_can_be_boilerplate():
    short = " ".join(["excellent", "communication", "skills", "needed", "urgently"][: MIN_WORDS - 1]) + "."
    long = " ".join(["excellent", "communication", "skills", "needed", "urgently"][:MIN_WORDS]) + "."
    assert fitted(shared_by(MIN_EMPLOYERS, short))[0].sentences_ == frozenset()
    assert fitted(shared_by(MIN_EMPLOYERS, long))[0].sentences_ == {normalise_sentence(long)}


def test_adverts_without_employer_count_each_as_their_own_employer():
    sentence = "Send your CV to the usual address today."
    # Ten adverts with no employer are ten employers: the cross-employer rule applies...
    assert fitted(shared_by(MIN_EMPLOYERS, sentence, employer=lambda i: None))[0].sentences_ == {
        normalise_sentence(sentence)
    }
    # ...and they are never pooled into one employer for the within-employer rule.
    many_titles = shared_by(MIN_EMPLOYERS - 1, sentence, employer=lambda i: None, title=lambda i: DUTIES[i])
    assert fitted(many_titles)[0].sentences_ == frozenset()
    blank = shared_by(MIN_EMPLOYERS - 1, sentence, employer=lambda i: "  ", title=lambda i: DUTIES[i])
    assert fitted(blank)[0].sentences_ == frozenset()
    # Without any employer column every advert is its own employer.
    frame = shared_by(MIN_EMPLOYERS, sentence)
    assert BoilerplateDetector().fit(frame["description"]).sentences_ == {normalise_sentence(sentence)}


def test_sentences_are_the_extractors_and_differ_only_in_case_digits_and_punctuation():
    texts = [f"Own line {i}.\n- Band {i} post, closing 1{i} May!" for i in range(MIN_EMPLOYERS)]
    detector = BoilerplateDetector().fit(texts, [f"E{i}" for i in range(MIN_EMPLOYERS)])
    assert detector.sentences_ == {"band 0 post closing 00 may"}
    for text, stripped in zip(texts, detector.transform(texts)):
        kept = [text[a:b] for a, b in split_sentences(text)][:1]
        assert [stripped[a:b] for a, b in split_sentences(stripped)] == kept


def test_fit_checks_lengths_and_transform_needs_fit():
    with pytest.raises(ValueError, match="2 texts, 1 employers"):
        BoilerplateDetector().fit(["a", "b"], ["E"])
    with pytest.raises(RuntimeError, match="not fitted"):
        BoilerplateDetector().transform(["text"])
    empty = BoilerplateDetector().fit([], [])
    assert empty.sentences_ == frozenset() and empty.table_.empty


@pytest.fixture
def extractor(tmp_path) -> SkillExtractor:
    taxonomy = pd.read_csv(DATA / "extraction_taxonomy.csv", dtype=str, keep_default_na=False).assign(
        alt_labels=lambda d: d["alt_labels"].map(lambda v: [x for x in v.split("|") if x])
    )
    return SkillExtractor(semantic=False, cache_dir=tmp_path).fit(taxonomy)


def test_corpus_extraction_reads_stripped_text_and_spans_index_it(extractor, monkeypatch):
    frame = corpus()
    frame = pd.concat([frame, pd.DataFrame({"advert_id": ["x"], "title": ["Cook"], "description": [None]})])
    monkeypatch.setattr(
        advert_skills.getters,
        "read_occupation_skills",
        lambda: pd.DataFrame(columns=["occupation_uri", "skill_uri", "relation_type"]),
    )
    monkeypatch.setattr(
        advert_skills.getters, "read_esco_skills", lambda: pd.DataFrame(columns=["skill_uri", "preferred_label"])
    )
    occupations = pd.DataFrame(columns=["advert_id", "occupation_uri", "confidence"])
    texts, detector = advert_skills.corpus_texts(frame)
    assert list(texts["advert_id"]) == frame["advert_id"].iloc[:-1].tolist()  # the adverts with text
    assert detector.sentences_ == {normalise_sentence(ABOUT_US), normalise_sentence(EQUALITY)}
    found = advert_skills.build_advert_skills(frame, occupations, extractor=extractor, texts=texts)
    text_of = texts.set_index("advert_id")["text"]
    # "help customers" was only in the "about us": what is left is the requirement, twice.
    assert sorted(zip(found["advert_id"], found["skill_uri"])) == [
        ("r0", "test:python"),
        ("r0", "test:sql"),
        ("r5", "test:python"),
        ("r5", "test:sql"),
    ]
    for row in found.itertuples():
        assert text_of[row.advert_id][int(row.span_start) : int(row.span_end)] in {"SQL", "Python"}
    # Without stripping the same adverts are read whole: the template's skill comes back.
    plain = advert_skills.build_advert_skills(frame, occupations, extractor=extractor, strip_boilerplate=False)
    assert set(plain.query("skill_uri == 'test:customers'")["advert_id"]) == {f"r{i}" for i in range(6)}
    comparison = compare_mentions(plain, found)
    assert comparison["mentions_without"] == 10 and comparison["mentions_removed"] == 6


def test_summary_reports_text_removed_and_shows_only_cross_employer_templates():
    frame = corpus()
    benefits = "Staff can access the pension scheme, a cycle to work scheme and many discounts in shops."
    shops = shared_by(MIN_EMPLOYERS, benefits, employer=lambda i: f"Shop {i}")
    anonymous = shared_by(MIN_EMPLOYERS, "Please quote the reference number when you apply.", employer=lambda i: None)
    frame = pd.concat([frame, shops, anonymous], ignore_index=True)
    detector, stripped = fitted(frame)
    summary = boilerplate_summary(frame["description"].tolist(), stripped, detector)
    assert summary["adverts"] == len(frame) and summary["adverts_changed"] == len(frame)
    assert summary["characters_before"] == frame["description"].str.len().sum()
    assert summary["characters_after"] == sum(map(len, stripped))
    assert summary["share_removed"] == pytest.approx(1 - summary["characters_after"] / summary["characters_before"])
    assert summary["sentences"] == {WITHIN_EMPLOYER: 1, CROSS_EMPLOYER: 3}
    # The "about us" (one employer) is never shown, nor the sentence of ten adverts without an
    # employer (possibly all one employer's); shown sentences are cut to EXAMPLE_CHARS.
    examples = summary["examples"]
    assert examples["sentence"].tolist() == [
        normalise_sentence(benefits)[:EXAMPLE_CHARS].rstrip() + "…",
        normalise_sentence(EQUALITY)[:EXAMPLE_CHARS].rstrip() + "…",
    ]
    assert examples[["adverts", "employers"]].to_numpy().tolist() == [[MIN_EMPLOYERS, MIN_EMPLOYERS]] * 2
    table = detector.table_.assign(cut=lambda d: d["sentence"].str[:EXAMPLE_CHARS].str.rstrip() + "…")
    assert (table.loc[table["cut"].isin(examples["sentence"]), "known_employers"] >= MIN_EMPLOYERS).all()
    assert (table.loc[~table["cut"].isin(examples["sentence"]), "known_employers"] < MIN_EMPLOYERS).all()
    assert list(examples.columns) == ["sentence", "adverts", "employers"]
    assert (
        boilerplate_summary(frame["description"].tolist(), stripped, detector, n_examples=1)["examples"].shape[0] == 1
    )


def test_compare_mentions():
    without = pd.DataFrame({"advert_id": ["a", "a", "b", "c"], "skill_uri": ["x", "y", "x", "z"]})
    result = compare_mentions(without, without.iloc[:1])
    assert result == {
        "adverts": 3,
        "mentions_without": 4,
        "mentions_with": 1,
        "mentions_removed": 3,
        "share_removed": 0.75,
    }
    assert compare_mentions(without.iloc[:0], without.iloc[:0])["share_removed"] == 0.0


@pytest.mark.mirror
def test_real_nhs_adverts_lose_their_templates(real_mirror):
    from skills_engine import getters

    if not getters.processed_path("adverts").is_file():
        pytest.skip("adverts not built yet: run notebook 01 first")
    adverts = getters.read_adverts(columns=["advert_id", "source", "title", "description", "employer"])
    nhs = adverts.loc[lambda d: (d["source"] == "nhs_jobs") & d["description"].notna()].sort_values("advert_id")
    texts, detector = advert_skills.corpus_texts(nhs.head(3000))
    summary = boilerplate_summary(texts["cleaned"], texts["text"], detector)
    assert summary["adverts"] == 3000
    assert 0.05 <= summary["share_removed"] <= 0.5
    assert summary["sentences"][WITHIN_EMPLOYER] > 0 and summary["sentences"][CROSS_EMPLOYER] > 0
    # NHS Jobs' "for further details / informal visits contact" line is everybody's template.
    assert any(
        "informal visit" in sentence for sentence in detector.table_.query("rule == @CROSS_EMPLOYER")["sentence"]
    )
    assert (summary["examples"]["sentence"].str.len() <= boilerplate.EXAMPLE_CHARS + 1).all()
