"""Span detection measured on SkillSpan (Zhang et al. 2022), a check independent of ESCO.

Each SkillSpan record is one tokenised job-posting sentence with BIO tags for skill spans
(``tags_skill``) and knowledge spans (``tags_knowledge``). Gold spans are both kinds
together; predicted spans are the extractor's lexical label matches plus candidate
phrases whose embedding is close to some ESCO label (``PHRASE_THRESHOLD``), overlaps
resolved in favour of the higher score. Exact: a predicted span equals a gold span token
for token. Partial: they share at least one token.
"""

from __future__ import annotations

import numpy as np

#: Cosine similarity (all-MiniLM-L6-v2) above which a candidate phrase counts as a skill
#: mention. Chosen on SkillSpan *train* (first 1,500 sentences: partial F1 0.40 at 0.65, 0.42 at
#: 0.75, 0.43 at 0.85, 0.41 at 0.9; see ``tune_threshold``), never on dev.
PHRASE_THRESHOLD = 0.85
#: Phrases scored per matrix product: 512 x ~100k labels of float32 is ~200 MB.
CHUNK = 512


def bio_spans(tags: list[str]) -> list[tuple[int, int]]:
    """Token spans ``[start, end)`` from BIO tags.

    >>> bio_spans(["O", "B", "I", "O", "B", "B", "I"])
    [(1, 3), (4, 5), (5, 7)]
    """
    spans, start = [], None
    for i, tag in enumerate(tags):
        if tag.startswith("B") or (tag.startswith("I") and start is None):
            if start is not None:
                spans.append((start, i))
            start = i
        elif tag == "O" or not tag:
            if start is not None:
                spans.append((start, i))
            start = None
    if start is not None:
        spans.append((start, len(tags)))
    return spans


def gold_spans(record: dict) -> set[tuple[int, int]]:
    """Skill and knowledge spans of one SkillSpan record."""
    return set(bio_spans(record.get("tags_skill", []))) | set(bio_spans(record.get("tags_knowledge", [])))


def span_scores(predicted: list[set], gold: list[set]) -> dict[str, float]:
    """Precision, recall and F1 (exact and partial overlap) over all sentences.

    >>> span_scores([{(0, 2), (5, 6)}], [{(0, 2), (3, 6)}])["exact_f1"]
    0.5
    >>> span_scores([{(0, 2), (5, 6)}], [{(0, 2), (3, 6)}])["partial_f1"]
    1.0
    """
    n_pred = sum(map(len, predicted))
    n_gold = sum(map(len, gold))
    exact = sum(len(p & g) for p, g in zip(predicted, gold))
    pred_hit = sum(sum(any(a < d and c < b for c, d in g) for a, b in p) for p, g in zip(predicted, gold))
    gold_hit = sum(sum(any(a < d and c < b for a, b in p) for c, d in g) for p, g in zip(predicted, gold))

    def f1(p: float, r: float) -> float:
        return 2 * p * r / (p + r) if p + r else 0.0

    out = {"n_sentences": len(gold), "n_gold": n_gold, "n_predicted": n_pred}
    for name, tp_p, tp_r in (("exact", exact, exact), ("partial", pred_hit, gold_hit)):
        precision = tp_p / n_pred if n_pred else 0.0
        recall = tp_r / n_gold if n_gold else 0.0
        out.update(
            {
                f"{name}_precision": round(precision, 4),
                f"{name}_recall": round(recall, 4),
                f"{name}_f1": round(f1(precision, recall), 4),
            }
        )
    return out


def _token_offsets(tokens: list[str]) -> tuple[str, list[int]]:
    text, starts, pos = [], [], 0
    for token in tokens:
        starts.append(pos)
        text.append(token)
        pos += len(token) + 1
    return " ".join(text), starts


def _char_to_tokens(starts: list[int], tokens: list[str], a: int, b: int) -> tuple[int, int]:
    first = max(i for i, s in enumerate(starts) if s <= a)
    last = max(i for i, s in enumerate(starts) if s < b)
    return first, last + 1


def phrase_scores(extractor, phrases: list[str]) -> np.ndarray:
    """Best label cosine for each phrase (distinct phrases embedded once)."""
    from skills_engine.extraction import semantic

    distinct = sorted(set(phrases))
    best = np.zeros(len(distinct), dtype=np.float32)
    labels = extractor.label_vectors_.T.copy()
    for start in range(0, len(distinct), CHUNK):
        vectors = semantic.encode(distinct[start : start + CHUNK])
        best[start : start + CHUNK] = (vectors @ labels).max(axis=1)
    lookup = dict(zip(distinct, best))
    return np.array([lookup[p] for p in phrases], dtype=np.float32)


def span_candidates(records: list[dict], extractor, semantic: bool = True) -> list[list[tuple[float, int, int]]]:
    """Per record, scored candidate token spans: lexical matches (score 2+) and phrases.

    A phrase's score is its best MiniLM cosine with any ESCO label; lexical matches score
    above every phrase so that they win overlaps.
    """
    out: list[list[tuple[float, int, int]]] = []
    sentences = [_token_offsets([str(t) for t in record["tokens"]]) for record in records]
    char_candidates: list[list[tuple[float, int, int]]] = [
        [(2.0 + (m.end - m.start) / 1000, m.start, m.end) for m in extractor.lexical_.find(text)]
        for text, _ in sentences
    ]
    if semantic and getattr(extractor, "semantic", False):
        owners, spans = [], []
        for i, (text, _) in enumerate(sentences):
            for a, b in extractor.phrases(text):
                owners.append(i)
                spans.append((a, b))
        scores = phrase_scores(extractor, [sentences[i][0][a:b] for i, (a, b) in zip(owners, spans)])
        for i, (a, b), score in zip(owners, spans, scores):
            char_candidates[i].append((float(score), a, b))
    for (_, starts), record, found in zip(sentences, records, char_candidates):
        out.append([(score, *_char_to_tokens(starts, record["tokens"], a, b)) for score, a, b in found])
    return out


def select_spans(candidates: list[list[tuple[float, int, int]]], threshold: float | None) -> list[set]:
    """Non-overlapping spans per record, best score first, keeping scores >= ``threshold``
    (``None``: lexical matches only)."""
    floor = 2.0 if threshold is None else threshold
    out = []
    for found in candidates:
        taken: list[tuple[int, int]] = []
        for score, a, b in sorted(found, key=lambda c: (-c[0], c[1])):
            if score >= floor and not any(a < e and s < b for s, e in taken):
                taken.append((a, b))
        out.append(set(taken))
    return out


def predict_spans(records: list[dict], extractor, threshold: float | None = PHRASE_THRESHOLD) -> list[set]:
    """Predicted token spans per record: lexical matches, then confident semantic phrases."""
    return select_spans(span_candidates(records, extractor, semantic=threshold is not None), threshold)


def evaluate_skillspan(records: list[dict] | None = None, extractor=None, threshold: float = PHRASE_THRESHOLD) -> dict:
    """Precision/recall/F1 of detected spans on SkillSpan dev (or ``records``).

    Returns
    -------
    dict
        ``n_sentences, n_gold, n_predicted`` and ``{exact,partial}_{precision,recall,f1}``.
    """
    from skills_engine import getters

    if records is None:
        records = getters.read_skillspan("dev_json")
    if extractor is None:
        from skills_engine.extraction.extractor import SkillExtractor

        extractor = SkillExtractor().fit()
    predicted = predict_spans(records, extractor, threshold)
    return span_scores(predicted, [gold_spans(r) for r in records])


def tune_threshold(extractor, records: list[dict] | None = None, grid=(0.55, 0.6, 0.65, 0.7, 0.75, 0.8)) -> dict:
    """Partial-overlap F1 on SkillSpan *train* for each phrase threshold (to choose ``PHRASE_THRESHOLD``)."""
    from skills_engine import getters

    records = getters.read_skillspan("train_json") if records is None else records
    gold = [gold_spans(r) for r in records]
    candidates = span_candidates(records, extractor)
    return {t: span_scores(select_spans(candidates, t), gold) for t in grid}
