"""Score a skill ranker on the ESCO skill-extraction benchmark format (Decorte et al.).

A benchmark file has columns ``sentence, span, sub_span, label``; ``label`` is an ESCO
preferred label, or ``LABEL NOT PRESENT`` / ``UNDERSPECIFIED`` (not gold). Per sentence
with at least one gold label, RP@k = gold labels in the top k / min(k, number of gold)
and MRR = 1 / rank of the first gold label (0 when none is ranked); both are averaged
over sentences. A ranker is anything with ``rank(sentence, k) -> [(uri, label, score)]``.
Every figure comes with a 95% bootstrap interval over sentences, and a comparison of rankers
with the paired interval of one's lead over each other (:mod:`skills_engine.intervals`).
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from skills_engine import intervals
from skills_engine.config import RANDOM_STATE

#: Labels the annotators used for "no ESCO skill fits" and "too vague": not gold.
NOT_GOLD = frozenset({"LABEL NOT PRESENT", "UNDERSPECIFIED"})
#: Depth of the ranking read for MRR: a gold label below this rank scores 0.
MRR_DEPTH = 100


def benchmark_name(key: str) -> str:
    """A benchmark file's name as every table and line shows it, from its source key.

    >>> benchmark_name("tech_validation_csv")
    'tech validation'
    """
    return key.removesuffix("_csv").replace("_", " ")


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


def score_sentences(frame: pd.DataFrame, ranker, ks: Iterable[int] = (1, 5, 10)) -> tuple[pd.DataFrame, float]:
    """Each gold sentence's RP@k (percent) and reciprocal rank under ``ranker``, and the seconds spent.

    Returns a frame with one row per sentence that has a gold label (in :func:`gold_sets` order)
    and columns ``rp@k`` for each k and ``mrr`` (the sentence's reciprocal rank, so the column's
    mean is the MRR), and the seconds the ranking took.
    """
    ks = tuple(ks)
    gold = gold_sets(frame)
    depth = max(max(ks), MRR_DEPTH)
    rows = []
    start = time.perf_counter()
    for sentence, labels in gold.items():
        ranked = [label for _, label, _ in ranker.rank(sentence, k=depth)]
        rows.append(sentence_scores(ranked, labels, ks))
    seconds = time.perf_counter() - start
    scores = pd.DataFrame(rows, columns=[*(f"rp@{k}" for k in ks), "rr"], dtype=float)
    return scores.assign(**{f"rp@{k}": 100 * scores[f"rp@{k}"] for k in ks}).rename(columns={"rr": "mrr"}), seconds


def _rounded(metric: str, value: float) -> float:
    """Percent figures to 2 decimals, MRR to 4: the precision every published table quotes."""
    return round(float(value), 4 if metric == "mrr" else 2)


def summarise_scores(
    scores: pd.DataFrame,
    seconds: float,
    resampling: tuple[np.ndarray, np.ndarray] | None = None,
    random_state: int = RANDOM_STATE,
) -> dict:
    """Means of :func:`score_sentences`' columns with 95% bootstrap intervals over sentences.

    The benchmark's sentences carry no advert or employer, so the bootstrap
    (:func:`skills_engine.intervals.summarise`, ``intervals.N_BOOTSTRAP`` resamples) draws
    sentences; ``resampling`` passes a draw shared with other rankers of the same sentences.

    Returns ``n_sentences``, each metric (``rp@k`` in percent, ``mrr`` from 0 to 1),
    ``sentences_per_second`` and ``interval_95`` (metric -> ``[low, high]``).

    >>> scores = pd.DataFrame({"rp@5": [100.0, 0.0, 50.0, 50.0], "mrr": [1.0, 0.0, 0.5, 0.5]})
    >>> result = summarise_scores(scores, seconds=2.0)
    >>> result["rp@5"], result["mrr"], result["sentences_per_second"]
    (50.0, 0.5, 2.0)
    >>> low, high = result["interval_95"]["rp@5"]
    >>> 0.0 <= low < 50.0 < high <= 100.0
    True
    """
    n = len(scores)
    result: dict = {"n_sentences": int(n)}
    summary = intervals.summarise(scores, random_state=random_state, resampling=resampling).set_index("metric")
    for metric in scores.columns:
        result[metric] = _rounded(metric, summary.loc[metric, "value"]) if n else float("nan")
    result["sentences_per_second"] = round(n / seconds, 2) if seconds > 0 else float("inf")
    result["interval_95"] = {
        metric: [_rounded(metric, summary.loc[metric, "low"]), _rounded(metric, summary.loc[metric, "high"])]
        if n
        else [float("nan"), float("nan")]
        for metric in scores.columns
    }
    return result


def evaluate_frame(frame: pd.DataFrame, extractor, ks: Iterable[int] = (1, 5, 10)) -> dict:
    """Metrics of ``extractor`` on a benchmark frame (see module docstring and :func:`summarise_scores`)."""
    return summarise_scores(*score_sentences(frame, extractor, ks))


def evaluate_file(path: str | Path, extractor=None, ks: Iterable[int] = (1, 5, 10)) -> dict:
    """Score ``extractor`` (default: a fitted ``SkillExtractor``) on a benchmark CSV.

    Returns
    -------
    dict
        ``n_sentences``, ``rp@1``, ``rp@5``, ``rp@10`` (percent), ``mrr`` (0-1),
        ``sentences_per_second`` and ``interval_95``: each metric's 95% bootstrap interval
        over sentences, ``[low, high]``.
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


@dataclass(frozen=True)
class MethodComparison:
    """Rankers scored on the same sentences of one benchmark file.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per method (index ``method``): ``n_sentences``, each metric, ``sentences_per_second``
        and each metric's interval as ``<metric>_low`` and ``<metric>_high``.
    leads : pandas.DataFrame
        The reference method's lead over every other: ``method, metric, value, low, high, n``
        (RP@k in percentage points, MRR from -1 to 1), each with a paired 95% interval; empty
        without a reference.
    """

    table: pd.DataFrame
    leads: pd.DataFrame


def from_skill_sets(frame: pd.DataFrame) -> pd.DataFrame:
    """A file of sentences with their gold skill sets (SkillSkape's ``sentence, skills``) in the
    benchmark's format, one row per (sentence, gold label); sentences without a skill are dropped.

    >>> from_skill_sets(pd.DataFrame({"sentence": ["a", "b"], "skills": [["x", "y"], []]}))[["sentence", "label"]].values.tolist()
    [['a', 'x'], ['a', 'y']]
    """
    return (
        frame.assign(label=frame["skills"].map(list))[["sentence", "label"]]
        .explode("label")
        .dropna(subset=["label"])
        .assign(span="", sub_span="")[["sentence", "span", "sub_span", "label"]]
        .reset_index(drop=True)
    )


def compare_methods(
    benchmark: str | Path | pd.DataFrame,
    methods: dict,
    reference: str | None = None,
    ks: Iterable[int] = (1, 5, 10),
    max_sentences: int | None = None,
    random_state: int = RANDOM_STATE,
) -> MethodComparison:
    """Score every named ranker on a benchmark, with intervals and ``reference``'s paired leads.

    ``benchmark`` is a benchmark CSV or a frame in its format (:func:`from_skill_sets`).
    ``max_sentences`` scores a random sample of sentences (the same for every method) for quick
    runs; ``None`` scores the whole file, as published figures do. One bootstrap draw of the
    sentences serves every method, so each lead's interval is that of the difference.
    """
    if reference is not None and reference not in methods:
        raise ValueError(f"reference {reference!r} is not one of the methods {sorted(methods)}")
    if isinstance(benchmark, pd.DataFrame):
        if gold_sets(benchmark).empty:
            raise ValueError(f"no sentence with a gold ESCO label ({len(benchmark):,} rows), nothing to score")
        frame = benchmark
    else:
        frame = read_benchmark(benchmark)
    frame = sample_sentences(frame, max_sentences, random_state)
    scored = {name: score_sentences(frame, ranker, ks) for name, ranker in methods.items()}
    n = len(next(iter(scored.values()))[0]) if scored else 0
    resampling = intervals.cluster_weights(None, n, intervals.N_BOOTSTRAP, random_state)
    rows = []
    for name, (scores, seconds) in scored.items():
        result = summarise_scores(scores, seconds, resampling=resampling)
        bounds = result.pop("interval_95")
        rows.append(
            {"method": name, **result}
            | {
                f"{metric}_{side}": bound
                for metric, pair in bounds.items()
                for side, bound in zip(("low", "high"), pair)
            }
        )
    leads = (
        intervals.paired_gaps({name: scores for name, (scores, _) in scored.items()}, reference, resampling=resampling)
        if reference is not None
        else pd.DataFrame(columns=["method", "metric", "value", "low", "high", "n"])
    )
    return MethodComparison(pd.DataFrame(rows).set_index("method"), leads)


#: Decimals of each metric in a lead's text: RP@k in points to two decimals as published, MRR to three.
LEAD_DECIMALS = {"rp@1": 2, "rp@5": 2, "rp@10": 2, "mrr": 3}


def lead_table(leads: pd.DataFrame, reference: str, metrics: Iterable[str] = ("rp@5", "mrr")) -> pd.DataFrame:
    """The reference ranker's lead over each other, per benchmark file, as text with paired intervals.

    One rendering for every reader: notebook 02 shows it and the model card prints it, both from
    the rows :func:`compare_methods` gives (``leads``, with a ``file`` column added).

    Parameters
    ----------
    leads : pandas.DataFrame
        Rows ``file, method, metric, value, low, high``.
    reference : str
        The leading ranker's name, for the second column's title.
    metrics : iterable of str
        Metrics shown, one column each.

    Returns
    -------
    pandas.DataFrame
        One row per (file, method), every cell a string such as ``+2.45 [+0.30, +4.62]``
        (:func:`skills_engine.intervals.format_lead`); a lead without an interval reads "–".

    >>> rows = pd.DataFrame({"file": ["t", "t"], "method": ["b", "b"], "metric": ["rp@5", "mrr"],
    ...                      "value": [2.454, 0.0312], "low": [0.3, 0.01], "high": [4.62, 0.055]})
    >>> table = lead_table(rows, "ours")
    >>> table.columns.tolist(), table.iloc[0].tolist()
    (['Benchmark file', 'Lead of ours over', 'RP@5 (points)', 'MRR'], ['t', 'b', '+2.45 [+0.30, +4.62]', '+0.031 [+0.010, +0.055]'])
    """
    metrics = list(metrics)
    indexed = leads.set_index(["file", "method", "metric"])

    def cell(file: str, method: str, metric: str) -> str:
        if (file, method, metric) not in indexed.index:
            return intervals.NO_LEAD
        row = indexed.loc[(file, method, metric)]
        return intervals.format_lead(row["value"], row["low"], row["high"], LEAD_DECIMALS.get(metric, 3))

    headers = [f"RP@{metric[3:]} (points)" if metric.startswith("rp@") else metric.upper() for metric in metrics]
    return pd.DataFrame(
        [
            [file, method, *(cell(file, method, metric) for metric in metrics)]
            for file, method in dict.fromkeys(zip(leads["file"], leads["method"]))
        ],
        columns=["Benchmark file", f"Lead of {reference} over", *headers],
    )


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
