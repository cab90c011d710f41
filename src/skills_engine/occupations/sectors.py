"""Occupations to Indeed Hiring Lab sectors, for growth figures.

Indeed publishes its job postings index for 48 occupational sectors with two example titles
each, but no crosswalk to ISCO. ``resources/isco_indeed_sectors.csv`` is a hand-written
correspondence from ISCO-08 groups (longest matching code prefix wins) to those sectors,
written from the ISCO-08 group definitions and Indeed's example titles. Groups with no
sensible Indeed sector (farming, forestry, fishing) map to nothing (an empty cell), and the
growth figure then says so.
"""

from __future__ import annotations

from skills_engine import getters

#: ISCO-08 code prefix -> Indeed sector (``None``: no sector fits), from
#: ``resources/isco_indeed_sectors.csv``. Longest prefix wins.
ISCO_TO_SECTOR: dict[str, str | None] = getters.read_isco_sectors()


def sector_for_isco(code: object) -> str | None:
    """Indeed sector for an ISCO-08 code (longest matching prefix), or ``None``.

    >>> sector_for_isco("2221"), sector_for_isco("2261"), sector_for_isco("6111")
    ('Nursing', 'Dental', None)
    """
    text = str(code or "").strip()
    for length in range(len(text), 0, -1):
        if text[:length] in ISCO_TO_SECTOR:
            return ISCO_TO_SECTOR[text[:length]]
    return None
