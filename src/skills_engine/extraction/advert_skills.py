"""Skills for every advert in the corpus: extracted from its text once boilerplate is stripped
(:mod:`~skills_engine.extraction.boilerplate`), or, for adverts with no text, taken from the ESCO
profile of its title's occupation and flagged as such.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from skills_engine import getters
from skills_engine.extraction.boilerplate import BoilerplateDetector, clean_corpus
from skills_engine.occupations.labelling import MIN_TITLE_CONFIDENCE

#: Skills obtained from the advert's title occupation, not its text. Such adverts never train
#: or test the ranking model: their skills are ESCO's profile of the occupation already.
TITLE_DERIVED = "title occupation"


def title_derived_skills(
    adverts_without_text: pd.DataFrame,
    occupations_of_adverts: pd.DataFrame,
    occupation_skills: pd.DataFrame,
    skills: pd.DataFrame,
) -> pd.DataFrame:
    """Skills for adverts with no text: the ESCO essential skills of their title's occupation,
    flagged ``method = "title occupation"`` (never used to train or test the ranking model)."""
    labels = skills.set_index("skill_uri")["preferred_label"]
    return (
        adverts_without_text[["advert_id"]]
        .merge(
            occupations_of_adverts.loc[lambda d: d["confidence"] >= MIN_TITLE_CONFIDENCE][
                ["advert_id", "occupation_uri", "confidence"]
            ],
            on="advert_id",
        )
        .merge(
            occupation_skills.query("relation_type == 'essential'")[["occupation_uri", "skill_uri"]],
            on="occupation_uri",
        )
        .assign(
            skill_label=lambda d: d["skill_uri"].map(labels),
            score=lambda d: d["confidence"],
            span_start=np.nan,
            span_end=np.nan,
            method=TITLE_DERIVED,
        )[["advert_id", "skill_uri", "skill_label", "score", "span_start", "span_end", "method"]]
    )


def corpus_texts(
    adverts: pd.DataFrame, strip_boilerplate: bool = True
) -> tuple[pd.DataFrame, BoilerplateDetector | None]:
    """The text skills are extracted from, for every advert with a description.

    Parameters
    ----------
    adverts : pandas.DataFrame
        ``advert_id`` and ``description``, and if present ``employer`` and ``title`` (the
        boilerplate rule's groups; without them every advert is its own employer or title).
    strip_boilerplate : bool
        Fit a :class:`~skills_engine.extraction.boilerplate.BoilerplateDetector` on these
        adverts and strip its sentences.

    Returns
    -------
    texts : pandas.DataFrame
        One row per advert with a description: ``advert_id``, ``cleaned`` (the description as
        the extractor cleans it) and ``text`` (``cleaned`` without boilerplate sentences; equal to
        ``cleaned`` when ``strip_boilerplate`` is false). Spans extracted from ``text`` index it.
    detector : BoilerplateDetector or None
        The fitted detector (``None`` without stripping).
    """
    with_text = adverts.loc[adverts["description"].notna()]
    cleaned = clean_corpus(with_text["description"])
    detector, text = None, cleaned
    if strip_boilerplate:
        detector = BoilerplateDetector()
        column = {name: with_text[name].tolist() if name in with_text else None for name in ("employer", "title")}
        text = detector.fit_transform(cleaned, column["employer"], column["title"])
    texts = pd.DataFrame({"advert_id": with_text["advert_id"].to_numpy(), "cleaned": cleaned, "text": text})
    return texts, detector


def build_advert_skills(
    adverts: pd.DataFrame,
    occupations_of_adverts: pd.DataFrame,
    extractor=None,
    texts: pd.DataFrame | None = None,
    strip_boilerplate: bool = True,
) -> pd.DataFrame:
    """Skills for every advert: extracted from its text without boilerplate where there is one
    (cached by text hash, so a re-run only processes new texts), else derived from the title's
    occupation. Spans index :func:`corpus_texts`' ``text``. ``texts`` is that frame when the
    caller has it already (``strip_boilerplate`` is then not used)."""
    from skills_engine.extraction.extractor import SkillExtractor

    extractor = extractor or SkillExtractor().fit()
    if texts is None:
        texts, _ = corpus_texts(adverts, strip_boilerplate=strip_boilerplate)
    # ``text`` is cleaned already: cleaning it again could move characters under the spans.
    extracted = extractor.transform_frame(texts[["advert_id", "text"]], text_col="text", clean=False)
    without_text = adverts.loc[~adverts["advert_id"].isin(texts["advert_id"])]
    derived = title_derived_skills(
        without_text, occupations_of_adverts, getters.read_occupation_skills(), getters.read_esco_skills()
    )
    # an empty part would take part in the columns' dtypes, which pandas is deprecating
    filled = [part for part in (extracted, derived) if len(part)]
    return pd.concat(filled or [extracted], ignore_index=True)
