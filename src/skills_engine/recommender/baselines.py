"""Stronger baselines for the recommender: what a data scientist would try first.

A supervised multi-class model over skill vectors (:class:`LogisticOccupations`), a
k-nearest-adverts vote (:class:`NearestAdverts`), and the published methods of ``rankers`` with
the popularity prior the project's model has (:class:`WithPopularityPrior`), so the comparison
in ``evaluation`` is fair. Same conventions as ``rankers``: ``fit(training, occupation_skills,
skill_uris, occupation_uris)`` returns ``self``, learned attributes end in ``_``, ``score``
returns queries x occupations. Every setting below was chosen on a validation split carved
from the training employers only.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import sparse

from skills_engine.recommender.rankers import (
    NestaSkillProfile,  # noqa: F401  (the doctest of with_popularity_prior wraps it)
    _l2_normalise,
    _Vocabulary,
    log_popularity_prior,
)

#: Inverse L2 regularisation strength ``C`` of :class:`LogisticOccupations` (scikit-learn's
#: ``C``, unitless; larger trusts the training adverts more). On a validation split carved from
#: the training employers of the evaluation (2,600 adverts; the test employers never used),
#: C = 0.3, 1 and 3 gave top-5 0.723, 0.728 and 0.722 and MRR 0.560, 0.564 and 0.561: 1.0.
LOGISTIC_C = 1.0
#: Cap on L-BFGS iterations (iterations, not seconds). On the real training set (9.4k adverts,
#: 2.2k of the 13.9k skill columns occurring, 385 occupations) L-BFGS converged in 86
#: iterations, 13-30 s on two cores (less when the machine is quiet); the cap bounds the fit time if the corpus grows.
LOGISTIC_MAX_ITER = 200
#: ``class_weight`` of the logistic model: none. ``"balanced"`` cut validation top-5 from 0.73
#: to 0.31 (C = 1, same validation split): up-weighting rare occupations puts them at the top
#: of every ranking, while the held-out truth follows the mix of occupations employers advertise.
LOGISTIC_CLASS_WEIGHT = None
#: Score (log-probability units) of occupations no training advert has: far below any
#: log-probability the classifier gives (float64 log-softmax stays above about -1e3 here),
#: so they always rank last, and finite so scores stay safe to add, sort or serialise.
UNSEEN_SCORE = -1e9

#: Neighbours (training adverts) that vote in :class:`NearestAdverts`. On the validation split
#: of training employers, TF-IDF cosine with k = 10, 25, 50, 100 and 200 gave top-5 0.625,
#: 0.675, 0.697, 0.710 and 0.720 and MRR 0.484, 0.526, 0.535, 0.534 and 0.522: 100 keeps MRR at
#: its best while top-5 still rises (binary cosine was 1-3 points lower throughout).
KNN_NEIGHBOURS = 100
#: Queries scored at once by :class:`NearestAdverts` (queries; memory is this times the number
#: of training adverts in float64: 512 x 10k adverts is about 40 MB).
KNN_BATCH = 512
#: Weight (score units) of the popularity share that orders occupations no neighbour voted
#: for: far below the smallest vote (a cosine similarity, above 1e-3 for any shared skill),
#: so it only breaks ties instead of ranking them all level last.
POPULARITY_TIE_BREAK = 1e-6

#: Prior weights tried by :class:`WithPopularityPrior` (multiplying the log popularity share,
#: in log-score units). On log-scaled similarities the tuned weights on the real data were 0.5
#: (DWP, Nesta) and 1.0 (ESCO overlap); the grid spans 0 (the method unchanged) to 5 (popularity
#: all but alone). At their best weights log-scaling matched per-query standardisation (z-scores
#: over occupations) or beat it: a second check on the same split (1,608 adverts, wider grid)
#: put log-scaling ahead by 1.5 (DWP), 0.9 (Nesta) and 2.5 (ESCO overlap) points of top-5.
PRIOR_WEIGHT_GRID = (0.0, 0.1, 0.2, 0.3, 0.5, 0.7, 1.0, 1.5, 2.0, 3.0, 5.0)
#: Share of training employers held out to tune the prior weight (the test employers are
#: never seen: the tuning happens inside ``fit``, on the training adverts it is given).
PRIOR_VALIDATION_SHARE = 0.2
#: Floor added to a similarity before its log (similarity units, 0-1): scores below it count as
#: "no evidence", so the prior alone orders occupations that share no skill with the query.
SCORE_FLOOR = 1e-3
#: Column of ``training`` that groups adverts for the prior's validation split (adverts
#: without one, or a ``training`` without the column, form a group each, as in the employer split).
GROUP_COLUMN = "employer"


def _advert_matrix(training: pd.DataFrame, vocab: _Vocabulary) -> tuple[sparse.csr_matrix, np.ndarray]:
    """Binary adverts x skills matrix and each advert's occupation index (adverts of unknown occupations dropped)."""
    pairs = training.assign(
        _row=training["occupation_uri"].map(vocab.occupation_index),
        _col=training["skill_uri"].map(vocab.skill_index),
    ).dropna(subset=["_row"])
    advert_codes, advert_ids = pd.factorize(pairs["advert_id"], sort=True)
    occupation_of = np.zeros(len(advert_ids), dtype=int)
    occupation_of[advert_codes] = pairs["_row"].astype(int).to_numpy()  # one occupation per advert
    known = pairs["_col"].notna().to_numpy()
    matrix = sparse.csr_matrix(
        (np.ones(int(known.sum())), (advert_codes[known], pairs.loc[known, "_col"].astype(int).to_numpy())),
        shape=(len(advert_ids), len(vocab.skill_uris)),
    )
    matrix.data[:] = 1.0  # duplicated (advert, skill) pairs count once
    return matrix, occupation_of


def _ranks(scores: np.ndarray, truth: np.ndarray) -> np.ndarray:
    """1-based rank of the true column in each row, ties against the truth (as the evaluation ranks)."""
    return (scores >= scores[np.arange(len(truth)), truth][:, None]).sum(axis=1)


class AdvertClassifier:
    """A scikit-learn classifier from one binary skill row per training advert to its occupation.

    The shared fitting and scoring of :class:`LogisticOccupations` and
    :class:`~skills_engine.recommender.classifier.NeuralOccupations`: only skill columns that occur
    in training are features; a query's score for an occupation is the classifier's
    log-probability, and occupations with no training advert get :data:`UNSEEN_SCORE`, so they
    rank last. A subclass gives the estimator (``_estimator``), its log-probabilities
    (``_log_proba``) and, optionally, extra training rows (``_training_rows``) or a feature dtype
    (``_features``).
    """

    def _estimator(self, n_rows: int):
        raise NotImplementedError

    def _log_proba(self, features) -> np.ndarray:
        raise NotImplementedError

    def _training_rows(self, adverts: sparse.csr_matrix, labels: np.ndarray) -> tuple[sparse.csr_matrix, np.ndarray]:
        return adverts, labels

    def _features(self, rows: sparse.csr_matrix):
        return rows[:, self.columns_]

    def fit(self, training, occupation_skills, skill_uris, occupation_uris):
        """Fit the classifier on the training adverts' rows; ``occupation_skills`` is unused."""
        import warnings

        from sklearn.exceptions import ConvergenceWarning

        vocab = _Vocabulary(skill_uris, occupation_uris)
        adverts, labels = self._training_rows(*_advert_matrix(training, vocab))
        self.columns_ = np.flatnonzero(adverts.getnnz(axis=0))
        self.classes_ = np.unique(labels)
        self.model_ = None
        if len(self.classes_) > 1:
            self.model_ = self._estimator(adverts.shape[0])
            with warnings.catch_warnings():  # each subclass caps its iterations on purpose
                warnings.simplefilter("ignore", ConvergenceWarning)
                self.model_.fit(self._features(adverts), labels)
        self.skill_uris, self.occupation_uris = vocab.skill_uris, vocab.occupation_uris
        return self

    def score(self, queries) -> np.ndarray:
        """Log-probability of each seen occupation, :data:`UNSEEN_SCORE` for the others."""
        queries = sparse.csr_matrix(queries)
        scores = np.full((queries.shape[0], len(self.occupation_uris)), UNSEEN_SCORE)
        if self.model_ is None:
            scores[:, self.classes_] = 0.0  # a single occupation: certain
        elif queries.shape[0]:
            scores[:, self.model_.classes_] = self._log_proba(self._features(queries))
        return scores


class LogisticOccupations(AdvertClassifier):
    """Supervised baseline: multinomial logistic regression from an advert's skills to its occupation.

    One training row per advert (its binary skill vector, labelled with its occupation), fitted
    by scikit-learn's ``LogisticRegression`` (L-BFGS, multinomial loss, L2 penalty). A query's
    score for an occupation is the model's log-probability; occupations with no training advert
    cannot be predicted and get :data:`UNSEEN_SCORE`, so they rank last. Only skill columns that
    occur in training are fitted (the others would keep zero weights under the L2 penalty).

    Parameters
    ----------
    C : float
        Inverse regularisation strength (see :data:`LOGISTIC_C`).
    max_iter : int
        Cap on solver iterations (see :data:`LOGISTIC_MAX_ITER`).
    class_weight : dict, "balanced" or None
        Passed to ``LogisticRegression`` (see :data:`LOGISTIC_CLASS_WEIGHT`).
    random_state : int
        Seed passed to the solver (L-BFGS is deterministic; kept for a uniform interface).

    Attributes
    ----------
    model_ : sklearn.linear_model.LogisticRegression or None
        The fitted classifier (None when training has a single occupation).
    classes_ : numpy.ndarray
        Column indexes (in ``occupation_uris``) of the occupations seen in training.
    columns_ : numpy.ndarray
        Skill columns that occur in training, the classifier's features.
    """

    def __init__(
        self,
        C: float = LOGISTIC_C,
        max_iter: int = LOGISTIC_MAX_ITER,
        class_weight: dict | str | None = LOGISTIC_CLASS_WEIGHT,
        random_state: int = 42,
    ):
        self.C = C
        self.max_iter = max_iter
        self.class_weight = class_weight
        self.random_state = random_state

    def _estimator(self, n_rows: int):
        from sklearn.linear_model import LogisticRegression

        return LogisticRegression(
            C=self.C, class_weight=self.class_weight, max_iter=self.max_iter, random_state=self.random_state
        )

    def _log_proba(self, features) -> np.ndarray:
        from scipy.special import log_softmax

        logits = self.model_.decision_function(features)
        if logits.ndim == 1:  # two classes: the logit of classes_[1] against classes_[0]
            logits = np.column_stack([np.zeros_like(logits), logits])
        return log_softmax(logits, axis=1)


class NearestAdverts:
    """k-nearest-adverts baseline: the training adverts most like the query vote for their occupation.

    Adverts and queries are TF-IDF weighted skill vectors (smoothed IDF over training adverts, as
    :class:`NestaSkillProfile` weights occupations), compared by cosine similarity. The
    ``n_neighbors`` most similar training adverts each add their similarity to their occupation's
    score; occupations nobody voted for are ordered by popularity (:data:`POPULARITY_TIE_BREAK`).

    Parameters
    ----------
    n_neighbors : int
        Voting neighbours, in training adverts (see :data:`KNN_NEIGHBOURS`); capped at the
        number of training adverts.
    random_state : int
        Unused (the method is deterministic); kept for a uniform interface.

    Attributes
    ----------
    idf_ : numpy.ndarray
        Inverse document frequency of each skill over training adverts.
    advert_vectors_ : scipy.sparse.csr_matrix
        L2-normalised TF-IDF vector of each training advert.
    advert_occupations_ : numpy.ndarray
        Occupation column of each training advert.
    n_neighbors_ : int
        The number of voting neighbours actually used.
    popularity_share_ : numpy.ndarray
        Share of training adverts per occupation (the tie-break).
    """

    def __init__(self, n_neighbors: int = KNN_NEIGHBOURS, random_state: int = 42):
        self.n_neighbors = n_neighbors
        self.random_state = random_state

    def fit(self, training, occupation_skills, skill_uris, occupation_uris) -> NearestAdverts:
        """Index the training adverts; ``occupation_skills`` is unused."""
        vocab = _Vocabulary(skill_uris, occupation_uris)
        adverts, labels = _advert_matrix(training, vocab)
        document_frequency = np.asarray((adverts > 0).sum(axis=0)).ravel()
        self.idf_ = np.log((1 + adverts.shape[0]) / (1 + document_frequency)) + 1
        self.advert_vectors_ = _l2_normalise(adverts @ sparse.diags(self.idf_)).tocsr()
        self.advert_occupations_ = labels
        self.n_neighbors_ = max(1, min(self.n_neighbors, adverts.shape[0]))
        counts = np.bincount(labels, minlength=len(vocab.occupation_uris)).astype(float)
        self.popularity_share_ = counts / max(counts.sum(), 1.0)
        self.skill_uris, self.occupation_uris = vocab.skill_uris, vocab.occupation_uris
        return self

    def score(self, queries) -> np.ndarray:
        """Similarity-weighted votes of the nearest training adverts, per occupation."""
        queries = _l2_normalise(sparse.csr_matrix(queries) @ sparse.diags(self.idf_))
        n_occupations, k = len(self.occupation_uris), self.n_neighbors_
        scores = np.tile(POPULARITY_TIE_BREAK * self.popularity_share_, (queries.shape[0], 1))
        if len(self.advert_occupations_) == 0:
            return scores
        for start in range(0, queries.shape[0], KNN_BATCH):
            similarity = (queries[start : start + KNN_BATCH] @ self.advert_vectors_.T).toarray()
            nearest = (
                np.argpartition(-similarity, k - 1, axis=1)[:, :k]
                if k < similarity.shape[1]
                else np.tile(np.arange(similarity.shape[1]), (similarity.shape[0], 1))
            )
            cells = np.arange(similarity.shape[0])[:, None] * n_occupations + self.advert_occupations_[nearest]
            votes = np.bincount(  # each (query, occupation) cell sums its neighbours' similarities: the vote
                cells.ravel(),
                weights=np.take_along_axis(similarity, nearest, axis=1).ravel(),
                minlength=similarity.shape[0] * n_occupations,
            )
            scores[start : start + KNN_BATCH] += votes.reshape(similarity.shape[0], n_occupations)
        return scores


def validation_split(training: pd.DataFrame, random_state: int) -> tuple[pd.DataFrame, pd.DataFrame] | None:
    """``(inner, held)`` rows of ``training``: :data:`PRIOR_VALIDATION_SHARE` of its employers held out.

    Adverts are grouped by :data:`GROUP_COLUMN` when ``training`` has it, else each advert is its
    own group; ``None`` when there are fewer than two groups to split.
    """
    from sklearn.model_selection import GroupShuffleSplit

    adverts = training.drop_duplicates("advert_id")
    groups = "advert:" + adverts["advert_id"].astype(str)
    if GROUP_COLUMN in adverts:
        groups = adverts[GROUP_COLUMN].astype("string").str.lower().str.strip().fillna(groups)
    if groups.nunique() < 2:
        return None
    splitter = GroupShuffleSplit(n_splits=1, test_size=PRIOR_VALIDATION_SHARE, random_state=random_state)
    inner_idx, validation_idx = next(splitter.split(adverts, groups=groups))
    inner = training.loc[training["advert_id"].isin(adverts["advert_id"].iloc[inner_idx])]
    held = training.loc[training["advert_id"].isin(adverts["advert_id"].iloc[validation_idx])]
    return inner, held


def weight_grid_scores(base: np.ndarray, extra: np.ndarray, truth: np.ndarray, grid) -> dict:
    """``{weight: {"top5", "mrr", "n"}}`` of ranking by ``base + weight * extra`` for each weight of ``grid``.

    >>> weight_grid_scores(np.array([[1.0, 0.0]]), np.array([[0.0, 2.0]]), np.array([1]), (0.0, 1.0))
    {0.0: {'top5': 1.0, 'mrr': 0.5, 'n': 1}, 1.0: {'top5': 1.0, 'mrr': 1.0, 'n': 1}}
    """
    results = {}
    for weight in grid:
        ranks = _ranks(base + weight * extra, truth)
        results[float(weight)] = {
            "top5": float(np.mean(ranks <= 5)),
            "mrr": float(np.mean(1.0 / ranks)),
            "n": len(truth),
        }
    return results


def _log_scale(scores: np.ndarray) -> np.ndarray:
    """Similarities (0-1, negatives clipped to 0) on a log scale, floored at :data:`SCORE_FLOOR`."""
    return np.log(np.clip(scores, 0.0, None) + SCORE_FLOOR)


class WithPopularityPrior:
    """A published method with the popularity prior the project's model uses.

    Scores become ``log(max(score, 0) + SCORE_FLOOR) + prior_weight_ * log_prior_``: the method's
    similarity on a log scale (so the prior multiplies it, as a prior multiplies a likelihood)
    plus the weighted log share of training adverts per occupation, computed as
    :class:`SkillProfileLM` computes its ``log_prior_`` (:func:`log_popularity_prior`). Meant
    for methods whose scores are similarities or shares >= 0 (cosine, overlap shares).

    With ``prior_weight=None`` the weight is tuned inside ``fit``: a fresh copy of ``method``
    is fitted on training adverts of ``1 - PRIOR_VALIDATION_SHARE`` of the training employers
    (split with ``random_state``), each weight of :data:`PRIOR_WEIGHT_GRID` ranks the others'
    adverts, and the weight with the best top-5 (then MRR, then the smaller weight) is kept.
    The method is then refitted on all of ``training``. Adverts are grouped by
    :data:`GROUP_COLUMN` when ``training`` has it, else each advert is its own group.

    Parameters
    ----------
    method : ranker
        An unfitted ranker (``fit``/``score`` as in this module); it is copied, never fitted itself.
    prior_weight : float or None
        Weight of the log prior; None tunes it on the validation split.
    random_state : int
        Seed of the validation split.

    Attributes
    ----------
    method_ : ranker
        The copy of ``method`` fitted on all of ``training``.
    prior_weight_ : float
        The weight used (given, or tuned; 0.0 when too few groups to validate on).
    validation_scores_ : dict
        ``{weight: {"top5": ..., "mrr": ..., "n": ...}}`` on the validation split (empty when not tuned).
    log_prior_ : numpy.ndarray
        Log popularity share of each occupation over all of ``training``.
    """

    def __init__(self, method=None, prior_weight: float | None = None, random_state: int = 42):
        self.method = method
        self.prior_weight = prior_weight
        self.random_state = random_state

    def fit(self, training, occupation_skills, skill_uris, occupation_uris) -> WithPopularityPrior:
        """Tune the prior weight on training employers (unless given), then fit the method on all of ``training``."""
        import copy

        if self.method is None:
            raise ValueError("WithPopularityPrior needs a method to wrap")
        vocab = _Vocabulary(skill_uris, occupation_uris)
        self.validation_scores_ = {}
        if self.prior_weight is None:
            self.validation_scores_ = self._validate(training, occupation_skills, vocab)
            scores = self.validation_scores_
            # best top-5, then best MRR, then the smaller weight
            self.prior_weight_ = max(scores, key=lambda w: (scores[w]["top5"], scores[w]["mrr"], -w)) if scores else 0.0
        else:
            self.prior_weight_ = float(self.prior_weight)
        self.method_ = copy.deepcopy(self.method).fit(training, occupation_skills, skill_uris, occupation_uris)
        self.log_prior_ = log_popularity_prior(training, vocab.occupation_uris)
        self.skill_uris, self.occupation_uris = vocab.skill_uris, vocab.occupation_uris
        return self

    def _validate(self, training: pd.DataFrame, occupation_skills: pd.DataFrame, vocab: _Vocabulary) -> dict:
        import copy

        split = validation_split(training, self.random_state)
        if split is None:
            return {}
        inner, held = split
        queries, truth = _advert_matrix(held, vocab)
        if queries.shape[0] == 0:
            return {}
        model = copy.deepcopy(self.method).fit(inner, occupation_skills, vocab.skill_uris, vocab.occupation_uris)
        scaled = _log_scale(model.score(queries))
        log_prior = log_popularity_prior(inner, vocab.occupation_uris)
        return weight_grid_scores(scaled, log_prior, truth, PRIOR_WEIGHT_GRID)

    def score(self, queries) -> np.ndarray:
        """The method's log-scaled scores plus ``prior_weight_`` times the log popularity share."""
        return _log_scale(self.method_.score(queries)) + self.prior_weight_ * self.log_prior_


def with_popularity_prior(method_class: type):
    """A constructor ``(random_state=42, prior_weight=None, **params)`` for ``method_class`` with the prior.

    ``params`` go to ``method_class``; the result is a :class:`WithPopularityPrior`.

    >>> model = with_popularity_prior(NestaSkillProfile)(random_state=7)
    >>> type(model.method).__name__, model.prior_weight, model.random_state
    ('NestaSkillProfile', None, 7)
    """

    def make(random_state: int = 42, prior_weight: float | None = None, **params) -> WithPopularityPrior:
        return WithPopularityPrior(
            method_class(random_state=random_state, **params), prior_weight=prior_weight, random_state=random_state
        )

    make.__name__ = make.__qualname__ = f"{method_class.__name__}WithPopularityPrior"
    make.__doc__ = f":class:`{method_class.__name__}` with the popularity prior (:class:`WithPopularityPrior`)."
    return make
