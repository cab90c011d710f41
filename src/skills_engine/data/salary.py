"""Parse free-text UK advert salaries into GBP amounts, a pay period and an annual figure.

Adverts state pay in many ways: Reed's ``"£18,000 - £22,000 per annum, pro-rata"``,
Adzuna's ``"20000 - 30000/annum 20-30K"``, NHS Jobs' ``"£24,907 - £30,615 pa"`` or bare
``"24907"`` with a schema.org ``unitText``, hourly ``"£8.21ph"``, day rates ``"£100pd"``.
:func:`parse_salary` reads one string; :func:`parse_salaries` does a whole column, parsing
each distinct (text, unit hint) pair once.

How a string is read
--------------------
1. Noise that holds digits but no pay is removed first: dates, clock times, percentages,
   labels such as ``Band 5`` or ``Level 3``, counts and durations such as ``37.5 hours per
   week`` or ``2 years``, and business figures such as ``£1.5m`` or ``£1,500,000 turnover``.
2. The remaining amounts are grouped into ranges (``A - B``, ``A to B``, ``between A and
   B``, ``A rising to B``) and lists of pay points (``£24,214 / £26,220 / £27,260``). The
   pay is the first group that reads as money (a ``£``, a ``k``, pence, four figures or a
   period word after it); later groups are usually OTE, a bonus or a restatement
   (``"20000 - 30000/annum 20-30K"``, ``"£29,000 plus £4,000 welcome bonus"``).
3. The period is the first period word after the group and before the next amount, else
   the last one just before the group; either is taken as stated. Failing both, the
   candidates are a period word later in the text (``"+ Bonus per year"``), then
   ``unit_hint``, then the magnitude of the amount, and the first that gives a plausible
   annual salary wins.
4. If either annual bound falls outside
   [:data:`~skills_engine.config.SALARY_MIN_PLAUSIBLE_GBP`,
   :data:`~skills_engine.config.SALARY_MAX_PLAUSIBLE_GBP`] the salary is not believed.

``"up to £40,000"`` gives ``max_gbp=40000`` and no minimum; ``"from £25,000"`` the reverse;
``annual_gbp`` is then the single stated bound (as Adzuna's ``SalaryNormalized`` does).
Pro-rata salaries are full-time equivalents and are kept as stated.

Failure codes
-------------
``empty``
    None, NaN or blank.
``no_amount``
    No digits at all ("Competitive", "Negotiable", "DOE", "TBC").
``masked``
    The pay figure is masked with asterisks (Adzuna's ``£****``).
``not_gbp``
    A euro or dollar amount and no pound sign. (Reed's ``‚¬`` is a mangled euro sign;
    Adzuna's 2013 sample has a few ``$`` amounts that Adzuna itself counted as pounds,
    refused here all the same: a wrong currency is worse than a missing salary.)
``unparsed``
    Digits, but none is a pay amount (``"Band 5"``, ``"£1,500,000 turnover"``).
``unsupported_period``
    Pay per session, shift, visit, mile... which cannot be annualised.
``ambiguous_period``
    No period stated or hinted and an amount between
    :data:`DAILY_MAX_GBP` and :data:`~skills_engine.config.SALARY_MIN_PLAUSIBLE_GBP`.
``implausible``
    An annual figure outside the plausible range; amounts and period are kept.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

import pandas as pd

from skills_engine.config import (
    DAYS_PER_YEAR,
    HOURS_PER_YEAR,
    MONTHS_PER_YEAR,
    SALARY_MAX_PLAUSIBLE_GBP,
    SALARY_MIN_PLAUSIBLE_GBP,
    WEEKS_PER_YEAR,
)
from skills_engine.data.salary_patterns import (
    AMOUNT,
    AND_GAP,
    BETWEEN,
    DASHES,
    DIGIT,
    DOT_THOUSANDS,
    FOREIGN,
    FROM,
    GBP_WORD,
    HINTS,
    LIST_GAP,
    MASK,
    MOJIBAKE_POUND,
    NOISE,
    PENCE,
    PERIOD,
    POUND,
    RANGE_GAP,
    UP_TO,
)

__all__ = ["ParsedSalary", "parse_salary", "parse_salaries", "PERIODS", "OUTPUT_COLUMNS"]

#: Pay periods, shortest first.
PERIODS: tuple[str, ...] = ("hour", "day", "week", "month", "year")

#: How many of each period make a year (config constants: 37.5 h x 52 weeks, 252 working days).
PERIODS_PER_YEAR: dict[str, int] = {
    "hour": HOURS_PER_YEAR,
    "day": DAYS_PER_YEAR,
    "week": WEEKS_PER_YEAR,
    "month": MONTHS_PER_YEAR,
    "year": 1,
}

#: GBP. An amount with no stated period below this is an hourly rate: UK advertised hourly
#: pay runs from the minimum wage (about £6-£12) to locum and consultant rates near £90,
#: while day rates under £100 are rare.
HOURLY_MAX_GBP = 100
#: GBP. An unlabelled amount from HOURLY_MAX_GBP up to this is a day rate: contractor and
#: locum day rates run about £100-£1,000. Weekly pay overlaps this band, but adverts nearly
#: always label it ("per week"), whereas "£450" alone is the usual shorthand for a day rate.
DAILY_MAX_GBP = 1_000
# From DAILY_MAX_GBP to SALARY_MIN_PLAUSIBLE_GBP an unlabelled amount could be weekly or
# monthly pay (or a pro-rata annual sum): no guess is made ("ambiguous_period"). From
# SALARY_MIN_PLAUSIBLE_GBP up it is annual: a weekly or monthly wage that large is always
# labelled, and any smaller annual figure would be implausible anyway.

#: Ratio. Pounds amounts separated only by "/", "," or spaces are read as one list of pay
#: points (min to max) when the largest is at most this multiple of the smallest: an NHS
#: band's points span about 1.25x, whereas "£28,328 / £14.15" (annual and hourly) or
#: "£25,000, £2,000 bonus" are different things.
LIST_MAX_RATIO = 2

#: Output columns of :func:`parse_salaries`, in order, matching the ParsedSalary fields.
OUTPUT_COLUMNS: tuple[str, ...] = (
    "salary_min_gbp",
    "salary_max_gbp",
    "salary_period",
    "salary_annual_min_gbp",
    "salary_annual_max_gbp",
    "salary_annual_gbp",
    "salary_failure",
)

# Failure codes (see the module docstring).
EMPTY = "empty"
NO_AMOUNT = "no_amount"
MASKED = "masked"
NOT_GBP = "not_gbp"
UNPARSED = "unparsed"
UNSUPPORTED_PERIOD = "unsupported_period"
AMBIGUOUS_PERIOD = "ambiguous_period"
IMPLAUSIBLE = "implausible"


@dataclass(frozen=True)
class ParsedSalary:
    """One parsed salary string.

    ``min_gbp``/``max_gbp`` are in the advert's own ``period``; ``annual_*`` are annualised
    with :data:`PERIODS_PER_YEAR` and are null whenever ``failure`` is set.
    """

    min_gbp: float | None
    max_gbp: float | None
    period: str | None
    annual_min_gbp: float | None
    annual_max_gbp: float | None
    annual_gbp: float | None  # annualised midpoint (or the one stated bound)
    failure: str | None


def _failed(reason: str) -> ParsedSalary:
    return ParsedSalary(None, None, None, None, None, None, reason)


def _is_missing(value: object) -> bool:
    if value is None:
        return True
    if isinstance(value, (str, bytes, list, tuple, dict)):
        return False
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def _as_text(value: object) -> str:
    """A value as text; numbers (NHS figures stored as numbers) without a spurious ``.0``."""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return f"{value:.2f}".removesuffix(".00")
    return str(value)


def _normalise(text: str) -> str:
    if "&" in text:
        text = html.unescape(text)  # "&amp;", "&#39;", "&pound;"
    text = MOJIBAKE_POUND.sub("£", text.lower().replace("\xa0", " "))
    return GBP_WORD.sub("£", DASHES.sub("-", text))


def _normalise_hint(hint: object) -> str | None:
    if _is_missing(hint):
        return None
    return HINTS.get(str(hint).strip().lower())


class _Amount:
    """One number found in the text, with what marks it as money."""

    __slots__ = ("start", "end", "value", "pound", "k", "plus", "masked", "pence", "dot_thousands")

    def __init__(self, match: re.Match[str]) -> None:
        self.start, self.end = match.span()
        self.pound = match["cur"] is not None
        self.k = match["k"] is not None
        self.plus = match["plus"] is not None
        self.masked = match["mask"] is not None
        digits = "" if self.masked else match["num"].replace(",", "").replace(" ", "")
        self.pence = bool(PENCE.fullmatch(digits))
        self.dot_thousands = bool(DOT_THOUSANDS.fullmatch(digits))
        self.value = float(digits) * (1000 if self.k else 1) if digits else None

    @property
    def moneylike(self) -> bool:
        """Marked as pay rather than a count: £, k, pence, or four figures or more."""
        return self.masked or self.pound or self.k or self.pence or self.value >= 1000


def _group_end(s: str, amounts: list[_Amount], i: int) -> tuple[int, bool]:
    """Last index of the group of amounts starting at ``i``, and whether it is a list.

    A group is a range of two ("£20,000 - £25,000", "£7 per hour to £8.50 per hour",
    "between £20k and £25k") or a list of pay points in pounds ("£24,214 / £26,220 /
    £27,260") whose values lie within :data:`LIST_MAX_RATIO` of each other.
    """
    if i + 1 < len(amounts):
        gap = PERIOD.sub(" ", s[amounts[i].end : amounts[i + 1].start])
        if RANGE_GAP.fullmatch(gap) or (AND_GAP.fullmatch(gap) and BETWEEN.search(s[: amounts[i].start])):
            return i + 1, False
    j = i
    while (
        j + 1 < len(amounts)
        and amounts[j].pound
        and amounts[j + 1].pound
        and not amounts[j + 1].masked
        and LIST_GAP.fullmatch(s[amounts[j].end : amounts[j + 1].start])
    ):
        values = [a.value for a in amounts[i : j + 2]]
        if not values[0] or max(values) > LIST_MAX_RATIO * min(values):
            break
        j += 1
    return j, j > i


def _is_pay(s: str, amounts: list[_Amount], group: tuple[int, int, bool]) -> bool:
    """Whether a group reads as pay: an amount marked as money, or a period word after it."""
    first, last, _ = group
    following = s[amounts[last].end : amounts[last + 1].start if last + 1 < len(amounts) else len(s)]
    return any(a.moneylike for a in amounts[first : last + 1]) or PERIOD.search(following) is not None


def _range_ends(low: _Amount, high: _Amount) -> tuple[float, float]:
    """Range ends with a shared "k" or a dropped "000" restored ("30-35k", "30-45000").

    A dot typed for a thousands separator is read as one when the other end is in
    thousands ("£21,892 - £24.157"), not otherwise ("£26.40 - £42.098" is hourly).
    """
    a, b = low.value, high.value
    if low.dot_thousands and b >= 1000 > a:
        a *= 1000
    if high.dot_thousands and a >= 1000 > b:
        b *= 1000
    if high.k and not low.k and a < 1000:
        a *= 1000
    elif low.k and not high.k and b < 1000:
        b *= 1000
    elif a < 1000 <= b and a * 1000 <= b:
        a *= 1000
    return (a, b) if a <= b else (b, a)


def _periods(segment: str) -> list[str]:
    return [match.lastgroup for match in PERIOD.finditer(segment)]


def _annualise(low: float | None, high: float | None, period: str) -> tuple[float | None, float | None, float, bool]:
    """Annual (min, max, midpoint) and whether every figure is plausible."""
    factor = PERIODS_PER_YEAR[period]
    a = None if low is None else round(low * factor, 2)
    b = None if high is None else round(high * factor, 2)
    present = [x for x in (a, b) if x is not None]
    mid = round(sum(present) / len(present), 2)
    plausible = all(SALARY_MIN_PLAUSIBLE_GBP <= x <= SALARY_MAX_PLAUSIBLE_GBP for x in present)
    return a, b, mid, plausible


def _period_from_magnitude(value: float) -> str | None:
    if value < HOURLY_MAX_GBP:
        return "hour"
    if value < DAILY_MAX_GBP:
        return "day"
    if value >= SALARY_MIN_PLAUSIBLE_GBP:
        return "year"
    return None


# --- public API ----------------------------------------------------------------------------


def parse_salary(text: object, unit_hint: str | None = None) -> ParsedSalary:
    """Parse one advert salary string.

    Parameters
    ----------
    text
        The advert's salary text (a number is accepted too, as NHS Jobs sometimes stores
        ``24907``). None, NaN and blank give ``failure="empty"``.
    unit_hint
        The period from a structured source (schema.org ``unitText``: ``"YEAR"``,
        ``"HOUR"``, ``"DAY"``, ``"WEEK"``, ``"MONTH"``), used when the text names none.
        If annualising with the hint is implausible, the amount's magnitude decides instead
        (NHS Jobs marks every advert ``YEAR``, hourly rates included).

    Returns
    -------
    ParsedSalary
        Amounts in the advert's own period, the period, annualised figures and a failure
        code (``None`` on success; see the module docstring for the codes).

    Examples
    --------
    >>> parse_salary("£18,000 - £22,000 per annum, pro-rata")
    ParsedSalary(min_gbp=18000.0, max_gbp=22000.0, period='year', annual_min_gbp=18000.0, annual_max_gbp=22000.0, annual_gbp=20000.0, failure=None)
    >>> parse_salary("£12.50 per hour").annual_gbp
    24375.0
    >>> s = parse_salary("Up to £13.50/hr")
    >>> (s.min_gbp, s.max_gbp, s.period, s.annual_gbp)
    (None, 13.5, 'hour', 26325.0)
    >>> parse_salary("30-35k").annual_gbp
    32500.0
    >>> parse_salary("24907", unit_hint="YEAR").period
    'year'
    >>> [parse_salary(t).failure for t in ("Competitive", None, "Band 5", "£****", "£12 per annum")]
    ['no_amount', 'empty', 'unparsed', 'masked', 'implausible']
    """
    if _is_missing(text):
        return _failed(EMPTY)
    raw = _as_text(text).strip()
    if not raw:
        return _failed(EMPTY)
    s = _normalise(raw)
    has_mask = MASK.search(s) is not None
    if not DIGIT.search(s):
        return _failed(MASKED if has_mask else NO_AMOUNT)
    if FOREIGN.search(s) and not POUND.search(s):
        return _failed(NOT_GBP)

    # Blank out noise with a separator so that no range is read across it.
    s = NOISE.sub(" ; ", s)
    amounts = [_Amount(m) for m in AMOUNT.finditer(s)]
    if not amounts:
        return _failed(MASKED if has_mask else UNPARSED)

    # Group amounts into ranges and lists; the pay is the first group that looks like
    # money, not a count ("Ages 16-18, £9ph"); later ones are usually OTE or a bonus.
    groups: list[tuple[int, int, bool]] = []  # (first index, last index, is a list)
    i = 0
    while i < len(amounts):
        j, is_list = _group_end(s, amounts, i)
        groups.append((i, j, is_list))
        i = j + 1

    first, last, is_list = next((g for g in groups if _is_pay(s, amounts, g)), groups[0])
    lo, hi = amounts[first], amounts[last]
    if lo.masked or hi.masked:
        return _failed(MASKED)

    # Bounds, with "up to"/"from" qualifiers on a single amount.
    if is_list:
        values = [a.value for a in amounts[first : last + 1]]
        low, high = min(values), max(values)
    elif first != last:
        low, high = _range_ends(lo, hi)
        # "0 to 13 per hour" is an upper bound only.
        low = None if low == 0 and high else low
    else:
        before = s[amounts[first - 1].end if first else 0 : lo.start][-24:]
        low = high = lo.value
        if lo.plus or FROM.search(before):
            high = None
        elif UP_TO.search(before):
            low = None

    # Period: right after the group, else just before it; these are taken even if implausible.
    next_start = amounts[last + 1].start if last + 1 < len(amounts) else len(s)
    prev_end = amounts[first - 1].end if first else 0
    stated = _periods(s[hi.end : next_start])[:1] or _periods(s[prev_end : lo.start])[-1:]
    if stated == ["other"]:
        return _failed(UNSUPPORTED_PERIOD)
    if stated:
        options = stated
    else:
        # Weaker evidence, in order, keeping the first that gives a plausible salary:
        # a period later in the text ("+ Bonus per year"), the hint, the magnitude.
        later = [p for p in _periods(s[next_start:]) if p != "other"][:1]
        bounds = [x for x in (low, high) if x is not None]
        magnitude = _period_from_magnitude(sum(bounds) / len(bounds))
        options = [p for p in [*later, _normalise_hint(unit_hint), magnitude] if p]
        if not options:
            return ParsedSalary(low, high, None, None, None, None, AMBIGUOUS_PERIOD)
    evaluated = [(period, _annualise(low, high, period)) for period in options]
    period, (a_min, a_max, a_mid, plausible) = next((e for e in evaluated if e[1][3]), evaluated[0])
    if not plausible:
        return ParsedSalary(low, high, period, None, None, None, IMPLAUSIBLE)
    return ParsedSalary(low, high, period, a_min, a_max, a_mid, None)


def _key(value: object) -> object:
    """A hashable cache key; every missing value maps to None."""
    return None if _is_missing(value) else value


def parse_salaries(texts: pd.Series, unit_hints: pd.Series | None = None) -> pd.DataFrame:
    """Parse a column of salary strings, each distinct (text, hint) pair once.

    Parameters
    ----------
    texts
        Salary texts (or numbers); missing values give ``salary_failure="empty"``.
    unit_hints
        Optional period hints with the same index as ``texts`` (see :func:`parse_salary`).

    Returns
    -------
    pandas.DataFrame
        Columns :data:`OUTPUT_COLUMNS` (floats, and strings for period and failure), on
        ``texts``' index.

    Examples
    --------
    >>> out = parse_salaries(pd.Series(["£30k", "£8.21ph", "Negotiable", "£30k"]))
    >>> out[["salary_period", "salary_annual_gbp", "salary_failure"]]
      salary_period  salary_annual_gbp salary_failure
    0          year            30000.0           <NA>
    1          hour            16009.5           <NA>
    2          <NA>                NaN      no_amount
    3          year            30000.0           <NA>
    """
    if unit_hints is None:
        hints = [None] * len(texts)
    elif not unit_hints.index.equals(texts.index):
        raise ValueError("unit_hints must have the same index as texts")
    else:
        hints = unit_hints.tolist()
    cache: dict[tuple[object, object], tuple] = {}
    rows = []
    for text, hint in zip(texts.tolist(), hints):
        key = (_key(text), _key(hint))
        try:
            row = cache.get(key)
        except TypeError:  # unhashable text (a list or dict): parse without caching
            key, row = None, None
        if row is None:
            parsed = parse_salary(text, hint)
            row = (
                parsed.min_gbp,
                parsed.max_gbp,
                parsed.period,
                parsed.annual_min_gbp,
                parsed.annual_max_gbp,
                parsed.annual_gbp,
                parsed.failure,
            )
            if key is not None:
                cache[key] = row
        rows.append(row)
    frame = pd.DataFrame(rows, columns=list(OUTPUT_COLUMNS), index=texts.index)
    numeric = [c for c in OUTPUT_COLUMNS if c.endswith("_gbp")]
    return frame.astype({**{c: "float64" for c in numeric}, "salary_period": "string", "salary_failure": "string"})
