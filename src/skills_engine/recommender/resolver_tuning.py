"""Choosing the :class:`~skills_engine.recommender.resolver.MeaningRule` of an encoder on benchmark spans.

The benchmark files pair a phrase from a real advert (``span``) with its gold ESCO skill, or with
``LABEL NOT PRESENT`` when no ESCO skill fits. :func:`meaning_rule_table` counts, for a grid of
accept scores and margins, the phrases the resolver would answer rightly and wrongly;
:func:`tune_meaning_rule` takes the rule with the most net right answers. Use the validation
files only, once per encoder; the chosen values become the ``ACCEPT_MEANING_*`` constants of
:mod:`~skills_engine.recommender.resolver`::

    from skills_engine import getters
    from skills_engine.extraction import semantic
    from skills_engine.recommender.resolver import SkillResolver
    from skills_engine.recommender.resolver_tuning import benchmark_phrases, tune_meaning_rule

    skills = getters.read_esco_skills()
    uri_of_label = dict(zip(skills["preferred_label"], skills["skill_uri"]))
    phrases = pd.concat(benchmark_phrases(getters.read_skill_benchmark(key), uri_of_label)
                        for key in ["tech_validation_csv", "house_validation_csv"])
    for encoder in ["base", "auto"]:
        semantic.set_encoder(encoder)
        rule, table = tune_meaning_rule(SkillResolver().fit(skills), phrases)
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from skills_engine.recommender.resolver import NO_ESCO_SKILL, MeaningRule, SkillResolver, normalise_label

#: Cost of a wrong answer against the gain of a right one when a :class:`MeaningRule` is tuned:
#: 0.5 takes a match by meaning where it is right at least one time in three. A wrong answer is
#: shown as understood, with alternatives, and the benchmark's "wrong" is strict (a related skill
#: the annotators did not pick, "people management" -> "lead others"), which still points at the
#: right occupations; an unanswered phrase adds nothing to the recommendation. At 1 the rules
#: answered far fewer everyday phrases ("patient care" went unanswered under both encoders).
WRONG_ANSWER_COST = 0.5
#: Accept scores and margins (both cosine) tried by :func:`tune_meaning_rule`.
TUNING_SCORES = tuple(float(score) for score in np.round(np.arange(0.60, 0.951, 0.01), 2))
TUNING_MARGINS = (0.0, 0.01, 0.02, 0.03, 0.05, 0.08)
#: Half-width (cosine) of the window of scores whose net answers are averaged before the best is
#: taken: with ~350 validation phrases one phrase is worth 0.003, so no single lucky step decides.
TUNING_WINDOW = 0.02
#: Net answers (share of phrases) a margin must add over the best rule without one to be kept:
#: about twice the bootstrap standard error (0.010-0.014) of the difference between two rules on
#: the ~350 TECH and HOUSE validation phrases. A margin also leaves near-ties between ESCO's
#: near-synonyms ("lead a team", "manage a team") unresolved, so it must clearly pay for that.
TUNING_MIN_MARGIN_GAIN = 0.025


def benchmark_phrases(frame: pd.DataFrame, uri_of_label: dict[str, str]) -> pd.DataFrame:
    """Distinct ``span`` of a benchmark frame with its gold ESCO skills, for :func:`tune_meaning_rule`.

    Returns columns ``phrase`` and ``golds`` (frozenset of URIs; empty for a span annotated
    :data:`NO_ESCO_SKILL` only, where any answer is wrong). Spans with neither are left out.

    >>> frame = pd.DataFrame({"span": ["weld ", "weld", "Kubernetes", "it"],
    ...                       "label": ["join metals", "weld metal", "LABEL NOT PRESENT", "UNDERSPECIFIED"]})
    >>> phrases = benchmark_phrases(frame, {"join metals": "u:j", "weld metal": "u:w"})
    >>> [(phrase, sorted(golds)) for phrase, golds in zip(phrases["phrase"], phrases["golds"])]
    [('weld', ['u:j', 'u:w']), ('Kubernetes', [])]
    """
    return (
        frame.assign(phrase=frame["span"].str.strip(), uri=frame["label"].map(uri_of_label))
        .loc[lambda d: d["phrase"].ne("") & (d["uri"].notna() | d["label"].eq(NO_ESCO_SKILL))]
        .groupby("phrase", sort=False)["uri"]
        .agg(lambda uris: frozenset(uris.dropna()))
        .rename("golds")
        .reset_index()
    )


def meaning_rule_table(
    resolver: SkillResolver,
    phrases: pd.DataFrame,
    scores: Sequence[float] = TUNING_SCORES,
    margins: Sequence[float] = TUNING_MARGINS,
    wrong_cost: float = WRONG_ANSWER_COST,
) -> pd.DataFrame:
    """Right, wrong and unresolved phrases under each :class:`MeaningRule` of a grid.

    ``phrases``: ``phrase`` and ``golds`` (:func:`benchmark_phrases`). URIs, exact labels and
    spelling matches answer as in :meth:`SkillResolver.resolve`; the other phrases are encoded
    once, and their two nearest skills decide under each (score, margin). Returns one row per
    rule: ``score, margin, phrases, answered, right, wrong`` and ``net`` = (right -
    ``wrong_cost`` x wrong) / phrases.
    """
    if resolver._semantic_ranker() is None:
        raise RuntimeError(f"the semantic matcher is not available: {resolver.semantic_status()}")
    texts = [str(text).strip() for text in phrases["phrase"]]
    first = np.array([resolver._exact(t) or resolver._typo(normalise_label(t)) for t in texts], dtype=object)
    pending = [text for text, uri in zip(texts, first) if uri is None]
    near = dict(zip(pending, resolver._suggest_many(pending, limit=2)))
    close = [near.get(text, []) if uri is None else [] for text, uri in zip(texts, first)]
    top = np.array([c[0]["uri"] if c else None for c in close], dtype=object)
    best = np.array([c[0]["score"] if c else -9.0 for c in close])  # -9: below any cosine
    second = np.array([c[1]["score"] if len(c) > 1 else -9.0 for c in close])
    golds = phrases["golds"].tolist()
    rows = []
    for score in scores:
        for margin in margins:
            answer = np.where(first != None, first, np.where((best >= score) & (best - second >= margin), top, None))  # noqa: E711
            right = sum(uri in gold for uri, gold in zip(answer, golds))
            answered = int(sum(uri is not None for uri in answer))
            rows.append({"score": score, "margin": margin, "answered": answered, "right": right})
    return pd.DataFrame(rows).assign(
        phrases=len(texts),
        wrong=lambda d: d["answered"] - d["right"],
        net=lambda d: ((d["right"] - wrong_cost * d["wrong"]) / max(len(texts), 1)).round(4),
    )


def tune_meaning_rule(
    resolver: SkillResolver,
    phrases: pd.DataFrame,
    wrong_cost: float = WRONG_ANSWER_COST,
    window: float = TUNING_WINDOW,
    min_margin_gain: float = TUNING_MIN_MARGIN_GAIN,
) -> tuple[MeaningRule, pd.DataFrame]:
    """The :class:`MeaningRule` with the most net right answers on ``phrases``, and its table.

    ``net`` (:func:`meaning_rule_table`) is first averaged over the scores within ``window`` of
    each score (same margin), into ``smoothed``; ties go to the lower score, then the lower
    margin (more answers). A rule with a margin wins only if its ``smoothed`` beats the best rule
    without one by ``min_margin_gain``. Tune on validation phrases only, and once per encoder
    (:func:`~skills_engine.extraction.semantic.set_encoder`): a rule belongs to its encoder's cosines.
    """
    table = meaning_rule_table(resolver, phrases, wrong_cost=wrong_cost)
    table = table.assign(
        smoothed=[
            round(table.loc[table["margin"].eq(m) & (table["score"] - s).abs().le(window + 1e-9), "net"].mean(), 6)
            for s, m in zip(table["score"], table["margin"])
        ]
    )
    ranked = table.sort_values(["smoothed", "score", "margin"], ascending=[False, True, True])
    best, plain = ranked.iloc[0], ranked.loc[ranked["margin"].eq(0)].iloc[0]
    chosen = best if best["smoothed"] - plain["smoothed"] >= min_margin_gain - 1e-9 else plain
    return MeaningRule(float(chosen["score"]), float(chosen["margin"])), table
