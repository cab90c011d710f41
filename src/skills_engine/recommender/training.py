"""Training the engine: (advert, occupation, skill) pairs and the fitted recommender.

The rule that keeps the evaluation honest lives here: skills derived from an advert's title
occupation (:data:`~skills_engine.extraction.advert_skills.TITLE_DERIVED`) never enter training
or test, because they are ESCO's profile of that occupation already.
"""

from __future__ import annotations

import pandas as pd

from skills_engine import getters
from skills_engine.extraction.advert_skills import TITLE_DERIVED
from skills_engine.occupations.labelling import MIN_TITLE_CONFIDENCE, ensure_advert_occupations
from skills_engine.recommender.engine import Recommender
from skills_engine.regional import growth


def build_training(
    advert_skills: pd.DataFrame, occupations_of_adverts: pd.DataFrame, min_confidence: float = MIN_TITLE_CONFIDENCE
) -> pd.DataFrame:
    """(advert, occupation, skill) rows for adverts whose skills come from their own text."""
    trusted = occupations_of_adverts.query("confidence >= @min_confidence").dropna(subset=["occupation_uri"])
    return (
        advert_skills.loc[lambda d: d["method"] != TITLE_DERIVED][["advert_id", "skill_uri"]]
        .drop_duplicates()
        .merge(trusted[["advert_id", "occupation_uri"]], on="advert_id")
    )


def fit_engine(
    adverts: pd.DataFrame, occupations_of_adverts: pd.DataFrame, advert_skills: pd.DataFrame, **params
) -> Recommender:
    """Fit the recommender on every advert, with ESCO, earnings and growth from the processed tables."""
    evidence = adverts[["advert_id", "region", "salary_annual_gbp"]].merge(
        occupations_of_adverts.loc[lambda d: d["confidence"] >= MIN_TITLE_CONFIDENCE][["advert_id", "occupation_uri"]],
        on="advert_id",
    )
    return fit_on_evidence(evidence, build_training(advert_skills, occupations_of_adverts), **params)


def fit_on_evidence(evidence: pd.DataFrame, training: pd.DataFrame, **params) -> Recommender:
    """Fit the recommender on ``evidence`` (adverts with a trusted occupation) and ``training`` pairs,
    with ESCO, earnings and growth from the processed tables (the last step of both engines)."""
    occupations = getters.read_esco_occupations()
    if "employer" not in training:  # the model tunes itself on folds of employers, as the evaluation splits
        try:
            employers = getters.read_adverts(columns=["advert_id", "employer"]).drop_duplicates("advert_id")
            training = training.merge(employers, on="advert_id", how="left")
        except FileNotFoundError:  # no adverts table: each advert is its own group
            pass
    return Recommender(**params).fit(
        evidence,
        training,
        occupations,
        getters.read_occupation_skills(),
        getters.read_esco_skills(),
        earnings=getters.read_processed("occupation_earnings"),
        sector_growth=growth.occupation_sector_growth(occupations, getters.read_processed("indeed_sector")),
        region_growth=growth.region_growth(
            getters.read_processed("indeed_regional"), getters.read_processed("indeed_national")
        ),
    )


def build_engine(**params) -> Recommender:
    """Fit the engine from the processed tables (advert skills must exist: notebook 02 or ``skills-engine extract``)."""
    adverts = getters.read_adverts()
    try:
        advert_skills = getters.read_processed("advert_skills")
    except FileNotFoundError:
        raise FileNotFoundError(
            "data/processed/advert_skills.parquet is missing: run `skills-engine extract` (or notebook 02) first"
        ) from None
    return fit_engine(adverts, ensure_advert_occupations(adverts), advert_skills, **params)
