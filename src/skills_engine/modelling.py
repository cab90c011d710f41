"""Glue between the tidy tables and the recommender: occupations for adverts, training pairs,
the held-out evaluation of every method, and fitting the engine the CLI and API serve.
"""

from __future__ import annotations

import time

import numpy as np
import pandas as pd

from . import evaluation, getters, ranking, sectors
from .config import RANDOM_STATE
from .recommend import Recommender

#: Title matches below this confidence (0-1) are not trusted as an advert's occupation; the
#: hand-labelled titles show precision falls away below it (see notebook 03).
MIN_TITLE_CONFIDENCE = 0.6
#: Skills obtained from the advert's title occupation, not its text. Such adverts never train
#: or test the ranking model: their skills are ESCO's profile of the occupation already.
TITLE_DERIVED = "title occupation"


def advert_occupations(adverts: pd.DataFrame, normaliser=None) -> pd.DataFrame:
    """Canonical title and ESCO occupation for every advert (``advert_id`` plus the normaliser's columns)."""
    from .titles import TitleNormaliser

    normaliser = normaliser or TitleNormaliser().fit()
    return pd.concat([adverts[["advert_id"]].reset_index(drop=True), normaliser.transform(adverts["title"].reset_index(drop=True))], axis=1)


def build_training(advert_skills: pd.DataFrame, occupations_of_adverts: pd.DataFrame,
                   min_confidence: float = MIN_TITLE_CONFIDENCE) -> pd.DataFrame:
    """(advert, occupation, skill) rows for adverts whose skills come from their own text."""
    trusted = occupations_of_adverts.query("confidence >= @min_confidence").dropna(subset=["occupation_uri"])
    return (
        advert_skills.query("method != @TITLE_DERIVED")[["advert_id", "skill_uri"]]
        .drop_duplicates()
        .merge(trusted[["advert_id", "occupation_uri"]], on="advert_id")
    )


def default_methods(random_state: int = RANDOM_STATE) -> dict:
    """A fresh instance of every compared method (:data:`skills_engine.ranking.METHODS`)."""
    return {name: cls(random_state=random_state) for name, cls in ranking.METHODS.items()}


def evaluate_methods(
    adverts: pd.DataFrame,
    training_pairs: pd.DataFrame,
    occupations: pd.DataFrame,
    occupation_skills: pd.DataFrame,
    skills: pd.DataFrame,
    methods: dict | None = None,
    random_state: int = RANDOM_STATE,
    n_bootstrap: int = evaluation.N_BOOTSTRAP,
) -> dict:
    """Fit every method on training employers and rank occupations for held-out adverts.

    Returns ``{"n_train", "n_test", "summary", "per_query", "timings"}``: ``summary`` has one
    row per (method, metric) with the bootstrap interval; ``per_query`` has each held-out
    advert's rank under each method with its source and region, for breakdowns.
    """
    methods = methods or default_methods(random_state)
    with_skills = adverts.loc[adverts["advert_id"].isin(training_pairs["advert_id"])]
    train_ids, test_ids = evaluation.employer_split(with_skills, random_state=random_state)
    train = training_pairs.loc[training_pairs["advert_id"].isin(train_ids)]
    test = training_pairs.loc[training_pairs["advert_id"].isin(test_ids)]
    skill_uris = skills["skill_uri"].tolist()
    occupation_uris = occupations["occupation_uri"].tolist()
    occupation_position = {uri: i for i, uri in enumerate(occupation_uris)}
    queries = test.groupby("advert_id").agg(skills=("skill_uri", list), occupation_uri=("occupation_uri", "first")).reset_index()
    queries = queries.loc[queries["occupation_uri"].isin(occupation_position)].reset_index(drop=True)
    query_matrix = ranking.query_matrix(queries["skills"].tolist(), skill_uris)
    truth = queries["occupation_uri"].map(occupation_position).to_numpy()
    context = queries[["advert_id"]].merge(adverts[["advert_id", "source", "region"]], on="advert_id", how="left")
    per_query, summaries, timings = [], [], {}
    for name, model in methods.items():
        started = time.perf_counter()
        model.fit(train, occupation_skills, skill_uris, occupation_uris)
        fitted = time.perf_counter()
        ranks = evaluation.ranks_of_truth(model.score(query_matrix), truth)
        timings[name] = {"fit_seconds": round(fitted - started, 2), "score_seconds": round(time.perf_counter() - fitted, 2)}
        metrics = evaluation.per_query_metrics(ranks)
        per_query.append(pd.concat([context, metrics.assign(rank=ranks, method=name)], axis=1))
        summaries.append(evaluation.summarise(metrics, n_bootstrap=n_bootstrap, random_state=random_state).assign(method=name))
    return {
        "n_train": int(train["advert_id"].nunique()),
        "n_test": len(queries),
        "summary": pd.concat(summaries, ignore_index=True)[["method", "metric", "value", "low", "high", "n"]],
        "per_query": pd.concat(per_query, ignore_index=True),
        "timings": timings,
    }


def breakdown(per_query: pd.DataFrame, by: str, metric: str = "top5", min_count: int = 30) -> pd.DataFrame:
    """A metric by method and group (source or region), groups with fewer than ``min_count`` queries dropped."""
    counts = per_query.groupby([by, "method"]).size().rename("n")
    table = per_query.groupby([by, "method"])[metric].mean().to_frame().join(counts).reset_index()
    return table.query("n >= @min_count").pivot_table(index=by, columns="method", values=metric).round(3)


def hide_half_check(occupations: pd.DataFrame, occupation_skills: pd.DataFrame, skills: pd.DataFrame, training_pairs: pd.DataFrame,
                    methods: dict | None = None, random_state: int = RANDOM_STATE) -> pd.DataFrame:
    """ESCO-derived check: hide half of each occupation's essential skills, rank with the rest."""
    methods = methods or default_methods(random_state)
    queries = evaluation.hide_half_queries(occupation_skills, random_state=random_state)
    skill_uris, occupation_uris = skills["skill_uri"].tolist(), occupations["occupation_uri"].tolist()
    position = {uri: i for i, uri in enumerate(occupation_uris)}
    queries = queries.loc[queries["occupation_uri"].isin(position)]
    matrix = ranking.query_matrix(queries["skills"].tolist(), skill_uris)
    truth = queries["occupation_uri"].map(position).to_numpy()
    rows = []
    for name, model in methods.items():
        model.fit(training_pairs, occupation_skills, skill_uris, occupation_uris)
        metrics = evaluation.per_query_metrics(evaluation.ranks_of_truth(model.score(matrix), truth))
        rows.append(evaluation.summarise(metrics, random_state=random_state).assign(method=name))
    return pd.concat(rows, ignore_index=True)


def fit_engine(adverts: pd.DataFrame, occupations_of_adverts: pd.DataFrame, advert_skills: pd.DataFrame, **params) -> Recommender:
    """Fit the recommender on every advert, with ESCO, earnings and growth from the processed tables."""
    occupations = getters.read_esco_occupations()
    evidence = adverts[["advert_id", "region", "salary_annual_gbp"]].merge(
        occupations_of_adverts.query("confidence >= @MIN_TITLE_CONFIDENCE")[["advert_id", "occupation_uri"]], on="advert_id"
    )
    return Recommender(**params).fit(
        evidence,
        build_training(advert_skills, occupations_of_adverts),
        occupations,
        getters.read_occupation_skills(),
        getters.read_esco_skills(),
        earnings=getters.read_processed("occupation_earnings"),
        sector_growth=sectors.occupation_sector_growth(occupations, getters.read_processed("indeed_sector")),
        region_growth=sectors.region_growth(getters.read_processed("indeed_regional"), getters.read_processed("indeed_national")),
    )


def recommendation_latency(engine: Recommender, skill_sets: list[list[str]], repeats: int = 1) -> np.ndarray:
    """Milliseconds per ``recommend`` call over the given skill sets (for the benchmark)."""
    timings = []
    for _ in range(repeats):
        for skills in skill_sets:
            started = time.perf_counter()
            engine.recommend(skills, k=10)
            timings.append((time.perf_counter() - started) * 1000)
    return np.array(timings)


def title_derived_skills(adverts_without_text: pd.DataFrame, occupations_of_adverts: pd.DataFrame,
                         occupation_skills: pd.DataFrame, skills: pd.DataFrame) -> pd.DataFrame:
    """Skills for adverts with no text: the ESCO essential skills of their title's occupation,
    flagged ``method = "title occupation"`` (never used to train or test the ranking model)."""
    labels = skills.set_index("skill_uri")["preferred_label"]
    return (
        adverts_without_text[["advert_id"]]
        .merge(occupations_of_adverts.query("confidence >= @MIN_TITLE_CONFIDENCE")[["advert_id", "occupation_uri", "confidence"]], on="advert_id")
        .merge(occupation_skills.query("relation_type == 'essential'")[["occupation_uri", "skill_uri"]], on="occupation_uri")
        .assign(skill_label=lambda d: d["skill_uri"].map(labels), score=lambda d: d["confidence"], span_start=np.nan, span_end=np.nan,
                method=TITLE_DERIVED)
        [["advert_id", "skill_uri", "skill_label", "score", "span_start", "span_end", "method"]]
    )


def build_advert_skills(adverts: pd.DataFrame, occupations_of_adverts: pd.DataFrame, extractor=None) -> pd.DataFrame:
    """Skills for every advert: extracted from the text where there is one (cached by text
    hash, so a re-run only processes new adverts), else derived from the title's occupation."""
    from .extraction import SkillExtractor

    extractor = extractor or SkillExtractor().fit()
    has_text = adverts["description"].notna()
    extracted = extractor.transform_frame(adverts.loc[has_text, ["advert_id", "description"]])
    derived = title_derived_skills(adverts.loc[~has_text], occupations_of_adverts, getters.read_occupation_skills(), getters.read_esco_skills())
    return pd.concat([extracted, derived], ignore_index=True)


def ensure_advert_occupations(adverts: pd.DataFrame | None = None) -> pd.DataFrame:
    """The processed advert occupations table, built (and written) if missing or stale."""
    adverts = adverts if adverts is not None else getters.read_adverts(columns=["advert_id", "title"])
    path = getters.processed_path("advert_occupations")
    if path.is_file():
        table = getters.read_processed("advert_occupations")
        if set(table["advert_id"]) >= set(adverts["advert_id"]):
            return table
    table = advert_occupations(adverts)
    getters.write_processed(table, "advert_occupations")
    return table


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


def evaluate_from_tables(n_bootstrap: int = evaluation.N_BOOTSTRAP, random_state: int = RANDOM_STATE) -> dict:
    """Run :func:`evaluate_methods` on the processed tables (the CLI's ``eval-recommend``)."""
    adverts = getters.read_adverts()
    advert_skills = getters.read_processed("advert_skills")
    training_pairs = build_training(advert_skills, ensure_advert_occupations(adverts))
    return evaluate_methods(
        adverts, training_pairs, getters.read_esco_occupations(), getters.read_occupation_skills(), getters.read_esco_skills(),
        random_state=random_state, n_bootstrap=n_bootstrap,
    )


#: The method the project ships, as the evaluation JSON names it.
MODEL_NAME = "skill_profile_lm"


def evaluation_json(result: dict) -> dict:
    """``{"model", "n_test", "methods": {name: {top1, top5, top10, mrr, ...}}}`` with fractions 0-1."""
    methods = {}
    for name, frame in result["summary"].groupby("method", sort=False):
        indexed = frame.set_index("metric")
        methods[name] = {metric: round(float(indexed.loc[metric, "value"]), 4) for metric in indexed.index} | {
            f"{metric}_interval": [round(float(indexed.loc[metric, "low"]), 4), round(float(indexed.loc[metric, "high"]), 4)]
            for metric in ("top1", "top5", "top10", "mrr")
        }
    return {"model": MODEL_NAME, "n_test": int(result["n_test"]), "methods": methods}
