"""Evaluating occupation rankings: the employer split, ranks, metrics with bootstrap intervals,
and the held-out comparison of every method (ours against the published baselines).
"""

from __future__ import annotations

import time
import zlib
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from skills_engine import getters
from skills_engine.config import RANDOM_STATE
from skills_engine.intervals import N_BOOTSTRAP, cluster_weights, paired_gaps, summarise
from skills_engine.occupations.labelling import ensure_advert_occupations
from skills_engine.recommender import baselines, blend, rankers, stacking
from skills_engine.recommender.training import build_training

#: Share of employers whose adverts are held out for testing.
TEST_SHARE = 0.25
#: Person-sized queries, in skills: a person types three to five skills where a held-out advert
#: carries more, so every method is also scored on that many skills sampled from each held-out
#: advert. Adverts with fewer skills than the size are left out of that size's scores (a query
#: of ``size`` skills is then exactly ``size`` skills; the output's ``n`` counts those kept).
QUERY_SIZES = (3, 5)
#: Queries drawn per held-out advert and size; each advert's metrics are averaged over its draws.
#: With one draw per advert, three builds gave the engine's 5-skill lead as +3.7, +5.4 and +4.5
#: points, the last two with the same fitted models and only the draw differing: the draw moved
#: the figure as much as its interval is wide. Five draws cut that part of the spread by more
#: than half (1 / sqrt(5)); each costs one more scoring pass per method, not another fit.
QUERY_DRAWS = 5
#: The method the project ships, as the evaluation JSON names it.
MODEL_NAME = "skill_profile_stack"
#: The goal the model is held to (share of queries, 0.03 = 3 points of top-5), as issue 13 set
#: it: a lead over the best other method of at least this much, with the two methods' separate
#: intervals apart. The paired interval of the lead is reported beside it, not in its place.
GOAL_LEAD = 0.03


def employer_groups(adverts: pd.DataFrame) -> pd.Series:
    """The unit the held-out evaluation keeps together: each advert's employer (trimmed, lower
    case), or the advert itself when it names none.

    The split keeps each group on one side, and the bootstrap resamples whole groups.

    >>> employer_groups(pd.DataFrame({"advert_id": [1, 2, 3], "employer": [" NHS Trust", "nhs trust", None]})).tolist()
    ['nhs trust', 'nhs trust', 'advert:3']
    """
    return adverts["employer"].fillna("advert:" + adverts["advert_id"].astype(str)).str.lower().str.strip()


def employer_split(
    adverts: pd.DataFrame, test_share: float = TEST_SHARE, random_state: int = RANDOM_STATE
) -> tuple[pd.Index, pd.Index]:
    """Split adverts by employer (:func:`employer_groups`) so that no employer's adverts sit on both sides.

    >>> ads = pd.DataFrame({"advert_id": list("abcdef"), "employer": ["x", "x", "y", "y", None, "z"]})
    >>> train, test = employer_split(ads, test_share=0.5, random_state=0)
    >>> set(ads.loc[ads["advert_id"].isin(train), "employer"].dropna()) & set(ads.loc[ads["advert_id"].isin(test), "employer"].dropna())
    set()
    """
    from sklearn.model_selection import GroupShuffleSplit

    splitter = GroupShuffleSplit(n_splits=1, test_size=test_share, random_state=random_state)
    train_idx, test_idx = next(splitter.split(adverts, groups=employer_groups(adverts)))
    return pd.Index(adverts["advert_id"].iloc[train_idx]), pd.Index(adverts["advert_id"].iloc[test_idx])


def ranks_of_truth(scores: np.ndarray, truth: np.ndarray) -> np.ndarray:
    """1-based rank of the true column in each row of ``scores`` (ties count against the truth).

    >>> ranks_of_truth(np.array([[0.1, 0.9, 0.5], [0.7, 0.7, 0.1]]), np.array([2, 0])).tolist()
    [2, 2]
    """
    true_scores = scores[np.arange(len(truth)), truth]
    return (scores >= true_scores[:, None]).sum(axis=1)


def per_query_metrics(ranks: np.ndarray, ks: Sequence[int] = (1, 5, 10)) -> pd.DataFrame:
    """Hit at k, reciprocal rank and NDCG@10 (one relevant item) for each query.

    >>> per_query_metrics(np.array([1, 3, 20])).round(3).to_dict("list")["ndcg10"]
    [1.0, 0.5, 0.0]
    """
    ranks = np.asarray(ranks)
    metrics = {f"top{k}": (ranks <= k).astype(float) for k in ks}
    metrics["mrr"] = 1.0 / ranks
    metrics["ndcg10"] = np.where(ranks <= 10, 1.0 / np.log2(ranks + 1), 0.0)
    return pd.DataFrame(metrics)


def hide_half_queries(
    occupation_skills: pd.DataFrame, min_essential: int = 4, random_state: int = RANDOM_STATE
) -> pd.DataFrame:
    """ESCO-derived check: for each occupation with at least ``min_essential`` essential skills,
    keep a random half of them as the query (the other half is hidden).

    Returns ``occupation_uri`` and ``skills`` (list of kept skill URIs).
    """
    rng = np.random.default_rng(random_state)
    rows = []
    essential = occupation_skills.query("relation_type == 'essential'")
    for occupation, frame in essential.groupby("occupation_uri", sort=True):
        skills = frame["skill_uri"].to_numpy()
        if len(skills) < min_essential:
            continue
        kept = rng.choice(skills, size=len(skills) // 2, replace=False)
        rows.append({"occupation_uri": occupation, "skills": sorted(kept)})
    return pd.DataFrame(rows)


def sample_query_skills(
    skill_sets: Sequence[Sequence[str]],
    size: int,
    random_state: int = RANDOM_STATE,
    keys: Sequence[str] | None = None,
    draw: int = 0,
) -> tuple[list[list[str]], np.ndarray]:
    """``size`` skills sampled without replacement from each skill set, for person-sized queries.

    Sets with fewer than ``size`` distinct skills are dropped (see :data:`QUERY_SIZES`). Each set's
    draw depends only on ``random_state``, ``size``, the set (skills are sorted first) and its key
    (``keys``, e.g. advert ids; default its position): one advert gaining or losing a skill leaves
    every other advert's query as it was. With one random stream for all sets, 16 adverts losing a
    false skill match re-drew every query after them and moved the 5-skill lead by 1.7 points.
    ``draw`` numbers independent draws from the same sets (:data:`QUERY_DRAWS`).
    Returns the sampled lists and the positions of the sets kept.

    >>> sampled, kept = sample_query_skills([["a", "b", "c", "d"], ["a"], ["c", "b", "b"]], 2, random_state=0)
    >>> kept.tolist(), [len(s) for s in sampled], set(sampled[1]) == {"b", "c"}
    ([0, 2], [2, 2], True)
    """
    keys = list(range(len(skill_sets))) if keys is None else list(keys)
    sampled, kept = [], []
    for position, (skills, key) in enumerate(zip(skill_sets, keys, strict=True)):
        distinct = sorted(set(skills))
        if len(distinct) < size:
            continue
        rng = np.random.default_rng([random_state, size, zlib.crc32(str(key).encode("utf-8")), draw])
        sampled.append([distinct[i] for i in sorted(rng.choice(len(distinct), size=size, replace=False))])
        kept.append(position)
    return sampled, np.array(kept, dtype=int)


#: The methods compared in the evaluation, by the names the CLI prints: the published methods
#: (``rankers``), the stronger baselines (``baselines``), then the project's models: the
#: skill-profile model alone (its historical settings), the blend the engine shipped before, and
#: the stack the engine ships (:data:`MODEL_NAME`), last.
METHODS = {
    "popularity": rankers.PopularityRanker,
    "dwp_svd": rankers.DWPCooccurrenceSVD,
    "nesta_profile": rankers.NestaSkillProfile,
    "esco_overlap": rankers.EscoOverlap,
    "logistic": baselines.LogisticOccupations,
    "knn_adverts": baselines.NearestAdverts,
    "dwp_svd+prior": baselines.with_popularity_prior(rankers.DWPCooccurrenceSVD),
    "nesta_profile+prior": baselines.with_popularity_prior(rankers.NestaSkillProfile),
    "esco_overlap+prior": baselines.with_popularity_prior(rankers.EscoOverlap),
    "skill_profile_lm": rankers.SkillProfileLM,
    "skill_profile_blend": blend.SkillProfileBlend,
    "skill_profile_stack": stacking.SkillProfileStack,
}


def default_methods(random_state: int = RANDOM_STATE) -> dict:
    """A fresh instance of every compared method (:data:`METHODS`)."""
    return {name: cls(random_state=random_state) for name, cls in METHODS.items()}


def evaluate_methods(
    adverts: pd.DataFrame,
    training_pairs: pd.DataFrame,
    occupations: pd.DataFrame,
    occupation_skills: pd.DataFrame,
    skills: pd.DataFrame,
    methods: dict | None = None,
    random_state: int = RANDOM_STATE,
    n_bootstrap: int = N_BOOTSTRAP,
    query_sizes: Sequence[int] = QUERY_SIZES,
    reference: str = MODEL_NAME,
    query_draws: int = QUERY_DRAWS,
) -> dict:
    """Fit every method on training employers and rank occupations for held-out adverts.

    Each method is fitted once and scores both the held-out adverts' full skill sets and, for
    each of ``query_sizes``, person-sized queries sampled from them (:func:`sample_query_skills`,
    ``query_draws`` per advert, seeded by ``random_state`` and the advert; adverts with fewer
    skills are left out of that size). An advert's person-sized metrics are the mean over its
    draws, so it counts once, as in the full-advert scores.

    Every interval resamples employers (:func:`employer_groups`), the unit the split keeps apart,
    not adverts.

    Returns ``{"n_train", "n_test", "summary", "per_query", "timings", "n_test_by_query_size",
    "summary_by_query_size", "n_employers", "gaps", "gaps_by_query_size"}``: ``summary`` has one
    row per (method, metric) with the bootstrap interval; ``per_query`` has each held-out
    advert's rank under each method with its source, region and employer group, for breakdowns;
    ``summary_by_query_size`` maps each size to a table like ``summary`` (its ``n`` the queries
    of that size) and ``n_test_by_query_size`` to their number; ``n_employers`` counts the
    held-out employer groups; ``gaps`` (and ``gaps_by_query_size``) hold ``reference``'s lead
    over every other method with paired intervals (:func:`paired_gaps`), empty when
    ``reference`` is not among ``methods``.
    The training pairs given to the methods carry each advert's ``employer``, so a method that
    tunes itself (:class:`~skills_engine.recommender.baselines.WithPopularityPrior`) validates on
    training employers only.
    """
    methods = methods or default_methods(random_state)
    with_skills = adverts.loc[adverts["advert_id"].isin(training_pairs["advert_id"])]
    train_ids, test_ids = employer_split(with_skills, random_state=random_state)
    train = training_pairs.loc[training_pairs["advert_id"].isin(train_ids)]
    if "employer" not in train:
        train = train.merge(adverts[["advert_id", "employer"]].drop_duplicates("advert_id"), on="advert_id", how="left")
    test = training_pairs.loc[training_pairs["advert_id"].isin(test_ids)]
    skill_uris = skills["skill_uri"].tolist()
    occupation_uris = occupations["occupation_uri"].tolist()
    occupation_position = {uri: i for i, uri in enumerate(occupation_uris)}
    queries = (
        test.groupby("advert_id")
        .agg(skills=("skill_uri", list), occupation_uri=("occupation_uri", "first"))
        .reset_index()
    )
    queries = queries.loc[queries["occupation_uri"].isin(occupation_position)].reset_index(drop=True)
    query_matrix = rankers.query_matrix(queries["skills"].tolist(), skill_uris)
    truth = queries["occupation_uri"].map(occupation_position).to_numpy()
    context = queries[["advert_id"]].merge(
        adverts[["advert_id", "source", "region"]].drop_duplicates("advert_id"), on="advert_id", how="left"
    )
    unique_adverts = with_skills.drop_duplicates("advert_id")
    clusters = (
        queries["advert_id"].map(employer_groups(unique_adverts).set_axis(unique_adverts["advert_id"])).to_numpy()
    )
    context = context.assign(employer_group=clusters)
    bootstrap = {"n_bootstrap": n_bootstrap, "random_state": random_state}
    # one draw of employers per query set, shared by every method: their intervals are comparable
    resampling = cluster_weights(clusters, len(clusters), **bootstrap)
    sized = {}
    for size in query_sizes:
        draws = [
            sample_query_skills(
                queries["skills"].tolist(), size, random_state, keys=queries["advert_id"].tolist(), draw=draw
            )
            for draw in range(query_draws)
        ]
        kept = draws[0][1]  # which adverts have enough skills does not depend on the draw
        sized[size] = (
            [rankers.query_matrix(sampled, skill_uris) for sampled, _ in draws],
            truth[kept],
            cluster_weights(clusters[kept], len(kept), **bootstrap),
        )
    columns = ["method", "metric", "value", "low", "high", "n"]
    per_query, summaries, timings = [], [], {}
    sized_summaries = {size: [] for size in sized}
    full_metrics, sized_metrics = {}, {size: {} for size in sized}
    for name, model in methods.items():
        started = time.perf_counter()
        model.fit(train, occupation_skills, skill_uris, occupation_uris)
        fitted = time.perf_counter()
        ranks = ranks_of_truth(model.score(query_matrix), truth)
        timings[name] = {
            "fit_seconds": round(fitted - started, 2),
            "score_seconds": round(time.perf_counter() - fitted, 2),
        }
        metrics = full_metrics[name] = per_query_metrics(ranks)
        per_query.append(pd.concat([context, metrics.assign(rank=ranks, method=name)], axis=1))
        summaries.append(summarise(metrics, resampling=resampling).assign(method=name))
        for size, (matrices, size_truth, size_resampling) in sized.items():
            # no advert of that size: no queries to score (some methods refuse an empty matrix)
            draw_metrics = [
                per_query_metrics(
                    ranks_of_truth(
                        model.score(matrix) if matrix.shape[0] else np.empty((0, len(occupation_uris))), size_truth
                    )
                )
                for matrix in matrices
            ]
            size_metrics = sized_metrics[size][name] = sum(draw_metrics) / len(draw_metrics)
            sized_summaries[size].append(summarise(size_metrics, resampling=size_resampling).assign(method=name))

    def gaps(metrics_by_method, gap_resampling) -> pd.DataFrame:
        if reference not in metrics_by_method:
            return pd.DataFrame(columns=columns)
        return paired_gaps(metrics_by_method, reference, resampling=gap_resampling)

    return {
        "n_train": int(train["advert_id"].nunique()),
        "n_test": len(queries),
        "summary": pd.concat(summaries, ignore_index=True)[columns],
        "per_query": pd.concat(per_query, ignore_index=True),
        "timings": timings,
        "n_test_by_query_size": {size: len(size_truth) for size, (_, size_truth, _) in sized.items()},
        "query_draws": query_draws,
        "summary_by_query_size": {
            size: pd.concat(frames, ignore_index=True)[columns] for size, frames in sized_summaries.items()
        },
        "n_employers": int(pd.Series(clusters).nunique()),
        "gaps": gaps(full_metrics, resampling),
        "gaps_by_query_size": {size: gaps(sized_metrics[size], sized[size][2]) for size in sized},
    }


def lead_over_best(
    summary: pd.DataFrame, gaps: pd.DataFrame, metric: str = "top5", reference: str = MODEL_NAME
) -> dict:
    """How far ``reference`` leads the best other method in ``metric``, and whether the goal is met.

    ``summary`` and ``gaps`` are one query set's tables from :func:`evaluate_methods`. Returns
    ``best`` (the other method with the highest value), ``value`` and ``best_value`` with their
    intervals (``low``, ``high``, ``best_low``, ``best_high``), ``lead`` with its paired interval
    (``lead_low``, ``lead_high``), ``separate`` (the two intervals do not overlap) and ``met``
    (a lead of at least :data:`GOAL_LEAD` with separate intervals).

    >>> summary = pd.DataFrame({"method": ["ours", "b"], "metric": "top5", "value": [0.74, 0.70],
    ...     "low": [0.72, 0.68], "high": [0.76, 0.72], "n": 100})
    >>> gaps = pd.DataFrame({"method": ["b"], "metric": "top5", "value": [0.04], "low": [0.02], "high": [0.06], "n": 100})
    >>> lead = lead_over_best(summary, gaps, reference="ours")
    >>> lead["best"], round(lead["lead"], 2), lead["separate"], lead["met"]
    ('b', 0.04, False, False)
    """
    values = summary.query("metric == @metric").set_index("method")
    best = values.drop(index=reference)["value"].idxmax()
    ours, theirs = values.loc[reference], values.loc[best]
    gap = gaps.query("metric == @metric").set_index("method")
    separate = bool(ours["low"] > theirs["high"])
    lead = float(ours["value"] - theirs["value"])
    return {
        "best": best,
        **{key: float(ours[key]) for key in ("value", "low", "high")},
        **{f"best_{key}": float(theirs[key]) for key in ("value", "low", "high")},
        "lead": lead,
        **{f"lead_{key}": float(gap.loc[best, key]) for key in ("low", "high")},
        "separate": separate,
        "met": separate and lead >= GOAL_LEAD,
    }


def breakdown(per_query: pd.DataFrame, by: str, metric: str = "top5", min_count: int = 30) -> pd.DataFrame:
    """A metric by method and group (source or region), groups with fewer than ``min_count`` queries dropped."""
    counts = per_query.groupby([by, "method"]).size().rename("n")
    table = per_query.groupby([by, "method"])[metric].mean().to_frame().join(counts).reset_index()
    return table.query("n >= @min_count").pivot_table(index=by, columns="method", values=metric).round(3)


def hide_half_check(
    occupations: pd.DataFrame,
    occupation_skills: pd.DataFrame,
    skills: pd.DataFrame,
    training_pairs: pd.DataFrame,
    methods: dict | None = None,
    random_state: int = RANDOM_STATE,
    fitted: Mapping[str, object] | None = None,
    min_essential: int = 4,
) -> pd.DataFrame:
    """ESCO-derived check: hide half of each occupation's essential skills, rank with the rest.

    Each of ``methods`` (default :func:`default_methods`) is fitted on ``training_pairs`` and
    ranks every occupation for each query of :func:`hide_half_queries` (occupations with at
    least ``min_essential`` essential skills); a method named in ``fitted`` (already fitted on
    those pairs, such as the engine's own ranking model, ``Recommender.model_``) is scored as it is.

    Raises
    ------
    ValueError
        If a ``fitted`` method ranks other skills or occupations than ``skills`` and ``occupations``.
    """
    methods = methods or default_methods(random_state)
    fitted = dict(fitted or {})
    queries = hide_half_queries(occupation_skills, min_essential, random_state=random_state)
    skill_uris, occupation_uris = skills["skill_uri"].tolist(), occupations["occupation_uri"].tolist()
    position = {uri: i for i, uri in enumerate(occupation_uris)}
    queries = queries.loc[queries["occupation_uri"].isin(position)]
    matrix = rankers.query_matrix(queries["skills"].tolist(), skill_uris)
    truth = queries["occupation_uri"].map(position).to_numpy()
    rows = []
    for name, model in methods.items():
        if name in fitted:
            model = fitted[name]
            if list(model.skill_uris) != skill_uris or list(model.occupation_uris) != occupation_uris:
                raise ValueError(f"the fitted {name!r} ranks other skills or occupations than this check's")
        else:
            model.fit(training_pairs, occupation_skills, skill_uris, occupation_uris)
        metrics = per_query_metrics(ranks_of_truth(model.score(matrix), truth))
        rows.append(summarise(metrics, random_state=random_state).assign(method=name))
    return pd.concat(rows, ignore_index=True)


def evaluate_from_tables(n_bootstrap: int = N_BOOTSTRAP, random_state: int = RANDOM_STATE) -> dict:
    """Run :func:`evaluate_methods` on the processed tables (the CLI's ``eval-recommend``)."""
    adverts = getters.read_adverts()
    advert_skills = getters.read_processed("advert_skills")
    training_pairs = build_training(advert_skills, ensure_advert_occupations(adverts))
    return evaluate_methods(
        adverts,
        training_pairs,
        getters.read_esco_occupations(),
        getters.read_occupation_skills(),
        getters.read_esco_skills(),
        random_state=random_state,
        n_bootstrap=n_bootstrap,
    )


def _methods_json(summary: pd.DataFrame) -> dict:
    """``{name: {metric: value, ..., top1_interval: [low, high], ...}}`` from a summary table."""

    def value(number) -> float | None:  # no queries (e.g. no advert has that many skills): null, not NaN
        return None if pd.isna(number) else round(float(number), 4)

    methods = {}
    for name, frame in summary.groupby("method", sort=False):
        indexed = frame.set_index("metric")
        methods[name] = {metric: value(indexed.loc[metric, "value"]) for metric in indexed.index} | {
            f"{metric}_interval": [value(indexed.loc[metric, "low"]), value(indexed.loc[metric, "high"])]
            for metric in ("top1", "top5", "top10", "mrr")
        }
    return methods


def evaluation_json(result: dict) -> dict:
    """``{"model", "n_test", "methods": {name: {top1, top5, top10, mrr, ...}}}`` with fractions 0-1.

    When ``result`` has person-sized queries (:func:`evaluate_methods` does), also
    ``"methods_by_query_size": {"3": {name: {...}}, "5": {...}}`` in the same form and
    ``"n_test_by_query_size": {"3": n, "5": n}`` (held-out adverts with at least that many skills;
    a size no advert reaches has null metrics) and ``"query_draws"`` (queries drawn per advert and
    size). When it has paired gaps, also ``"gaps"`` and ``"gaps_by_query_size"`` in the same
    form: ``{name: {top5: lead, top5_interval: [low, high], ...}}``, the model's lead over each
    other method, and ``"bootstrap"`` saying what was resampled.
    """
    payload = {"model": MODEL_NAME, "n_test": int(result["n_test"]), "methods": _methods_json(result["summary"])}
    if "summary_by_query_size" in result:
        payload["methods_by_query_size"] = {
            str(size): _methods_json(summary) for size, summary in result["summary_by_query_size"].items()
        }
        payload["n_test_by_query_size"] = {
            str(size): int(n) for size, n in result.get("n_test_by_query_size", {}).items()
        }
        payload["query_draws"] = int(result.get("query_draws", 1))
    if "gaps" in result:
        payload["gaps"] = _methods_json(result["gaps"])
        payload["gaps_by_query_size"] = {
            str(size): _methods_json(gaps) for size, gaps in result.get("gaps_by_query_size", {}).items()
        }
        payload["bootstrap"] = {
            "unit": "employer",
            "n_employers": int(result["n_employers"]),
            "intervals": "95% percentile; gaps paired (every method resampled with the same employers)",
        }
    return payload
