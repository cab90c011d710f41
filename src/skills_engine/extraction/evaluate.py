"""Score a skill ranker on the ESCO skill-extraction benchmark format (Decorte et al.).

A benchmark file has columns ``sentence, span, sub_span, label``; ``label`` is an ESCO
preferred label, or ``LABEL NOT PRESENT`` / ``UNDERSPECIFIED`` (not gold). Per sentence
with at least one gold label, RP@k = gold labels in the top k / min(k, number of gold)
and MRR = 1 / rank of the first gold label (0 when none is ranked); both are averaged
over sentences. A ranker is anything with ``rank(sentence, k) -> [(uri, label, score)]``.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pandas as pd

#: Labels the annotators used for "no ESCO skill fits" and "too vague": not gold.
NOT_GOLD = frozenset({"LABEL NOT PRESENT", "UNDERSPECIFIED"})
#: Depth of the ranking read for MRR: a gold label below this rank scores 0.
MRR_DEPTH = 100


def read_benchmark(path: str | Path) -> pd.DataFrame:
    """A benchmark CSV, checked for its columns and for at least one sentence with a gold label.

    Raises ``ValueError`` naming the file for anything that is not such a CSV: empty, binary,
    malformed, missing the ``sentence`` or ``label`` column, or with no gold label at all.
    """
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
    except pd.errors.EmptyDataError:
        raise ValueError(f"{path}: empty file, not a skill-benchmark CSV") from None
    except UnicodeDecodeError as error:
        raise ValueError(f"{path}: not UTF-8 text ({error.reason} at byte {error.start}); is it a CSV?") from None
    except pd.errors.ParserError as error:
        raise ValueError(f"{path}: not a well-formed CSV ({str(error).strip()})") from None
    missing = {"sentence", "label"} - set(frame.columns)
    if missing:
        raise ValueError(f"{path}: not a skill-benchmark file, missing columns {sorted(missing)}")
    if gold_sets(frame).empty:
        raise ValueError(f"{path}: no sentence with a gold ESCO label ({len(frame):,} rows), nothing to score")
    return frame


def gold_sets(frame: pd.DataFrame) -> pd.Series:
    """Sentence -> set of gold labels, for sentences with at least one gold label.

    >>> frame = pd.DataFrame({"sentence": ["a", "a", "b", "c"],
    ...                       "label": ["x", "y", "LABEL NOT PRESENT", "x"]})
    >>> {sentence: sorted(labels) for sentence, labels in gold_sets(frame).items()}
    {'a': ['x', 'y'], 'c': ['x']}
    """
    return (
        frame.loc[lambda d: ~d["label"].isin(NOT_GOLD) & d["label"].str.strip().ne("")]
        .groupby("sentence", sort=False)["label"]
        .agg(lambda labels: set(labels))
    )


def sentence_scores(ranked: list[str], gold: set[str], ks: Iterable[int] = (1, 5, 10)) -> dict[str, float]:
    """RP@k and reciprocal rank for one sentence, from its ranked labels.

    >>> sentence_scores(["a", "b", "c"], {"b", "z"}, ks=(1, 2))
    {'rp@1': 0.0, 'rp@2': 0.5, 'rr': 0.5}
    """
    out = {f"rp@{k}": len(set(ranked[:k]) & gold) / min(k, len(gold)) for k in ks}
    first = next((i for i, label in enumerate(ranked) if label in gold), None)
    out["rr"] = 0.0 if first is None else 1.0 / (first + 1)
    return out


def evaluate_frame(frame: pd.DataFrame, extractor, ks: Iterable[int] = (1, 5, 10)) -> dict:
    """Metrics of ``extractor`` on a benchmark frame (see module docstring)."""
    ks = tuple(ks)
    gold = gold_sets(frame)
    depth = max(max(ks), MRR_DEPTH)
    rows = []
    start = time.perf_counter()
    for sentence, labels in gold.items():
        ranked = [label for _, label, _ in extractor.rank(sentence, k=depth)]
        rows.append(sentence_scores(ranked, labels, ks))
    seconds = time.perf_counter() - start
    scores = pd.DataFrame(rows, columns=[*(f"rp@{k}" for k in ks), "rr"])
    result = {"n_sentences": int(len(gold))}
    for k in ks:
        result[f"rp@{k}"] = round(100 * float(scores[f"rp@{k}"].mean()), 2) if len(scores) else float("nan")
    result["mrr"] = round(float(scores["rr"].mean()), 4) if len(scores) else float("nan")
    result["sentences_per_second"] = round(len(gold) / seconds, 2) if seconds > 0 else float("inf")
    return result


def evaluate_file(path: str | Path, extractor=None, ks: Iterable[int] = (1, 5, 10)) -> dict:
    """Score ``extractor`` (default: a fitted ``SkillExtractor``) on a benchmark CSV.

    Returns
    -------
    dict
        ``n_sentences``, ``rp@1``, ``rp@5``, ``rp@10`` (percent), ``mrr`` (0-1) and
        ``sentences_per_second``.
    """
    frame = read_benchmark(path)
    if extractor is None:
        from skills_engine.extraction.extractor import SkillExtractor

        extractor = SkillExtractor().fit()
    return evaluate_frame(frame, extractor, ks)


def sample_sentences(frame: pd.DataFrame, max_sentences: int | None, random_state: int = 42) -> pd.DataFrame:
    """Rows of at most ``max_sentences`` distinct sentences (all when ``None``), for quick runs.

    >>> frame = pd.DataFrame({"sentence": list("aabbc"), "label": list("xyxzx")})
    >>> sample_sentences(frame, 2, random_state=0)["sentence"].nunique()
    2
    """
    if max_sentences is None or frame["sentence"].nunique() <= max_sentences:
        return frame
    chosen = pd.Series(frame["sentence"].unique()).sample(n=max_sentences, random_state=random_state)
    return frame.loc[frame["sentence"].isin(set(chosen))]


def evaluate_methods(
    path: str | Path,
    methods: dict,
    ks: Iterable[int] = (1, 5, 10),
    max_sentences: int | None = None,
    random_state: int = 42,
) -> pd.DataFrame:
    """One row per named ranker with its metrics on a benchmark CSV (for the notebook's table).

    ``max_sentences`` scores a random sample of sentences (the same for every method) for
    quick runs; ``None`` scores the whole file, as published figures do.
    """
    frame = sample_sentences(read_benchmark(path), max_sentences, random_state)
    return pd.DataFrame(
        [{"method": name, **evaluate_frame(frame, ranker, ks)} for name, ranker in methods.items()]
    ).set_index("method")


# --- baselines ---------------------------------------------------------------------------


class TfidfLabelRanker:
    """Baseline: TF-IDF (word 1-2 grams) of the sentence against each skill's labels.

    A skill's score is its best label's cosine similarity.

    Attributes
    ----------
    vectorizer_ : sklearn TfidfVectorizer
    matrix_ : scipy sparse matrix, one row per label
    owner_ : numpy.ndarray, the skill row of each label
    """

    def __init__(self, ngram_range: tuple[int, int] = (1, 2)):
        self.ngram_range = ngram_range

    def fit(self, taxonomy: pd.DataFrame | None = None) -> TfidfLabelRanker:
        from sklearn.feature_extraction.text import TfidfVectorizer

        from skills_engine import getters

        taxonomy = (getters.read_esco_skills() if taxonomy is None else taxonomy).reset_index(drop=True)
        texts = _label_table(taxonomy)
        self.vectorizer_ = TfidfVectorizer(ngram_range=self.ngram_range, sublinear_tf=True)
        self.matrix_ = self.vectorizer_.fit_transform(texts["text"])
        self.owner_ = texts["skill"].to_numpy()
        self.starts_ = np.flatnonzero(np.r_[True, np.diff(self.owner_) != 0])
        self.uris_ = taxonomy["skill_uri"].to_numpy()
        self.labels_ = taxonomy["preferred_label"].to_numpy()
        return self

    def rank(self, sentence: str, k: int = 10) -> list[tuple[str, str, float]]:
        sims = (self.matrix_ @ self.vectorizer_.transform([sentence]).T).toarray().ravel()
        return _top_k(np.maximum.reduceat(sims, self.starts_), self.uris_, self.labels_, k)


class MiniLMLabelRanker:
    """Baseline: all-MiniLM-L6-v2 embedding of the sentence against preferred + alt labels.

    ``base=True`` pins the shipped MiniLM (the benchmark's baseline row); ``False`` uses the
    active encoder, the fine-tuned one when cached (the skill resolver's semantic matcher).
    """

    def __init__(self, cache_dir: str | Path | None = None, base: bool = False):
        self.cache_dir = cache_dir
        self.base = base

    def fit(self, taxonomy: pd.DataFrame | None = None) -> MiniLMLabelRanker:
        from skills_engine import getters, paths
        from skills_engine.extraction import semantic

        taxonomy = (getters.read_esco_skills() if taxonomy is None else taxonomy).reset_index(drop=True)
        texts = semantic.skill_texts(taxonomy, use_descriptions=True)
        folder = Path(self.cache_dir) if self.cache_dir else paths.extraction_cache_dir()
        vectors = semantic.cached_encode(texts["text"].tolist(), "esco-skill-texts", folder, base=self.base)
        is_label = (texts["kind"] != "description").to_numpy()
        self.vectors_ = vectors[is_label]
        owner = texts["skill"].to_numpy()[is_label]
        self.starts_ = np.flatnonzero(np.r_[True, np.diff(owner) != 0])
        self.uris_ = taxonomy["skill_uri"].to_numpy()
        self.labels_ = taxonomy["preferred_label"].to_numpy()
        return self

    def rank(self, sentence: str, k: int = 10) -> list[tuple[str, str, float]]:
        from skills_engine.extraction import semantic

        sims = self.vectors_ @ semantic.encode([sentence], base=self.base)[0]
        return _top_k(np.maximum.reduceat(sims, self.starts_), self.uris_, self.labels_, k)

    def rank_many(self, sentences: list[str], k: int = 10) -> list[list[tuple[str, str, float]]]:
        """:meth:`rank` for several sentences with one batched encode and one matrix product."""
        from skills_engine.extraction import semantic

        if not sentences:
            return []
        best = np.maximum.reduceat(
            semantic.encode(list(sentences), base=self.base) @ self.vectors_.T, self.starts_, axis=1
        )
        return [_top_k(row, self.uris_, self.labels_, k) for row in best]


def _label_table(taxonomy: pd.DataFrame) -> pd.DataFrame:
    from skills_engine.extraction.semantic import skill_texts

    return skill_texts(taxonomy, use_descriptions=False)


def _top_k(scores: np.ndarray, uris: np.ndarray, labels: np.ndarray, k: int) -> list[tuple[str, str, float]]:
    k = min(k, len(scores))
    if k <= 0:
        return []
    top = np.argpartition(-scores, k - 1)[:k]
    top = top[np.argsort(-scores[top], kind="stable")]
    return [(str(uris[i]), str(labels[i]), float(scores[i])) for i in top]
