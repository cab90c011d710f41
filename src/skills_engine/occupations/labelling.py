"""Each advert labelled with an ESCO occupation from its title, and the confidence we trust."""

from __future__ import annotations

import pandas as pd

from skills_engine import getters
from skills_engine.occupations.titles import TitleNormaliser

#: Title matches below this confidence (0-1) are not trusted as an advert's occupation; the
#: hand-labelled titles show precision falls away below it (see notebook 03).
MIN_TITLE_CONFIDENCE = 0.6
#: Curated tables that decide how a title is matched: a change to any of them relabels every advert.
TITLE_RULE_FILES = ("uk_title_synonyms.csv", "uk_places.csv")
#: Bumped when a change to the matcher's code changes its answers, so labels it made are rebuilt.
#: 2: ties between equally close occupations are broken the same way in every process.
TITLE_MATCHER_VERSION = 2


def title_rules_digest() -> str:
    """First 12 hex digits of the sha256 over :data:`TITLE_MATCHER_VERSION` and :data:`TITLE_RULE_FILES`,
    stored with the labels it made."""
    import hashlib

    digest = hashlib.sha256(f"title matcher {TITLE_MATCHER_VERSION}".encode())
    for name in TITLE_RULE_FILES:
        digest.update(getters.resource_file(name).read_bytes())
    return digest.hexdigest()[:12]


def advert_occupations(adverts: pd.DataFrame, normaliser=None) -> pd.DataFrame:
    """Canonical title and ESCO occupation for every advert (``advert_id`` plus the normaliser's columns)."""
    normaliser = normaliser or TitleNormaliser().fit()
    return pd.concat(
        [adverts[["advert_id"]].reset_index(drop=True), normaliser.transform(adverts["title"].reset_index(drop=True))],
        axis=1,
    )


def ensure_advert_occupations(adverts: pd.DataFrame | None = None, build=None) -> pd.DataFrame:
    """The processed advert occupations table, built (and written) if missing or stale.

    Stale means an advert without a label, or labels made under other title rules (the
    ``title_rules`` column, :func:`title_rules_digest`). ``build`` makes the table from the
    adverts (default :func:`advert_occupations`; the Spark engine passes its own).
    """
    adverts = adverts if adverts is not None else getters.read_adverts(columns=["advert_id", "title"])
    path = getters.processed_path("advert_occupations")
    rules = title_rules_digest()
    if path.is_file():
        table = getters.read_processed("advert_occupations")
        current = "title_rules" in table and table["title_rules"].eq(rules).all()
        if current and set(table["advert_id"]) >= set(adverts["advert_id"]):
            return table
    table = (build or advert_occupations)(adverts).assign(title_rules=rules)
    getters.write_processed(table, "advert_occupations")
    return table
