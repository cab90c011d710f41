"""Regional comparison: one region against the rest of the UK, and all twelve side by side.

Owns location quotients and pay ratios with bootstrap intervals (``comparison``), growth of job
postings from the Indeed index by region, nation and sector (``growth``), the tile map of the
twelve regions (``tiles``), the national counts computed once and cached for every region's run
(``inputs``) and the all-regions table (``overview``).

May import from ``data``, ``occupations``, ``extraction`` and the top-level settings, getters
and disclosure rules; never from ``recommender``, ``publish``, ``service``, ``bench`` or ``cli``.
"""
