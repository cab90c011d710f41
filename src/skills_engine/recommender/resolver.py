"""Skills typed in any words, resolved to ESCO skills: by label, by spelling, or by meaning.

:class:`SkillResolver` is the engine's first step (and the API's and the CLI's): each typed
phrase is matched to an ESCO preferred or alternative label exactly (after
:func:`normalise_label`), then by spelling (rapidfuzz, plurals and small typos), then by
meaning (:class:`MeaningIndex`: the active sentence encoder, run locally, loaded on first use).
A match by meaning is taken only under the :class:`MeaningRule` of the encoder in use; phrases
that match nothing come back with close suggestions.

The rules were chosen on the TECH and HOUSE validation spans (never the test files) with
:func:`~skills_engine.recommender.resolver_tuning.tune_meaning_rule`; after the encoder is
retrained, rerun it (its module says how) and update the ``ACCEPT_MEANING_*`` constants.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
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
#: ESCO reuse levels, broadest first: of several skills sharing an alternative label, the broader
#: is what a person typing the bare label more likely means.
REUSE_BREADTH = ("transversal", "cross-sector", "sector-specific", "occupation-specific")


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

#: Cosine taken off a phrase's similarity to an ESCO *alternative* label when skills are ranked by
#: meaning. ESCO's alternative labels are looser than its preferred labels ("coordinate patient
#: care" is an alternative label of "coordinate care", "drive forklifts" of "drive agricultural
#: machines"). On the TECH and HOUSE validation phrases, with each encoder's rule re-tuned for each
#: value, every penalty from 0.05 to 0.15 gave more net right answers than none and within three
#: phrases of each other; 0.08 gave the best accuracy@5 under both encoders.
ALT_LABEL_PENALTY = 0.08
#: Not-a-skill label of the benchmark files: spans annotated with it have no ESCO skill, so any
#: answer for them is wrong (``UNDERSPECIFIED`` spans are too vague to count either way).
NO_ESCO_SKILL = "LABEL NOT PRESENT"


@dataclass(frozen=True)
class MeaningRule:
    """When the nearest ESCO skill by meaning is taken without asking (both in cosine units).

    ``score``: the skill's score (cosine of its best label, alternative labels less
    :data:`ALT_LABEL_PENALTY`) must reach it; ``margin``: it must beat the second skill's score
    by at least this much (0 turns the margin rule off).
    """

    score: float
    margin: float = 0.0

    def accepts(self, close: list[dict]) -> bool:
        """Whether the first of ``close`` (skills by meaning, best first) is taken as the answer."""
        if not close or close[0]["score"] < self.score:
            return False
        return len(close) < 2 or close[0]["score"] - close[1]["score"] >= self.margin


#: Score (cosine, alternative labels less :data:`ALT_LABEL_PENALTY`) at which the nearest skill by
#: meaning is taken under all-MiniLM-L6-v2 as shipped. Tuned with
#: :func:`~skills_engine.recommender.resolver_tuning.tune_meaning_rule` on the 347 TECH and HOUSE
#: validation phrases, a wrong answer costing half a right one: answers scoring 0.69-0.73 were
#: right 10 times in 25, those at 0.65-0.69 7 in 35, so 0.69 (96 right and 62 wrong answers,
#: against 83 and 61 at the old 0.75 without the penalty).
ACCEPT_MEANING_SCORE_BASE = 0.69
#: Margin (cosine) over the second skill under the shipped MiniLM: 0, off; the best margin (0.03)
#: added 0.002 net answers, far under ``TUNING_MIN_MARGIN_GAIN``.
ACCEPT_MEANING_MARGIN_BASE = 0.0
#: The same score under the fine-tuned skill encoder, tuned the same way: answers at 0.70-0.74
#: were right 10 times in 31, those at 0.66-0.70 7 in 23, so 0.70 (111 right and 72 wrong
#: answers, against 92 and 71 before). Fine-tuning changes how cosines spread, so each encoder
#: has its own score: rerun the tuning after retraining.
ACCEPT_MEANING_SCORE_FINETUNED = 0.70
#: Margin (cosine) under the fine-tuned encoder: 0, off; the best margin (0.01) added 0.003.
ACCEPT_MEANING_MARGIN_FINETUNED = 0.0


def meaning_rule(encoder_id: str | None) -> MeaningRule:
    """The acceptance rule of an encoder: the shipped MiniLM's for its id, else the fine-tuned one's.

    >>> meaning_rule("all-MiniLM-L6-v2") == MeaningRule(ACCEPT_MEANING_SCORE_BASE, ACCEPT_MEANING_MARGIN_BASE)
    True
    """
    from skills_engine.extraction.semantic import MODEL_NAME

    if encoder_id == MODEL_NAME:
        return MeaningRule(ACCEPT_MEANING_SCORE_BASE, ACCEPT_MEANING_MARGIN_BASE)
    return MeaningRule(ACCEPT_MEANING_SCORE_FINETUNED, ACCEPT_MEANING_MARGIN_FINETUNED)


class MeaningIndex:
    """ESCO skills ranked by meaning for typed phrases, with the active encoder.

    A skill's score is the cosine of the phrase to its best label, alternative labels counting
    :data:`ALT_LABEL_PENALTY` less than the preferred one. The label vectors are the extractor's
    (``esco-skill-texts`` in the extraction cache), so nothing is encoded twice.

    Attributes
    ----------
    vectors_ : numpy.ndarray
        Unit vectors of every preferred and alternative label (labels x dimensions).
    penalty_ : numpy.ndarray
        Per label, what is taken off its cosine (:data:`ALT_LABEL_PENALTY` or 0).
    encoder_ : str
        Id of the encoder the vectors came from (chooses the :func:`meaning_rule`).
    """

    def __init__(self, cache_dir: str | Path | None = None):
        self.cache_dir = cache_dir

    def fit(self, skills: pd.DataFrame) -> MeaningIndex:
        """``skills``: ``skill_uri``, ``preferred_label``, ``alt_labels`` and optionally ``description``."""
        from skills_engine.extraction import semantic

        taxonomy = skills.reset_index(drop=True)
        texts = semantic.skill_texts(taxonomy, use_descriptions="description" in taxonomy)
        vectors = semantic.cached_encode(texts["text"].tolist(), "esco-skill-texts", self.cache_dir)
        labels = texts.assign(row=np.arange(len(texts))).query("kind != 'description'")
        self.vectors_ = vectors[labels["row"].to_numpy()]
        self.penalty_ = np.where(labels["kind"].eq("alt"), ALT_LABEL_PENALTY, 0.0).astype(np.float32)
        owner = labels["skill"].to_numpy()
        self.starts_ = np.flatnonzero(np.r_[True, np.diff(owner) != 0])
        self.uris_ = taxonomy["skill_uri"].to_numpy()[owner[self.starts_]]
        self.labels_ = taxonomy["preferred_label"].str.strip().to_numpy()[owner[self.starts_]]
        self.encoder_ = semantic.active_encoder()[1]
        return self

    def rank_many(self, texts: list[str], k: int = N_SUGGESTIONS) -> list[list[tuple[str, str, float]]]:
        """The ``k`` best skills of each text, best first: ``(uri, preferred label, score)``."""
        from skills_engine.extraction import semantic

        if not texts:
            return []
        sims = semantic.encode(list(texts)) @ self.vectors_.T
        sims -= self.penalty_
        best = np.maximum.reduceat(sims, self.starts_, axis=1)
        k = min(k, best.shape[1])
        top = np.argpartition(-best, k - 1, axis=1)[:, :k]
        top = np.take_along_axis(top, np.argsort(-np.take_along_axis(best, top, 1), axis=1, kind="stable"), 1)
        return [
            [(str(self.uris_[i]), str(self.labels_[i]), float(row[i])) for i in order] for row, order in zip(best, top)
        ]


class SkillResolver:
    """Maps what a person types (or an ESCO URI) to ESCO skills, with suggestions for the rest.

    In order: an ESCO URI; an exact preferred or alternative label (an alternative label that
    ESCO gives to several skills goes to the one whose preferred label shares most of its words,
    then the most widely reused: "welding" -> "operate welding equipment", not "join metals"); a
    spelling match (typos, plurals) above :data:`ACCEPT_FUZZY_SCORE`; the nearest skill by
    meaning (:class:`MeaningIndex`) when the encoder's :class:`MeaningRule` accepts it. Anything
    else is returned as unknown with close matches. At most :data:`MAX_PHRASE_SKILLS` phrases per
    call go past the exact look-up; all of a call's phrases are encoded in one batch, and
    resolved phrases are remembered.

    The semantic model loads on first need (or at :meth:`warm`), once per process under a lock,
    and is never pickled. A failed load is logged, reported by :meth:`semantic_status` and tried
    again after :data:`SEMANTIC_RETRY_SECONDS`; a missing install turns meaning matches off.

    Parameters
    ----------
    semantic : bool
        Match by meaning at all (else labels and spelling only).
    accept_score : float
        rapidfuzz ratio (0-100) of a spelling match.
    meaning_rule : MeaningRule, optional
        When a match by meaning is taken; ``None`` (the default) uses the rule of the encoder
        that is loaded (:func:`meaning_rule`).
    max_phrases : int
        Phrases per call matched by spelling and meaning.
    """

    def __init__(
        self,
        semantic: bool = True,
        accept_score: float = ACCEPT_FUZZY_SCORE,
        meaning_rule: MeaningRule | None = None,
        max_phrases: int = MAX_PHRASE_SKILLS,
    ):
        self.semantic = semantic
        self.accept_score = accept_score
        self.meaning_rule = meaning_rule
        self.max_phrases = max_phrases

    def fit(self, skills: pd.DataFrame) -> SkillResolver:
        """``skills``: ``skill_uri``, ``preferred_label`` and optionally ``alt_labels`` (lists),
        ``reuse_level`` (ESCO's) and ``description``."""
        labels = skills[["skill_uri", "preferred_label"]].rename(columns={"preferred_label": "label"})
        if "alt_labels" in skills:
            breadth = {level: rank for rank, level in enumerate(REUSE_BREADTH)}
            alternatives = (
                skills.assign(reuse_level=skills.get("reuse_level"))[
                    ["skill_uri", "preferred_label", "alt_labels", "reuse_level"]
                ]
                .explode("alt_labels")
                .dropna(subset=["alt_labels"])
                .assign(key=lambda d: d["alt_labels"].map(normalise_label))
                .assign(
                    shared=lambda d: [  # words shared with the preferred label, for shared labels only
                        -len(set(key.split()) & set(normalise_label(label).split())) if shared else 0
                        for key, label, shared in zip(d["key"], d["preferred_label"], d["key"].duplicated(keep=False))
                    ],
                    breadth=lambda d: d["reuse_level"].map(breadth).fillna(len(breadth)),
                )
                .sort_values(["shared", "breadth"], kind="stable")
                .rename(columns={"alt_labels": "label"})[["skill_uri", "label"]]
            )
            labels = pd.concat([labels, alternatives])
        labels = labels.assign(key=lambda d: d["label"].map(normalise_label)).drop_duplicates("key")
        self.label_to_uri_ = dict(zip(labels["key"], labels["skill_uri"]))
        self.keys_ = labels["key"].tolist()
        self.uri_to_label_ = dict(zip(skills["skill_uri"], skills["preferred_label"].str.strip()))  # as shown
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
        state = {"meaning_rule": None} | state  # artefacts pickled before per-encoder rules
        state.pop("semantic_accept_score", None)
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
                self._loads += 1
                self._ranker = MeaningIndex().fit(self.skills_)
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

    def rule(self) -> MeaningRule:
        """The :class:`MeaningRule` in force: the one given, else that of the loaded encoder."""
        return self.meaning_rule or meaning_rule(getattr(self._ranker, "encoder_", None))

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

    def _match_phrases(self, texts: list[str], suggestions: Mapping[str, list[dict]] | None = None) -> dict:
        """Spelling, then meaning, for phrases that are not exact labels; one encode for all (none
        for phrases in ``suggestions``, :meth:`_suggest_many`'s answers when the caller has them)."""
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
        known = suggestions or {}
        # _suggest_many loads the index first: the rule is its encoder's
        unseen = [text for text in pending if text not in known]
        computed = dict(zip(unseen, self._suggest_many(unseen)))
        nearest = [known[text] if text in known else computed[text] for text in pending]
        rule = self.rule()
        for text, close in zip(pending, nearest):
            by_meaning = self._ranker is not None and rule.accepts(close)
            matched[text] = (
                (close[0]["uri"], "nearest ESCO skill by meaning", close[1:]) if by_meaning else (None, None, close)
            )
        if self._ranker is not None:  # spelling-only answers are not kept: the model may load later
            for text, result in matched.items():
                self._cache[normalise_label(text)] = result
            while len(self._cache) > RESOLVED_CACHE_SIZE:
                self._cache.popitem(last=False)
        return matched

    def _exact(self, text: str) -> str | None:
        """The skill ``text`` names exactly: as an ESCO URI, or as a (normalised) label."""
        return text if text in self.uri_to_label_ else self.label_to_uri_.get(normalise_label(text))

    def resolve(self, inputs: Sequence[str]) -> SkillResolution:
        """Resolve typed skills; see the class docstring for the order of matches and the limits."""
        texts = [text for text in (str(raw).strip() for raw in inputs) if text]
        exact: dict[str, tuple[str, str]] = {}
        phrases: list[str] = []
        for text in texts:
            if (uri := self._exact(text)) is not None:
                exact[text] = (uri, "ESCO URI" if uri == text else "ESCO label")
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
    choosing from the suggestions would see them. Each phrase is resolved on its own, as
    :meth:`SkillResolver.resolve` would, but the phrases are encoded in batches.

    >>> skills = pd.DataFrame({"skill_uri": ["u:a", "u:b"], "preferred_label": ["use spreadsheets", "weld metal"]})
    >>> resolver = SkillResolver(semantic=False).fit(skills)
    >>> resolver_accuracy(resolver, ["use spreadsheet", "welding", "Weld metal"], ["u:a", "u:b", "u:b"], k=2)
    {'n': 3, 'accuracy@1': 0.6667, 'accuracy@2': 1.0}
    """
    if len(phrases) != len(gold_uris):
        raise ValueError(f"{len(phrases)} phrases but {len(gold_uris)} gold skills")
    texts = [str(phrase).strip() for phrase in phrases]
    unique = [text for text in dict.fromkeys(texts) if text]
    answers = {text: resolver._exact(text) for text in unique}
    near: dict[str, list[dict]] = {}
    for start in range(0, len(unique), resolver.max_phrases):  # bounded batches, as in a request
        chunk = unique[start : start + resolver.max_phrases]
        # one encode per phrase: its closest skills serve both the @k list and the answer
        ranked = resolver._suggest_many(chunk, limit=max(k, N_SUGGESTIONS))
        near.update((text, close[:k]) for text, close in zip(chunk, ranked))
        known = {text: close[:N_SUGGESTIONS] for text, close in zip(chunk, ranked)}
        matched = resolver._match_phrases([text for text in chunk if answers[text] is None], known)
        answers.update({text: uri for text, (uri, _, _) in matched.items()})
    top1 = topk = 0
    for text, gold in zip(texts, gold_uris):
        answer = [answers[text]] if answers.get(text) else []
        ranked = list(dict.fromkeys(answer + [s["uri"] for s in near.get(text, [])]))[:k]
        top1 += bool(answer) and answer[0] == gold
        topk += gold in ranked
    n = len(phrases)
    return {"n": n, "accuracy@1": round(top1 / n, 4) if n else 0.0, f"accuracy@{k}": round(topk / n, 4) if n else 0.0}
