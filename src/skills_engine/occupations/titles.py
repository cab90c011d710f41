"""Map raw advert titles to a canonical job title and an ESCO occupation (with ISCO-08 and SOC 2010).

Two steps:

* :func:`~skills_engine.occupations.title_cleaning.clean_title` (in :mod:`.title_cleaning`,
  importable from here too) strips what adverts add to a job title (pay bands, salaries,
  places, reference codes, contract and shift words, agency fluff) and returns a lower-case
  canonical title.
* :class:`TitleNormaliser` matches the canonical title to ESCO occupation labels, most reliable
  route first, each recorded in ``method``:

  ``exact label`` / ``alt label``
      the title (or one of its variants) is an ESCO preferred or alternative label;
  ``synonym``
      the title is a UK title term from :data:`UK_TITLE_SYNONYMS` (ESCO lacks much UK and NHS
      vocabulary: "staff nurse", "HCA", "registered manager", "sous chef");
  ``head match``
      after dropping leading modifiers ("critical care research *nurse*") or trailing
      qualifiers, what is left is a label or synonym; confidence falls with every word dropped;
  ``fuzzy``
      rapidfuzz similarity to a label with the same head noun (catches typos, word order);
  ``tfidf``
      nearest label by character n-gram TF-IDF cosine, again only among labels that contain
      the title's head noun, so "nurse" never lands on "nursery worker".

Titles repeat a great deal (43,780 adverts have about 29,000 distinct titles and fewer distinct
canonical titles, about 19,000), so :meth:`TitleNormaliser.transform` matches each canonical title
once: all 43,780 adverts take about 12 seconds on one core.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

import numpy as np
import pandas as pd

from skills_engine import getters
from skills_engine.occupations.title_cleaning import (
    _DEFAULT_PLACES,
    _key,
    _variants,
    clean_title,
    gazetteer_places,
)
from skills_engine.occupations.title_cleaning import UK_PLACES as UK_PLACES  # re-exported

# --- Thresholds (confidence is on a 0-1 scale; rapidfuzz scores on 0-100) -----------------
#: Confidence of a title that is exactly an ESCO preferred label: nothing is guessed.
EXACT_PREFERRED_CONFIDENCE = 1.0
#: Confidence of an exact ESCO alternative label: ESCO alt labels include loose and shared
#: terms ("solicitor" is an alt label of three occupations), so a little below a preferred label.
EXACT_ALT_CONFIDENCE = 0.95
#: Confidence lost (per extra occupation) when an alt label belongs to several occupations and
#: we pick one of them by similarity of its preferred label.
AMBIGUOUS_ALT_PENALTY = 0.05
#: Lowest confidence an ambiguous alt label can fall to, so it stays above fuzzy matches.
AMBIGUOUS_ALT_FLOOR = 0.8
#: Confidence of the hand-written UK synonym table: curated, but a UK term can cover more than
#: one ESCO occupation ("support worker").
SYNONYM_CONFIDENCE = 0.95
#: Multiplier for dropping leading words to reach a label. English job titles put the head noun
#: last, so "gastroenterology dietitian" is nearly always a dietitian: the first dropped word
#: costs 0.9 and each further one only :data:`EXTRA_WORD_DECAY`, so a long specialty prefix
#: ("covid 19 community testing healthcare assistant") still beats a TF-IDF guess.
HEAD_MATCH_DECAY = 0.9
#: Multiplier for dropping trailing words. Trailing words are less often noise than leading
#: modifiers ("manager" in "nurse home manager" is the head), so the first costs more.
TRAILING_DROP_DECAY = 0.8
#: Multiplier for every dropped word after the first on either side.
EXTRA_WORD_DECAY = 0.97
#: rapidfuzz ratio (0-100) every word of a title must reach against some word of a fuzzy
#: match, so a typo passes ("occupattional") but a different word does not ("vision" vs
#: "television" is 75).
FUZZY_WORD_MIN_SCORE = 80
#: Confidence at or above which a lexical match (exact, synonym, head match) is kept without
#: trying fuzzy and TF-IDF; below it the best of all routes wins.
LEXICAL_ACCEPT_CONFIDENCE = 0.7
#: Lowest rapidfuzz ``ratio`` (0-100) between title and a same-head label. At 88 one or two
#: typos in a two-word title pass ("occupattional therapist"); lower lets in different
#: occupations with the same head ("care worker" vs "cave worker" is 91, but both are checked
#: against the head too).
FUZZY_MIN_SCORE = 88
#: Fuzzy confidence = score / 100 x this weight: a fuzzy match is never as sure as an exact one.
FUZZY_WEIGHT = 0.85
#: Lowest rapidfuzz ratio (0-100) for two head nouns to count as the same word (spelling
#: variants: "dietician"/"dietitian" 89, "co-ordinator"/"coordinator" 92).
HEAD_FUZZY_MIN_SCORE = 85
#: Lowest TF-IDF cosine (0-1) between title and label character n-grams. Below about 0.55
#: neighbours share only the head noun and a few letters.
TFIDF_MIN_COSINE = 0.55
#: TF-IDF confidence = cosine x this weight: the least reliable route.
TFIDF_WEIGHT = 0.8
#: Character n-gram range for TF-IDF: 3-5 letters catch stems ("physio", "radiog") and typos.
TFIDF_NGRAM_RANGE = (3, 5)
#: Labels compared per title in TF-IDF before the head-noun guard; enough that the guard
#: rarely empties the list, small enough to stay cheap.
TFIDF_TOP_K = 20
#: Rows per block in the TF-IDF similarity product: 1,000 x ~35,000 labels of float32 is
#: 140 MB at worst, affordable on a shared machine.
TFIDF_BLOCK_ROWS = 1_000
#: Default minimum confidence to report an occupation: below 0.5 the match is a guess more
#: often than not on the hand-labelled sample.
DEFAULT_MIN_CONFIDENCE = 0.5

# --- Hand-written knowledge ----------------------------------------------------------
#: UK and NHS title terms that ESCO lacks or files under the wrong occupation, mapped to ESCO
#: preferred labels (``resources/uk_title_synonyms.csv``). Knowledge of UK job titles, not
#: data; keys are in :func:`_key` form.
UK_TITLE_SYNONYMS: dict[str, str] = getters.read_title_synonyms()

#: Words too general to name an occupation on their own ("manager", "assistant"); a title
#: reduced to one of these is not matched by dropping words, and ESCO alt labels made only of
#: them ("team manager", "general manager") are not trusted.
GENERIC_WORDS = frozenset(
    """manager assistant officer worker executive consultant associate administrator advisor adviser
    coordinator co ordinator specialist lead leader head director supervisor analyst technician
    operative operator practitioner partner senior junior deputy trainee team general service services
    support staff person graduate principal chief assistant apprentice engineer designer controller
    agent representative clerk member professional owner business account accounts project
    programme operations office""".split()
)

OUTPUT_COLUMNS = [
    "canonical_title",
    "occupation_uri",
    "occupation_label",
    "isco_code",
    "soc2010_code",
    "confidence",
    "method",
]


class TitleNormaliser:
    """Map job titles to canonical titles and ESCO occupations (scikit-learn style).

    Parameters
    ----------
    min_confidence
        Matches below this confidence (0-1) are reported with no occupation (``method`` None).
    random_state
        Kept for interface consistency; matching is deterministic.
    use_gazetteer
        Whether :meth:`fit` reads UK town names (postcode post towns, Adzuna's location tree)
        through :mod:`skills_engine.getters` to strip places from titles. Off, only the
        hand-written :data:`~skills_engine.occupations.title_cleaning.UK_PLACES` and county names are used.
    synonyms
        UK title term -> ESCO preferred label; defaults to :data:`UK_TITLE_SYNONYMS`.

    Attributes
    ----------
    occupations_ : pd.DataFrame
        Occupations indexed by uri, with ``occupation_label``, ``isco_code``, ``soc2010_code``.
    preferred_index_, alt_index_ : dict[str, list[str]]
        Label key -> occupation uris.
    synonym_index_ : dict[str, str]
        UK term key -> occupation uri (terms whose target label is missing are dropped).
    places_ : frozenset[str]
        Place names stripped by :func:`clean_title`.

    Examples
    --------
    >>> occupations = pd.DataFrame({
    ...     "occupation_uri": ["u:nurse", "u:nursery", "u:chef"],
    ...     "preferred_label": ["nurse responsible for general care", "nursery worker", "chef"],
    ...     "alt_labels": [["adult nurse"], ["nursery assistant"], ["cook"]],
    ...     "isco_code": ["2221", "5311", "3434"],
    ... })
    >>> model = TitleNormaliser(use_gazetteer=False).fit(occupations, crosswalk=pd.DataFrame())
    >>> out = model.transform(pd.Series(["Staff Nurse - Band 5 (Leeds)", "Sous Chef", "Nursery Nurse"]))
    >>> out[["canonical_title", "occupation_label", "method"]].to_numpy().tolist()
    [['staff nurse', 'nurse responsible for general care', 'synonym'], ['sous chef', 'chef', 'synonym'], ['nursery nurse', 'nurse responsible for general care', 'head match']]
    """

    def __init__(
        self,
        min_confidence: float = DEFAULT_MIN_CONFIDENCE,
        random_state: int = 42,
        use_gazetteer: bool = True,
        synonyms: dict[str, str] | None = None,
    ) -> None:
        self.min_confidence = min_confidence
        self.random_state = random_state
        self.use_gazetteer = use_gazetteer
        self.synonyms = synonyms

    # --- fitting -----------------------------------------------------------------------
    def fit(self, occupations: pd.DataFrame | None = None, crosswalk: pd.DataFrame | None = None) -> TitleNormaliser:
        """Index ESCO labels (and the ISCO -> SOC 2010 crosswalk); defaults read through getters.

        Parameters
        ----------
        occupations
            Columns ``occupation_uri``, ``preferred_label``, ``alt_labels`` (list), ``isco_code``.
        crosswalk
            Columns ``isco_code``, ``soc2010_code`` and optionally ``partial``; an ISCO code
            with several SOC codes takes the first exact (non-partial) one, else the first.
        """
        from sklearn.feature_extraction.text import TfidfVectorizer

        if occupations is None:
            occupations = getters.read_esco_occupations()
        if crosswalk is None:
            crosswalk = getters.read_processed("isco_soc_crosswalk")
        soc = self._isco_to_soc(crosswalk)
        self.occupations_ = (
            occupations.assign(
                occupation_label=lambda d: d["preferred_label"].str.strip(),
                isco_code=lambda d: d["isco_code"].astype("string"),
            )
            .assign(soc2010_code=lambda d: d["isco_code"].map(soc).astype("string"))
            .set_index("occupation_uri")[["occupation_label", "isco_code", "soc2010_code", "alt_labels"]]
        )
        preferred: dict[str, list[str]] = defaultdict(list)
        alt: dict[str, list[str]] = defaultdict(list)
        for uri, label, alts in zip(
            self.occupations_.index, self.occupations_["occupation_label"], self.occupations_["alt_labels"]
        ):
            preferred[_key(label)].append(uri)
            for alt_label in alts if alts is not None else []:
                key = _key(alt_label)
                if key and not all(w in GENERIC_WORDS for w in key.split()) and uri not in alt[key]:
                    alt[key].append(uri)
        self.preferred_index_ = dict(preferred)
        self.alt_index_ = {k: v for k, v in alt.items() if k not in preferred}
        label_uri = {label: uri for uri, label in self.occupations_["occupation_label"].items()}
        synonyms = UK_TITLE_SYNONYMS if self.synonyms is None else self.synonyms
        self.synonym_index_ = {_key(term): label_uri[label] for term, label in synonyms.items() if label in label_uri}
        self.unknown_synonym_targets_ = sorted({label for label in synonyms.values() if label not in label_uri})

        # Label table for fuzzy and TF-IDF: every preferred and trusted alt label, by head noun.
        self.labels_ = pd.DataFrame(
            [(key, uris[0], 1.0) for key, uris in self.preferred_index_.items()]
            + [(key, uris[0], EXACT_ALT_CONFIDENCE) for key, uris in self.alt_index_.items() if len(uris) == 1],
            columns=["key", "uri", "weight"],
        ).assign(head=lambda d: d["key"].str.split().str[-1])
        self.heads_ = frozenset(self.labels_["head"])
        # the fuzzy search reads heads in this order and keeps the first of tied ones: a set's
        # order follows string hashes, which Python salts afresh in every process
        self.head_order_ = sorted(self.heads_)
        self.labels_by_head_ = {h: g.index.to_numpy() for h, g in self.labels_.groupby("head")}
        self.vectorizer_ = TfidfVectorizer(
            analyzer="char_wb", ngram_range=TFIDF_NGRAM_RANGE, sublinear_tf=True, dtype=np.float32
        )
        self.label_matrix_ = self.vectorizer_.fit_transform(self.labels_["key"])

        vocabulary = {w for key in self.labels_["key"] for w in key.split()}
        places = set(_DEFAULT_PLACES)
        if self.use_gazetteer:
            places |= gazetteer_places()
        # A place name that is also job vocabulary ("bath", "sale") stays in titles.
        self.places_ = frozenset(p for p in places if p and not all(w in vocabulary for w in p.split()))
        return self

    @staticmethod
    def _isco_to_soc(crosswalk: pd.DataFrame) -> dict[str, str]:
        if crosswalk is None or crosswalk.empty or "soc2010_code" not in crosswalk:
            return {}
        order = crosswalk.assign(
            _partial=crosswalk["partial"].astype(bool) if "partial" in crosswalk else False
        ).sort_values(["isco_code", "_partial", "soc2010_code"], kind="stable")
        return order.drop_duplicates("isco_code").set_index("isco_code")["soc2010_code"].astype(str).to_dict()

    # --- matching ----------------------------------------------------------------------
    def _exact(self, key: str) -> tuple[str, float, str] | None:
        """(uri, confidence, method) when the whole key is a label or synonym."""
        if key in self.synonym_index_:
            return self.synonym_index_[key], SYNONYM_CONFIDENCE, "synonym"
        if key in self.preferred_index_:
            return self.preferred_index_[key][0], EXACT_PREFERRED_CONFIDENCE, "exact label"
        if key in self.alt_index_:
            uris = self.alt_index_[key]
            if len(uris) == 1:
                return uris[0], EXACT_ALT_CONFIDENCE, "alt label"
            from rapidfuzz import fuzz

            best = max(uris, key=lambda u: (fuzz.token_set_ratio(key, self.occupations_.at[u, "occupation_label"]), u))
            confidence = max(AMBIGUOUS_ALT_FLOOR, EXACT_ALT_CONFIDENCE - AMBIGUOUS_ALT_PENALTY * (len(uris) - 1))
            return best, confidence, "alt label"
        return None

    def _lexical(self, key: str) -> tuple[str, float, str] | None:
        """Exact match of the key, else of the best run of its words (leading/trailing words dropped)."""
        words = key.split()
        best: tuple[str, float, str] | None = None
        for trail in range(len(words)):
            end = len(words) - trail
            for lead in range(end):
                part = words[lead:end]
                if (lead or trail) and len(part) == 1 and part[0] in GENERIC_WORDS:
                    break
                hit = self._exact(_key(" ".join(part)) if trail else " ".join(part))
                if not hit:
                    continue
                confidence = (
                    hit[1]
                    * (HEAD_MATCH_DECAY * EXTRA_WORD_DECAY ** (lead - 1) if lead else 1.0)
                    * (TRAILING_DROP_DECAY * EXTRA_WORD_DECAY ** (trail - 1) if trail else 1.0)
                )
                if best is None or confidence > best[1]:
                    best = (hit[0], confidence, hit[2] if not (lead or trail) else "head match")
                break  # longer runs with this end beat shorter ones
        return best

    @staticmethod
    def _guard(words: list[str], label_words: Iterable[str]) -> bool:
        """A title whose head noun is generic ("administrator") must share another word with the label."""
        if not words or words[-1] not in GENERIC_WORDS:
            return True
        specific = [w for w in words[:-1] if w not in GENERIC_WORDS]
        return bool(specific) and bool(set(specific) & set(label_words))

    def _same_head(self, head: str) -> list[str]:
        from rapidfuzz import fuzz, process

        if head in self.heads_:
            return [head]
        if len(head) < 5:
            return []
        return [
            h
            for h, _, _ in process.extract(
                head, self.head_order_, scorer=fuzz.ratio, score_cutoff=HEAD_FUZZY_MIN_SCORE, limit=3
            )
        ]

    def _fuzzy(self, key: str) -> tuple[str, float, str] | None:
        from rapidfuzz import fuzz, process

        words = key.split()
        if not words or all(w in GENERIC_WORDS for w in words):
            return None
        rows = [i for h in self._same_head(words[-1]) for i in self.labels_by_head_[h]]
        if not rows:
            return None
        choices = self.labels_["key"].to_numpy()[rows]
        hit = process.extractOne(key, list(choices), scorer=fuzz.ratio, score_cutoff=FUZZY_MIN_SCORE)
        if hit is None:
            return None
        row = rows[hit[2]]
        label_words = hit[0].split()
        if not self._guard(words, label_words) or any(
            process.extractOne(w, label_words, scorer=fuzz.ratio, score_cutoff=FUZZY_WORD_MIN_SCORE) is None
            for w in words
        ):
            return None
        return self.labels_.at[row, "uri"], hit[1] / 100 * FUZZY_WEIGHT * self.labels_.at[row, "weight"], "fuzzy"

    def _tfidf(self, keys: list[str]) -> list[tuple[str, float, str] | None]:
        """Nearest label by character n-gram cosine, among labels containing the title's head noun."""
        out: list[tuple[str, float, str] | None] = []
        label_words = self.labels_["key"].str.split().to_numpy()
        for start in range(0, len(keys), TFIDF_BLOCK_ROWS):
            block = keys[start : start + TFIDF_BLOCK_ROWS]
            sims = (self.vectorizer_.transform(block) @ self.label_matrix_.T).toarray()
            top = np.argsort(-sims, axis=1)[:, :TFIDF_TOP_K]
            for row, key in enumerate(block):
                words = key.split()
                heads = set(self._same_head(words[-1])) if words else set()
                hit = None
                if heads and not all(w in GENERIC_WORDS for w in words):
                    for col in top[row]:
                        if sims[row, col] < TFIDF_MIN_COSINE:
                            break
                        if heads & set(label_words[col]) and self._guard(words, label_words[col]):
                            hit = (self.labels_.at[col, "uri"], float(sims[row, col]) * TFIDF_WEIGHT, "tfidf")
                            break
                out.append(hit)
        return out

    def _match_all(self, canonical: pd.Series) -> pd.DataFrame:
        results: dict[str, tuple[str, float, str] | None] = {}
        pending: list[tuple[str, list[tuple[str, float]]]] = []
        for title in canonical:
            variants = _variants(title) if title else []
            best = None
            for text, weight in variants:
                hit = self._lexical(text)
                if hit and (best is None or hit[1] * weight > best[1]):
                    best = (hit[0], hit[1] * weight, hit[2])
            results[title] = best
            if best is None or best[1] < LEXICAL_ACCEPT_CONFIDENCE:
                pending.append((title, variants))
        flat = [(title, text, weight) for title, variants in pending for text, weight in variants]
        tfidf_hits = self._tfidf([text for _, text, _ in flat]) if flat else []
        for (title, text, weight), tfidf_hit in zip(flat, tfidf_hits):
            for hit in (self._fuzzy(text), tfidf_hit):
                if hit and (results[title] is None or hit[1] * weight > results[title][1]):
                    results[title] = (hit[0], hit[1] * weight, hit[2])
        return pd.DataFrame(
            [(title, *(hit if hit else (None, 0.0, None))) for title, hit in results.items()],
            columns=["canonical_title", "occupation_uri", "confidence", "method"],
        )

    def transform(self, titles: pd.Series) -> pd.DataFrame:
        """Canonical title and ESCO occupation for each title.

        Parameters
        ----------
        titles
            Raw advert titles.

        Returns
        -------
        pd.DataFrame
            Same index as ``titles``; columns :data:`OUTPUT_COLUMNS`. ``confidence`` is 0-1;
            below ``min_confidence`` the occupation columns and ``method`` are missing (the
            confidence of the rejected best guess is kept).
        """
        if not hasattr(self, "occupations_"):
            raise RuntimeError("TitleNormaliser is not fitted: call fit() first")
        titles = pd.Series(titles)
        unique = pd.Series(titles.dropna().astype(str).unique())
        canonical = dict(zip(unique, unique.map(lambda t: clean_title(t, self.places_))))
        matches = self._match_all(pd.Series(sorted(set(canonical.values()))))
        occupations = self.occupations_.drop(columns="alt_labels")
        table = (
            matches.join(occupations, on="occupation_uri")
            .assign(
                keep=lambda d: d["occupation_uri"].notna() & (d["confidence"] >= self.min_confidence),
                occupation_uri=lambda d: d["occupation_uri"].where(d["keep"]),
                occupation_label=lambda d: d["occupation_label"].where(d["keep"]),
                isco_code=lambda d: d["isco_code"].where(d["keep"]),
                soc2010_code=lambda d: d["soc2010_code"].where(d["keep"]),
                method=lambda d: d["method"].where(d["keep"]),
                confidence=lambda d: d["confidence"].round(4),
            )
            .set_index("canonical_title")
        )
        return (
            pd.DataFrame({"canonical_title": titles.map(canonical)}, index=titles.index)
            .join(table.drop(columns="keep"), on="canonical_title")
            .assign(confidence=lambda d: d["confidence"].fillna(0.0))[OUTPUT_COLUMNS]
        )

    def fit_transform(
        self, titles: pd.Series, occupations: pd.DataFrame | None = None, crosswalk: pd.DataFrame | None = None
    ) -> pd.DataFrame:
        """:meth:`fit` then :meth:`transform`."""
        return self.fit(occupations, crosswalk).transform(titles)


def evaluate_titles(labels: pd.DataFrame, normaliser: TitleNormaliser) -> dict:
    """Coverage, accuracy and precision of a fitted normaliser on hand-labelled titles.

    Parameters
    ----------
    labels
        Columns ``source``, ``title``, ``occupation_uri`` ("NONE" when no ESCO occupation fits).
    normaliser
        A fitted :class:`TitleNormaliser`.

    Returns
    -------
    dict
        ``n``, ``n_labelled`` (titles with an occupation), ``coverage`` (share of all titles
        given an occupation), ``accuracy`` (share of labelled titles given the right one),
        ``precision`` (right among those the model assigned, where a title labelled NONE that
        gets an occupation counts as wrong), ``none_rejected`` (share of NONE titles left
        unassigned), and ``by_source`` with the same figures per source.

    Examples
    --------
    >>> class Fixed:
    ...     def transform(self, titles):
    ...         return pd.DataFrame({"occupation_uri": ["a", None, "b", "c"]}, index=titles.index)
    >>> labels = pd.DataFrame({"source": ["x", "x", "y", "y"], "title": list("pqrs"),
    ...                        "occupation_uri": ["a", "b", "b", "NONE"]})
    >>> result = evaluate_titles(labels, Fixed())
    >>> result["coverage"], result["accuracy"], result["precision"]
    (0.75, 0.6667, 0.6667)
    """
    predicted = normaliser.transform(labels["title"])["occupation_uri"]
    frame = labels.assign(
        truth=lambda d: d["occupation_uri"].where(d["occupation_uri"].ne("NONE")),
        predicted=predicted.to_numpy(),
        assigned=lambda d: d["predicted"].notna(),
        correct=lambda d: d["assigned"] & d["predicted"].eq(d["truth"]),
    )

    def summary(d: pd.DataFrame) -> dict:
        labelled = d["truth"].notna()
        none = ~labelled
        return {
            "n": int(len(d)),
            "n_labelled": int(labelled.sum()),
            "coverage": round(float(d["assigned"].mean()), 4) if len(d) else float("nan"),
            "accuracy": round(float(d.loc[labelled, "correct"].mean()), 4) if labelled.any() else float("nan"),
            "precision": round(float(d.loc[d["assigned"], "correct"].mean()), 4)
            if d["assigned"].any()
            else float("nan"),
            "none_rejected": round(float((~d.loc[none, "assigned"]).mean()), 4) if none.any() else float("nan"),
        }

    return {**summary(frame), "by_source": {s: summary(g) for s, g in frame.groupby("source", sort=True)}}
