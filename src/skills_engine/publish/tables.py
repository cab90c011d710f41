"""Tables for readers: every table a notebook shows goes through :func:`reader_table`.

A stakeholder reads the website, not a console: human column names, percentages as ``12.3%``,
counts as ``1,234``, money as ``£28,500``, an estimate and its interval in one column
(``1.34 [1.15–1.52]``), no index, a caption with the source and the sample size, and a sentence
instead of a table with no rows. Missing values read as a dash (or as "suppressed" where a rule
withheld them), never ``nan``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import numpy as np
import pandas as pd

#: What a withheld or missing value reads as.
MISSING = "–"
#: Most decimals shown for a plain number: more digits than the data can support are noise.
MAX_DECIMALS = 2


def format_count(value: object) -> str:
    """A count with thousands separators.

    >>> format_count(12345.0), format_count(float("nan"))
    ('12,345', '–')
    """
    return MISSING if _missing(value) else f"{float(value):,.0f}"


def format_percent(value: object, decimals: int = 1, signed: bool = False) -> str:
    """A share (0-1) as a percentage.

    >>> format_percent(0.1234), format_percent(-0.05, signed=True), format_percent(None)
    ('12.3%', '-5.0%', '–')
    """
    if _missing(value):
        return MISSING
    return f"{float(value):{'+' if signed else ''}.{decimals}%}"


def format_money(value: object) -> str:
    """An amount in pounds, to the pound.

    >>> format_money(28499.6), format_money(np.nan)
    ('£28,500', '–')
    """
    return MISSING if _missing(value) else f"£{float(value):,.0f}"


def format_number(value: object, decimals: int = MAX_DECIMALS) -> str:
    """A plain number with at most ``decimals`` decimals.

    >>> format_number(0.0091234), format_number(3.0), format_number(float("inf"))
    ('0.01', '3.00', '–')
    """
    return MISSING if _missing(value) else f"{float(value):,.{decimals}f}"


def format_interval(value: object, low: object, high: object, decimals: int = MAX_DECIMALS) -> str:
    """An estimate with its interval in one string.

    >>> format_interval(1.3412, 1.15, 1.5249)
    '1.34 [1.15–1.52]'
    >>> format_interval(1.2, None, None)
    '1.20'
    """
    if _missing(value):
        return MISSING
    text = format_number(value, decimals)
    if _missing(low) or _missing(high):
        return text
    return f"{text} [{format_number(low, decimals)}–{format_number(high, decimals)}]"


def _missing(value: object) -> bool:
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    try:
        return not np.isfinite(float(value))
    except (TypeError, ValueError):
        return False


def reader_table(
    frame: pd.DataFrame,
    columns: Mapping[str, str] | None = None,
    *,
    counts: Iterable[str] = (),
    percents: Iterable[str] = (),
    signed_percents: Iterable[str] = (),
    money: Iterable[str] = (),
    intervals: Mapping[str, tuple[str, str, str]] | None = None,
    caption: str = "",
    empty: str = "No rows to show.",
    max_rows: int | None = None,
):
    """A table ready for a reader: formatted strings, human names, caption, no index.

    Parameters
    ----------
    frame : DataFrame
        The data, in machine column names.
    columns : mapping, optional
        Machine name -> human name, in display order. Only these columns are shown (plus the
        ``intervals`` columns); without it every column is shown under its own name.
    counts, percents, signed_percents, money : iterables of str
        Machine names of columns shown as counts, shares (0-1 as ``12.3%``), changes
        (``+1.2%``) or pounds. Any other numeric column shows at most two decimals.
    intervals : mapping, optional
        Machine name of a new column -> ``(value, low, high)`` machine names, shown as
        ``1.34 [1.15–1.52]``. Name the new column in ``columns`` to place and title it.
    caption : str
        Source, date and sample size, shown under the table.
    empty : str
        The sentence shown instead of a table with no rows.
    max_rows : int, optional
        Rows shown at most (the caption should say the table is cut).

    Returns
    -------
    IPython display object
        A styled HTML table, or a Markdown sentence when ``frame`` has no rows.

    Examples
    --------
    >>> table = pd.DataFrame({"skill": ["sql"], "adverts": [1234.0], "share": [0.0912],
    ...                       "lq": [1.3412], "lq_low": [1.15], "lq_high": [1.5249]})
    >>> shown = reader_table(table, {"skill": "Skill", "adverts": "Adverts", "share": "Share", "lq_ci": "LQ [95% CI]"},
    ...                      counts=["adverts"], percents=["share"], intervals={"lq_ci": ("lq", "lq_low", "lq_high")},
    ...                      caption="Source: test")
    >>> shown.data.iloc[0].tolist()
    ['sql', '1,234', '9.1%', '1.34 [1.15–1.52]']
    >>> reader_table(table.iloc[0:0], empty="Nothing passes the rules.").data
    'Nothing passes the rules.'
    """
    from IPython.display import Markdown

    if frame.empty:
        return Markdown(empty)
    shown = frame.head(max_rows) if max_rows else frame
    formatted = pd.DataFrame(index=shown.index)
    for name, (value, low, high) in (intervals or {}).items():
        formatted[name] = [format_interval(v, lo, hi) for v, lo, hi in zip(shown[value], shown[low], shown[high])]
    formatters = (
        [(c, format_count) for c in counts]
        + [(c, format_percent) for c in percents]
        + [(c, lambda v: format_percent(v, signed=True)) for c in signed_percents]
        + [(c, format_money) for c in money]
    )
    by_column = dict(formatters)
    wanted = list(columns) if columns else list(shown.columns)
    for name in wanted:
        if name in formatted:
            continue
        if name not in shown:
            raise KeyError(f"reader_table: no column {name!r} (columns: {list(shown.columns)})")
        series = shown[name]
        if name in by_column:
            formatted[name] = series.map(by_column[name])
        elif pd.api.types.is_bool_dtype(series):
            formatted[name] = series.map({True: "yes", False: "no"})
        elif pd.api.types.is_numeric_dtype(series):
            integral = series.dropna().apply(float.is_integer).all() if series.dtype.kind == "f" else True
            formatted[name] = series.map(format_count if integral else format_number)
        else:
            formatted[name] = series.map(lambda v: MISSING if _missing(v) else str(v))
    formatted = formatted[wanted].rename(columns=dict(columns or {}))
    styler = formatted.style.hide(axis="index").set_table_attributes('class="reader-table"')
    return styler.set_caption(caption) if caption else styler
