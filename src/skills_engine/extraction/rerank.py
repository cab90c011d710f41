"""Second stage: the first stage's top candidates reordered by what its weighted sum ignores.

The first stage (:class:`~skills_engine.extraction.extractor.SkillExtractor`) adds a handful of
cosine similarities with fixed weights. :class:`SkillReranker` reads its top :data:`RERANK_DEPTH`
candidates again with more evidence: each first-stage feature on its own, the candidate's place
and gap to the leader, the skill's ESCO type (knowledge or skill) and reuse level, how many
occupations list it (log scale), its label's length and the share of its label's words found in
the sentence. A standardised logistic regression, fitted on the benchmark's *validation* files
(never the test files), turns these into a score that reorders the candidates; the rest keep
the first stage's order behind them.

It is kept only if validation says so: :func:`fit_reranker` first fits on one validation file
and scores the other, both ways, and marks the stage ``kept`` only when both held-out files gain
(mean of RP@5 and 100 x MRR). SkillSkape dev, a third validation source whose sentences are
generated rather than taken from adverts, is not part of that rule: :func:`cross_source_check`
(``skills-engine eval-rerank``) measures how a fit on each source carries to the others, and
shows it rewarding the opposite evidence (see the model card). A cross-encoder fine-tuned from
MiniLM was tried first: on these two cores a training step of 32 pairs took 4-17 s and its loss
had not moved after 50 steps, so it did not fit the build's budget (see the model card).

The fit depends on the active encoder, so it is cached per encoder as JSON under
``paths.encoder_dir()`` with the encoder's id and the validation files' sha256; a change of either
makes :func:`cached_reranker` return ``None`` and the first stage ranks alone.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from skills_engine import config, intervals, paths
from skills_engine.atomic import atomic_path
from skills_engine.data.text import clean_text
from skills_engine.extraction import evaluate, semantic
from skills_engine.extraction.corpus_cache import CACHE_VERSION
from skills_engine.extraction.lexical import _STOP, TOKEN_RE

log = logging.getLogger(__name__)

#: Bumped when the features or the fit change meaning, so an old cache is refitted.
RERANK_VERSION = 1
#: File of the cached fit under ``paths.encoder_dir()``.
RERANKER_FILE = "skill-reranker.json"
#: First-stage candidates reordered per sentence. RP@5 and MRR read the top of the list, and on
#: the validation files nearly every gold skill the first stage finds at all is in its top 20.
RERANK_DEPTH = 20
#: Inverse L2 strength of the logistic regression (standardised features). Chosen by fitting on
#: one validation file and scoring the other, both ways, over 0.003-0.3: 0.01 was the only value
#: where both held-out files gained; larger values fit the training file's quirks.
RERANK_C = 0.01
#: The benchmark's validation files (keys of ``sources.yaml``) the stage is fitted on.
VALIDATION_KEYS = ("tech_validation_csv", "house_validation_csv")
#: First-stage features read one by one (see ``SkillExtractor.features``).
FIRST_STAGE = ("sentence", "description", "phrase", "phrase_description", "context_phrase", "lexical")
#: ESCO reuse levels, one indicator each (a skill with none has all four at 0).
REUSE_LEVELS = ("transversal", "cross-sector", "sector-specific", "occupation-specific")
FEATURE_NAMES = (
    "first_stage_score",
    "gap_to_leader",
    "log_rank",
    *FIRST_STAGE,
    "occupations_listing_log",
    "is_knowledge",
    *(f"reuse_{level}" for level in REUSE_LEVELS),
    "label_words_in_sentence",
    "label_words",
)


def _words(text: str) -> set[str]:
    return {token.lower() for token in TOKEN_RE.findall(str(text))} - _STOP


def skill_table(taxonomy: pd.DataFrame, prior: np.ndarray) -> dict:
    """Per-skill evidence the reranker reads: prior, type and reuse indicators, label words."""
    n = len(taxonomy)
    kind = taxonomy.get("skill_type", pd.Series("", index=taxonomy.index)).fillna("").astype(str)
    reuse = taxonomy.get("reuse_level", pd.Series("", index=taxonomy.index)).fillna("").astype(str)
    return {
        "prior": np.asarray(prior, dtype=np.float32) if len(prior) == n else np.zeros(n, dtype=np.float32),
        "knowledge": kind.eq("knowledge").to_numpy(dtype=np.float32),
        "reuse": np.stack([reuse.eq(level).to_numpy(dtype=np.float32) for level in REUSE_LEVELS], axis=1),
        "words": [_words(label) for label in taxonomy["preferred_label"]],
    }


def candidate_features(
    features: dict[str, np.ndarray], scores: np.ndarray, sentence: str, skills: dict, depth: int = RERANK_DEPTH
) -> tuple[np.ndarray, np.ndarray]:
    """The first stage's top ``depth`` skill rows (best first) and one feature row each (:data:`FEATURE_NAMES`).

    >>> skills = skill_table(pd.DataFrame({"preferred_label": ["use excel", "cook"]}), np.array([0.5, 0.1]))
    >>> feats = {name: np.array([0.9, 0.2]) for name in FIRST_STAGE}
    >>> rows, table = candidate_features(feats, np.array([2.0, 1.0]), "Excel reports", skills)
    >>> rows.tolist(), table[:, FEATURE_NAMES.index("label_words_in_sentence")].tolist()
    ([0, 1], [0.5, 0.0])
    """
    depth = min(depth, len(scores))
    candidates = np.argsort(-scores, kind="stable")[:depth]
    sentence_words = _words(sentence)
    overlap = [len(skills["words"][row] & sentence_words) / max(1, len(skills["words"][row])) for row in candidates]
    columns = [
        scores[candidates],
        scores[candidates] - scores[candidates[0]],
        np.log1p(np.arange(depth)),
        *(np.asarray(features.get(name, np.zeros_like(scores)), dtype=np.float32)[candidates] for name in FIRST_STAGE),
        skills["prior"][candidates],
        skills["knowledge"][candidates],
        *skills["reuse"][candidates].T,
        np.asarray(overlap),
        np.asarray([len(skills["words"][row]) for row in candidates], dtype=np.float32),
    ]
    return candidates, np.column_stack(columns).astype(np.float64)


class SkillReranker:
    """Logistic regression over :func:`candidate_features`, reordering the first stage's top candidates.

    Parameters
    ----------
    depth : int
        Candidates reordered per sentence (:data:`RERANK_DEPTH`).
    C : float
        Inverse regularisation strength (:data:`RERANK_C`).
    random_state : int

    Attributes
    ----------
    mean_, scale_ : numpy.ndarray
        Standardisation of each feature, learned on the training rows.
    coef_ : numpy.ndarray
    intercept_ : float
    n_sentences_, n_candidates_ : int
    """

    def __init__(self, depth: int = RERANK_DEPTH, C: float = RERANK_C, random_state: int = config.RANDOM_STATE):
        self.depth = depth
        self.C = C
        self.random_state = random_state

    def fit(self, rows: list[tuple[np.ndarray, np.ndarray]]) -> SkillReranker:
        """Fit on ``(feature table, is_gold)`` pairs, one per training sentence."""
        from sklearn.linear_model import LogisticRegression
        from sklearn.preprocessing import StandardScaler

        X = np.vstack([table for table, _ in rows])
        y = np.concatenate([gold for _, gold in rows]).astype(int)
        if len(np.unique(y)) < 2:
            raise ValueError("the reranker needs gold and non-gold candidates to learn from")
        scaler = StandardScaler().fit(X)
        model = LogisticRegression(C=self.C, max_iter=2000, random_state=self.random_state)
        model.fit(scaler.transform(X), y)
        self.mean_, self.scale_ = scaler.mean_, scaler.scale_
        self.coef_, self.intercept_ = model.coef_[0], float(model.intercept_[0])
        self.n_sentences_, self.n_candidates_ = len(rows), int(len(y))
        return self

    def decision(self, table: np.ndarray) -> np.ndarray:
        """Score of each candidate row (higher ranks first)."""
        return ((table - self.mean_) / self.scale_) @ self.coef_ + self.intercept_

    def order(self, features: dict, scores: np.ndarray, sentence: str, skills: dict) -> np.ndarray:
        """The first stage's top ``depth`` skill rows, reordered best first."""
        candidates, table = candidate_features(features, scores, sentence, skills, self.depth)
        return candidates[np.argsort(-self.decision(table), kind="stable")]

    def to_dict(self) -> dict:
        return {
            "depth": self.depth,
            "C": self.C,
            "feature_names": list(FEATURE_NAMES),
            "mean": self.mean_.tolist(),
            "scale": self.scale_.tolist(),
            "coef": self.coef_.tolist(),
            "intercept": self.intercept_,
            "n_sentences": self.n_sentences_,
            "n_candidates": self.n_candidates_,
        }

    @classmethod
    def from_dict(cls, fitted: dict) -> SkillReranker:
        if fitted.get("feature_names") != list(FEATURE_NAMES):
            raise ValueError("the cached reranker was fitted on other features")
        model = cls(depth=int(fitted["depth"]), C=float(fitted["C"]))
        model.mean_, model.scale_ = np.asarray(fitted["mean"]), np.asarray(fitted["scale"])
        model.coef_, model.intercept_ = np.asarray(fitted["coef"]), float(fitted["intercept"])
        model.n_sentences_, model.n_candidates_ = int(fitted["n_sentences"]), int(fitted["n_candidates"])
        return model


def ranked(scores: np.ndarray, k: int, head: np.ndarray | None = None) -> np.ndarray:
    """Row positions of the top ``k`` skills: ``head`` (the reranked candidates) first, then the rest by score.

    >>> ranked(np.array([0.1, 0.9, 0.5, 0.3]), 3, np.array([2, 1])).tolist()
    [2, 1, 3]
    """
    k = min(k, len(scores))
    head = np.asarray([] if head is None else head, dtype=int)[:k]
    others = np.asarray(scores, dtype=np.float64).copy()
    others[head] = -np.inf
    rest = k - len(head)
    tail = np.argpartition(-others, rest - 1)[:rest] if rest > 0 else np.array([], dtype=int)
    return np.r_[head, tail[np.argsort(-others[tail], kind="stable")]].astype(int)


# --- fitting on the validation files ----------------------------------------------------------


def training_rows(extractor, frame: pd.DataFrame, depth: int = RERANK_DEPTH) -> list[dict]:
    """One record per gold sentence of a benchmark frame under ``extractor``'s first stage:
    ``gold`` labels, ``candidates`` (skill rows, first stage's order), feature ``table`` and ``is_gold``."""
    out = []
    for sentence, gold in evaluate.gold_sets(frame).items():
        features = extractor.features(sentence)
        candidates, table = candidate_features(
            features, extractor.combine(features), clean_text(sentence), extractor.rerank_skills_, depth
        )
        is_gold = np.array([extractor.labels_[row] in gold for row in candidates])
        out.append({"gold": gold, "candidates": candidates, "table": table, "is_gold": is_gold})
    return out


def _sentence_scores(records: list[dict], labels: np.ndarray, reranker: SkillReranker | None) -> pd.DataFrame:
    """Each record's RP@5 (percent) and reciprocal rank over its candidates, reordered by ``reranker``."""
    scores = []
    for record in records:
        order = record["candidates"]
        if reranker is not None:
            order = order[np.argsort(-reranker.decision(record["table"]), kind="stable")]
        scores.append(evaluate.sentence_scores([labels[i] for i in order], record["gold"], ks=(5,)))
    frame = pd.DataFrame(scores, columns=["rp@5", "rr"], dtype=float)
    return pd.DataFrame({"rp@5": 100 * frame["rp@5"], "mrr": frame["rr"]})


def _metrics(records: list[dict], labels: np.ndarray, reranker: SkillReranker | None) -> dict:
    frame = _sentence_scores(records, labels, reranker)
    return {"rp@5": round(float(frame["rp@5"].mean()), 2), "mrr": round(float(frame["mrr"].mean()), 4)}


def _fit(records: list[dict], depth: int, C: float) -> SkillReranker:
    return SkillReranker(depth, C).fit([(record["table"], record["is_gold"]) for record in records])


def fit_reranker(extractor, frames: dict[str, pd.DataFrame], depth: int = RERANK_DEPTH, C: float = RERANK_C) -> dict:
    """Cross-file check, then the fit on every file: the JSON-ready record :func:`cached_reranker` reads.

    Each file in turn is held out: the reranker is fitted on the others and scored on it against
    the first stage alone (both read the same top ``depth``, so the figures are comparable). The
    stage is ``kept`` only when every held-out file gains in RP@5 + 100 x MRR.
    """
    prepared = {name: training_rows(extractor, frame, depth) for name, frame in frames.items()}
    held_out = {}
    for name, records in prepared.items():
        model = _fit([r for other, rs in prepared.items() if other != name for r in rs], depth, C)
        held_out[name] = {
            "n_sentences": len(records),
            "first_stage": _metrics(records, extractor.labels_, None),
            "reranked": _metrics(records, extractor.labels_, model),
        }

    def gain(scores: dict) -> float:
        return scores["rp@5"] + 100 * scores["mrr"]

    kept = len(held_out) > 1 and all(gain(v["reranked"]) > gain(v["first_stage"]) for v in held_out.values())
    model = _fit([r for records in prepared.values() for r in records], depth, C)
    return {"version": RERANK_VERSION, "kept": kept, "held_out": held_out, "model": model.to_dict()}


@dataclass(frozen=True)
class CrossSourceCheck:
    """What :func:`cross_source_check` measured: the scores table and each source's own coefficients."""

    table: pd.DataFrame
    coefficients: pd.DataFrame

    def describe(self) -> str:
        """Both tables as text, for a terminal."""
        return (
            self.table.to_string(index=False)
            + "\n\nStandardised coefficients of a fit on each source alone (opposite signs: opposite evidence):\n"
            + self.coefficients.to_string()
        )

    def to_dict(self) -> dict:
        """JSON-ready: ``rows`` (``None``, never NaN, for the first stage's own gain) and ``coefficients``."""
        return {
            "rows": self.table.astype(object).where(self.table.notna(), None).to_dict(orient="records"),
            "coefficients": self.coefficients.to_dict(orient="index"),
        }


#: Folds of a source in :func:`cross_source_check`: each sentence is scored by a fit that never saw it.
CROSS_FOLDS = 5
#: The variants :func:`cross_source_check` scores on every source, in its table's order.
CROSS_VARIANTS = ("first stage alone", "fitted on the other sources", "fitted on every source")


def cross_source_check(
    extractor,
    frames: dict[str, pd.DataFrame],
    folds: int = CROSS_FOLDS,
    depth: int = RERANK_DEPTH,
    C: float = RERANK_C,
    random_state: int = config.RANDOM_STATE,
) -> CrossSourceCheck:
    """Does what the second stage learns from one source of sentences carry to another?

    Every source in ``frames`` (benchmark-format frames) is scored three ways, on the same
    candidates: the first stage alone; the second stage fitted on the *other* sources only (what
    a source it never saw gets: :func:`fit_reranker`'s held-out check); and fitted on the other
    sources *and* this one, cross-fitted over ``folds`` folds of its sentences so that no sentence
    is scored by a fit that saw it. Where the second variant loses and the third gains, the
    sources disagree on how to reorder, and a fit on them all serves neither as well as each
    source's own.

    Parameters
    ----------
    extractor : SkillExtractor
        A fitted first stage (``rerank=False``).
    frames : dict of str to pandas.DataFrame
        Source name -> benchmark-format frame (``sentence``, ``label``); at least two sources.
    folds : int
        Folds of each source for the third variant.
    depth, C : see :class:`SkillReranker`.
    random_state : int
        Seed of the folds and of the bootstrap.

    Returns
    -------
    CrossSourceCheck
        ``table``: one row per (source, variant): ``n_sentences``, ``rp@5`` (percent, over the top
        ``depth`` candidates) and ``mrr``, and each reranked variant's gain over the first stage
        with its paired 95% interval over sentences (``rp@5_gain``, ``rp@5_gain_low``,
        ``rp@5_gain_high``, ``mrr_gain``...; empty for the first stage). ``coefficients``: the
        standardised coefficient of every feature (rows, :data:`FEATURE_NAMES`) in a fit on each
        source alone (columns): where two sources' signs differ, they reward opposite evidence.
    """
    if len(frames) < 2:
        raise ValueError(f"a cross-source check needs at least two sources, got {sorted(frames)}")
    prepared = {name: training_rows(extractor, frame, depth) for name, frame in frames.items()}
    rng = np.random.default_rng(random_state)
    rows = []
    for name, records in prepared.items():
        others = [record for other, rs in prepared.items() if other != name for record in rs]
        assigned = np.array_split(rng.permutation(len(records)), min(folds, len(records)))
        cross_fitted = [
            _sentence_scores(
                [records[i] for i in fold],
                extractor.labels_,
                _fit(others + [records[i] for i in np.setdiff1d(np.arange(len(records)), fold)], depth, C),
            ).set_index(pd.Index(fold))
            for fold in assigned
        ]
        scored = dict(
            zip(
                CROSS_VARIANTS,
                (
                    _sentence_scores(records, extractor.labels_, None),
                    _sentence_scores(records, extractor.labels_, _fit(others, depth, C)),
                    pd.concat(cross_fitted).sort_index().reset_index(drop=True),
                ),
            )
        )
        resampling = intervals.cluster_weights(None, len(records), intervals.N_BOOTSTRAP, random_state)
        for variant, scores in scored.items():
            row = {"source": name, "variant": variant, "n_sentences": len(records)}
            row |= {metric: evaluate._rounded(metric, scores[metric].mean()) for metric in ("rp@5", "mrr")}
            if variant != CROSS_VARIANTS[0]:
                gains = intervals.paired_gaps(
                    {variant: scores, CROSS_VARIANTS[0]: scored[CROSS_VARIANTS[0]]}, variant, resampling=resampling
                ).set_index("metric")
                for metric in ("rp@5", "mrr"):
                    row |= {
                        f"{metric}_gain{suffix}": evaluate._rounded(metric, gains.loc[metric, column])
                        for suffix, column in (("", "value"), ("_low", "low"), ("_high", "high"))
                    }
            rows.append(row)
    coefficients = pd.DataFrame(
        {name: _fit(records, depth, C).coef_.round(3) for name, records in prepared.items()},
        index=pd.Index(FEATURE_NAMES, name="feature"),
    )
    return CrossSourceCheck(pd.DataFrame(rows), coefficients)


def check_sources(max_skillskape_sentences: int | None = None, random_state: int = config.RANDOM_STATE) -> dict:
    """The validation sources :func:`cross_source_check` compares: the benchmark's two validation
    files (real advert sentences) and SkillSkape dev (generated sentences; a fixed-seed sample of
    ``max_skillskape_sentences`` sentences, or all 1,230 with a gold skill when ``None``)."""
    from skills_engine import getters

    frames = {evaluate.benchmark_name(key): getters.read_skill_benchmark(key) for key in VALIDATION_KEYS}
    skillskape = evaluate.from_skill_sets(getters.read_skillskape("dev_csv"))
    frames["skillskape dev"] = evaluate.sample_sentences(skillskape, max_skillskape_sentences, random_state)
    return frames


def validation_checksums() -> dict[str, str]:
    """The pinned sha256 of the validation files the stage is fitted on (from ``sources.yaml``)."""
    from skills_engine.data import sourcing

    return {key: sourcing.dataset("skill_benchmark").file(key).sha256 for key in VALIDATION_KEYS}


def reranker_path(folder: Path | None = None) -> Path:
    return Path(folder or paths.encoder_dir()) / RERANKER_FILE


def cached_reranker(folder: Path | None = None) -> dict | None:
    """The cached fit for the active encoder, or ``None`` when absent, stale or unreadable."""
    path = reranker_path(folder)
    if not path.is_file():
        return None
    try:
        record = json.loads(path.read_text())
        if (
            record.get("version") != RERANK_VERSION
            or record.get("encoder") != semantic.active_encoder()[1]
            or record.get("validation_data") != validation_checksums()
            or record.get("matching_rules") != CACHE_VERSION  # the lexical feature changed meaning
        ):
            log.info("cached reranker %s was fitted for another encoder or data; the first stage ranks alone", path)
            return None
    except (OSError, ValueError) as error:
        log.warning("cached reranker unreadable (%s); the first stage ranks alone", error)
        return None
    return record


def build_reranker(extractor=None, frames: dict | None = None, folder: Path | None = None, force: bool = False) -> dict:
    """Fit and cache the reranker for the active encoder unless a current fit is cached; returns the record."""
    from skills_engine import getters
    from skills_engine.extraction.extractor import SkillExtractor

    if not force and (record := cached_reranker(folder)) is not None:
        return record | {"cached": True}
    extractor = extractor or SkillExtractor(rerank=False).fit()
    frames = frames or {key: getters.read_skill_benchmark(key) for key in VALIDATION_KEYS}
    record = fit_reranker(extractor, frames) | {
        "encoder": semantic.active_encoder()[1],
        "validation_data": validation_checksums(),
        "matching_rules": CACHE_VERSION,
        "built_at": pd.Timestamp.now(tz="UTC").isoformat(timespec="seconds"),
    }
    with atomic_path(reranker_path(folder)) as part:
        Path(part).write_text(json.dumps(record, indent=1) + "\n")
    return record | {"cached": False}


def from_cache(folder: Path | None = None) -> SkillReranker | None:
    """The cached reranker when it is current for the active encoder and validation kept it, else ``None``."""
    record = cached_reranker(folder)
    if record is None or not record.get("kept"):
        return None
    try:
        return SkillReranker.from_dict(record["model"])
    except (KeyError, ValueError) as error:
        log.warning("cached reranker unusable (%s); the first stage ranks alone", error)
        return None


def describe(record: dict) -> str:
    """One line on a fit: cached or not, kept or not, and the held-out figures that decided it
    (RP@5 to two decimals and MRR to three, as every page shows them).

    >>> print(describe({"kept": True, "held_out": {"tech_validation_csv": {"first_stage": {"rp@5": 73.82,
    ...     "mrr": 0.7116}, "reranked": {"rp@5": 74.27, "mrr": 0.7247}}}}))
    skill reranker fitted on the validation files, kept: tech validation held out: RP@5 73.82 → 74.27, MRR 0.712 → 0.725
    """
    state = "cached" if record.get("cached") else "fitted"
    verdict = "kept" if record.get("kept") else "not kept (the first stage ranks alone)"
    figures = "; ".join(
        f"{evaluate.benchmark_name(name)} held out: "
        f"RP@5 {v['first_stage']['rp@5']:.2f} → {v['reranked']['rp@5']:.2f}, "
        f"MRR {v['first_stage']['mrr']:.3f} → {v['reranked']['mrr']:.3f}"
        for name, v in record.get("held_out", {}).items()
    )
    return f"skill reranker {state} on the validation files, {verdict}: {figures}"
