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
    methods = methods or {name: cls(random_state=random_state) for name, cls in ranking.METHODS.items()}
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
    methods = methods or {name: cls(random_state=random_state) for name, cls in ranking.METHODS.items()}
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


def fit_engine(adverts: pd.DataFrame, occupations_of_adverts: pd.DataFrame, advert_skills: pd.DataFrame,
               extractor=None, **params) -> Recommender:
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
        extractor=extractor,
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
