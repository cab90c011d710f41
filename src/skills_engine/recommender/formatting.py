"""Recommendation answers as a readable table for the command line and the notebooks, and the
evaluation's verdict in words and as the table of the engine's leads.

The answer itself (:meth:`skills_engine.recommender.engine.Recommender.recommend`) is plain
data; this module only lays it out, with the sources of every column under the table.
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from skills_engine import intervals
from skills_engine.config import MIN_PUBLISHED_COUNT
from skills_engine.recommender.engine import DEMAND_SOURCE, GROWTH_SOURCE, SALARY_SOURCE
from skills_engine.recommender.evaluation import GOAL_LEAD


def _money(value) -> str:
    """A salary, or the missing mark every reader table prints (:data:`skills_engine.intervals.MISSING`).

    >>> _money(28500), _money(None)
    ('£28,500', '–')
    """
    return intervals.MISSING if value is None else intervals.format_figure(value, ",.0f", prefix="£")


def _percent(value) -> str:
    """A signed change, or the missing mark.

    >>> _percent(-0.279), _percent(None)
    ('\u221227.9%', '–')
    """
    return intervals.MISSING if value is None else intervals.format_signed(value, ".1%")


def _salary_basis(salary: dict, count_key: str) -> str:
    # A withheld count (None) is either the ASHE fallback or a group below the publication minimum.
    if salary.get(count_key) is not None:
        return f"n = {salary[count_key]:,}"
    if count_key == "national_n" and salary.get("source") and "ASHE" in salary["source"]:
        return "ASHE 2019"
    return "too few adverts"


def answer_table(answer: dict) -> pd.DataFrame:
    """The answer's job titles as a reader sees them: one row each, every cell text, headed in words.

    The command line prints it (:func:`format_answer`) and notebook 03 shows it as a reader table,
    so both say the same thing: the person's matching skills and the skills to add (three of
    each), the median advertised salary with its basis, the adverts behind the demand figure and
    the 12-month change of the occupation's sector. A withheld or missing figure reads as a dash,
    the en dash "–" of every reader table on the site (:data:`skills_engine.intervals.MISSING`).

    Parameters
    ----------
    answer : dict
        What :meth:`~skills_engine.recommender.engine.Recommender.recommend` returns.

    Returns
    -------
    pandas.DataFrame
        Columns ``#``, ``job title (ESCO)``, ``your matching skills``, ``skills to add``,
        ``median salary UK``, ``median in <region>`` (with a region), ``adverts (<region or UK>)``
        and ``sector growth 12m``; no rows when nothing was recommended.
    """
    region = answer["query"]["region"]
    rows = []
    for item in answer["results"]:
        salary, demand, growth = item["salary"], item["demand"], item["growth"]
        adverts = demand.get("region_adverts") if region else demand.get("national_adverts")
        row = {
            "#": str(item["rank"]),
            "job title (ESCO)": item["title"],
            "your matching skills": ", ".join(s["label"] for s in item["matched_skills"][:3]) or intervals.MISSING,
            "skills to add": ", ".join(s["label"] for s in item["missing_skills"][:3]) or intervals.MISSING,
            "median salary UK": f"{_money(salary['national_median_gbp'])} ({_salary_basis(salary, 'national_n')})",
        }
        if region:
            row[f"median in {region}"] = (
                f"{_money(salary.get('region_median_gbp'))} ({_salary_basis(salary, 'region_n')})"
            )
        row[f"adverts ({region or 'UK'})"] = intervals.MISSING if adverts is None else f"{adverts:,}"
        # no sector means no sector figure either: one dash, not a dash for each
        row["sector growth 12m"] = (
            f"{growth['sector']} {_percent(growth['sector_change_12m'])}" if growth["sector"] else intervals.MISSING
        )
        rows.append(row)
    return pd.DataFrame(rows)


def understood_lines(answer: dict) -> list[str]:
    """What the engine made of the person's words, then its messages: a line each."""
    lines = []
    if answer["query"]["skills"]:
        lines.append(
            "skills understood: " + "; ".join(f"{s['input']} → {s['label']}" for s in answer["query"]["skills"])
        )
    for unknown in answer["query"]["unknown"]:
        close = ", ".join(s["label"] for s in unknown["suggestions"]) or "no close match"
        lines.append(f"not recognised: {unknown['input']!r} (did you mean: {close}?)")
    return lines + list(answer["messages"])


def answer_sources() -> str:
    """The sources of the answer's columns, in one sentence each."""
    return (
        f"salary: {SALARY_SOURCE}; a dash or 'too few adverts' means fewer than {MIN_PUBLISHED_COUNT} adverts stand "
        f"behind it (ASHE 2019 shown where labelled). demand: {DEMAND_SOURCE}. growth: {GROWTH_SOURCE}."
    )


def format_answer(answer: dict) -> str:
    """A readable table of a recommendation answer, with sources under it."""
    from tabulate import tabulate

    lines = understood_lines(answer)
    table = answer_table(answer)
    if len(table):
        lines.append(tabulate(table.to_numpy().tolist(), headers=list(table.columns), tablefmt="simple"))
        lines.append(answer_sources())
    return "\n".join(lines)


def format_points(share: float | None) -> str:
    """A difference of two shares in percentage points, signed as every lead is.

    >>> format_points(0.0412), format_points(-0.005), format_points(None)
    ('+4.1', '\u22120.5', '–')
    """
    return intervals.format_signed(None if share is None else share * 100, ".1f")


def lead_sentence(label: str, lead: dict, method_names: Mapping[str, str]) -> str:
    """The evaluation's verdict for one query set (:func:`.evaluation.lead_over_best`), in Markdown.

    >>> lead = {"best": "knn", "value": 0.75, "low": 0.72, "high": 0.78, "best_value": 0.71, "best_low": 0.68,
    ...     "best_high": 0.74, "lead": 0.04, "lead_low": -0.005, "lead_high": 0.05, "separate": False, "met": False}
    >>> print(lead_sentence("5-skill queries", lead, {"knn": "Nearest adverts"}))  # doctest: +NORMALIZE_WHITESPACE
    5-skill queries: this project **75.0%** [72.0%, 78.0%] top-5 against the best other method, Nearest adverts,
    **71.0%** [68.0%, 74.0%]: a lead of **+4.0 points** (paired 95% interval −0.5 to +5.0); separate intervals
    overlap. Goal (≥ 3 points, non-overlapping): **not met**.
    """
    return (
        f"{label}: this project **{lead['value']:.1%}** [{lead['low']:.1%}, {lead['high']:.1%}] top-5 against the best "
        f"other method, {method_names.get(lead['best'], lead['best'])}, **{lead['best_value']:.1%}** "
        f"[{lead['best_low']:.1%}, {lead['best_high']:.1%}]: a lead of **{format_points(lead['lead'])} points** "
        f"(paired 95% interval {format_points(lead['lead_low'])} to {format_points(lead['lead_high'])}); separate intervals "
        f"{'do not overlap' if lead['separate'] else 'overlap'}. Goal (≥ {GOAL_LEAD * 100:.0f} points, non-overlapping): "
        f"**{'met' if lead['met'] else 'not met'}**."
    )


def lead_table(
    payload: Mapping, method_names: Mapping[str, str] | None = None, model_label: str | None = None
) -> pd.DataFrame:
    """The model's top-5 lead over each method per query set, in points with paired intervals.

    One rendering for every reader: notebook 03 shows it and the model card prints it, both
    from the evaluation's JSON (:func:`.evaluation.evaluation_json`: ``gaps`` and
    ``gaps_by_query_size``). A query set no advert reaches, or a lead without an interval,
    reads "–".

    Parameters
    ----------
    payload : mapping
        The evaluation JSON.
    method_names : mapping, optional
        Machine name -> reader's name of each method.
    model_label : str, optional
        Who leads, for the first column's title; the JSON's ``model`` by default.

    Returns
    -------
    pandas.DataFrame
        One row per method, every cell a string: ``+3.1 [+1.0, +5.0]``
        (:func:`skills_engine.intervals.format_lead`).

    >>> table = lead_table({"model": "m", "gaps": {"b": {"top5": 0.031, "top5_interval": [0.01, 0.05]}},
    ...     "gaps_by_query_size": {"3": {"b": {"top5": None, "top5_interval": [None, None]}}}})
    >>> table.columns.tolist(), table.iloc[0].tolist()
    (['Top-5 lead of m over', 'Full adverts (points)', '3-skill queries (points)'], ['b', '+3.1 [+1.0, +5.0]', '–'])
    """
    method_names = method_names or {}
    query_sets = {"Full adverts": payload["gaps"]} | {
        f"{size}-skill queries": gaps for size, gaps in (payload.get("gaps_by_query_size") or {}).items() if gaps
    }

    def cell(lead: Mapping | None) -> str:
        low, high = (lead or {}).get("top5_interval", [None, None])
        return intervals.format_lead((lead or {}).get("top5"), low, high, 1, scale=100)

    return pd.DataFrame(
        [
            [method_names.get(name, name), *(cell(gaps.get(name)) for gaps in query_sets.values())]
            for name in payload["gaps"]
        ],
        columns=[
            f"Top-5 lead of {model_label or payload['model']} over",
            *(f"{label} (points)" for label in query_sets),
        ],
    )
