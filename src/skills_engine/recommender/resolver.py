"""Skills typed in any words, resolved to ESCO skills: by label, by spelling, or by meaning.

:class:`SkillResolver` is the engine's first step (and the API's and the CLI's): each typed
phrase is matched to an ESCO preferred or alternative label exactly (after
:func:`normalise_label`), then by spelling (rapidfuzz, plurals and small typos), then by
meaning (all-MiniLM-L6-v2, run locally, loaded on first use). Phrases that match nothing come
back with close suggestions.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd

#: Fuzzy similarity (rapidfuzz WRatio, 0-100) at which a typed skill is taken as an ESCO label
#: without asking: 92 accepts plurals and small typos ("phlebotomys") but not different skills.
ACCEPT_FUZZY_SCORE = 92
#: Suggestions shown for a skill that could not be matched.
N_SUGGESTIONS = 3
#: Skills per request that are not exact ESCO labels and so are matched by spelling and meaning
#: (phrases). Each costs a fuzzy search over ~84,000 labels and a share of one batched encode; a
#: person types 3-10 skills, so 20 leaves room while bounding a request's work (200 unknown
#: phrases once held a core for 85 s). Phrases past the cap come back unknown, with a note.
MAX_PHRASE_SKILLS = 20
#: Phrases whose resolution is remembered per process (the common ones, "patient care", recur).
RESOLVED_CACHE_SIZE = 10_000
#: Seconds before loading the semantic model is tried again after it failed.
SEMANTIC_RETRY_SECONDS = 60.0


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
    over_cap: list[str]


log = logging.getLogger(__name__)

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
    close matches. At most :data:`MAX_PHRASE_SKILLS` phrases per call go past the exact look-up;
    all of a call's phrases are encoded in one batch, and resolved phrases are remembered.

    The semantic model loads on first need (or at :meth:`warm`), once per process under a lock,
    and is never pickled. A failed load is logged, reported by :meth:`semantic_status` and tried
    again after :data:`SEMANTIC_RETRY_SECONDS`; a missing install turns meaning matches off.
    """

    def __init__(
        self,
        semantic: bool = True,
        accept_score: float = ACCEPT_FUZZY_SCORE,
        semantic_accept_score: float = ACCEPT_SEMANTIC_SCORE,
        max_phrases: int = MAX_PHRASE_SKILLS,
    ):
        self.semantic = semantic
        self.accept_score = accept_score
        self.semantic_accept_score = semantic_accept_score
        self.max_phrases = max_phrases

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
        self._start_runtime()
        return self

    # --- the per-process state: model, lock, remembered phrases (never pickled) -----------------

    def _start_runtime(self) -> None:
        by_length: dict[int, tuple[list[int], list[str]]] = {}
        for position, key in enumerate(getattr(self, "keys_", [])):
            positions, keys = by_length.setdefault(len(key), ([], []))
            positions.append(position)
            keys.append(key)
        self._keys_by_length = by_length
        self._ranker = None
        self._lock = threading.Lock()
        self._cache: OrderedDict[str, tuple] = OrderedDict()
        self._load_error: str | None = None
        self._failed_at: float | None = None
        self._loads = 0

    def __getstate__(self):
        runtime = ("_ranker", "_lock", "_cache", "_load_error", "_failed_at", "_loads", "_keys_by_length")
        return {key: value for key, value in self.__dict__.items() if key not in runtime}

    def __setstate__(self, state):
        self.__dict__.update(state)
        self._start_runtime()

    def _semantic_ranker(self):
        if not self.semantic:
            return None
        if self._ranker is not None:
            return self._ranker
        with self._lock:  # concurrent first requests wait for one load instead of loading N times
            if self._ranker is not None or not self.semantic:
                return self._ranker
            if self._failed_at is not None and time.monotonic() - self._failed_at < SEMANTIC_RETRY_SECONDS:
                return None
            try:
                from skills_engine.extraction.evaluate import MiniLMLabelRanker

                self._loads += 1
                self._ranker = MiniLMLabelRanker().fit(self.skills_)
                self._load_error = self._failed_at = None
            except ImportError as error:  # torch or the model package not installed: spelling only
                log.warning("semantic skill matching is off: %s", error)
                self.semantic, self._load_error = False, f"not installed: {error}"
            except Exception as error:  # noqa: BLE001 - any load failure is reported and retried, never kept silently
                log.exception("loading the semantic skill matcher failed; retrying in %.0f s", SEMANTIC_RETRY_SECONDS)
                self._load_error, self._failed_at = f"{type(error).__name__}: {error}", time.monotonic()
        return self._ranker

    def warm(self) -> dict:
        """Load the semantic model now (the service's eager start-up); return :meth:`semantic_status`.

        Both halves load here: the label embeddings (cached on disk) and the encoder itself,
        which a first encode would otherwise load inside somebody's request.
        """
        ranker = self._semantic_ranker()
        if ranker is not None:
            try:
                ranker.rank_many(["warm up"], k=1)
            except Exception as error:  # noqa: BLE001 - reported by semantic_status, retried later
                log.exception("the semantic skill matcher failed its first encode")
                with self._lock:
                    self._ranker, self._load_error = None, f"{type(error).__name__}: {error}"
                    self._failed_at = time.monotonic()
        return self.semantic_status()

    def semantic_status(self) -> dict:
        """Whether meaning matches are ready: ``{"enabled", "loaded", "loads", "error"}``."""
        return {
            "enabled": bool(self.semantic),
            "loaded": self._ranker is not None,
            "loads": self._loads,
            "error": self._load_error,
        }

    # --- matching ---------------------------------------------------------------------------------

    def suggestions(self, text: str, limit: int = N_SUGGESTIONS) -> list[dict]:
        """Close ESCO skills for ``text``: by meaning when the model is available, else by spelling."""
        return self._suggest_many([text], limit)[0]

    def _suggest_many(self, texts: list[str], limit: int = N_SUGGESTIONS) -> list[list[dict]]:
        ranker = self._semantic_ranker()
        if ranker is None:
            return [self._spelling_matches(text, limit) for text in texts]
        return [
            [
                {"uri": uri, "label": self.uri_to_label_.get(uri, label), "score": round(float(score), 3)}
                for uri, label, score in ranked
            ]
            for ranked in ranker.rank_many(texts, k=limit)
        ]

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

    def _typo(self, key: str) -> str | None:
        from rapidfuzz import fuzz, process

        # Only labels of a compatible length can reach the cut-off: the indel distance is at least the
        # length difference, so ratio <= 100 * (1 - |a - b| / (a + b)). Scanning those few buckets
        # instead of all ~98k labels gives the same answer (ties go to the earlier label) 5x sooner.
        best_score, best_position = -1.0, -1
        for length in self._compatible_lengths(len(key)):
            positions, keys = self._keys_by_length[length]
            found = process.extractOne(key, keys, scorer=fuzz.ratio, score_cutoff=self.accept_score)
            if found is not None:
                score, position = found[1], positions[found[2]]
                if score > best_score or (score == best_score and position < best_position):
                    best_score, best_position = score, position
        return self.label_to_uri_[self.keys_[best_position]] if best_position >= 0 else None

    def _compatible_lengths(self, length: int) -> list[int]:
        slack = 1 - self.accept_score / 100
        return [other for other in self._keys_by_length if abs(length - other) <= slack * (length + other) + 1e-9]

    def _match_phrases(self, texts: list[str]) -> dict[str, tuple[str | None, str | None, list[dict]]]:
        """Spelling, then meaning, for phrases that are not exact labels; one encode for all."""
        matched, pending = {}, []
        for text in texts:
            key = normalise_label(text)
            if key in self._cache:
                self._cache.move_to_end(key)
                matched[text] = self._cache[key]
            elif (uri := self._typo(key)) is not None:
                matched[text] = (uri, "close ESCO label", [])
            else:
                pending.append(text)
        for text, close in zip(pending, self._suggest_many(pending)):
            by_meaning = self._ranker is not None and close and close[0]["score"] >= self.semantic_accept_score
            matched[text] = (
                (close[0]["uri"], "nearest ESCO skill by meaning", close[1:]) if by_meaning else (None, None, close)
            )
        if self._ranker is not None:  # spelling-only answers are not kept: the model may load later
            for text, result in matched.items():
                self._cache[normalise_label(text)] = result
            while len(self._cache) > RESOLVED_CACHE_SIZE:
                self._cache.popitem(last=False)
        return matched

    def resolve(self, inputs: Sequence[str]) -> SkillResolution:
        """Resolve typed skills; see the class docstring for the order of matches and the limits."""
        texts = [text for text in (str(raw).strip() for raw in inputs) if text]
        exact: dict[str, tuple[str, str]] = {}
        phrases: list[str] = []
        for text in texts:
            if text in self.uri_to_label_:
                exact[text] = (text, "ESCO URI")
            elif (key := normalise_label(text)) in self.label_to_uri_:
                exact[text] = (self.label_to_uri_[key], "ESCO label")
            elif text not in phrases:
                phrases.append(text)
        matched = self._match_phrases(phrases[: self.max_phrases])
        over_cap = phrases[self.max_phrases :]
        resolved, unknown, duplicates, seen = [], [], [], set()
        for text in texts:
            if text in exact:
                (uri, how), close = exact[text], []
            elif text in matched:
                uri, how, close = matched[text]
            else:
                uri, how, close = None, None, []
            if uri is None:
                entry = {"input": text, "suggestions": close}
                if text in over_cap:
                    entry["note"] = (
                        f"not matched: at most {self.max_phrases} skills per request are matched by spelling and meaning"
                    )
                unknown.append(entry)
                continue
            if uri in seen:
                duplicates.append(text)
                continue
            seen.add(uri)
            entry = {"input": text, "uri": uri, "label": self.uri_to_label_.get(uri, text), "matched_by": how}
            if close:
                entry["alternatives"] = close
            resolved.append(entry)
        return SkillResolution(resolved, unknown, duplicates, over_cap)


def resolver_accuracy(resolver: SkillResolver, phrases: Sequence[str], gold_uris: Sequence[str], k: int = 5) -> dict:
    """How often a typed phrase resolves to its gold ESCO skill: accuracy@1 and accuracy@``k``.

    @1 counts the resolver's own answer (exact label, spelling or meaning; no answer is a miss);
    @k also counts the gold skill among the ``k`` closest skills it suggests, as a person
    choosing from the suggestions would see them.

    >>> skills = pd.DataFrame({"skill_uri": ["u:a", "u:b"], "preferred_label": ["use spreadsheets", "weld metal"]})
    >>> resolver = SkillResolver(semantic=False).fit(skills)
    >>> resolver_accuracy(resolver, ["use spreadsheet", "welding", "Weld metal"], ["u:a", "u:b", "u:b"], k=2)
    {'n': 3, 'accuracy@1': 0.6667, 'accuracy@2': 1.0}
    """
    if len(phrases) != len(gold_uris):
        raise ValueError(f"{len(phrases)} phrases but {len(gold_uris)} gold skills")
    top1 = topk = 0
    for phrase, gold in zip(phrases, gold_uris):
        resolved = resolver.resolve([phrase]).resolved
        answer = [resolved[0]["uri"]] if resolved else []
        ranked = list(dict.fromkeys(answer + [s["uri"] for s in resolver.suggestions(phrase, limit=k)]))[:k]
        top1 += bool(answer) and answer[0] == gold
        topk += gold in ranked
    n = len(phrases)
    return {"n": n, "accuracy@1": round(top1 / n, 4) if n else 0.0, f"accuracy@{k}": round(topk / n, 4) if n else 0.0}
