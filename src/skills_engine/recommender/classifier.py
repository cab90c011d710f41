"""A small neural network from skills to occupation, trained on adverts and on person-sized parts of them.

:class:`NeuralOccupations` is one of the three parts of the engine's stacked ranker
(:mod:`~skills_engine.recommender.stacking`): a one-hidden-layer perceptron (scikit-learn's
``MLPClassifier``) that learns which *combinations* of skills mark an occupation, where the
skill-profile model treats skills as independent. A person types three to five skills where an
advert carries more, so every training advert also lends a random sub-query of a few of its skills
with the same occupation (:func:`sample_subqueries`): the network learns what a short query means.

Same conventions as ``rankers``: ``fit(training, occupation_skills, skill_uris, occupation_uris)``
returns ``self``, learned attributes end in ``_``, ``score`` returns queries x occupations.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy import sparse

from skills_engine.recommender.baselines import UNSEEN_SCORE, AdvertClassifier

#: Hidden units of the network (units). On a validation split of training employers (1,608
#: held-out adverts; the test employers never used) 256 and 512 units gave top-5 0.726 and 0.732
#: on full adverts and 0.746 and 0.752 on 5-skill queries, within noise of each other: 256 is half
#: the weights and the fit time.
MLP_HIDDEN_UNITS = 256
#: L2 penalty of the network (scikit-learn's ``alpha``, unitless). 1e-4 (the library default) and
#: 1e-3 gave validation top-5 0.728 and 0.730 on full adverts, 0.668 and 0.667 on 3-skill queries
#: (twenty epochs each).
MLP_ALPHA = 1e-4
#: Passes over the training rows (epochs). Ten gave the same validation top-5 as twenty (0.726 and
#: 0.728 on full adverts, 0.746 and 0.735 on 5-skill queries) in half the time (18 s on 7.8k
#: adverts without sub-queries, two cores); the network is stopped there on purpose.
MLP_EPOCHS = 10
#: Precision of the network's inputs and weights: single. On the validation split it gave the same
#: top-5 as double precision to four decimals, in 32 s against 51 s for one fit (two busy cores).
MLP_DTYPE = np.float32
#: Rows per gradient step (rows): small enough for several hundred steps an epoch on ten
#: thousand adverts, large enough to keep the dense output layer's products efficient.
MLP_BATCH_SIZE = 256
#: Learning rate of the Adam optimiser (scikit-learn's default, unitless).
MLP_LEARNING_RATE = 1e-3
#: Random sub-queries each training advert lends to the network (queries per advert). One lifted
#: validation top-5 on 3-skill queries from 0.673 to 0.684 (logistic regression: 0.650 to 0.685
#: with two), at 0.4 points on full adverts, which the stack's other parts make up.
SUBQUERIES_PER_ADVERT = 1
#: Sizes a sub-query may take (skills), drawn uniformly among those smaller than its advert:
#: what a person types, from one skill to five.
SUBQUERY_SIZES = (1, 2, 3, 4, 5)


def sample_subqueries(
    queries: sparse.spmatrix,
    n_per_row: int,
    sizes: Sequence[int] = SUBQUERY_SIZES,
    random_state: int = 42,
) -> tuple[sparse.csr_matrix, np.ndarray]:
    """Random subsets of each row's skills: ``n_per_row`` per row with at least two skills.

    Each subset's size is drawn uniformly from the ``sizes`` smaller than its row's number of
    skills (so a subset is always a proper part of its row); rows with one skill lend none.

    Parameters
    ----------
    queries : scipy.sparse matrix
        Binary rows x skills.
    n_per_row : int
        Subsets drawn from each row that has at least two skills.
    sizes : sequence of int
        The sizes a subset may take, in skills.
    random_state : int
        Seed of the draw.

    Returns
    -------
    subsets : scipy.sparse.csr_matrix
        One binary row per subset, columns as ``queries``.
    parents : numpy.ndarray
        The row of ``queries`` each subset came from.

    Examples
    --------
    >>> rows = sparse.csr_matrix(np.array([[1, 1, 1, 0], [0, 0, 0, 1], [1, 0, 0, 1]]))
    >>> subsets, parents = sample_subqueries(rows, 2, sizes=(1, 2), random_state=0)
    >>> parents.tolist(), (subsets.multiply(rows[parents]) != subsets).nnz  # every skill from its row
    ([0, 0, 2, 2], 0)
    >>> subsets[2:].sum(axis=1).ravel().tolist()  # a two-skill row lends one-skill subsets only
    [[1.0, 1.0]]
    """
    queries = sparse.csr_matrix(queries)
    rng = np.random.default_rng(random_state)
    sizes = np.asarray(sorted(set(sizes)), dtype=int)
    rows, cols, parents = [], [], []
    for row in range(queries.shape[0]):
        skills = queries.indices[queries.indptr[row] : queries.indptr[row + 1]]
        allowed = sizes[sizes < len(skills)]
        if len(allowed) == 0:
            continue
        for _ in range(n_per_row):
            picked = rng.choice(skills, size=int(rng.choice(allowed)), replace=False)
            rows.extend([len(parents)] * len(picked))
            cols.extend(picked.tolist())
            parents.append(row)
    subsets = sparse.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(len(parents), queries.shape[1]))
    return subsets, np.asarray(parents, dtype=int)


class NeuralOccupations(AdvertClassifier):
    """A one-hidden-layer network from an advert's skills to its occupation, also fitted on sub-queries.

    One training row per advert (its binary skill vector, labelled with its occupation) plus
    ``n_subqueries`` random parts of it (:func:`sample_subqueries`), fitted by scikit-learn's
    ``MLPClassifier`` (ReLU, Adam, softmax output) in single precision (:data:`MLP_DTYPE`). A
    query's score for an occupation is the network's log-probability; occupations with no
    training advert get :data:`~skills_engine.recommender.baselines.UNSEEN_SCORE`. Only skill
    columns that occur in training are inputs.

    Parameters
    ----------
    hidden_units : int
        Hidden layer width (see :data:`MLP_HIDDEN_UNITS`).
    alpha : float
        L2 penalty (see :data:`MLP_ALPHA`).
    max_iter : int
        Epochs (see :data:`MLP_EPOCHS`).
    n_subqueries : int
        Sub-queries per training advert (see :data:`SUBQUERIES_PER_ADVERT`); 0 trains on whole adverts only.
    random_state : int
        Seed of the sub-queries, the weights' initialisation and the batches.

    Attributes
    ----------
    model_ : sklearn.neural_network.MLPClassifier or None
        The fitted network (None when training has fewer than two occupations).
    classes_ : numpy.ndarray
        Columns (in ``occupation_uris``) of the occupations seen in training.
    columns_ : numpy.ndarray
        Skill columns that occur in training, the network's inputs.
    """

    def __init__(
        self,
        hidden_units: int = MLP_HIDDEN_UNITS,
        alpha: float = MLP_ALPHA,
        max_iter: int = MLP_EPOCHS,
        n_subqueries: int = SUBQUERIES_PER_ADVERT,
        random_state: int = 42,
    ):
        self.hidden_units = hidden_units
        self.alpha = alpha
        self.max_iter = max_iter
        self.n_subqueries = n_subqueries
        self.random_state = random_state

    def _training_rows(self, adverts, labels):
        if not self.n_subqueries:
            return adverts, labels
        subsets, parents = sample_subqueries(adverts, self.n_subqueries, random_state=self.random_state)
        return sparse.vstack([adverts, subsets]).tocsr(), np.concatenate([labels, labels[parents]])

    def _features(self, rows):
        return rows[:, self.columns_].astype(MLP_DTYPE)

    def _estimator(self, n_rows: int):
        from sklearn.neural_network import MLPClassifier

        return MLPClassifier(
            hidden_layer_sizes=(self.hidden_units,),
            alpha=self.alpha,
            batch_size=min(MLP_BATCH_SIZE, n_rows),
            learning_rate_init=MLP_LEARNING_RATE,
            max_iter=self.max_iter,
            random_state=self.random_state,
        )

    def _log_proba(self, features) -> np.ndarray:
        with np.errstate(divide="ignore"):  # a probability of exactly 0 is -inf, floored here
            return np.maximum(np.log(self.model_.predict_proba(features)), UNSEEN_SCORE / 2)
