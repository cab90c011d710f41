"""The project's model with the nearest adverts' vote: a skill-profile likelihood plus neighbours.

The engine ranked with this blend until :class:`~skills_engine.recommender.stacking.SkillProfileStack`
(which adds a neural network and tunes the profile's smoothing) replaced it; it stays in the
evaluation as the previous engine.

The skill-profile language model (:class:`~skills_engine.recommender.rankers.SkillProfileLM`)
scores every occupation, including those no advert mentions, from its ESCO profile; the
k-nearest-adverts vote (:class:`~skills_engine.recommender.baselines.NearestAdverts`) knows
which whole combinations of skills employers put in one advert, which a profile of independent
skills cannot. :class:`SkillProfileBlend` adds the vote, on a log scale, to the model's
log-likelihood; its weight is tuned inside ``fit`` on employers held out of the training
adverts, so the test employers are never seen. Being a ``SkillProfileLM``, it keeps the
profile counts the engine reads for matched and missing skills.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy import sparse

from skills_engine.recommender.baselines import (
    KNN_NEIGHBOURS,
    NearestAdverts,
    _advert_matrix,
    _log_scale,
    validation_split,
    weight_grid_scores,
)
from skills_engine.recommender.rankers import SkillProfileLM, _Vocabulary

#: Weights of the log nearest-adverts vote tried against the model's log-likelihood (score
#: units: one unit multiplies the likelihood by e per e-fold of vote). 0 is the model alone.
BLEND_WEIGHT_GRID = (0.0, 0.25, 0.5, 1.0, 1.5, 2.0, 3.0, 5.0)


class SkillProfileBlend(SkillProfileLM):
    """:class:`SkillProfileLM` plus ``knn_weight_`` times the log of the nearest adverts' vote.

    Parameters
    ----------
    mu, essential_weight, optional_weight, prior_weight, random_state
        As :class:`SkillProfileLM` (``random_state`` also seeds the validation split).
    knn_weight : float or None
        Weight of the log vote; ``None`` tunes it on the validation split (best top-5, then MRR,
        then the smaller weight) over :data:`BLEND_WEIGHT_GRID`.
    n_neighbors : int
        Voting training adverts (:data:`~skills_engine.recommender.baselines.KNN_NEIGHBOURS`).

    Attributes
    ----------
    knn_ : NearestAdverts
        Fitted on all of ``training``.
    knn_weight_ : float
    validation_scores_ : dict
        ``{weight: {"top5", "mrr", "n"}}`` on the validation split (empty when not tuned).
    """

    def __init__(
        self,
        mu: float = 20.0,
        essential_weight: float = 2.0,
        optional_weight: float = 0.5,
        prior_weight: float = 0.5,
        random_state: int = 42,
        knn_weight: float | None = None,
        n_neighbors: int = KNN_NEIGHBOURS,
    ):
        super().__init__(mu, essential_weight, optional_weight, prior_weight, random_state)
        self.knn_weight = knn_weight
        self.n_neighbors = n_neighbors

    def _parts(self, training, occupation_skills, skill_uris, occupation_uris):
        model = SkillProfileLM(
            self.mu, self.essential_weight, self.optional_weight, self.prior_weight, self.random_state
        )
        knn = NearestAdverts(self.n_neighbors, self.random_state)
        return (
            model.fit(training, occupation_skills, skill_uris, occupation_uris),
            knn.fit(training, occupation_skills, skill_uris, occupation_uris),
        )

    def fit(self, training, occupation_skills, skill_uris, occupation_uris) -> SkillProfileBlend:
        """Tune the vote's weight on held-out training employers (unless given), then fit both parts on all."""
        self.validation_scores_ = {}
        if self.knn_weight is None:
            self.validation_scores_ = self._validate(training, occupation_skills, skill_uris, occupation_uris)
            scores = self.validation_scores_
            self.knn_weight_ = max(scores, key=lambda w: (scores[w]["top5"], scores[w]["mrr"], -w)) if scores else 0.0
        else:
            self.knn_weight_ = float(self.knn_weight)
        super().fit(training, occupation_skills, skill_uris, occupation_uris)
        self.knn_ = NearestAdverts(self.n_neighbors, self.random_state).fit(
            training, occupation_skills, skill_uris, occupation_uris
        )
        return self

    def _validate(self, training, occupation_skills, skill_uris, occupation_uris) -> dict:
        split = validation_split(training, self.random_state)
        if split is None:
            return {}
        inner, held = split
        queries, truth = _advert_matrix(held, _Vocabulary(skill_uris, occupation_uris))
        if queries.shape[0] == 0:
            return {}
        model, knn = self._parts(inner, occupation_skills, skill_uris, occupation_uris)
        likelihood, vote = model.score(queries), _log_scale(knn.score(queries))
        return weight_grid_scores(likelihood, vote, truth, BLEND_WEIGHT_GRID)

    def score(self, queries) -> np.ndarray:
        """The model's scores plus ``knn_weight_`` times the log vote."""
        base = super().score(queries)
        return base + self.knn_weight_ * _log_scale(self.knn_.score(queries)) if self.knn_weight_ else base

    def score_one(self, skill_columns: Sequence[int]) -> np.ndarray:
        """One query given its skill columns (the API's hot path), as :meth:`score` ranks it."""
        base = super().score_one(skill_columns)
        if not self.knn_weight_:
            return base
        columns = sorted(set(skill_columns))
        query = sparse.csr_matrix(
            (np.ones(len(columns)), ([0] * len(columns), columns)), shape=(1, len(self.skill_uris))
        )
        return base + self.knn_weight_ * _log_scale(self.knn_.score(query))[0]
