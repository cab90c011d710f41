"""Precision on whole sentences: the corpus extractor's thresholded output against gold skill sets.

The counts the site publishes rest on ``SkillExtractor.transform``: lexical matches plus, per
sentence, up to ``max_semantic_per_sentence`` semantic finds whose static-encoder cosine reaches
``static_min_score``. Ranking metrics (RP@k, MRR) never check that thresholded set. Here each
SkillSkape dev sentence's predicted set is compared with its gold set (empty for sentences the
annotators marked ``UNK``, where every find is a false positive), micro-averaged:

* precision = true finds / all finds, recall = true finds / all gold skills, F1 their harmonic mean.

``threshold_curve`` runs the extractor once at the lowest threshold and re-thresholds its
semantic finds: a sentence's top-m semantic finds are chosen before the threshold is applied,
so the result at each threshold is exactly what ``transform`` gives with that threshold.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

#: Static-encoder thresholds scored by :func:`threshold_curve` (cosine, 0-1): from loose topical
#: neighbours (0.4) to near-duplicates (0.8), in steps fine enough to place the operating point.
THRESHOLDS = tuple(round(t, 2) for t in np.arange(0.40, 0.801, 0.025))


def predicted_sets(extractor, sentences: Sequence[str], threshold: float | None = None) -> pd.DataFrame:
    """One row per (sentence position, skill found): ``sentence, label, score, method``.

    ``threshold`` overrides the extractor's ``static_min_score`` (or ``min_score`` for the full
    encoder) for this call only; the extractor is left as it was.
    """
    name = "static_min_score" if getattr(extractor, "transform_encoder", "static") == "static" else "min_score"
    saved = getattr(extractor, name)
    if threshold is not None:
        setattr(extractor, name, threshold)
    try:
        found = extractor.transform(list(sentences), return_method=True)
    finally:
        setattr(extractor, name, saved)
    rows = [
        {"sentence": i, "label": hit["label"], "score": hit["score"], "method": hit["method"]}
        for i, hits in enumerate(found)
        for hit in hits
    ]
    return (
        pd.DataFrame(rows, columns=["sentence", "label", "score", "method"])
        .sort_values(["sentence", "label", "score"], ascending=[True, True, False])
        .drop_duplicates(["sentence", "label"])
        .reset_index(drop=True)
    )


def set_scores(predicted: pd.DataFrame, gold: Sequence[Sequence[str]]) -> dict:
    """Micro precision, recall and F1 of ``predicted`` (rows ``sentence, label``) against ``gold``.

    >>> pred = pd.DataFrame({"sentence": [0, 0, 1], "label": ["a", "x", "b"]})
    >>> set_scores(pred, [["a", "c"], []])
    {'n_sentences': 2, 'n_gold': 2, 'n_predicted': 3, 'n_correct': 1, 'precision': 0.3333, 'recall': 0.5, 'f1': 0.4}
    """
    truth = {(i, label) for i, labels in enumerate(gold) for label in labels}
    found = set(zip(predicted["sentence"].astype(int), predicted["label"]))
    correct = len(found & truth)
    precision = correct / len(found) if found else 0.0
    recall = correct / len(truth) if truth else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {
        "n_sentences": len(gold),
        "n_gold": len(truth),
        "n_predicted": len(found),
        "n_correct": correct,
        "precision": round(precision, 4),
        "recall": round(recall, 4),
        "f1": round(f1, 4),
    }


def threshold_curve(extractor, frame: pd.DataFrame, thresholds: Sequence[float] = THRESHOLDS) -> pd.DataFrame:
    """Set-level precision, recall and F1 at each semantic threshold, one row per threshold.

    Parameters
    ----------
    extractor : fitted SkillExtractor
    frame : pandas.DataFrame
        ``sentence`` and ``skills`` (list of gold ESCO preferred labels), e.g.
        ``getters.read_skillskape("dev_csv")``.
    thresholds : sequence of float

    Returns
    -------
    pandas.DataFrame
        ``threshold, precision, recall, f1, n_predicted, n_correct, n_gold, n_sentences`` and
        ``lexical_share`` (share of finds that are lexical, the part no threshold moves).
    """
    thresholds = sorted(thresholds)
    sentences = frame["sentence"].astype(str).tolist()
    gold = [list(v) for v in frame["skills"]]
    loosest = predicted_sets(extractor, sentences, threshold=thresholds[0])
    rows = []
    for threshold in thresholds:
        kept = loosest.loc[loosest["method"].eq("lexical") | loosest["score"].ge(threshold - 1e-9)]
        rows.append(
            {
                "threshold": threshold,
                **set_scores(kept, gold),
                "lexical_share": round(float(kept["method"].eq("lexical").mean()) if len(kept) else 0.0, 4),
            }
        )
    return pd.DataFrame(rows)


def operating_point(curve: pd.DataFrame, threshold: float) -> pd.Series:
    """The curve's row nearest ``threshold`` (the extractor's setting)."""
    return curve.iloc[int(np.argmin(np.abs(curve["threshold"].to_numpy() - threshold)))]


def best_threshold(curve: pd.DataFrame) -> float:
    """The threshold of highest F1 (the higher threshold on a tie: fewer, surer finds)."""
    best = curve["f1"].max()
    return float(curve.loc[curve["f1"].ge(best - 1e-12), "threshold"].max())


def plot_curve(curve: pd.DataFrame, operating: float, ax=None):
    """Precision, recall and F1 against the threshold, the operating threshold marked."""
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(7, 3.5))
    for column in ("precision", "recall", "f1"):
        ax.plot(curve["threshold"], curve[column], marker="o", markersize=3, label=column)
    ax.axvline(operating, color="grey", linestyle="--", linewidth=1, label=f"operating threshold {operating:.3g}")
    ax.set_xlabel("semantic threshold (static-encoder cosine)")
    ax.set_ylabel("set-level score (micro)")
    ax.set_ylim(0, 1)
    ax.legend(loc="upper right", fontsize="small")
    return ax


def skillskape_dev_curve(extractor=None, max_sentences: int | None = None, random_state: int = 42) -> pd.DataFrame:
    """:func:`threshold_curve` of ``extractor`` (default: a fitted ``SkillExtractor``) on SkillSkape dev.

    ``max_sentences`` scores a seeded sample for quick runs; ``None`` scores all 1,316 sentences.
    """
    from skills_engine import getters

    frame = getters.read_skillskape("dev_csv")
    if max_sentences is not None and len(frame) > max_sentences:
        frame = frame.sample(n=max_sentences, random_state=random_state)
    if extractor is None:
        from skills_engine.extraction.extractor import SkillExtractor

        extractor = SkillExtractor().fit()
    return threshold_curve(extractor, frame.reset_index(drop=True))
