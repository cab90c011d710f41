"""Recommendation answers as a readable table for the command line and the notebooks.

The answer itself (:meth:`skills_engine.recommender.engine.Recommender.recommend`) is plain
data; this module only lays it out, with the sources of every column under the table.
"""

from __future__ import annotations

from skills_engine.config import MIN_PUBLISHED_COUNT
from skills_engine.recommender.engine import DEMAND_SOURCE, GROWTH_SOURCE, SALARY_SOURCE


def _money(value) -> str:
    return "—" if value is None else f"£{value:,.0f}"


def _percent(value) -> str:
    return "—" if value is None else f"{value:+.1%}"


def _salary_basis(salary: dict, count_key: str) -> str:
    # A withheld count (None) is either the ASHE fallback or a group below the publication minimum.
    if salary.get(count_key) is not None:
        return f"n={salary[count_key]}"
    if count_key == "national_n" and salary.get("source") and "ASHE" in salary["source"]:
        return "ASHE 2019"
    return "too few adverts"


def format_answer(answer: dict) -> str:
    """A readable table of a recommendation answer, with sources under it."""
    from tabulate import tabulate

    region = answer["query"]["region"]
    rows = []
    for item in answer["results"]:
        salary, demand, growth = item["salary"], item["demand"], item["growth"]
        rows.append(
            [
                item["rank"],
                item["title"],
                ", ".join(s["label"] for s in item["matched_skills"][:3]) or "—",
                ", ".join(s["label"] for s in item["missing_skills"][:3]) or "—",
                f"{_money(salary['national_median_gbp'])} ({_salary_basis(salary, 'national_n')})",
                *(
                    [f"{_money(salary.get('region_median_gbp'))} ({_salary_basis(salary, 'region_n')})"]
                    if region
                    else []
                ),
                demand.get("region_adverts") if region else demand.get("national_adverts"),
                f"{growth['sector'] or '—'} {_percent(growth['sector_change_12m'])}",
            ]
        )
    headers = [
        "#",
        "job title (ESCO)",
        "your matching skills",
        "skills to add",
        "median salary UK",
        *([f"median in {region}"] if region else []),
        f"adverts ({region or 'UK'})",
        "sector growth 12m",
    ]
    lines = []
    if answer["query"]["skills"]:
        lines.append(
            "skills understood: " + "; ".join(f"{s['input']} → {s['label']}" for s in answer["query"]["skills"])
        )
    for unknown in answer["query"]["unknown"]:
        close = ", ".join(s["label"] for s in unknown["suggestions"]) or "no close match"
        lines.append(f"not recognised: {unknown['input']!r} (did you mean: {close}?)")
    lines.extend(answer["messages"])
    if rows:
        lines.append(tabulate(rows, headers=headers, tablefmt="simple", missingval="—"))
        lines.append(
            f"salary: {SALARY_SOURCE}; blanks mean fewer than {MIN_PUBLISHED_COUNT} adverts (ASHE 2019 shown where labelled)."
        )
        lines.append(f"demand: {DEMAND_SOURCE}. growth: {GROWTH_SOURCE}.")
    return "\n".join(lines)
