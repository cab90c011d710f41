"""All twelve regions side by side: the national table of notebook 05 and the Regions page, and
the headline "most over-represented" findings of notebooks 04 and 05.

Headlines come only from items that pass both publication rules (adverts and distinct named
employers, :func:`skills_engine.disclosure.passes_rules`) and whose whole employer-bootstrap
interval of the source-standardised location quotient lies above 1; where none does, the
headline is ``None`` and the notebooks say so in a sentence.
"""

from __future__ import annotations

import math

import pandas as pd

from skills_engine import disclosure
from skills_engine.config import RANDOM_STATE, REGIONS, slugify
from skills_engine.regional import comparison

#: For each kind of item: counts, denominators, item column and label column of the inputs.
KINDS = {
    "occupation": ("occupation_counts", "occupation_totals", "occupation_uri", "occupation_label"),
    "skill": ("skill_counts", "skill_totals", "skill_uri", "skill_label"),
}
#: Readers' names of the advert sources.
SOURCE_NAMES = {"nhs_jobs": "NHS Jobs (2020)", "reed": "Reed", "adzuna": "Adzuna (2013)"}
#: Readers' name of each kind of item.
KIND_NAMES = {"occupation": "Occupation", "skill": "Skill"}
#: Keys of every row of ``reports/regions.json`` (the website's Regions page reads them).
REGION_ROW_KEYS = (
    "region",
    "slug",
    "adverts",
    "employers",
    "median_salary_gbp",
    "salary_n",
    "postings_change_12m",
    "uk_postings_change_12m",
    "postings_as_of",
    "top_occupation",
    "top_occupation_lq",
    "top_occupation_lq_low",
    "top_occupation_lq_high",
    "top_occupation_adverts",
    "top_occupation_employers",
)


def compare_region(
    inputs, region: str, kind: str, n_bootstrap: int = comparison.N_BOOTSTRAP, random_state: int = RANDOM_STATE
) -> pd.DataFrame:
    """:func:`comparison.compare_from_counts` for ``kind`` (``"occupation"`` or ``"skill"``)
    from the cached national inputs (:class:`skills_engine.regional.inputs.RegionalInputs`)."""
    counts, totals, item_col, label_col = KINDS[kind]
    return comparison.compare_from_counts(
        getattr(inputs, counts),
        getattr(inputs, totals),
        region,
        item_col,
        label_col,
        n_bootstrap=n_bootstrap,
        random_state=random_state,
    )


def top_over_represented(table: pd.DataFrame, kind: str) -> dict | None:
    """The item with the highest location quotient among those passing both rules whose interval
    lies above 1: ``label, lq, lq_low, lq_high, adverts, employers``; ``None`` when none does."""
    if table.empty:
        return None
    over, _ = comparison.over_under_represented(table, 1)
    if over.empty:
        return None
    row = over.iloc[0]
    return {
        "label": str(row[KINDS[kind][3]]),
        "lq": round(float(row["location_quotient"]), 3),
        "lq_low": round(float(row["lq_low"]), 3),
        "lq_high": round(float(row["lq_high"]), 3),
        "adverts": int(row["region_adverts"]),
        "employers": int(row["region_employers"]),
    }


def rule_counts(table: pd.DataFrame) -> dict:
    """How many items a comparison holds, and how many each rule withholds in the region:
    ``items``, ``few_adverts``, ``few_employers`` (enough adverts, too few employers), ``published``."""
    return {
        "items": len(table),
        "few_adverts": int((table["suppressed"] & ~table["few_employers"]).sum()),
        "few_employers": int(table["few_employers"].sum()),
        "published": int((~table["suppressed"]).sum()),
    }


def lq_table_spec(kind: str, region: str) -> dict:
    """Keyword arguments of :func:`skills_engine.publish.tables.reader_table` for a table of
    location quotients from :func:`compare_region` (label, counts, raw shares, standardised LQ
    with its interval, raw LQ)."""
    return {
        "columns": {
            KINDS[kind][3]: KIND_NAMES[kind],
            "region_adverts": f"Adverts in {region}",
            "region_employers": "Named employers",
            "region_share": f"Share in {region}",
            "national_share": "UK share",
            "lq_ci": "LQ standardised [95% CI]",
            "lq_unstandardised": "LQ raw",
        },
        "counts": ["region_adverts", "region_employers"],
        "percents": ["region_share", "national_share"],
        "intervals": {"lq_ci": ("location_quotient", "lq_low", "lq_high")},
    }


def source_mix(totals: pd.DataFrame, region: str) -> pd.DataFrame:
    """Adverts by source in ``region`` and in the UK, with each source's share of both (the mix
    that the standardisation corrects for); ``totals`` is :func:`comparison.cluster_totals`."""
    uk = totals.groupby("source")["adverts"].sum()
    here = totals.loc[totals["region"] == region].groupby("source")["adverts"].sum().reindex(uk.index, fill_value=0)
    return pd.DataFrame(
        {
            "source": [SOURCE_NAMES.get(s, s) for s in uk.index],
            "region_adverts": here.to_numpy(),
            "region_share": (here / max(here.sum(), 1)).to_numpy(),
            "uk_adverts": uk.to_numpy(),
            "uk_share": (uk / uk.sum()).to_numpy(),
        }
    )


def headline_finding(top: dict, kind: str, region: str, source: str) -> dict:
    """The finding recorded for the home page from :func:`top_over_represented` (never ``None``)."""
    return {
        # the ratio with its employer-bootstrap interval: a top item on ten adverts is a wide estimate
        "text": f"is the {kind} most over-represented in {region}'s adverts ({top['lq']:.1f}× the UK share "
        f"[{top['lq_low']:.1f}–{top['lq_high']:.1f}], standardised for source mix; {top['adverts']:,} adverts from "
        f"{top['employers']:,} employers)",
        "value": top["label"],
        "source": source,
        "kind": f"most over-represented {kind}",
        "region": region,
        **top,
    }


def top_over_represented_occupation(
    inputs, region: str, n_bootstrap: int = comparison.N_BOOTSTRAP, random_state: int = RANDOM_STATE
) -> dict:
    """The occupation most over-represented in ``region`` (see :func:`top_over_represented`) as
    ``top_occupation*`` columns, ``None`` values when no occupation passes."""
    top = top_over_represented(compare_region(inputs, region, "occupation", n_bootstrap, random_state), "occupation")
    fields = ("label", "lq", "lq_low", "lq_high", "adverts", "employers")
    return {("top_occupation" if f == "label" else f"top_occupation_{f}"): (top or {}).get(f) for f in fields}


def all_regions_table(
    inputs, n_bootstrap: int = comparison.N_BOOTSTRAP, random_state: int = RANDOM_STATE
) -> pd.DataFrame:
    """One row per region: adverts, named employers, share, median salary (both rules), Indeed
    postings growth and the most over-represented occupation (both rules, interval above 1)."""
    growth = inputs.region_growth.set_index("geography")
    top = pd.DataFrame(
        [top_over_represented_occupation(inputs, region, n_bootstrap, random_state) for region in REGIONS]
    )
    return (
        comparison.regions_table(inputs.adverts)
        .assign(
            postings_change_12m=lambda d: d["region"].map(growth["change_12m"]),
            postings_vs_feb_2020=lambda d: d["region"].map(growth["change_since_feb_2020"]),
            postings_as_of=lambda d: d["region"].map(growth["latest_date"]),
        )
        .join(top)
    )


def _number(value: object, digits: int | None = None) -> float | int | None:
    if value is None or pd.isna(value) or (isinstance(value, float) and math.isinf(value)):
        return None
    return round(float(value), digits) if digits is not None else int(value)


def region_rows(table: pd.DataFrame, uk_change_12m: float | None) -> list[dict]:
    """Rows of ``reports/regions.json`` from :func:`all_regions_table`: every figure that is
    suppressed or fails a rule is ``None``."""
    rows = []
    for _, r in table.iterrows():
        adverts = disclosure.published_count(r["adverts"])
        as_of = r.get("postings_as_of")
        rows.append(
            {
                "region": r["region"],
                "slug": slugify(r["region"]),
                "adverts": adverts,
                "employers": int(r["employers"]) if adverts is not None else None,
                "median_salary_gbp": None
                if r["suppressed"]
                else disclosure.published_median(r["median_salary"], r["priced"]),
                "salary_n": disclosure.published_count(r["priced"]),
                "postings_change_12m": _number(r.get("postings_change_12m"), 4),
                "uk_postings_change_12m": _number(uk_change_12m, 4),
                "postings_as_of": None if as_of is None or pd.isna(as_of) else pd.Timestamp(as_of).date().isoformat(),
                "top_occupation": r.get("top_occupation") if isinstance(r.get("top_occupation"), str) else None,
                "top_occupation_lq": _number(r.get("top_occupation_lq"), 3),
                "top_occupation_lq_low": _number(r.get("top_occupation_lq_low"), 3),
                "top_occupation_lq_high": _number(r.get("top_occupation_lq_high"), 3),
                "top_occupation_adverts": _number(r.get("top_occupation_adverts")),
                "top_occupation_employers": _number(r.get("top_occupation_employers")),
            }
        )
    return rows
