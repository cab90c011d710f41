"""Publication rules: which counts, shares and medians may leave ``data/``.

Every published figure (notebooks, the website, the API and the static try-it model) passes
through this module, so the rule lives in one place. The minimum itself is the named setting
:data:`skills_engine.config.MIN_PUBLISHED_COUNT` (adverts), with its reason there.

A group is *published* when at least ``min_count`` adverts stand behind it. Below that its
count, and every figure computed from it (share, median, ratio), is withheld: ``None`` for a
scalar, ``NaN`` in a table, with a ``suppressed`` flag so a reader can say what was held back.

A second rule guards against one employer's template: a share, median or location quotient is
published only when at least :data:`MIN_PUBLISHED_EMPLOYERS` distinct *known* employers stand
behind it as well (:func:`passes_rules`, :func:`rules_mask`). Adverts whose employer is unknown
(every Reed advert, most Adzuna ones) count towards the adverts but never as an employer: the
rule is conservative, since two unnamed adverts may well come from one employer.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd

from skills_engine.config import MIN_PUBLISHED_COUNT

#: Fewest distinct known employers (employers, not adverts) behind a published share, median or
#: location quotient. Adverts are not independent draws: an employer posting twenty adverts with
#: the same "about us" paragraph is one piece of evidence, not twenty. With fewer than five
#: employers one employer's template can dominate a figure (and its adverts be recognised); five
#: is the usual floor of the dominance rules of statistical disclosure control (the "n-k" rules).
MIN_PUBLISHED_EMPLOYERS = 5

__all__ = [
    "MIN_PUBLISHED_COUNT",
    "MIN_PUBLISHED_EMPLOYERS",
    "is_published",
    "passes_rules",
    "rules_mask",
    "published_count",
    "published_median",
    "published_share",
    "suppress_small",
    "suppressed_mask",
    "suppression_note",
]


def is_published(count: object, min_count: int = MIN_PUBLISHED_COUNT) -> bool:
    """Whether a group of ``count`` adverts may be published.

    >>> is_published(10), is_published(9), is_published(None), is_published(float("nan"))
    (True, False, False, False)
    """
    if count is None or (isinstance(count, float) and math.isnan(count)):
        return False
    return count >= min_count


def passes_rules(
    adverts: object,
    employers: object,
    min_count: int = MIN_PUBLISHED_COUNT,
    min_employers: int = MIN_PUBLISHED_EMPLOYERS,
) -> bool:
    """Whether a figure resting on ``adverts`` adverts from ``employers`` distinct known employers
    may be published: both rules, the adverts minimum and the employers minimum.

    ``employers`` counts named employers only; adverts without an employer add to ``adverts``
    but not to ``employers`` (conservative).

    >>> passes_rules(12, 5), passes_rules(12, 2), passes_rules(9, 9), passes_rules(40, None)
    (True, False, False, False)
    """
    return is_published(adverts, min_count) and is_published(employers, min_employers)


def rules_mask(
    adverts: pd.Series | np.ndarray,
    employers: pd.Series | np.ndarray,
    min_count: int = MIN_PUBLISHED_COUNT,
    min_employers: int = MIN_PUBLISHED_EMPLOYERS,
) -> pd.Series | np.ndarray:
    """``True`` where a group passes both rules (:func:`passes_rules` for a column; missing fails).

    >>> rules_mask(pd.Series([12, 12, 3]), pd.Series([5, 2, 3])).tolist()
    [True, False, False]
    """
    return ~suppressed_mask(adverts, min_count) & ~suppressed_mask(employers, min_employers)


def published_count(count: object, min_count: int = MIN_PUBLISHED_COUNT) -> int | None:
    """``count`` as an integer when it may be published, else ``None``.

    >>> published_count(12.0), published_count(3)
    (12, None)
    """
    return int(count) if is_published(count, min_count) else None


def published_share(
    count: object, total: object, min_count: int = MIN_PUBLISHED_COUNT, digits: int = 5
) -> float | None:
    """``count / total`` rounded to ``digits`` when ``count`` may be published and ``total`` is positive.

    >>> published_share(25, 1_000), published_share(5, 1_000), published_share(25, 0)
    (0.025, None, None)
    """
    if not is_published(count, min_count) or not total:
        return None
    return round(count / total, digits)


def published_median(median: object, count: object, min_count: int = MIN_PUBLISHED_COUNT) -> int | None:
    """A median (GBP) rounded to the pound when the ``count`` values behind it may be published.

    >>> published_median(28_412.5, 40), published_median(28_412.5, 4)
    (28412, None)
    """
    if median is None or not is_published(count, min_count):
        return None
    return round(median)


def suppressed_mask(counts: pd.Series | np.ndarray, min_count: int = MIN_PUBLISHED_COUNT) -> pd.Series | np.ndarray:
    """``True`` where a group is too small to publish (missing counts count as too small).

    >>> suppressed_mask(pd.Series([12, 3, None])).tolist()
    [False, True, True]
    """
    if isinstance(counts, pd.Series):
        return ~(counts.fillna(0) >= min_count)
    return ~(np.nan_to_num(np.asarray(counts, dtype=float)) >= min_count)


def suppress_small(
    frame: pd.DataFrame,
    count_column: str = "adverts",
    min_count: int = MIN_PUBLISHED_COUNT,
    value_columns: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Blank counts (and the figures computed from them) for groups smaller than ``min_count``.

    >>> t = pd.DataFrame({"group": ["a", "b"], "adverts": [12, 3], "median": [30_000.0, 18_000.0]})
    >>> suppress_small(t, value_columns=["median"]).to_dict("list")
    {'group': ['a', 'b'], 'adverts': [12.0, nan], 'median': [30000.0, nan], 'suppressed': [False, True]}
    """
    small = frame[count_column] < min_count
    columns = [count_column, *(value_columns or [])]
    return frame.assign(**{c: frame[c].astype(float).mask(small) for c in columns}, suppressed=small)


def suppression_note(what: str, where: str, min_count: int = MIN_PUBLISHED_COUNT) -> str:
    """The sentence that says why a figure is blank.

    >>> suppression_note("priced adverts", "North East")
    'fewer than 10 priced adverts in North East'
    >>> suppression_note("adverts", "nationally")
    'fewer than 10 adverts nationally'
    """
    place = where if where == "nationally" else f"in {where}"
    return f"fewer than {min_count} {what} {place}"


def rules_note(min_count: int = MIN_PUBLISHED_COUNT, min_employers: int = MIN_PUBLISHED_EMPLOYERS) -> str:
    """The sentence that states both publication rules.

    >>> rules_note()
    'at least 10 adverts from at least 5 distinct named employers'
    """
    return f"at least {min_count} adverts from at least {min_employers} distinct named employers"
