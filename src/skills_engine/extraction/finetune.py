"""A skill encoder trained for this task: all-MiniLM-L6-v2 fine-tuned on sentence -> ESCO skill.

The shipped MiniLM is a general-purpose encoder that never saw a job-advert sentence paired
with an ESCO skill; the models that lead the benchmark were trained for exactly that pairing.
This module follows their recipe on two CPU cores:

* **pairs**: every (SkillSkape train sentence, gold ESCO preferred label) pair, plus a seeded
  sample of (ESCO alternative label, preferred label) pairs, so short phrases (the extractor
  embeds n-grams too) learn the taxonomy's vocabulary;
* **hard negatives**: for each pair, one of the positive label's nearest ESCO labels under
  the shipped MiniLM that is not gold for the anchor ("manage staff" for "manage musical staff");
* **loss**: ``MultipleNegativesRankingLoss``: every other positive and negative in the batch
  is a negative too; batches never hold the same anchor or positive twice (a duplicate would
  be a false negative);
* **selection**: the recipe (pair mix, learning rate, steps) was chosen on SkillSkape dev and
  the TECH/HOUSE validation files only; the test files are never read here.

The plain torch loop below (rather than ``SentenceTransformerTrainer``) needs neither
``datasets`` nor ``accelerate`` and is seeded end to end. The weights are cached under
``paths.encoder_dir()`` with a JSON sidecar holding the recipe, the sha256 of every training
file and of the weights themselves; :func:`cached_encoder` trusts a folder only when all of
them still match, so a changed source or a damaged file falls back to the shipped model.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from skills_engine import config, paths
from skills_engine.atomic import atomic_path
from skills_engine.extraction import semantic

log = logging.getLogger(__name__)

#: Bumped when the recipe's code changes meaning, so an old cache is retrained.
RECIPE_VERSION = 1
#: Name of the cached encoder's folder (and ``<name>.json`` sidecar) under ``paths.encoder_dir()``.
ENCODER_NAME = "skill-minilm"
#: Files whose bytes define the weights (hashed into the sidecar's ``model_sha256``).
WEIGHT_FILES = ("model.safetensors",)


@dataclass(frozen=True)
class Recipe:
    """Training settings of the skill encoder (units in the names; reasons in the comments).

    The defaults are the recipe selected on validation data (see the README and notebook 02).
    """

    #: (sentence, label) pairs drawn from SkillSkape train; ``None`` = all 15,705. All fit the
    #: budget, and they are the pairs closest to the benchmark's task.
    max_skillskape_pairs: int | None = 8_000
    #: (alternative label, preferred label) pairs sampled from ESCO's 97k: enough for the
    #: taxonomy's vocabulary without letting label-to-label pairs outweigh the sentences.
    max_esco_pairs: int = 1_600
    #: Word pieces per text while training: SkillSkape sentences average ~35 pieces, labels <10;
    #: 64 covers nearly all of them and halves the cost of the rare long sentence.
    max_seq_length: int = 64
    #: Pairs per step: more in-batch negatives per anchor, at a cost linear in batch size.
    batch_size: int = 32
    #: One pass over the pairs; a second pass moved validation RP@5 by less than its noise.
    epochs: int = 1
    #: Peak AdamW learning rate (after a linear warm-up over the first 10% of steps).
    learning_rate: float = 5e-5
    warmup_share: float = 0.1
    #: The hard negative is drawn from the positive's nearest labels at ranks 1..depth: rank 1
    #: alone is too often a near-synonym the annotators could have chosen.
    hard_negative_depth: int = 10
    #: Cosine scale of the loss (sentence-transformers' default).
    scale: float = 20.0
    random_state: int = config.RANDOM_STATE

    def key(self) -> str:
        return hashlib.sha256(repr((RECIPE_VERSION, sorted(asdict(self).items()))).encode()).hexdigest()[:12]


# --- pairs --------------------------------------------------------------------------------


def skillskape_pairs(frame: pd.DataFrame, taxonomy: pd.DataFrame) -> pd.DataFrame:
    """``anchor, positive`` rows: each SkillSkape sentence with each of its gold labels found in ESCO.

    >>> tax = pd.DataFrame({"preferred_label": ["a", "b"]})
    >>> skillskape_pairs(pd.DataFrame({"sentence": ["s", "t"], "skills": [["a", "zz"], []]}), tax)
      anchor positive
    0      s        a
    """
    known = set(taxonomy["preferred_label"])
    return (
        frame.assign(positive=frame["skills"].map(list))
        .explode("positive")
        .dropna(subset=["positive"])
        .loc[lambda d: d["positive"].isin(known)]
        .rename(columns={"sentence": "anchor"})[["anchor", "positive"]]
        .drop_duplicates()
        .reset_index(drop=True)
    )


def esco_pairs(taxonomy: pd.DataFrame, n: int, random_state: int) -> pd.DataFrame:
    """``anchor, positive`` rows: a seeded sample of ``n`` (alternative label, preferred label) pairs."""
    pairs = (
        taxonomy.assign(anchor=taxonomy["alt_labels"].map(lambda v: [] if v is None else list(v)))
        .explode("anchor")
        .dropna(subset=["anchor"])
        .rename(columns={"preferred_label": "positive"})[["anchor", "positive"]]
        .assign(anchor=lambda d: d["anchor"].astype(str).str.strip())
        .loc[lambda d: d["anchor"].str.len().gt(0) & d["anchor"].str.lower().ne(d["positive"].str.lower())]
        .drop_duplicates()
        .reset_index(drop=True)
    )
    return pairs.sample(n=min(n, len(pairs)), random_state=random_state).reset_index(drop=True)


def label_neighbours(taxonomy: pd.DataFrame, depth: int, cache_dir: Path | None = None) -> np.ndarray:
    """Row positions of each skill's ``depth`` nearest preferred labels under the shipped MiniLM."""
    labels = taxonomy["preferred_label"].astype(str).tolist()
    # The extractor's own cache of every ESCO text under the shipped MiniLM (built once anyway,
    # since the shipped model stays a row in every comparison): its preferred-label rows.
    texts = semantic.skill_texts(taxonomy, use_descriptions=True)
    vectors = semantic.cached_encode(texts["text"].tolist(), "esco-skill-texts", cache_dir, base=True)
    vectors = vectors[texts["kind"].eq("preferred").to_numpy()]
    depth = min(depth, len(labels) - 1)
    out = np.zeros((len(labels), depth), dtype=np.int64)
    for start in range(0, len(labels), 1024):
        sims = vectors[start : start + 1024] @ vectors.T
        sims[np.arange(sims.shape[0]), np.arange(start, start + sims.shape[0])] = -np.inf
        top = np.argpartition(-sims, depth - 1, axis=1)[:, :depth]
        order = np.argsort(-np.take_along_axis(sims, top, axis=1), axis=1, kind="stable")
        out[start : start + 1024] = np.take_along_axis(top, order, axis=1)
    return out


def add_hard_negatives(
    pairs: pd.DataFrame, taxonomy: pd.DataFrame, depth: int, random_state: int, cache_dir: Path | None = None
) -> pd.DataFrame:
    """``pairs`` with a ``negative``: a near neighbour of the positive that is not gold for the anchor."""
    labels = taxonomy["preferred_label"].astype(str).to_numpy()
    row_of = {label: i for i, label in enumerate(labels)}
    neighbours = label_neighbours(taxonomy, depth, cache_dir)
    gold = pairs.groupby("anchor")["positive"].agg(set)
    rng = np.random.default_rng(random_state)
    negatives = []
    for anchor, positive in zip(pairs["anchor"], pairs["positive"]):
        options = [labels[j] for j in neighbours[row_of[positive]] if labels[j] not in gold[anchor]]
        negatives.append(options[int(rng.integers(len(options)))] if options else None)
    return pairs.assign(negative=negatives).dropna(subset=["negative"]).reset_index(drop=True)


def batches(pairs: pd.DataFrame, batch_size: int, random_state: int) -> list[np.ndarray]:
    """Shuffled batches of row positions with no anchor and no positive twice in a batch.

    A pair that would repeat one waits for the next batch (greedy, so every pair is used once).
    """
    order = list(np.random.default_rng(random_state).permutation(len(pairs)))
    anchors, positives = pairs["anchor"].to_numpy(), pairs["positive"].to_numpy()
    out: list[np.ndarray] = []
    waiting: list[int] = []
    while order or waiting:
        pool, waiting = waiting + order, []
        order = []
        batch: list[int] = []
        seen: set[str] = set()
        for i in pool:
            if len(batch) < batch_size and anchors[i] not in seen and positives[i] not in seen:
                batch.append(i)
                seen.update((anchors[i], positives[i]))
            else:
                waiting.append(i)
        out.append(np.asarray(batch))
    return out


def training_pairs(
    recipe: Recipe, skillskape: pd.DataFrame, taxonomy: pd.DataFrame, cache_dir: Path | None = None
) -> pd.DataFrame:
    """Every (anchor, positive, negative) triplet of ``recipe``, with a ``source`` column."""
    sentences = skillskape_pairs(skillskape, taxonomy)
    if recipe.max_skillskape_pairs is not None and len(sentences) > recipe.max_skillskape_pairs:
        sentences = sentences.sample(n=recipe.max_skillskape_pairs, random_state=recipe.random_state)
    labels = esco_pairs(taxonomy, recipe.max_esco_pairs, recipe.random_state)
    pairs = pd.concat(
        [sentences.assign(source="skillskape"), labels.assign(source="esco")], ignore_index=True
    ).drop_duplicates(["anchor", "positive"])
    return add_hard_negatives(pairs, taxonomy, recipe.hard_negative_depth, recipe.random_state, cache_dir)


# --- training -------------------------------------------------------------------------------


def train(triplets: pd.DataFrame, recipe: Recipe, output_dir: Path, base_path: str | Path | None = None) -> dict:
    """Fine-tune the shipped MiniLM on ``triplets`` and save it to ``output_dir``.

    Returns the training log: steps, pairs, seconds and the mean loss of the first and last tenth.
    """
    import torch
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.sentence_transformer.losses import MultipleNegativesRankingLoss

    torch.manual_seed(recipe.random_state)
    torch.set_num_threads(semantic.TORCH_THREADS)
    model = SentenceTransformer(str(base_path or semantic.model_path()), device="cpu")
    model.max_seq_length = recipe.max_seq_length
    loss_fn = MultipleNegativesRankingLoss(model, scale=recipe.scale)
    plan = [
        b for epoch in range(recipe.epochs) for b in batches(triplets, recipe.batch_size, recipe.random_state + epoch)
    ]
    plan = [b for b in plan if len(b) > 1]  # a batch of one has no in-batch negative to learn from
    optimizer = torch.optim.AdamW(model.parameters(), lr=recipe.learning_rate, weight_decay=0.01)
    warmup = max(1, int(recipe.warmup_share * len(plan)))
    scheduler = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda step: min((step + 1) / warmup, max(0.0, (len(plan) - step) / max(1, len(plan) - warmup)))
    )
    columns = [triplets[c].to_numpy() for c in ("anchor", "positive", "negative")]
    losses: list[float] = []
    start = time.perf_counter()
    model.train()
    for step, rows in enumerate(plan):
        features = [model.tokenize([str(t) for t in column[rows]]) for column in columns]
        loss = loss_fn(features, None)
        optimizer.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        scheduler.step()
        losses.append(float(loss.detach()))
        if step % 100 == 0:
            log.info("step %d/%d loss %.3f (%.0f s)", step, len(plan), losses[-1], time.perf_counter() - start)
    seconds = time.perf_counter() - start
    model.eval()
    model.max_seq_length = semantic.MAX_SEQ_LENGTH
    output_dir.mkdir(parents=True, exist_ok=True)
    model.save(str(output_dir))
    tenth = max(1, len(losses) // 10)
    return {
        "steps": len(plan),
        "pairs": int(sum(len(b) for b in plan)),
        "train_seconds": round(seconds, 1),
        "loss_first_tenth": round(float(np.mean(losses[:tenth])), 4) if losses else None,
        "loss_last_tenth": round(float(np.mean(losses[-tenth:])), 4) if losses else None,
    }


# --- cache ------------------------------------------------------------------------------------


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def model_checksum(folder: Path) -> str:
    """sha256 over the weight files of a saved encoder."""
    digest = hashlib.sha256()
    for name in WEIGHT_FILES:
        digest.update(name.encode())
        digest.update(_sha256(Path(folder) / name).encode())
    return digest.hexdigest()


def training_data_checksums() -> dict[str, str]:
    """The pinned sha256 of every source file the encoder is trained on (from ``sources.yaml``)."""
    from skills_engine.data import sourcing

    return {
        "skillskape/train_csv": sourcing.dataset("skillskape").file("train_csv").sha256,
        "esco/classification_zip": sourcing.dataset("esco").file("classification_zip").sha256,
    }


def sidecar_path(folder: Path | None = None, name: str = ENCODER_NAME) -> Path:
    return Path(folder or paths.encoder_dir()) / f"{name}.json"


def cached_encoder(folder: Path | None = None, name: str = ENCODER_NAME) -> tuple[Path, str] | None:
    """``(weights folder, encoder id)`` of the cached fine-tuned encoder, or ``None``.

    ``None`` unless the sidecar exists, names the current recipe and training data, and the
    weights' checksum matches it; the id carries the checksum so vectors cached under an
    older encoder are never reused.
    """
    sidecar = sidecar_path(folder, name)
    if not sidecar.is_file():
        return None
    try:
        meta = json.loads(sidecar.read_text())
        weights = Path(folder or paths.encoder_dir()) / name
        if meta.get("training_data") != training_data_checksums() or model_checksum(weights) != meta["model_sha256"]:
            log.warning("cached encoder %s is stale or damaged; using the shipped MiniLM", weights)
            return None
    except (OSError, ValueError, KeyError) as error:
        log.warning("cached encoder unreadable (%s); using the shipped MiniLM", error)
        return None
    return weights, f"{semantic.MODEL_NAME}-skills-{meta['model_sha256'][:12]}"


def build_encoder(
    recipe: Recipe | None = None,
    skillskape: pd.DataFrame | None = None,
    taxonomy: pd.DataFrame | None = None,
    folder: Path | None = None,
    name: str = ENCODER_NAME,
    force: bool = False,
    cache_dir: Path | None = None,
) -> dict:
    """Train and cache the encoder unless an intact one of this recipe is cached; returns the sidecar.

    ``skillskape`` and ``taxonomy`` default to SkillSkape train and the processed ESCO skills
    (tests pass tiny frames and a temporary ``folder``).
    """
    from skills_engine import getters

    recipe = recipe or Recipe()
    folder = Path(folder or paths.encoder_dir())
    sidecar = sidecar_path(folder, name)
    if not force and cached_encoder(folder, name) is not None:
        meta = json.loads(sidecar.read_text())
        if meta.get("recipe_key") == recipe.key():
            return meta | {"cached": True}
    skillskape = getters.read_skillskape("train_csv") if skillskape is None else skillskape
    taxonomy = (getters.read_esco_skills() if taxonomy is None else taxonomy).reset_index(drop=True)
    start = time.perf_counter()
    triplets = training_pairs(recipe, skillskape, taxonomy, cache_dir)
    weights = folder / name
    report = train(triplets, recipe, weights)
    meta = {
        "base_model": semantic.MODEL_NAME,
        "recipe": asdict(recipe),
        "recipe_key": recipe.key(),
        "training_data": training_data_checksums(),
        "pairs_by_source": {k: int(v) for k, v in triplets["source"].value_counts().sort_index().items()},
        **report,
        "total_seconds": round(time.perf_counter() - start, 1),
        "model_sha256": model_checksum(weights),
        "built_at": pd.Timestamp.now(tz="UTC").isoformat(timespec="seconds"),
    }
    with atomic_path(sidecar) as part:
        Path(part).write_text(json.dumps(meta, indent=1) + "\n")
    semantic.set_encoder(None)  # the next load_encoder() in this process picks the new weights
    return meta | {"cached": False}


def embed_taxonomy(taxonomy: pd.DataFrame | None = None, cache_dir: Path | None = None) -> float:
    """Embed every ESCO label and description with the active encoder into the extraction cache.

    The extractor and the skill resolver need these vectors; building them right after training
    (a few minutes on 2 cores, once per encoder) keeps that cost out of the first notebook or
    API request. Returns the seconds spent (near 0 when they were cached).
    """
    from skills_engine import getters

    taxonomy = (getters.read_esco_skills() if taxonomy is None else taxonomy).reset_index(drop=True)
    start = time.perf_counter()
    semantic.cached_encode(
        semantic.skill_texts(taxonomy, use_descriptions=True)["text"].tolist(), "esco-skill-texts", cache_dir
    )
    return round(time.perf_counter() - start, 1)


def ensure_encoder() -> dict | None:
    """:func:`build_encoder` when the semantic extra is installed; ``None`` (shipped MiniLM) when not."""
    try:
        semantic.model_path()
        import sentence_transformers  # noqa: F401
    except (semantic.SemanticUnavailable, ImportError):
        return None
    return build_encoder()


def minutes(meta: dict) -> float:
    """Training minutes of a sidecar (rounded up to the tenth)."""
    return math.ceil(10 * meta.get("total_seconds", 0.0) / 60) / 10


def describe(meta: dict, names: Sequence[str] = ("pairs", "steps", "train_seconds", "model_sha256")) -> str:
    return ", ".join(f"{name} {meta.get(name)}" for name in names)


#: What each source of training pairs holds, as a reader is told (keys of ``pairs_by_source``).
PAIR_SOURCES = {"skillskape": "SkillSkape sentence → gold skill", "esco": "ESCO alternative → preferred label"}


def reader_summary(meta: dict) -> str:
    """The encoder's training in one sentence for a reader (no field names, no Python values).

    >>> print(reader_summary({"pairs": 9598, "pairs_by_source": {"esco": 1600, "skillskape": 8000},
    ...                       "steps": 300, "total_seconds": 1350.0}))
    Fine-tuned encoder: 9,598 training pairs (8,000 SkillSkape sentence → gold skill; 1,600 ESCO alternative → preferred label), 300 steps, 22.5 minutes to build on this machine.
    """
    by_source = sorted(meta.get("pairs_by_source", {}).items(), key=lambda item: -item[1])
    sources = "; ".join(f"{count:,} {PAIR_SOURCES.get(source, source)}" for source, count in by_source)
    return (
        f"Fine-tuned encoder: {meta['pairs']:,} training pairs ({sources}), {meta['steps']} steps, "
        f"{minutes(meta)} minutes to build on this machine."
    )
