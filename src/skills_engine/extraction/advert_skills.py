"""Skills for every advert in the corpus: extracted from its text, or (for adverts with no text)
taken from the ESCO profile of its title's occupation and flagged as such.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from skills_engine import getters
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


def build_advert_skills(adverts: pd.DataFrame, occupations_of_adverts: pd.DataFrame, extractor=None) -> pd.DataFrame:
    """Skills for every advert: extracted from the text where there is one (cached by text
    hash, so a re-run only processes new adverts), else derived from the title's occupation."""
    from skills_engine.extraction.extractor import SkillExtractor

    extractor = extractor or SkillExtractor().fit()
    has_text = adverts["description"].notna()
    extracted = extractor.transform_frame(adverts.loc[has_text, ["advert_id", "description"]])
    derived = title_derived_skills(
        adverts.loc[~has_text], occupations_of_adverts, getters.read_occupation_skills(), getters.read_esco_skills()
    )
    return pd.concat([extracted, derived], ignore_index=True)
