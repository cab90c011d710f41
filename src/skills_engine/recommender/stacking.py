"""The engine's ranker: three views of a person's skills, stacked with weights tuned on training employers.

:class:`SkillProfileStack` adds three scores for every occupation:

``profile``
    The skill-profile language model (:class:`~skills_engine.recommender.rankers.SkillProfileLM`):
    the query's log-likelihood under the occupation's skills, from adverts *and* ESCO, so it
    reaches occupations and skills no advert mentions and explains each answer (matched and
    missing skills). Its smoothing mass ``mu`` is tuned.
``vote``
    ``log(1 + vote)`` of the nearest training adverts' vote
    (:class:`~skills_engine.recommender.baselines.NearestAdverts`): which whole combinations of
    skills employers put in one advert. The added 1 (:data:`VOTE_FLOOR`) keeps a single similar
    advert from outvoting the profile.
``network``
    What the query's skills tell a small neural network
    (:class:`~skills_engine.recommender.classifier.NeuralOccupations`, trained on adverts and on
    short random parts of them): its log-probability of the occupation given the query *minus*
    its log-probability given no skills. Skills the network never saw in an advert then add
    nothing, where its raw output would be its guess for an empty query, mostly health jobs.
``coverage``
    The share of the query's skills in the occupation's profile (0 to 1). The profile's
    likelihood, smoothed heavily and added to a popularity prior, lets a common occupation that
    shares none of a person's skills outrank a rarer one that shares two ("chef" for "welding;
    read engineering drawings; forklift"); this part says plainly how many of them it shares.

The profile's ``mu`` and the weights of the vote, the network and the coverage are tuned by *cross-fitting*
inside ``fit``, so nothing is tuned on the adverts the model is evaluated on: the training adverts are split into
:data:`STACK_FOLDS` folds of employers (``GroupKFold``, no employer in two folds); each fold's
adverts, and random person-sized parts of them, are scored by parts fitted on the other folds,
as held-out adverts are; the settings with the best top-5 accuracy on those queries are kept (then
the best MRR, then the smaller values). The parts are then refitted on all of ``training``.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import sparse

from skills_engine.recommender.baselines import GROUP_COLUMN, NearestAdverts, _advert_matrix, _ranks
from skills_engine.recommender.classifier import NeuralOccupations, sample_subqueries
from skills_engine.recommender.rankers import SkillProfileLM, _Vocabulary

#: Folds of training employers for cross-fitting (folds). Four fit each part four times more (the
#: network's fit dominates: 20-50 s each on two busy cores) and leave three quarters of the
#: employers to every fold's parts, close to what the final parts see.
STACK_FOLDS = 4
#: Neighbours voting in the stack's nearest-adverts part (training adverts). On a validation split
#: of training employers (1,608 held-out adverts), k = 100, 200 and 400 gave the vote alone top-5
#: 0.710, 0.717 and 0.711 on full adverts and 0.660, 0.670 and 0.671 on 3-skill queries.
STACK_NEIGHBOURS = 200
#: Person-sized parts drawn from every held-out advert of a fold (queries per advert, sizes from
#: :data:`~skills_engine.recommender.classifier.SUBQUERY_SIZES`): a person types one to five
#: skills, so the weights are chosen for short queries as much as for whole adverts.
STACK_SUBQUERIES_PER_ADVERT = 2
#: Smoothing masses tried for the profile when ``mu`` is None (pseudo-counts). On four folds of
#: training employers (prior weight 1) mu = 20, 100, 200, 500 and 1,000 gave the profile alone
#: top-5 0.689, 0.701, 0.708, 0.712 and 0.710 on full adverts: far above the historical 20, as
#: most of an occupation's pseudo-counts are its ESCO relations, which the background should temper.
MU_GRID = (20.0, 50.0, 100.0, 200.0, 500.0, 1000.0)
#: Weight of the popularity prior in the profile's own score (log-share units). On the same folds,
#: 0.5, 1.0 and 1.5 gave top-5 0.704, 0.712 and 0.707 on full adverts (mu = 500). Fixed rather
#: than tuned: the static try-it page ranks with the profile's own score, this weight included.
PROFILE_PRIOR_WEIGHT = 1.0
#: Weights tried for ``log(1 + vote)`` (score units per e-fold of one plus the vote; 0 leaves the
#: vote out). Up to 5: with the floor of 1, a vote needs that weight to move a query as much as
#: the log-likelihood's own differences.
KNN_WEIGHT_GRID = (0.0, 0.5, 1.0, 2.0, 3.0, 5.0)
#: Weights tried for the network's log-probability lift (score units per log unit; 0 leaves it out).
NETWORK_WEIGHT_GRID = (0.0, 0.25, 0.5, 1.0, 2.0, 3.0)
#: Weights tried for the coverage (score units for an occupation holding every skill of the query
#: against one holding none; 0 leaves it out), jointly with the vote's and the network's. Up to 4:
#: the popularity prior spans about 5 log units between common and rare occupations.
COVERAGE_WEIGHT_GRID = (0.0, 0.5, 1.0, 2.0, 4.0)
#: Top-5 (share of queries) the stack may give up on the cross-fitted queries for a larger coverage
#: weight. A common occupation sharing none of a person's skills above one sharing two is an answer
#: nobody can act on, and top-5 barely notices it: on the full run's folds (33,357 queries) weights
#: 0 to 4 were within 0.12 points of each other. 0.003 is under the bootstrap standard error of
#: the evaluation's top-5 (about 0.008 on 2,900 held-out adverts).
COVERAGE_TOLERANCE = 0.003
#: Added to the vote before its log (similarity units: one advert identical to the query votes 1).
#: On the validation split, floors of 0.001 (the blend's), 0.1, 0.3 and 1 gave the same top-5 at
#: their best weights (0.741-0.744 averaged over full, 3- and 5-skill queries); with 1 a lone
#: neighbour sharing one skill (similarity about 0.5) adds 0.4 log units, not the 6 a floor of
#: 0.001 gives it, so one odd advert cannot lift its occupation to the top of a ranking.
VOTE_FLOOR = 1.0
#: Floor of the network's log-probabilities (log units): occupations it never saw get -1e9, which
#: would swamp the sum; e^-30 (about 1e-13) is below any probability that matters.
NETWORK_FLOOR = -30.0
#: Queries scored at once (queries): each holds a few dense queries x occupations matrices
#: (1,024 x 3,007 x 8 bytes is 25 MB each).
SCORE_BATCH = 1024
#: Smoothing mass when ``mu`` is None and there are too few employers to tune it (the profile's
#: historical default, pseudo-counts).
FALLBACK_MU = 20.0


def employer_folds(training: pd.DataFrame, n_folds: int) -> list[tuple[pd.DataFrame, pd.DataFrame]]:
    """``(inner, held)`` rows of ``training`` for each of up to ``n_folds`` folds of employers.

    Adverts are grouped by :data:`~skills_engine.recommender.baselines.GROUP_COLUMN` when
    ``training`` has it (adverts without one form a group each), else each advert is its own
    group. Empty when there are fewer than two groups.

    >>> pairs = pd.DataFrame({"advert_id": list("abcd"), "employer": ["x", "x", "y", "z"]})
    >>> [sorted(held["advert_id"]) for _, held in employer_folds(pairs, 2)]
    [['a', 'b'], ['c', 'd']]
    """
    from sklearn.model_selection import GroupKFold

    adverts = training.drop_duplicates("advert_id")
    groups = "advert:" + adverts["advert_id"].astype(str)
    if GROUP_COLUMN in adverts:
        groups = adverts[GROUP_COLUMN].astype("string").str.lower().str.strip().fillna(groups)
    n_splits = min(n_folds, groups.nunique())
    if n_splits < 2:
        return []
    return [
        (
            training.loc[training["advert_id"].isin(adverts["advert_id"].iloc[inner_idx])],
            training.loc[training["advert_id"].isin(adverts["advert_id"].iloc[held_idx])],
        )
        for inner_idx, held_idx in GroupKFold(n_splits=n_splits).split(adverts, groups=groups)
    ]


def _log_vote(knn: NearestAdverts, queries) -> np.ndarray:
    """``log(VOTE_FLOOR + vote)`` of the nearest adverts' vote (negative similarities count as 0)."""
    return np.log(np.clip(knn.score(queries), 0.0, None) + VOTE_FLOOR)


def _coverage(presence: sparse.csr_matrix, queries) -> np.ndarray:
    """Share of each query's skills in each occupation's profile (queries x occupations).

    ``presence`` is skills x occupations, 1 where the skill is in the occupation's profile.

    >>> presence = sparse.csr_matrix(np.array([[1, 0], [1, 1], [0, 0]]))
    >>> _coverage(presence, sparse.csr_matrix(np.array([[1, 1, 0], [0, 0, 1], [0, 0, 0]]))).tolist()
    [[1.0, 0.5], [0.0, 0.0], [0.0, 0.0]]
    """
    queries = sparse.csr_matrix(queries)
    sizes = np.maximum(np.asarray(queries.sum(axis=1)).ravel(), 1.0)
    return (queries @ presence).toarray() / sizes[:, None]


def _network_empty(network: NeuralOccupations) -> np.ndarray:
    """The network's floored log-probabilities for a query of no skills (one per occupation)."""
    return np.maximum(network.score(sparse.csr_matrix((1, len(network.skill_uris))))[0], NETWORK_FLOOR)


def _network_lift(network: NeuralOccupations, empty: np.ndarray, queries) -> np.ndarray:
    """The network's floored log-probabilities for ``queries`` minus ``empty``, those for no skills
    (:func:`_network_empty`, computed once per fit), so a part that knows nothing of a query adds
    nothing to it."""
    return np.maximum(network.score(queries), NETWORK_FLOOR) - empty


def _presence(profile: SkillProfileLM) -> sparse.csr_matrix:
    """Skills x occupations, 1 where a skill is in an occupation's profile (adverts or ESCO)."""
    return (profile.counts_.T > 0).astype(np.float64).tocsr()


def _hits(ranks: np.ndarray) -> dict:
    return {"top5": float(np.mean(ranks <= 5)), "mrr": float(np.mean(1.0 / ranks)), "n": len(ranks)}


class SkillProfileStack(SkillProfileLM):
    """The skill-profile model plus the nearest adverts' vote and a neural network's lift.

    ``score = profile + knn_weight_ * log(1 + vote) + network_weight_ * network lift
    + coverage_weight_ * coverage``.
    Being a :class:`~skills_engine.recommender.rankers.SkillProfileLM` (the profile part), it
    keeps the profile counts the engine reads for matched and missing skills and the weights the
    static try-it page exports.

    Parameters
    ----------
    mu : float or None
        Smoothing mass of the profile; None tunes it over :data:`MU_GRID` on the folds.
    essential_weight, optional_weight : float
        As :class:`~skills_engine.recommender.rankers.SkillProfileLM`.
    prior_weight : float
        Weight of the popularity prior in the profile's own score (see :data:`PROFILE_PRIOR_WEIGHT`).
    random_state : int
        Seed of the sub-queries and of the network; the folds are deterministic.
    knn_weight, network_weight, coverage_weight : float or None
        Weights of the vote, of the network's lift and of the coverage; None tunes each (over
        :data:`KNN_WEIGHT_GRID`, :data:`NETWORK_WEIGHT_GRID` and :data:`COVERAGE_WEIGHT_GRID`).
        A weight of 0 leaves its part out, unfitted: all 0 is the profile model alone (with
        ``mu`` still tuned when None).
    n_folds : int
        Folds of training employers (see :data:`STACK_FOLDS`).

    Attributes
    ----------
    mu_ : float
        The smoothing mass used.
    knn_weight_, network_weight_, coverage_weight_ : float
        The weights used (0 when not tuned for lack of employers to tune on).
    presence_ : scipy.sparse.csr_matrix or None
        Skills x occupations, 1 where the skill is in the occupation's profile (for the coverage;
        None when the coverage's weight is 0).
    knn_ : NearestAdverts or None
        The vote, fitted on all of ``training`` (None when left out).
    network_ : NeuralOccupations or None
        The network, fitted on all of ``training`` (None when left out).
    network_empty_ : numpy.ndarray or None
        The network's floored log-probabilities for a query of no skills (subtracted from its scores).
    validation_scores_ : dict
        ``{"mu": {mu: {"top5", "mrr", "n"}}, "weights": {(knn, network, coverage): {...}}}`` on the
        cross-fitted queries (entries only for what was tuned).
    """

    def __init__(
        self,
        mu: float | None = None,
        essential_weight: float = 2.0,
        optional_weight: float = 0.5,
        prior_weight: float = PROFILE_PRIOR_WEIGHT,
        random_state: int = 42,
        knn_weight: float | None = None,
        network_weight: float | None = None,
        coverage_weight: float | None = None,
        n_folds: int = STACK_FOLDS,
    ):
        super().__init__(mu, essential_weight, optional_weight, prior_weight, random_state)
        self.knn_weight = knn_weight
        self.network_weight = network_weight
        self.coverage_weight = coverage_weight
        self.n_folds = n_folds

    # --- the parts ---------------------------------------------------------------------------

    def _fit_parts(self, training, occupation_skills, skill_uris, occupation_uris, mu: float, profile: bool = True):
        """``(profile, knn, network)`` fitted on ``training``; None for a part left out (weight 0)
        and for the profile when ``profile`` is False."""
        parts = [
            SkillProfileLM(mu, self.essential_weight, self.optional_weight, self.prior_weight, self.random_state)
            if profile
            else None,
            NearestAdverts(STACK_NEIGHBOURS, self.random_state) if self.knn_weight != 0 else None,
            NeuralOccupations(random_state=self.random_state) if self.network_weight != 0 else None,
        ]
        return tuple(
            part if part is None else part.fit(training, occupation_skills, skill_uris, occupation_uris)
            for part in parts
        )

    @staticmethod
    def _part_scores(profile, knn, network, queries, presence, network_empty) -> dict[str, np.ndarray]:
        """``profile``, ``vote``, ``network`` and ``coverage`` scores (queries x occupations;
        zeros for a part left out, and for the coverage when ``presence`` is None); ``network_empty``
        is :func:`_network_empty` of ``network`` (None without one), computed once per fit, not per batch."""
        profile_scores = SkillProfileLM.score(profile, queries)
        zeros = np.zeros_like(profile_scores)
        return {
            "profile": profile_scores,
            "vote": _log_vote(knn, queries) if knn is not None else zeros,
            "network": _network_lift(network, network_empty, queries) if network is not None else zeros,
            "coverage": _coverage(presence, queries) if presence is not None else zeros,
        }

    @staticmethod
    def _combine(parts: dict[str, np.ndarray], weights: tuple[float, float, float]) -> np.ndarray:
        knn, network, coverage = weights
        return parts["profile"] + knn * parts["vote"] + network * parts["network"] + coverage * parts["coverage"]

    # --- fitting -----------------------------------------------------------------------------

    def fit(self, training, occupation_skills, skill_uris, occupation_uris) -> SkillProfileStack:
        """Tune ``mu`` and the weights on cross-fitted folds of training employers, then fit every part on all."""
        vocab = _Vocabulary(skill_uris, occupation_uris)
        folds = []
        for fold, (inner, held) in enumerate(employer_folds(training, self.n_folds)):
            adverts, truth = _advert_matrix(held, vocab)
            subsets, parents = sample_subqueries(
                adverts, STACK_SUBQUERIES_PER_ADVERT, random_state=self.random_state + fold
            )
            if adverts.shape[0]:
                folds.append(
                    (inner, sparse.vstack([adverts, subsets]).tocsr(), np.concatenate([truth, truth[parents]]))
                )
        self.validation_scores_ = {}
        self.mu_ = self.mu if self.mu is not None else self._tune_mu(folds, occupation_skills, vocab)
        self.knn_weight_, self.network_weight_, self.coverage_weight_ = self._tune_weights(
            folds, occupation_skills, vocab
        )
        self._fit_profile(training, occupation_skills, vocab.skill_uris, vocab.occupation_uris, self.mu_)
        self.presence_ = _presence(self) if self.coverage_weight_ else None
        _, self.knn_, self.network_ = self._fit_parts(
            training, occupation_skills, vocab.skill_uris, vocab.occupation_uris, self.mu_, profile=False
        )
        self.network_empty_ = None if self.network_ is None else _network_empty(self.network_)
        return self

    def _tune_mu(self, folds, occupation_skills, vocab: _Vocabulary) -> float:
        """The smoothing mass of :data:`MU_GRID` with the best top-5 of the profile alone on the folds."""
        if not folds:
            return FALLBACK_MU
        scores = {}
        for mu in MU_GRID:
            profiles = [
                SkillProfileLM(mu, self.essential_weight, self.optional_weight, self.prior_weight).fit(
                    inner, occupation_skills, vocab.skill_uris, vocab.occupation_uris
                )
                for inner, _, _ in folds
            ]
            scores[mu] = _hits(
                np.concatenate(
                    [
                        _ranks(profile.score(queries[start : start + SCORE_BATCH]), truth[start : start + SCORE_BATCH])
                        for profile, (_, queries, truth) in zip(profiles, folds)
                        for start in range(0, queries.shape[0], SCORE_BATCH)
                    ]
                )
            )
        self.validation_scores_["mu"] = scores
        return max(scores, key=lambda mu: (scores[mu]["top5"], scores[mu]["mrr"], -mu))

    def _tune_weights(self, folds, occupation_skills, vocab: _Vocabulary) -> tuple[float, float, float]:
        """The vote's, the network's and the coverage's weights: given, or tuned jointly on the
        cross-fitted queries: the largest coverage weight whose top-5 is within
        :data:`COVERAGE_TOLERANCE` of the best setting's, then the best top-5, MRR and smaller weights."""
        grids = [
            grid if weight is None else (float(weight),)
            for weight, grid in (
                (self.knn_weight, KNN_WEIGHT_GRID),
                (self.network_weight, NETWORK_WEIGHT_GRID),
                (self.coverage_weight, COVERAGE_WEIGHT_GRID),
            )
        ]
        settings = list(itertools.product(*grids))
        if len(settings) == 1 or not folds:
            return settings[0] if len(settings) == 1 else (0.0, 0.0, 0.0)
        ranks = {setting: [] for setting in settings}
        for inner, queries, truth in folds:
            parts = self._fit_parts(inner, occupation_skills, vocab.skill_uris, vocab.occupation_uris, self.mu_)
            presence = _presence(parts[0]) if len(grids[2]) > 1 or grids[2][0] else None
            network_empty = None if parts[2] is None else _network_empty(parts[2])
            for start in range(0, queries.shape[0], SCORE_BATCH):
                batch = queries[start : start + SCORE_BATCH]
                scores = {  # single precision: 180 weighted sums per batch
                    name: part.astype(np.float32)
                    for name, part in self._part_scores(*parts, batch, presence, network_empty).items()
                }
                for setting in settings:
                    ranks[setting].append(_ranks(self._combine(scores, setting), truth[start : start + SCORE_BATCH]))
        scores = {setting: _hits(np.concatenate(r)) for setting, r in ranks.items()}
        self.validation_scores_["weights"] = scores
        best = max(score["top5"] for score in scores.values())
        near = [setting for setting, score in scores.items() if score["top5"] >= best - COVERAGE_TOLERANCE]
        return max(near, key=lambda s: (s[2], scores[s]["top5"], scores[s]["mrr"], -sum(s)))

    # --- scoring -----------------------------------------------------------------------------

    def score(self, queries) -> np.ndarray:
        """The profile's scores plus the weighted vote, network lift and coverage."""
        queries = sparse.csr_matrix(queries)
        return np.vstack(
            [
                self._score_batch(queries[start : start + SCORE_BATCH])
                for start in range(0, queries.shape[0], SCORE_BATCH)
            ]
            or [np.empty((0, len(self.occupation_uris)))]
        )

    def _score_batch(self, queries: sparse.csr_matrix) -> np.ndarray:
        scores = super().score(queries)
        if self.knn_ is not None and self.knn_weight_:
            scores += self.knn_weight_ * _log_vote(self.knn_, queries)
        if self.network_ is not None and self.network_weight_:
            scores += self.network_weight_ * _network_lift(self.network_, self.network_empty_, queries)
        if self.coverage_weight_:
            scores += self.coverage_weight_ * _coverage(self.presence_, queries)
        return scores

    def score_one(self, skill_columns: Sequence[int]) -> np.ndarray:
        """One query given its skill columns (the API's hot path), as :meth:`score` ranks it."""
        columns = sorted(set(skill_columns))
        query = sparse.csr_matrix(
            (np.ones(len(columns)), ([0] * len(columns), columns)), shape=(1, len(self.skill_uris))
        )
        return self._score_batch(query)[0]
