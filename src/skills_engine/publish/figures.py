"""Figures the notebooks share: one chart for estimates with their intervals.

Every comparison the project publishes comes with a 95% interval, so the same chart recurs:
a row per item, the estimate as a bar (from a baseline) or a point, and whiskers for the
interval. Drawing it in one place keeps the notebooks short and the charts alike.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

#: Inches of figure height per row, plus a fixed margin for title and axis: keeps labels
#: legible from 3 rows to 20.
ROW_HEIGHT_INCHES = 0.35
MARGIN_INCHES = 1.2
#: Width of the figure (inches), the content column of the website at 100 dpi.
FIGURE_WIDTH_INCHES = 8


def interval_chart(
    labels: Sequence[str],
    values: Sequence[float],
    low: Sequence[float],
    high: Sequence[float],
    *,
    baseline: float = 0.0,
    points: bool = False,
    colors: Sequence | str | None = None,
    xlabel: str = "",
    title: str = "",
    note: str = "",
    ax=None,
):
    """Horizontal chart of estimates with their intervals, one row per label.

    Parameters
    ----------
    labels, values, low, high
        Row labels, estimates and the bounds of their intervals (same length).
    baseline : float
        Where bars start and a reference line is drawn when it is not 0 (1 for ratios such as
        location quotients, where 1 means "the same as the rest of the UK").
    points : bool
        Draw each estimate as a point instead of a bar (for ratios read against the baseline).
    colors : sequence or str, optional
        Bar or point colours; by default one colour per row (bars) or one colour (points).
    xlabel, title : str
        Axis label and title.
    note : str
        Source note printed under the chart (source, sample size, what the whiskers are).
    ax : matplotlib Axes, optional
        Axes to draw on; a new figure sized to the number of rows otherwise.

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> ax = interval_chart(["a", "b"], [1.2, 0.8], [1.0, 0.6], [1.5, 0.9], baseline=1, title="LQ")
    >>> [t.get_text() for t in ax.get_yticklabels()], ax.get_title()
    (['a', 'b'], 'LQ')
    """
    import matplotlib.pyplot as plt
    import seaborn as sns

    values, low, high = (np.asarray(pd.to_numeric(pd.Series(x)), dtype=float) for x in (values, low, high))
    if not len(labels) == len(values) == len(low) == len(high):
        raise ValueError("interval_chart: labels, values, low and high must have the same length")
    if ax is None:
        _, ax = plt.subplots(figsize=(FIGURE_WIDTH_INCHES, ROW_HEIGHT_INCHES * len(values) + MARGIN_INCHES))
    whiskers = [values - low, high - values]
    if points:
        ax.errorbar(values, list(labels), xerr=whiskers, fmt="o", color=colors or "#7570b3", capsize=3)
    else:
        colors = colors if colors is not None else sns.color_palette("Set2", len(values))
        ax.barh(list(labels), values - baseline, left=baseline, xerr=whiskers, color=colors, capsize=3)
    if baseline != 0 or points:
        ax.axvline(baseline, color="black", linewidth=1)
    ax.set_xlabel(xlabel)
    ax.set_title(title)
    if note:
        ax.figure.text(0.01, 0.0, note, fontsize=8, va="top", wrap=True)
    return ax
