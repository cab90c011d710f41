"""Occupations: each advert's title mapped to an ESCO occupation (with ISCO-08 and SOC 2010 codes).

``title_cleaning`` turns a raw advert title into a canonical job title (pay, places, contract
and agency noise removed); ``titles`` matches canonical titles to ESCO occupation labels
(``TitleNormaliser``) and scores it on the hand-labelled titles (``evaluate_titles``);
``labelling`` labels every advert and caches the table; ``sectors`` maps ISCO-08 groups to
Indeed Hiring Lab sectors. The curated tables they use (UK title synonyms, UK places, the
ISCO to Indeed sector correspondence) live in ``skills_engine/resources`` and are read
through ``getters``. Modules here may import from ``config``, ``paths``, ``getters`` and
``data`` only, never from extraction, regional, recommender or the outputs.
"""
