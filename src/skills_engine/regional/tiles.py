"""The twelve UK regions as a tile map: one square per region, roughly where it lies, so a map
needs no boundary files.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

#: Tile-grid positions (column, row) for the twelve regions, roughly geographic, so a map
#: needs no boundary files.
TILE_GRID: dict[str, tuple[int, int]] = {
    "Scotland": (2, 0),
    "Northern Ireland": (0, 1),
    "North East": (3, 1),
    "North West": (2, 2),
    "Yorkshire and The Humber": (3, 2),
    "Wales": (1, 3),
    "West Midlands": (2, 3),
    "East Midlands": (3, 3),
    "East of England": (4, 3),
    "South West": (1, 4),
    "South East": (3, 4),
    "London": (4, 4),
}


def tile_grid(values: pd.Series) -> pd.DataFrame:
    """Regions with their tile-grid position and a value, ready to draw."""
    return pd.DataFrame(
        [
            {"region": name, "col": col, "row": row, "value": values.get(name, np.nan)}
            for name, (col, row) in TILE_GRID.items()
        ]
    )


def plot_tile_map(
    values: pd.Series,
    ax=None,
    title: str = "",
    fmt: str | Callable[[float], str] = "{:.0%}",
    cmap: str = "RdBu",
    center: float | None = None,
    highlight: str | None = None,
):
    """Draw the twelve regions as a tile grid coloured by ``values`` (a Series indexed by region).

    ``fmt`` writes each tile's figure: a format string, or a function such as
    :func:`.growth.format_change` for signed changes with a true minus.
    """
    import matplotlib.pyplot as plt
    from matplotlib.colors import Normalize, TwoSlopeNorm

    grid = tile_grid(values)
    write = fmt if callable(fmt) else fmt.format
    if ax is None:
        _, ax = plt.subplots(figsize=(6, 6))
    finite = grid["value"].dropna()
    if center is not None and not finite.empty:
        spread = max(abs(finite.max() - center), abs(center - finite.min()), 1e-9)
        norm = TwoSlopeNorm(vcenter=center, vmin=center - spread, vmax=center + spread)
    else:
        norm = Normalize(vmin=finite.min() if not finite.empty else 0, vmax=finite.max() if not finite.empty else 1)
    colours = plt.get_cmap(cmap)
    for _, tile in grid.iterrows():
        colour = "#dddddd" if pd.isna(tile["value"]) else colours(norm(tile["value"]))
        edge = "black" if tile["region"] == highlight else "white"
        ax.add_patch(
            plt.Rectangle(
                (tile["col"], -tile["row"]),
                0.95,
                0.95,
                facecolor=colour,
                edgecolor=edge,
                linewidth=3 if edge == "black" else 1,
            )
        )
        label = (
            tile["region"].replace(" and The ", "\n& the ").replace(" of ", "\nof ").replace("Northern ", "Northern\n")
        )
        value = "suppressed" if pd.isna(tile["value"]) else write(tile["value"])
        red, green, blue = (0.87, 0.87, 0.87) if isinstance(colour, str) else colour[:3]
        ink = "white" if 0.299 * red + 0.587 * green + 0.114 * blue < 0.5 else "black"
        ax.text(tile["col"] + 0.475, -tile["row"] + 0.55, label, ha="center", va="center", fontsize=7, color=ink)
        ax.text(
            tile["col"] + 0.475,
            -tile["row"] + 0.2,
            value,
            ha="center",
            va="center",
            fontsize=8,
            fontweight="bold",
            color=ink,
        )
    ax.set_xlim(-0.1, 5.1)
    ax.set_ylim(-4.1, 1.1)
    ax.set_aspect("equal")
    ax.axis("off")
    ax.set_title(title)
    return ax
