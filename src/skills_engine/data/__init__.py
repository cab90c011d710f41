"""Data: from public sources to the tidy tables every later chapter reads (notebook 01).

Owns sourcing and checksum verification (``sourcing``), building the tidy tables in
``data/processed/`` (``tables``), the adverts of the three sources in one schema (``adverts``),
salary text to annual pounds (``salary``, with its patterns in ``salary_patterns``), adverts
placed in regions (``places``), the one HTML cleaner (``text``), the pandera schema
(``schema``), the ESCO, crosswalk, earnings and Indeed reference tables (``reference``) and the
descriptive tables of notebook 01 (``quality``).

May import from the top-level settings, paths, atomic writes, disclosure rules and getters only;
every other subpackage imports from here, never the reverse.
"""
