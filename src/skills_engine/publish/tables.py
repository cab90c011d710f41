"""Tables for readers: every table a notebook shows goes through :func:`reader_table`.

A stakeholder reads the website, not a console: human column names, percentages as ``12.3%``,
counts as ``1,234``, money as ``£28,500``, an estimate and its interval in one column
(``1.34 [1.15–1.52]``), no index, a caption with the source and the sample size, and a sentence
instead of a table with no rows. Missing values read as a dash (or as "suppressed" where a rule
withheld them), never ``nan``; negative figures carry a true minus sign (``−1.2%``).

The table is a pandas ``Styler``: Jupyter shows it as HTML (``text/html``), and the website
shows that HTML as saved. It carries its own scrolling rule, so a wide table scrolls inside the
page's column instead of being cut off, in JupyterLab as on the site.
"""

from __future__ import annotations

import hashlib
import numbers
import re
from collections.abc import Iterable, Mapping

import numpy as np
import pandas as pd

# one rule for every figure a reader sees (a true minus, U+2212, and no sign on a zero) and one
# mark for a missing value (an en dash), shared with the lead tables and the recommender's answer
from skills_engine.intervals import MISSING, format_figure

#: What a value withheld by a publication rule reads as (see ``suppressed`` of :func:`reader_table`).
SUPPRESSED = "suppressed"
#: Most decimals shown for a plain number: more digits than the data can support are noise.
MAX_DECIMALS = 2
#: CSS class of every reader table (styled by the site's ``styles.css``).
TABLE_CLASS = "reader-table"
#: CSS class of the span that keeps an interval on one line.
INTERVAL_CLASS = "interval"
#: Inline rules the table carries, so it scrolls sideways instead of overflowing, in any page.
TABLE_STYLES = [
    {"selector": "", "props": [("display", "block"), ("max-width", "100%"), ("overflow-x", "auto")]},
    {"selector": "caption", "props": [("caption-side", "bottom"), ("text-align", "left")]},
    # narrow side padding: notebook 02's benchmark table and notebook 03's six-column table, their
    # intervals whole, then fit the page's column (measured in Chromium at a 1,280 px window)
    {"selector": "td, th", "props": [("padding", "0.25rem 0.4rem")]},
    # a narrow column may break a cell between its estimate and its interval, never inside the
    # brackets ("72.2% [69.8%–" over "74.7%]"); a whole cell kept on one line pushes columns off
    # the page. The interval, secondary to the estimate, is set a little smaller.
    {"selector": f"span.{INTERVAL_CLASS}", "props": [("white-space", "nowrap"), ("font-size", "0.85em")]},
]
#: An interval at the end of a cell: ``[1.15–1.52]`` or ``[+0.5, +2.6]``.
TRAILING_INTERVAL = re.compile(r"^(?P<estimate>.+) (?P<interval>\[[^\[\]]+\])$")


def format_count(value: object) -> str:
    """A count with thousands separators.

    >>> format_count(12345.0), format_count(7), format_count(float("nan")), format_count(-1500)
    ('12,345', '7', '–', '−1,500')
    """
    return MISSING if _missing(value) else format_figure(float(value), ",.0f")


def format_percent(value: object, decimals: int = 1, signed: bool = False) -> str:
    """A share (0-1) as a percentage, one decimal by default.

    >>> format_percent(0.1234), format_percent(-0.05, signed=True), format_percent(0.031, signed=True)
    ('12.3%', '−5.0%', '+3.1%')
    >>> format_percent(None), format_percent(-0.0001, signed=True), format_percent(-0.0001), format_percent(-0.05)
    ('–', '0.0%', '0.0%', '−5.0%')
    """
    return MISSING if _missing(value) else format_figure(float(value), f".{min(decimals, 1)}%", signed=signed)


def format_money(value: object) -> str:
    """An amount in pounds, to the pound; a negative amount is signed before the pound sign.

    >>> format_money(28499.6), format_money(np.nan), format_money(-1500), format_money(-0.4)
    ('£28,500', '–', '−£1,500', '£0')
    """
    return MISSING if _missing(value) else format_figure(float(value), ",.0f", prefix="£")


def format_number(value: object, decimals: int = MAX_DECIMALS) -> str:
    """A plain number with at most ``decimals`` decimals (never more than three).

    >>> format_number(0.0091234), format_number(3.0), format_number(-1.5), format_number(float("inf"))
    ('0.01', '3.00', '−1.50', '–')
    >>> format_number(-0.001)
    '0.00'
    """
    return MISSING if _missing(value) else format_figure(float(value), f",.{min(decimals, 3)}f")


def format_interval(
    value: object, low: object, high: object, decimals: int = MAX_DECIMALS, percent: bool = False
) -> str:
    """An estimate with its interval in one string.

    >>> format_interval(1.3412, 1.15, 1.5249)
    '1.34 [1.15–1.52]'
    >>> format_interval(0.612, 0.581, 0.6431, percent=True)
    '61.2% [58.1%–64.3%]'
    >>> format_interval(1.2, None, None), format_interval(None, 1, 2)
    ('1.20', '–')
    """
    if _missing(value):
        return MISSING
    show = format_percent if percent else format_number
    digits = 1 if percent else decimals
    text = show(value, digits)
    if _missing(low) or _missing(high):
        return text
    return f"{text} [{show(low, digits)}–{show(high, digits)}]"


def format_value(value: object, decimals: int = MAX_DECIMALS) -> str:
    """Any cell for a reader: numbers formatted, lists joined, missing as a dash.

    >>> format_value(0.123456), format_value(12.0), format_value(["a", "b"]), format_value(True), format_value(None)
    ('0.12', '12', 'a, b', 'yes', '–')
    >>> format_value(pd.Timestamp("2020-11-03")), format_value("nan")
    ('2020-11-03', '–')
    """
    if isinstance(value, (list, tuple, set, np.ndarray)):
        return ", ".join(format_value(item, decimals) for item in value) or MISSING
    if _missing(value):
        return MISSING
    if isinstance(value, (bool, np.bool_)):
        return "yes" if value else "no"
    if isinstance(value, pd.Timestamp):
        return value.strftime("%Y-%m-%d") if value == value.normalize() else value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, numbers.Integral):
        return format_count(value)
    if isinstance(value, numbers.Real):
        return format_count(value) if float(value).is_integer() else format_number(value, decimals)
    return str(value)


def _missing(value: object) -> bool:
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    if isinstance(value, str):
        return value.strip().lower() in {"", "nan", "none", "<na>", "nat"}
    try:
        return not np.isfinite(float(value))
    except (TypeError, ValueError):
        return False


def table_caption(title: str, source: str, n: int | None = None, unit: str = "adverts", date: str = "") -> str:
    """A caption that says what the table shows, its source (with date) and its sample size.

    >>> table_caption("Adverts by source", "NHS Jobs (2020), Reed, Adzuna (2013)", 34123)
    'Adverts by source. Source: NHS Jobs (2020), Reed, Adzuna (2013); n = 34,123 adverts.'
    >>> table_caption("Methods", "held-out adverts", date="built 2025-11-21")
    'Methods. Source: held-out adverts, built 2025-11-21.'
    >>> table_caption("Answer", "salary: adverts. growth: Indeed.")
    'Answer. Source: salary: adverts. growth: Indeed.'
    """
    text = f"{title.rstrip('.')}. Source: {source}"
    if date:
        text += f", {date}"
    if n is not None:
        text += f"; n = {format_count(n)} {unit}".rstrip()
    return text.rstrip(".") + "."  # a source that ends its own sentence gets no second full stop


def _formatted_column(series: pd.Series, formatter, decimals: int) -> pd.Series:
    if formatter is not None:
        return series.map(formatter)
    if pd.api.types.is_bool_dtype(series):
        return series.map(lambda v: MISSING if _missing(v) else ("yes" if v else "no"))
    if pd.api.types.is_numeric_dtype(series):
        values = pd.to_numeric(series, errors="coerce").to_numpy(dtype=float)
        finite = values[np.isfinite(values)]
        integral = bool(np.all(np.mod(finite, 1) == 0))
        return series.map(format_count if integral else lambda v: format_number(v, decimals))
    return series.map(lambda v: format_value(v, decimals))


def _interval_kept_whole(text: object) -> object:
    """A cell's HTML, its trailing interval in a span that does not break (see :data:`TABLE_STYLES`).

    >>> _interval_kept_whole("72.2% [69.8%–74.7%]"), _interval_kept_whole("nurse")
    ('72.2% <span class="interval">[69.8%–74.7%]</span>', 'nurse')
    """
    found = TRAILING_INTERVAL.match(text) if isinstance(text, str) else None
    if found is None:
        return text
    return f'{found["estimate"]} <span class="{INTERVAL_CLASS}">{found["interval"]}</span>'


def _right_aligned(position: int) -> dict:
    """The rule that right-aligns a column of figures, so digits line up."""
    return {"selector": f"td.col{position}, th.col{position}", "props": [("text-align", "right")]}


def reader_table(
    frame: pd.DataFrame,
    columns: Mapping[str, str] | None = None,
    *,
    counts: Iterable[str] = (),
    percents: Iterable[str] = (),
    signed_percents: Iterable[str] = (),
    money: Iterable[str] = (),
    intervals: Mapping[str, tuple] | None = None,
    percent_intervals: Mapping[str, tuple] | None = None,
    figures: Iterable[str] = (),
    suppressed: str | None = None,
    decimals: int = MAX_DECIMALS,
    caption: str = "",
    empty: str = "No rows to show.",
    max_rows: int | None = None,
):
    """A table ready for a reader: formatted strings, human names, caption, no index.

    Parameters
    ----------
    frame : DataFrame
        The data, in machine column names. A named index (a pivot table's rows, say) becomes
        a column, so ``columns`` can name and show it; an unnamed index is never shown.
    columns : mapping, optional
        Machine name -> human name, in display order. Only these columns are shown; without
        it every column is shown under its own name.
    counts, percents, signed_percents, money : iterables of str
        Machine names of columns shown as counts, shares (0-1 as ``12.3%``), changes
        (``+1.2%``) or pounds. Any other numeric column shows whole numbers as counts and
        others with ``decimals`` decimals.
    intervals, percent_intervals : mapping, optional
        Machine name of a new column -> ``(value, low, high)`` machine names, shown as
        ``1.34 [1.15–1.52]`` (or ``61.2% [58.1%–64.3%]``); a fourth element sets that column's
        decimals instead of ``decimals``. Name the new column in ``columns`` to place and title it.
    figures : iterable of str
        Machine names of columns of figures already written as text (``+1.5 [+0.5, +2.6]``):
        shown as they are, aligned right like every other figure.
    suppressed : str, optional
        A boolean column saying a publication rule withheld the row's figures: their missing
        values (in the columns of figures) read "suppressed" instead of a dash.
    decimals : int
        Decimals of plain numbers (at most three).
    caption : str
        Source, date and sample size, shown under the table (see :func:`table_caption`).
    empty : str
        The sentence shown instead of a table with no rows.
    max_rows : int, optional
        Rows shown at most; the caption then says how many of how many are shown.

    Returns
    -------
    pandas.io.formats.style.Styler or IPython.display.Markdown
        A styled HTML table of class ``reader-table``, or a Markdown sentence when
        ``frame`` has no rows.

    Examples
    --------
    >>> table = pd.DataFrame({"skill": ["sql"], "adverts": [1234.0], "share": [0.0912],
    ...                       "lq": [1.3412], "lq_low": [1.15], "lq_high": [1.5249]})
    >>> shown = reader_table(table, {"skill": "Skill", "adverts": "Adverts", "share": "Share", "lq_ci": "LQ [95% CI]"},
    ...                      counts=["adverts"], percents=["share"], intervals={"lq_ci": ("lq", "lq_low", "lq_high")},
    ...                      caption="Source: test")
    >>> shown.data.iloc[0].tolist()
    ['sql', '1,234', '9.1%', '1.34 [1.15–1.52]']
    >>> html = shown.to_html()
    >>> 'class="reader-table"' in html and "<caption>Source: test</caption>" in html and "row_heading" not in html
    True
    >>> reader_table(table, {"lq_ci": "LQ"}, intervals={"lq_ci": ("lq", "lq_low", "lq_high", 1)}).data.iloc[0].tolist()
    ['1.3 [1.1–1.5]']
    >>> leads = reader_table(pd.DataFrame({"method": ["b"], "lead": ["+1.5 [+0.5, +2.6]"]}), figures=["lead"])
    >>> leads.data.iloc[0].tolist(), [rule["selector"] for rule in leads.table_styles if "col" in rule["selector"]]
    (['b', '+1.5 [+0.5, +2.6]'], ['td.col1, th.col1'])
    >>> reader_table(table.iloc[0:0], empty="Nothing passes the rules.").data
    'Nothing passes the rules.'
    """
    from IPython.display import Markdown

    if frame.empty:
        return Markdown(empty)
    if any(name is not None for name in frame.index.names):
        frame = frame.reset_index()
    shown = (frame.head(max_rows) if max_rows else frame).reset_index(drop=True)  # any index, even repeated
    formatted = pd.DataFrame(index=shown.index)
    for kind, spec in ((False, intervals), (True, percent_intervals)):
        for name, (value, low, high, *digits) in (spec or {}).items():
            formatted[name] = [
                format_interval(v, lo, hi, digits[0] if digits else decimals, percent=kind)
                for v, lo, hi in zip(shown[value], shown[low], shown[high])
            ]
    by_column = (
        {c: format_count for c in counts}
        | {c: format_percent for c in percents}
        | {c: (lambda v: format_percent(v, signed=True)) for c in signed_percents}
        | {c: format_money for c in money}
    )
    wanted = list(columns) if columns else list(shown.columns)
    for name in wanted:
        if name in formatted:
            continue
        if name not in shown:
            raise KeyError(f"reader_table: no column {name!r} (columns: {list(shown.columns)})")
        formatted[name] = _formatted_column(shown[name], by_column.get(name), decimals)
    formatted = formatted[wanted]
    figure_columns = set(figures)
    numeric = [
        i
        for i, name in enumerate(wanted)
        if name in by_column
        or name in (intervals or {})
        or name in (percent_intervals or {})
        or name in figure_columns
        or (pd.api.types.is_numeric_dtype(shown[name]) and not pd.api.types.is_bool_dtype(shown[name]))
    ]
    if suppressed is not None:
        withheld = shown[suppressed].fillna(False).astype(bool).to_numpy()
        figures = formatted.columns[numeric]
        formatted.loc[withheld, figures] = formatted.loc[withheld, figures].replace(MISSING, SUPPRESSED)
    formatted = formatted.rename(columns={key: str(value) for key, value in (columns or {}).items()})
    formatted.columns = [str(column) for column in formatted.columns]
    if max_rows and len(frame) > max_rows:
        caption = f"{caption} First {max_rows:,} of {len(frame):,} rows shown.".strip()
    digest = hashlib.sha1((caption + formatted.to_json()).encode("utf-8")).hexdigest()[:10]
    styler = (
        formatted.style.hide(axis="index")
        .set_uuid(digest)
        .set_table_attributes(f'class="{TABLE_CLASS}" data-quarto-disable-processing="true"')
        .set_table_styles(TABLE_STYLES + [_right_aligned(i) for i in numeric])
        .format(_interval_kept_whole)
    )
    return styler.set_caption(caption) if caption else styler
