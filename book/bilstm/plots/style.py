"""The figures' shared look: the palette and the figure/axes helper.

Colours come from the Okabe-Ito palette, which stays distinguishable for the
common forms of colour blindness.
"""

from __future__ import annotations

import matplotlib.pyplot as plt

from ..palette import OKABE_ITO

__all__ = ["LINE_COLORS", "OKABE_ITO", "figure_axes", "variant_colors"]


# The palette for lines and boxes, one colour per variant or run, in order.
# Yellow is left out: it is too pale to read against white.
LINE_COLORS = tuple(color for name, color in OKABE_ITO.items() if name != "yellow")


def variant_colors(names) -> dict:
    """Give each name a colour of :data:`LINE_COLORS`, in order, cycling."""
    return {name: LINE_COLORS[i % len(LINE_COLORS)] for i, name in enumerate(names)}


def figure_axes(ax, figsize):
    """``(figure, axes)``: those of ``ax`` if given, else a new pyplot figure."""
    if ax is not None:
        return ax.figure, ax
    return plt.subplots(figsize=figsize)
