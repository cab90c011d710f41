"""The skill encoder fine-tuned for this task: pairs, hard negatives, batches, cache and fallback.

The training test runs the real loop on a tiny hand-written slice (a dozen pairs, two steps) in
a temporary folder, so ``make test`` never trains the full encoder.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from skills_engine.extraction import finetune, semantic

TAXONOMY = pd.DataFrame(
    {
        "skill_uri": [f"http://data.europa.eu/esco/skill/s{i}" for i in range(8)],
        "preferred_label": [
            "manage staff",
            "manage musical staff",
            "use spreadsheets software",
            "perform data analysis",
            "weld metal parts",
            "operate forklift",
            "provide patient care",
            "keep records",
        ],
        "alt_labels": [
            ["supervise staff", "lead a team"],
            ["direct musicians"],
            ["use excel"],
            ["analyse data", "data analysis"],
            ["welding"],
            ["forklift driving"],
            ["patient care"],
            ["record keeping", "keep records"],
        ],
        "description": [
            "Direct and supervise employees.",
            "Assign and manage staff tasks in musical areas.",
            "Use software tools to create and edit tabular data.",
            "Collect and evaluate numerical data.",
            "Join metal parts by welding.",
            "Operate a forklift truck to move loads.",
            "Care for patients in a clinical setting.",
            "Maintain accurate records.",
        ],
        "skill_type": ["skill/competence"] * 8,
    }
)

SENTENCES = pd.DataFrame(
    {
        "sentence": [
            "You will lead a small team of support workers.",
            "Build monthly reports in Excel for the finance team.",
            "Analyse sales figures and present insight.",
            "MIG and TIG welding of steel frames.",
            "Move pallets around the warehouse with a counterbalance truck.",
            "Deliver high quality care on a busy ward.",
        ],
        "skills": [
            ["manage staff"],
            ["use spreadsheets software", "perform data analysis"],
            ["perform data analysis"],
            ["weld metal parts"],
            ["operate forklift"],
            ["provide patient care", "not an esco label"],
        ],
    }
)


def test_skillskape_pairs_keep_only_labels_in_the_taxonomy():
    pairs = finetune.skillskape_pairs(SENTENCES, TAXONOMY)
    assert len(pairs) == 7
    assert "not an esco label" not in set(pairs["positive"])
    assert set(pairs["positive"]) <= set(TAXONOMY["preferred_label"])


def test_esco_pairs_skip_labels_equal_to_the_preferred_one_and_are_seeded():
    pairs = finetune.esco_pairs(TAXONOMY, n=100, random_state=1)
    assert not ((pairs["anchor"].str.lower() == pairs["positive"].str.lower()).any())  # "keep records" dropped
    assert len(pairs) == 10
    again = finetune.esco_pairs(TAXONOMY, n=5, random_state=1)
    assert again.equals(finetune.esco_pairs(TAXONOMY, n=5, random_state=1))
    assert len(again) == 5


def test_batches_never_repeat_an_anchor_or_a_positive_and_use_every_pair_once():
    pairs = pd.DataFrame({"anchor": ["a", "a", "b", "c", "d"], "positive": ["x", "y", "x", "z", "w"]})
    plan = finetune.batches(pairs, batch_size=3, random_state=0)
    assert sorted(np.concatenate(plan).tolist()) == list(range(5))
    for rows in plan:
        assert len(set(pairs["anchor"].iloc[rows])) == len(rows)
        assert len(set(pairs["positive"].iloc[rows])) == len(rows)


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    pytest.importorskip("torch")
    pytest.importorskip("sentence_transformers")
    try:
        semantic.model_path()
    except semantic.SemanticUnavailable:
        pytest.skip("the shipped MiniLM weights are not installed")
    folder = tmp_path_factory.mktemp("encoder")
    recipe = finetune.Recipe(max_skillskape_pairs=None, max_esco_pairs=6, batch_size=8, hard_negative_depth=3)
    meta = finetune.build_encoder(
        recipe, SENTENCES, TAXONOMY, folder=folder, cache_dir=tmp_path_factory.mktemp("vectors")
    )
    yield folder, recipe, meta
    semantic.set_encoder(None)


def test_hard_negatives_are_neighbours_that_are_not_gold(tmp_path):
    pytest.importorskip("sentence_transformers")
    try:
        semantic.model_path()
    except semantic.SemanticUnavailable:
        pytest.skip("the shipped MiniLM weights are not installed")
    pairs = finetune.skillskape_pairs(SENTENCES, TAXONOMY)
    with_negatives = finetune.add_hard_negatives(pairs, TAXONOMY, depth=3, random_state=0, cache_dir=tmp_path)
    gold = pairs.groupby("anchor")["positive"].agg(set)
    assert len(with_negatives) == len(pairs)
    for anchor, negative in zip(with_negatives["anchor"], with_negatives["negative"]):
        assert negative in set(TAXONOMY["preferred_label"])
        assert negative not in gold[anchor]


def test_build_encoder_writes_weights_and_a_sidecar_with_every_checksum(trained):
    folder, recipe, meta = trained
    assert meta["cached"] is False
    sidecar = json.loads(finetune.sidecar_path(folder).read_text())
    assert sidecar["recipe_key"] == recipe.key()
    assert sidecar["training_data"] == finetune.training_data_checksums()
    assert sidecar["model_sha256"] == finetune.model_checksum(folder / finetune.ENCODER_NAME)
    assert sidecar["pairs_by_source"] == {"esco": 6, "skillskape": 7}
    assert sidecar["steps"] >= 1 and sidecar["train_seconds"] > 0
    path, encoder_id = finetune.cached_encoder(folder)
    assert path == folder / finetune.ENCODER_NAME
    assert encoder_id.endswith(sidecar["model_sha256"][:12])


def test_a_second_build_of_the_same_recipe_is_a_verified_cache_hit(trained):
    folder, recipe, meta = trained
    again = finetune.build_encoder(recipe, SENTENCES, TAXONOMY, folder=folder)
    assert again["cached"] is True
    assert again["model_sha256"] == meta["model_sha256"]


def test_damaged_weights_or_changed_training_data_fall_back_to_the_shipped_model(trained, tmp_path, monkeypatch):
    import shutil

    folder, _, _ = trained
    copy = tmp_path / "copy"
    shutil.copytree(folder, copy)
    weights = copy / finetune.ENCODER_NAME / "model.safetensors"
    weights.write_bytes(weights.read_bytes()[:-16] + b"\x00" * 16)
    assert finetune.cached_encoder(copy) is None
    # An encoder trained on a source file that has since changed is not trusted either.
    monkeypatch.setattr(finetune, "training_data_checksums", lambda: {"skillskape/train_csv": "0" * 64})
    assert finetune.cached_encoder(folder) is None


def test_the_encoder_choice_base_always_gives_the_shipped_model(trained, monkeypatch):
    folder, _, _ = trained
    monkeypatch.setattr(finetune.paths, "encoder_dir", lambda: folder)
    semantic.set_encoder("auto")
    assert semantic.active_encoder()[0] == str(folder / finetune.ENCODER_NAME)
    semantic.set_encoder("base")
    assert semantic.active_encoder() == (str(semantic.model_path()), semantic.MODEL_NAME)
    with pytest.raises(ValueError, match="auto' or 'base"):
        semantic.set_encoder("large")
    semantic.set_encoder(None)
