"""All twelve regions side by side: the national table of notebook 05 and the Regions page."""

from __future__ import annotations

import pandas as pd

from skills_engine.config import RANDOM_STATE, REGIONS
from skills_engine.regional import comparison


def top_over_represented_occupation(
    inputs, region: str, n_bootstrap: int = comparison.N_BOOTSTRAP, random_state: int = RANDOM_STATE
) -> dict:
    """The occupation most over-represented in ``region`` (highest location quotient that passes
    the publication rules), with its interval; ``None`` values when no occupation passes.

    ``inputs`` is :class:`skills_engine.regional.inputs.RegionalInputs`.
    """
    table = comparison.compare_from_counts(
        inputs.occupation_counts,
        inputs.region_totals,
        region,
        "occupation_uri",
        "occupation_label",
        n_bootstrap=n_bootstrap,
        random_state=random_state,
    )
    over, _ = comparison.over_under_represented(table, 1)
    if over.empty:
        return {"most over-represented occupation": None, "LQ": None, "LQ 95% interval": None}
    row = over.iloc[0]
    return {
        "most over-represented occupation": row["occupation_label"],
        "LQ": round(row["location_quotient"], 2),
        "LQ 95% interval": f"{row['lq_low']:.2f}–{row['lq_high']:.2f}",
    }


def all_regions_table(
    inputs, n_bootstrap: int = comparison.N_BOOTSTRAP, random_state: int = RANDOM_STATE
) -> pd.DataFrame:
    """One row per region: adverts, share, median salary, Indeed postings growth and the most
    over-represented occupation (small groups suppressed by :func:`comparison.regions_table`)."""
    growth = inputs.region_growth.set_index("geography")
    top = pd.DataFrame(
        [top_over_represented_occupation(inputs, region, n_bootstrap, random_state) for region in REGIONS]
    )
    return (
        comparison.regions_table(inputs.adverts)
        .assign(
            postings_change_12m=lambda d: d["region"].map(growth["change_12m"]),
            postings_vs_feb_2020=lambda d: d["region"].map(growth["change_since_feb_2020"]),
        )
        .join(top)
    )
