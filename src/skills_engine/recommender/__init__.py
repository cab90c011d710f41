"""Recommender: job titles for a person's skills, with salary, demand and growth (notebook 03).

Owns the rankers, ours (the skill-profile language model) and the published baselines
(``rankers``), the stronger baselines a data scientist would try first (``baselines``: logistic
regression, nearest adverts, published methods with the popularity prior), the engine's ranker
(``stacking``: the skill profile plus the nearest adverts' vote and a small neural network from
``classifier``, weights tuned on folds of training employers; ``blend`` is the ranker it replaced,
kept for comparison), typed skills resolved to ESCO by label, spelling or meaning (``resolver``), the
engine that ranks and attaches the published evidence (``engine``), its readable answer
(``formatting``), the training pairs and the rule that title-derived skills never enter
training or test (``training``), the held-out evaluation (``evaluation``, its intervals resampling
employers through the top-level ``intervals``), and the versioned engine artefact (``artifacts``).

May import from ``data``, ``occupations``, ``extraction``, ``regional`` (growth of postings) and
the top-level settings, paths, disclosure rules and getters; never from ``publish``,
``service``, ``bench`` or ``cli``, which serve what it computes.
"""
