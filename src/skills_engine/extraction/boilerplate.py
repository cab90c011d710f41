"""Boilerplate: sentences an employer repeats across its adverts, or that many employers share.

An NHS trust's "about us" paragraph, a staffing bank's list of benefits or the usual Welsh-language
statement is not a job requirement, yet the extractor finds skills in it ("book reviews" in "Book
and review shifts online", "Welsh" in "The ability to speak Welsh is desirable"), and an employer
posting twenty adverts with the same paragraph then looks like twenty employers asking for that
skill. Such sentences are found from the corpus itself and removed before skill extraction.

The rule
--------
Every advert's text is cleaned (:func:`skills_engine.data.text.clean_text`) and split into
sentences by the extractor's own splitter (:func:`~skills_engine.extraction.lexical.split_sentences`).
Each sentence is normalised (:func:`normalise_sentence`: lower case, digits as ``0``, every run of
other characters one space). A normalised sentence of at least :data:`MIN_WORDS` words is
boilerplate when

* **within-employer**: one employer uses it in adverts with at least :data:`MIN_EMPLOYER_TITLES`
  different job titles, or
* **cross-employer**: adverts of at least :data:`MIN_EMPLOYERS` different employers use it.

Titles, not adverts, are counted within an employer so that an employer re-posting one job (same
title, same genuine requirements) keeps its requirements. Adverts with no employer count as an
employer each (no advert is pooled with a stranger's); adverts with no title as a title each.
A boilerplate sentence is removed wherever it occurs, and the kept sentences are joined by new
lines, so the extractor splits the stripped text into the same sentences as before (bar a leading
list marker such as ``"- "``, which the splitter drops after a new line: 54 of the 13,422
changed adverts of the 2020-21 corpus, the same words). Spans found in the stripped text index
the stripped text.

Benchmark sentences are scored one at a time and never pass through this filter.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd

from skills_engine.data.text import clean_text
from skills_engine.extraction.lexical import split_sentences

#: Different job titles (count) of one employer whose adverts must share a sentence for it to be
#: that employer's boilerplate. Five: an "about us" paragraph or benefits list under five
#: different jobs is a template, whereas the sentences of one job re-posted (the same title, say
#: in several towns) are that job's requirements and are kept.
MIN_EMPLOYER_TITLES = 5
#: Different employers (count) whose adverts share a sentence, word for word, for it to be
#: sector boilerplate: Welsh-language notices, the Rehabilitation of Offenders Act notice, pension
#: lines, "for further details / informal visits contact". Ten employers writing the very same
#: sentence are quoting a template. On the 2020-21 corpus the only sentence at this threshold that
#: reads as a requirement is "excellent communication and interpersonal skills" (12 employers).
MIN_EMPLOYERS = 10
#: Shortest sentence (words, after normalising) that can be boilerplate. Three-word lines are
#: mostly genuine, generic requirements ("excellent communication skills", 32 employers) or
#: headings; four words already catch templates such as "book and review shifts online".
MIN_WORDS = 4
#: Characters of a boilerplate sentence shown as an example: enough to recognise the template,
#: too few to quote an advert.
EXAMPLE_CHARS = 60
#: Fewest distinct *known* employers (adverts without an employer not counted) behind a sentence
#: shown as an example: a sentence of fewer employers may be one employer's own wording and
#: identify it. Equal to :data:`MIN_EMPLOYERS`, so only cross-employer templates are ever shown.
EXAMPLE_MIN_EMPLOYERS = MIN_EMPLOYERS
#: Examples of removed sentences shown by :func:`boilerplate_summary`.
N_EXAMPLES = 5

#: Names of the two rules, as in :attr:`BoilerplateDetector.table_`'s ``rule`` column.
WITHIN_EMPLOYER, CROSS_EMPLOYER = "within-employer", "cross-employer"

_NOT_WORD = re.compile(r"[^a-z0]+")
_DIGITS = re.compile(r"\d")


def normalise_sentence(sentence: str) -> str:
    """The key two sentences share when they say the same thing in the same words.

    >>> normalise_sentence("We are an Equal Opportunities employer (est. 1948)!")
    'we are an equal opportunities employer est 0000'
    """
    return _NOT_WORD.sub(" ", _DIGITS.sub("0", sentence.lower())).strip()


def sentence_keys(text: str) -> list[tuple[int, int, str]]:
    """``(start, end, normalised sentence)`` for every sentence the extractor reads in ``text``.

    >>> sentence_keys("Apply now! Band 5.")
    [(0, 10, 'apply now'), (11, 18, 'band 0')]
    """
    return [(a, b, normalise_sentence(text[a:b])) for a, b in split_sentences(text)]


def _groups(values: Sequence[object]) -> np.ndarray:
    """Integer group codes: equal known values share a code, each missing value gets its own."""
    known = [isinstance(v, str) and bool(v.strip()) for v in values]
    codes, _ = pd.factorize(pd.Series([v.strip() if k else None for v, k in zip(values, known)], dtype=object))
    codes = codes.astype(np.int64)
    missing = np.flatnonzero(codes < 0)
    codes[missing] = codes.max(initial=-1) + 1 + np.arange(len(missing))
    return codes


class BoilerplateDetector:
    """Learn the boilerplate sentences of a corpus, then strip them from texts.

    Parameters
    ----------
    min_employer_titles : int
        Within-employer rule: different titles of one employer sharing the sentence.
    min_employers : int
        Cross-employer rule: different employers sharing the sentence.
    min_words : int
        Shortest sentence (normalised words) that can be boilerplate.

    Attributes
    ----------
    sentences_ : frozenset of str
        Normalised boilerplate sentences.
    table_ : pandas.DataFrame
        One row per boilerplate sentence: ``sentence`` (normalised), ``adverts``, ``employers``
        (adverts without an employer counting one each), ``known_employers``,
        ``max_employer_titles`` and ``rule`` (:data:`CROSS_EMPLOYER` when it meets the
        cross-employer rule, else :data:`WITHIN_EMPLOYER`), most adverts first.
    n_texts_ : int
        Texts the detector was fitted on.

    Examples
    --------
    >>> about = "Our trust has cared for the people of the valley since 1948."
    >>> jobs = {"Analyst": "SQL", "Clerk": "Excel", "Nurse": "wound care", "Porter": "moving and handling"}
    >>> texts = [f"{about} You will need {skill}." for skill in jobs.values()] + [f"{about} Cook meals."]
    >>> detector = BoilerplateDetector().fit(texts, ["Trust A"] * 5, [*jobs, "Cook"])
    >>> detector.transform(texts)[:2]
    ['You will need SQL.', 'You will need Excel.']
    """

    def __init__(
        self,
        min_employer_titles: int = MIN_EMPLOYER_TITLES,
        min_employers: int = MIN_EMPLOYERS,
        min_words: int = MIN_WORDS,
    ):
        self.min_employer_titles = min_employer_titles
        self.min_employers = min_employers
        self.min_words = min_words

    def fit(
        self, texts: Sequence[str], employers: Sequence[object] | None = None, titles: Sequence[object] | None = None
    ) -> BoilerplateDetector:
        """Count each normalised sentence's adverts, employers and titles over the corpus.

        Parameters
        ----------
        texts : sequence of str
            Cleaned advert texts (:func:`clean_corpus`), one per advert.
        employers, titles : sequence, optional
            Each advert's employer and title, in the order of ``texts``. A missing (or blank)
            employer or title is an employer or title of its own; without ``employers`` every
            advert is its own employer, without ``titles`` every advert has its own title.

        Returns
        -------
        BoilerplateDetector
            ``self``, fitted.
        """
        return self._fit_keys([sentence_keys(text or "") for text in texts], employers, titles)

    def _fit_keys(
        self,
        pieces: list[list[tuple[int, int, str]]],
        employers: Sequence[object] | None,
        titles: Sequence[object] | None,
    ) -> BoilerplateDetector:
        n = len(pieces)
        employers = [None] * n if employers is None else list(employers)
        titles = (
            [None] * n if titles is None else [normalise_sentence(t) if isinstance(t, str) else None for t in titles]
        )
        if not len(employers) == len(titles) == n:
            raise ValueError(f"BoilerplateDetector.fit: {n} texts, {len(employers)} employers, {len(titles)} titles")
        employer_codes, title_codes = _groups(employers), _groups(titles)
        known = np.array([isinstance(e, str) and bool(e.strip()) for e in employers], dtype=bool)
        advert, keys = [], []
        for position, text_pieces in enumerate(pieces):
            found = {key for _, _, key in text_pieces if key.count(" ") + 1 >= self.min_words}
            advert.extend([position] * len(found))
            keys.extend(found)
        advert = np.asarray(advert, dtype=np.int64)
        sentence, vocabulary = pd.factorize(pd.Series(keys, dtype=object))
        occurrences = pd.DataFrame(
            {
                "sentence": sentence,
                "employer": employer_codes[advert] if n else [],
                "title": title_codes[advert] if n else [],
                "known": known[advert] if n else [],
            }
        )
        per_employer = occurrences.groupby(["sentence", "employer"], sort=False).agg(
            adverts=("title", "size"), titles=("title", "nunique"), known=("known", "first")
        )
        per_sentence = per_employer.groupby(level="sentence").agg(
            adverts=("adverts", "sum"),
            employers=("adverts", "size"),
            known_employers=("known", "sum"),
            max_employer_titles=("titles", "max"),
        )
        cross = per_sentence["employers"] >= self.min_employers
        within = per_sentence["max_employer_titles"] >= self.min_employer_titles
        table = per_sentence.loc[cross | within].assign(
            rule=lambda d: np.where(cross[d.index], CROSS_EMPLOYER, WITHIN_EMPLOYER)
        )
        table = table.reset_index(drop=False).rename(columns={"sentence": "code"})
        table.insert(0, "sentence", np.asarray(vocabulary, dtype=object)[table.pop("code").to_numpy()])
        self.table_ = (
            table.astype({"known_employers": "int64"})
            .sort_values(["adverts", "sentence"], ascending=[False, True])
            .reset_index(drop=True)
        )
        self.sentences_ = frozenset(self.table_["sentence"])
        self.n_texts_ = n
        return self

    def _check_fitted(self) -> None:
        if not hasattr(self, "sentences_"):
            raise RuntimeError("BoilerplateDetector is not fitted: call fit() first")

    def strip(self, text: str) -> str:
        """``text`` without its boilerplate sentences, the kept ones joined by new lines.

        A text with no boilerplate comes back unchanged (the very same string), so its
        extraction cache entry stays valid; ``None`` becomes ``""``.
        """
        self._check_fitted()
        return self._strip_keys(text, sentence_keys(text) if text else [])

    def _strip_keys(self, text: str, pieces: list[tuple[int, int, str]]) -> str:
        if not text:
            return text or ""
        if not any(key in self.sentences_ for _, _, key in pieces):
            return text
        return "\n".join(text[a:b] for a, b, key in pieces if key not in self.sentences_)

    def transform(self, texts: Iterable[str]) -> list[str]:
        """:meth:`strip` for every text (cleaned texts, as for :meth:`fit`)."""
        return [self.strip(text) for text in texts]

    def fit_transform(
        self, texts: Sequence[str], employers: Sequence[object] | None = None, titles: Sequence[object] | None = None
    ) -> list[str]:
        """:meth:`fit` then :meth:`transform` on the same texts, splitting each text once."""
        texts = list(texts)
        pieces = [sentence_keys(text or "") for text in texts]
        self._fit_keys(pieces, employers, titles)
        return [self._strip_keys(text, text_pieces) for text, text_pieces in zip(texts, pieces)]


def clean_corpus(descriptions: Iterable[object]) -> list[str]:
    """Every description cleaned as the extractor cleans it (the input of :meth:`BoilerplateDetector.fit`).

    >>> clean_corpus(["<p>SQL</p>", None])
    ['SQL', '']
    """
    return [clean_text(text) for text in descriptions]


def _truncate(sentence: str, chars: int = EXAMPLE_CHARS) -> str:
    return sentence if len(sentence) <= chars else sentence[:chars].rstrip() + "…"


def boilerplate_summary(
    cleaned: Sequence[str], stripped: Sequence[str], detector: BoilerplateDetector, n_examples: int = N_EXAMPLES
) -> dict:
    """How much text the fitted ``detector`` removed, and the commonest sentences it removed.

    Parameters
    ----------
    cleaned, stripped : sequence of str
        The corpus before and after :meth:`BoilerplateDetector.transform`, in the same order.
    detector : BoilerplateDetector
        Fitted on ``cleaned``.
    n_examples : int
        Most common removed sentences to show.

    Returns
    -------
    dict
        ``adverts`` (with text), ``adverts_changed``, ``characters_before``, ``characters_after``,
        ``share_removed`` (of characters), ``sentences`` (distinct boilerplate sentences by rule,
        a dict) and ``examples``: a frame of ``sentence`` (normalised, cut to
        :data:`EXAMPLE_CHARS` characters), ``adverts`` and ``employers``, holding only sentences
        that at least :data:`EXAMPLE_MIN_EMPLOYERS` known employers use (never one employer's
        own wording), most adverts first.

    Examples
    --------
    >>> texts = [f"Call us now on the usual number. Skill {i}." for i in range(10)]
    >>> detector = BoilerplateDetector(min_employers=10).fit(texts, [f"E{i}" for i in range(10)])
    >>> summary = boilerplate_summary(texts, detector.transform(texts), detector)
    >>> round(summary["share_removed"], 2), summary["sentences"], summary["examples"]["sentence"].tolist()
    (0.8, {'within-employer': 0, 'cross-employer': 1}, ['call us now on the usual number'])
    """
    if len(cleaned) != len(stripped):
        raise ValueError(f"boilerplate_summary: {len(cleaned)} cleaned texts but {len(stripped)} stripped")
    before = sum(len(text or "") for text in cleaned)
    after = sum(len(text or "") for text in stripped)
    table = detector.table_
    by_rule = table["rule"].value_counts()
    examples = (
        table.loc[table["known_employers"] >= EXAMPLE_MIN_EMPLOYERS, ["sentence", "adverts", "employers"]]
        .head(n_examples)
        .assign(sentence=lambda d: d["sentence"].map(_truncate))
        .reset_index(drop=True)
    )
    return {
        "adverts": len(cleaned),
        "adverts_changed": sum(a != b for a, b in zip(cleaned, stripped)),
        "characters_before": before,
        "characters_after": after,
        "share_removed": (before - after) / before if before else 0.0,
        "sentences": {rule: int(by_rule.get(rule, 0)) for rule in (WITHIN_EMPLOYER, CROSS_EMPLOYER)},
        "examples": examples,
    }


def compare_mentions(without_stripping: pd.DataFrame, with_stripping: pd.DataFrame) -> dict:
    """Skill mentions extracted from the same adverts with and without boilerplate stripping.

    Both frames are extraction results (one row per advert and skill found, ``advert_id`` and
    ``skill_uri``) of the same adverts. Returns ``adverts`` (in either frame),
    ``mentions_without``, ``mentions_with``, ``mentions_removed`` (may be negative should
    stripping let a skill be found) and ``share_removed`` (of ``mentions_without``).

    >>> before = pd.DataFrame({"advert_id": [1, 1, 1, 2], "skill_uri": ["a", "b", "c", "a"]})
    >>> compare_mentions(before, before.iloc[[0, 3]])["share_removed"]
    0.5
    """
    without, with_ = len(without_stripping), len(with_stripping)
    adverts = pd.concat([without_stripping["advert_id"], with_stripping["advert_id"]]).nunique()
    return {
        "adverts": int(adverts),
        "mentions_without": without,
        "mentions_with": with_,
        "mentions_removed": without - with_,
        "share_removed": (without - with_) / without if without else 0.0,
    }
