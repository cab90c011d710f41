"""Skills typed in any words, resolved to ESCO skills: by label, by spelling, or by meaning.

:class:`SkillResolver` is the engine's first step (and the API's and the CLI's): each typed
phrase is matched to an ESCO preferred or alternative label exactly (after
:func:`normalise_label`), then by spelling (rapidfuzz, plurals and small typos), then by
meaning (all-MiniLM-L6-v2, run locally, loaded on first use). Phrases that match nothing come
back with close suggestions.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd

#: Fuzzy similarity (rapidfuzz WRatio, 0-100) at which a typed skill is taken as an ESCO label
#: without asking: 92 accepts plurals and small typos ("phlebotomys") but not different skills.
ACCEPT_FUZZY_SCORE = 92
#: Suggestions shown for a skill that could not be matched.
N_SUGGESTIONS = 3


def normalise_label(text: str) -> str:
    """Lower case, punctuation folded, for matching typed skills to ESCO labels.

    >>> normalise_label("  Record-Keeping ")
    'record keeping'
    """
    return re.sub(r"[^a-z0-9+#]+", " ", str(text).lower()).strip()


@dataclass
class SkillResolution:
    resolved: list[dict]
    unknown: list[dict]
    duplicates: list[str]


#: Cosine similarity (all-MiniLM-L6-v2) at which a typed skill is taken as the nearest ESCO label
#: when no label matches by spelling: 0.75 accepts "team leadership" -> "lead a team" (0.83) and
#: "patient care" -> "coordinate care" (0.75), and leaves "bookeeping" -> "accounting" (0.64) to
#: the suggestions.
ACCEPT_SEMANTIC_SCORE = 0.75


class SkillResolver:
    """Maps what a person types (or an ESCO URI) to ESCO skills, with suggestions for the rest.

    In order: an ESCO URI; an exact preferred or alternative label; a spelling match (typos,
    plurals) above :data:`ACCEPT_FUZZY_SCORE`; the nearest label by meaning (all-MiniLM-L6-v2,
    run locally) above :data:`ACCEPT_SEMANTIC_SCORE`. Anything else is returned as unknown with
    close matches. The semantic model loads on first need and is never pickled.
    """

    def __init__(
        self,
        semantic: bool = True,
        accept_score: float = ACCEPT_FUZZY_SCORE,
        semantic_accept_score: float = ACCEPT_SEMANTIC_SCORE,
    ):
        self.semantic = semantic
        self.accept_score = accept_score
        self.semantic_accept_score = semantic_accept_score

    def fit(self, skills: pd.DataFrame) -> SkillResolver:
        """``skills``: ``skill_uri``, ``preferred_label`` and optionally ``alt_labels`` (lists)."""
        labels = skills[["skill_uri", "preferred_label"]].rename(columns={"preferred_label": "label"})
        if "alt_labels" in skills:
            alternatives = (
                skills[["skill_uri", "alt_labels"]]
                .explode("alt_labels")
                .dropna()
                .rename(columns={"alt_labels": "label"})
            )
            labels = pd.concat([labels, alternatives])
        labels = labels.assign(key=lambda d: d["label"].map(normalise_label)).drop_duplicates("key")
        self.label_to_uri_ = dict(zip(labels["key"], labels["skill_uri"]))
        self.keys_ = labels["key"].tolist()
        self.uri_to_label_ = dict(zip(skills["skill_uri"], skills["preferred_label"]))
        self.skills_ = skills[
            [c for c in ("skill_uri", "preferred_label", "alt_labels", "description") if c in skills]
        ].copy()
        self._ranker = None
        return self

    def __getstate__(self):
        state = self.__dict__.copy()
        state["_ranker"] = None  # the sentence encoder is reloaded on demand, not stored
        return state

    def _semantic_ranker(self):
        if not self.semantic:
            return None
        if self._ranker is None:
            try:
                from skills_engine.extraction.evaluate import MiniLMLabelRanker

                self._ranker = MiniLMLabelRanker().fit(self.skills_)
            except Exception:  # torch or the model package not installed: spelling only
                self.semantic = False
                return None
        return self._ranker

    def suggestions(self, text: str, limit: int = N_SUGGESTIONS) -> list[dict]:
        """Close ESCO skills for ``text``: by meaning when the model is available, else by spelling."""
        ranker = self._semantic_ranker()
        if ranker is not None:
            return [
                {"uri": uri, "label": self.uri_to_label_.get(uri, label), "score": round(float(score), 3)}
                for uri, label, score in ranker.rank(text, k=limit)
            ]
        return self._spelling_matches(text, limit)

    def _spelling_matches(self, text: str, limit: int, scorer=None) -> list[dict]:
        from rapidfuzz import fuzz, process

        found, seen = [], set()
        for key, score, _ in process.extract(
            normalise_label(text), self.keys_, scorer=scorer or fuzz.WRatio, limit=limit * 4
        ):
            uri = self.label_to_uri_[key]
            if uri not in seen:
                seen.add(uri)
                found.append(
                    {"uri": uri, "label": self.uri_to_label_.get(uri, key), "score": round(float(score) / 100, 3)}
                )
            if len(found) == limit:
                break
        return found

    def _match(self, text: str) -> tuple[str | None, str | None, list[dict]]:
        from rapidfuzz import fuzz

        if text in self.uri_to_label_:
            return text, "ESCO URI", []
        key = normalise_label(text)
        if key in self.label_to_uri_:
            return self.label_to_uri_[key], "ESCO label", []
        typo = self._spelling_matches(text, 1, scorer=fuzz.ratio)
        if typo and typo[0]["score"] * 100 >= self.accept_score:
            return typo[0]["uri"], "close ESCO label", []
        close = self.suggestions(text)
        if self._ranker is not None and close and close[0]["score"] >= self.semantic_accept_score:
            return close[0]["uri"], "nearest ESCO skill by meaning", close[1:]
        return None, None, close

    def resolve(self, inputs: Sequence[str]) -> SkillResolution:
        resolved, unknown, duplicates, seen = [], [], [], set()
        for raw in inputs:
            text = str(raw).strip()
            if not text:
                continue
            uri, how, close = self._match(text)
            if uri is None:
                unknown.append({"input": text, "suggestions": close})
                continue
            if uri in seen:
                duplicates.append(text)
                continue
            seen.add(uri)
            entry = {"input": text, "uri": uri, "label": self.uri_to_label_.get(uri, text), "matched_by": how}
            if close:
                entry["alternatives"] = close
            resolved.append(entry)
        return SkillResolution(resolved, unknown, duplicates)
