"""Every named setting shared across chapters, with its unit and the reason for its value.

Paths and the environment variables that move them live in :mod:`skills_engine.paths`;
publication rules in :mod:`skills_engine.disclosure`. Settings used by one module only live
beside the code that uses them.
"""

from __future__ import annotations

#: The twelve UK ITL1 regions, in the order ONS publishes them.
REGIONS: tuple[str, ...] = (
    "North East",
    "North West",
    "Yorkshire and The Humber",
    "East Midlands",
    "West Midlands",
    "East of England",
    "London",
    "South East",
    "South West",
    "Wales",
    "Scotland",
    "Northern Ireland",
)

#: Region used when a run does not name one: where the engine began.
DEFAULT_REGION = "North East"

# --- Salary plausibility -------------------------------------------------------------
#: Lowest annual salary (GBP/year) we believe. Below this the parser has almost certainly
#: misread a unit (e.g. an hourly rate with no unit); a full-time year at the 2013 minimum
#: wage was about £11,500, and part-time pro-rata adverts rarely fall under £5,000.
SALARY_MIN_PLAUSIBLE_GBP = 5_000
#: Highest annual salary (GBP/year) we believe: above this it is a typo, a total contract
#: value or a concatenation of two numbers. Consultant and director roles top out near £300k.
SALARY_MAX_PLAUSIBLE_GBP = 500_000
#: Hours in a full-time working year (37.5 h/week x 52 weeks), used to annualise hourly rates.
HOURS_PER_YEAR = 1_950
#: Working days a year (5 days x 52 weeks, less 8 bank holidays) to annualise day rates.
DAYS_PER_YEAR = 252
WEEKS_PER_YEAR = 52
MONTHS_PER_YEAR = 12

# --- Publication ---------------------------------------------------------------------
#: Smallest group (adverts) whose count, share or median is published. Below 10 a figure
#: can identify a single employer's adverts and its sampling error swamps the signal; 10 is
#: also the threshold ONS uses for low-count disclosure control in many releases.
MIN_PUBLISHED_COUNT = 10

#: Default sample size (adverts per source) used by notebooks' default parameters so that
#: they run in seconds; full runs pass ``sample_size: null`` from ``params/``.
DEFAULT_SAMPLE_SIZE = 2_000

#: Seed for every random step (sampling, bootstrap, splits), so that runs are repeatable.
RANDOM_STATE = 42


def slugify(name: str) -> str:
    """URL-safe slug for a region or title.

    >>> slugify("Yorkshire and The Humber")
    'yorkshire-and-the-humber'
    """
    import re

    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")


def region_for_slug(slug: str) -> str | None:
    """The region whose slug is ``slug`` (or whose name slugifies to it), else ``None``.

    >>> region_for_slug("north-east"), region_for_slug("North East"), region_for_slug("atlantis")
    ('North East', 'North East', None)
    """
    wanted = slugify(str(slug))
    return next((region for region in REGIONS if slugify(region) == wanted), None)
