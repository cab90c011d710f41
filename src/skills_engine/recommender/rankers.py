"""Occupation rankers from skills: the project's model and the published methods it is compared with.

Besides the published methods the project's model is held to stronger baselines: a supervised
classifier (:class:`LogisticOccupations`), nearest training adverts (:class:`NearestAdverts`) and
the published methods with the same popularity prior the model uses (:class:`WithPopularityPrior`).

Every ranker follows scikit-learn's conventions: ``__init__`` stores hyperparameters, ``fit``
learns from training adverts (and ESCO) and returns ``self``, learned attributes end in ``_``.
``score(queries)`` takes a sparse binary matrix (queries x skills, columns in the order of
``skill_uris``) and returns a dense matrix (queries x occupations, in the order of
``occupation_uris``); higher is a better fit.

The shared inputs of ``fit``:

``training``
    One row per (advert, skill): ``advert_id``, ``occupation_uri``, ``skill_uri``. Adverts
    whose skills were *derived from their title's occupation* must be left out, or the
    model would learn ESCO back from itself.
``occupation_skills``
    ESCO relations: ``occupation_uri``, ``skill_uri``, ``relation_type`` (essential/optional).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import sparse


class _Vocabulary:
    """Column and row indexes shared by every ranker."""

    def __init__(self, skill_uris: Sequence[str], occupation_uris: Sequence[str]):
        self.skill_uris = list(skill_uris)
        self.occupation_uris = list(occupation_uris)
        self.skill_index = {uri: i for i, uri in enumerate(self.skill_uris)}
        self.occupation_index = {uri: i for i, uri in enumerate(self.occupation_uris)}

    def matrix(self, pairs: pd.DataFrame, row_col: str, weights: pd.Series | None = None) -> sparse.csr_matrix:
        """Occupation x skill matrix of summed ``weights`` (default 1) over (row, skill) pairs."""
        rows = pairs[row_col].map(self.occupation_index)
        cols = pairs["skill_uri"].map(self.skill_index)
        keep = rows.notna() & cols.notna()
        values = np.ones(int(keep.sum())) if weights is None else weights[keep].to_numpy(dtype=float)
        return sparse.csr_matrix(
            (values, (rows[keep].astype(int).to_numpy(), cols[keep].astype(int).to_numpy())),
            shape=(len(self.occupation_uris), len(self.skill_uris)),
        )


def query_matrix(skill_sets: Sequence[Sequence[str]], skill_uris: Sequence[str] | dict[str, int]) -> sparse.csr_matrix:
    """Binary queries x skills matrix from lists of skill URIs (unknown URIs are ignored).

    >>> query_matrix([["b", "a", "a"], ["z"]], ["a", "b", "c"]).toarray().tolist()
    [[1.0, 1.0, 0.0], [0.0, 0.0, 0.0]]
    """
    index = skill_uris if isinstance(skill_uris, dict) else {uri: i for i, uri in enumerate(skill_uris)}
    rows, cols = [], []
    for row, skills in enumerate(skill_sets):
        for col in {index[s] for s in skills if s in index}:
            rows.append(row)
            cols.append(col)
    return sparse.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(len(skill_sets), len(index)))


def log_popularity_prior(training: pd.DataFrame, occupation_uris: Sequence[str]) -> np.ndarray:
    """Log share of training adverts per occupation, add-one smoothed (occupations without adverts stay finite).

    The popularity prior of :class:`SkillProfileLM` and :class:`WithPopularityPrior`.

    >>> pairs = pd.DataFrame({"advert_id": ["a", "a", "b", "c"], "occupation_uri": ["x", "x", "x", "y"]})
    >>> np.exp(log_popularity_prior(pairs, ["x", "y", "z"])).round(3).tolist()
    [0.5, 0.333, 0.167]
    """
    index = {uri: i for i, uri in enumerate(occupation_uris)}
    adverts_per_occupation = (
        training.drop_duplicates("advert_id")["occupation_uri"].map(index).dropna().astype(int).to_numpy()
    )
    advert_counts = np.bincount(adverts_per_occupation, minlength=len(index))
    return np.log((advert_counts + 1.0) / (advert_counts.sum() + len(advert_counts)))


def _l2_normalise(matrix: sparse.spmatrix) -> sparse.csr_matrix:
    norms = np.sqrt(np.asarray(matrix.multiply(matrix).sum(axis=1)).ravel())
    norms[norms == 0] = 1.0
    return sparse.diags(1.0 / norms) @ sparse.csr_matrix(matrix)


class SkillProfileLM:
    """The project's model: each occupation is a smoothed language model over skills.

    Pseudo-counts combine what adverts ask for (each training advert adds 1 to each of its
    skills) with what ESCO says the occupation needs (``essential_weight`` and
    ``optional_weight`` per relation), so occupations with few adverts still have a profile.
    A query's score is its log-likelihood under the occupation's skill distribution with
    Dirichlet smoothing towards the corpus-wide skill distribution (query-likelihood
    retrieval), plus ``prior_weight`` times the log share of adverts for the occupation.

    Parameters
    ----------
    mu : float
        Dirichlet smoothing mass, in pseudo-counts. Larger trusts the background more.
    essential_weight, optional_weight : float
        Pseudo-counts added per ESCO essential / optional relation.
    prior_weight : float
        Weight of the log popularity prior (0 ignores how common an occupation is).
    random_state : int
        Unused (the model is deterministic); kept for a uniform interface.
    """

    def __init__(
        self,
        mu: float = 20.0,
        essential_weight: float = 2.0,
        optional_weight: float = 0.5,
        prior_weight: float = 0.5,
        random_state: int = 42,
    ):
        self.mu = mu
        self.essential_weight = essential_weight
        self.optional_weight = optional_weight
        self.prior_weight = prior_weight
        self.random_state = random_state

    def fit(
        self,
        training: pd.DataFrame,
        occupation_skills: pd.DataFrame,
        skill_uris: Sequence[str],
        occupation_uris: Sequence[str],
    ) -> SkillProfileLM:
        """Build each occupation's profile from ``training`` and ESCO, smoothed with ``mu``."""
        return self._fit_profile(training, occupation_skills, skill_uris, occupation_uris, self.mu)

    def _fit_profile(self, training, occupation_skills, skill_uris, occupation_uris, mu: float) -> SkillProfileLM:
        """:meth:`fit` with the smoothing mass given (a subclass may tune it), returning ``self``."""
        vocab = _Vocabulary(skill_uris, occupation_uris)
        relation_weight = (
            occupation_skills["relation_type"]
            .map({"essential": self.essential_weight, "optional": self.optional_weight})
            .fillna(0)
        )
        counts = vocab.matrix(training, "occupation_uri") + vocab.matrix(
            occupation_skills, "occupation_uri", relation_weight
        )
        column_totals = np.asarray(counts.sum(axis=0)).ravel()
        background = (column_totals + 1.0) / (column_totals.sum() + len(vocab.skill_uris))
        weights = counts.tocoo()
        weights.data = np.log1p(weights.data / (mu * background[weights.col]))
        self.vocabulary_ = vocab
        self.counts_ = counts.tocsr()
        self.weights_ = weights.tocsc()  # column slices (a query's skills) are the hot path
        self.length_penalty_ = np.log(np.asarray(counts.sum(axis=1)).ravel() + mu)
        self.log_prior_ = log_popularity_prior(training, vocab.occupation_uris)
        self.skill_uris = vocab.skill_uris
        self.occupation_uris = vocab.occupation_uris
        return self

    def score(self, queries: sparse.spmatrix) -> np.ndarray:
        queries = sparse.csr_matrix(queries)
        matched = np.asarray((queries @ self.weights_.T).todense())
        n_skills = np.asarray(queries.sum(axis=1)).reshape(-1, 1)
        return matched - n_skills * self.length_penalty_ + self.prior_weight * self.log_prior_

    def score_one(self, skill_columns: Sequence[int]) -> np.ndarray:
        """Fast path for one query given its skill column indexes (the API's hot path)."""
        columns = list(skill_columns)
        matched = (
            np.asarray(self.weights_[:, columns].sum(axis=1)).ravel()
            if columns
            else np.zeros(len(self.occupation_uris))
        )
        return matched - len(columns) * self.length_penalty_ + self.prior_weight * self.log_prior_


class PopularityRanker:
    """Baseline: the same ranking for everyone, by how many training adverts each occupation has."""

    def __init__(self, random_state: int = 42):
        self.random_state = random_state

    def fit(self, training, occupation_skills, skill_uris, occupation_uris) -> PopularityRanker:
        vocab = _Vocabulary(skill_uris, occupation_uris)
        index = training.drop_duplicates("advert_id")["occupation_uri"].map(vocab.occupation_index).dropna().astype(int)
        counts = np.bincount(index, minlength=len(vocab.occupation_uris)).astype(float)
        # ties broken by a fixed random jitter so the order is deterministic but not alphabetical
        jitter = np.random.default_rng(self.random_state).random(len(counts)) * 1e-6
        self.popularity_ = counts + jitter
        self.skill_uris, self.occupation_uris = vocab.skill_uris, vocab.occupation_uris
        return self

    def score(self, queries) -> np.ndarray:
        return np.tile(self.popularity_, (queries.shape[0], 1))


class DWPCooccurrenceSVD:
    """The DWP prototype's published method: count which skills occur under each job title,
    reduce the title x skill matrix with scikit-learn's ``TruncatedSVD``, and rank titles by
    cosine similarity to the person's skills projected into the same space.
    """

    def __init__(self, n_components: int = 100, random_state: int = 42):
        self.n_components = n_components
        self.random_state = random_state

    def fit(self, training, occupation_skills, skill_uris, occupation_uris) -> DWPCooccurrenceSVD:
        from sklearn.decomposition import TruncatedSVD

        vocab = _Vocabulary(skill_uris, occupation_uris)
        counts = vocab.matrix(training, "occupation_uri")
        n_components = max(1, min(self.n_components, min(counts.shape) - 1))
        self.svd_ = TruncatedSVD(n_components=n_components, random_state=self.random_state).fit(counts)
        self.occupation_vectors_ = _dense_normalise(self.svd_.transform(counts))
        self.skill_uris, self.occupation_uris = vocab.skill_uris, vocab.occupation_uris
        return self

    def score(self, queries) -> np.ndarray:
        return _dense_normalise(self.svd_.transform(sparse.csr_matrix(queries))) @ self.occupation_vectors_.T


def _dense_normalise(matrix: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return matrix / norms


class NestaSkillProfile:
    """Nesta's skill-profile similarity: occupations as TF-IDF-weighted profiles of the skills
    their adverts ask for, compared with the person's profile by cosine similarity (the
    distance Nesta's skills-taxonomy work uses between occupations' skill profiles).
    """

    def __init__(self, random_state: int = 42):
        self.random_state = random_state

    def fit(self, training, occupation_skills, skill_uris, occupation_uris) -> NestaSkillProfile:
        vocab = _Vocabulary(skill_uris, occupation_uris)
        counts = vocab.matrix(training, "occupation_uri")
        document_frequency = np.asarray((counts > 0).sum(axis=0)).ravel()
        self.idf_ = np.log((1 + counts.shape[0]) / (1 + document_frequency)) + 1
        self.profiles_ = _l2_normalise(counts @ sparse.diags(self.idf_))
        self.skill_uris, self.occupation_uris = vocab.skill_uris, vocab.occupation_uris
        return self

    def score(self, queries) -> np.ndarray:
        weighted = _l2_normalise(sparse.csr_matrix(queries) @ sparse.diags(self.idf_))
        return np.asarray((weighted @ self.profiles_.T).todense())


class EscoOverlap:
    """ESCO essential/optional overlap in the manner of Nesta's Career Causeways: the share of
    an occupation's essential skills the person has, plus ``optional_weight`` times the share
    of its optional skills. Uses ESCO only, no adverts.
    """

    def __init__(self, optional_weight: float = 0.5, random_state: int = 42):
        self.optional_weight = optional_weight
        self.random_state = random_state

    def fit(self, training, occupation_skills, skill_uris, occupation_uris) -> EscoOverlap:
        vocab = _Vocabulary(skill_uris, occupation_uris)
        essential = vocab.matrix(occupation_skills.query("relation_type == 'essential'"), "occupation_uri")
        optional = vocab.matrix(occupation_skills.query("relation_type == 'optional'"), "occupation_uri")
        self.essential_ = _row_share(essential)
        self.optional_ = _row_share(optional)
        self.skill_uris, self.occupation_uris = vocab.skill_uris, vocab.occupation_uris
        return self

    def score(self, queries) -> np.ndarray:
        queries = sparse.csr_matrix(queries)
        return np.asarray((queries @ self.essential_.T + self.optional_weight * (queries @ self.optional_.T)).todense())


def _row_share(matrix: sparse.csr_matrix) -> sparse.csr_matrix:
    totals = np.asarray(matrix.sum(axis=1)).ravel()
    totals[totals == 0] = 1.0
    return sparse.diags(1.0 / totals) @ (matrix > 0).astype(float)
