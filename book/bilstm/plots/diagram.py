"""The network drawn as boxes and arrows: chapter 1's unrolled bidirectional LSTM.

Schematics, not data: a new drawing of the architecture goes here, built from
:func:`_box` and :func:`_arrow`. Returns a :class:`matplotlib.figure.Figure`.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.patches import FancyBboxPatch

from ..checks import check_positive_int
from .style import OKABE_ITO

__all__ = ["plot_unrolled_bilstm"]


def _box(ax, xy, text, color, width=0.9, height=0.42, text_color="black"):
    """Draw a rounded box centred on ``xy`` with ``text`` inside; return the patch."""
    x, y = xy
    patch = FancyBboxPatch(
        (x - width / 2, y - height / 2),
        width,
        height,
        boxstyle="round,pad=0.02,rounding_size=0.08",
        facecolor=color,
        edgecolor="black",
        linewidth=1.0,
        zorder=3,
    )
    ax.add_patch(patch)
    ax.text(
        x, y, text, ha="center", va="center", fontsize=10, color=text_color, zorder=4
    )
    return patch


def _arrow(ax, points, color="black"):
    """Draw a polyline through ``points`` with an arrow head on the last segment."""
    points = np.asarray(points, dtype=float)
    if len(points) > 2:
        ax.plot(
            points[:-1, 0],
            points[:-1, 1],
            color=color,
            lw=1.4,
            zorder=2,
            solid_capstyle="butt",
        )
    ax.annotate(
        "",
        xy=tuple(points[-1]),
        xytext=tuple(points[-2]),
        arrowprops={
            "arrowstyle": "-|>",
            "color": color,
            "lw": 1.4,
            "shrinkA": 0,
            "shrinkB": 0,
        },
        zorder=2,
    )


def plot_unrolled_bilstm(n_steps: int = 4, merge_label: str = "merge"):
    """Draw a bidirectional LSTM unrolled over ``n_steps`` time steps.

    Rows from bottom to top: the inputs ``x_t``, the forward LSTM (state passed
    left to right), the backward LSTM (state passed right to left), one merge
    node per step and the outputs ``y_t``. Every input feeds both LSTMs and
    both LSTMs feed the merge node of their step. Returns the Figure; its one
    Axes holds ``5 * n_steps`` box patches and one arrow annotation per
    connection (``5 * n_steps + 2 * (n_steps - 1)`` in all).
    """
    n_steps = check_positive_int("n_steps", n_steps)
    gap = 1.9
    y_in, y_fw, y_bw, y_mg, y_out = 0.0, 1.3, 2.6, 3.9, 5.2
    h, half = 0.42, 0.45
    mid_fb, mid_bm = (y_fw + y_bw) / 2, (y_bw + y_mg) / 2
    fig, ax = plt.subplots(figsize=(1.55 * n_steps + 1.8, 5.0))
    for t in range(n_steps):
        x = t * gap
        _box(ax, (x, y_in), f"$x_{{{t + 1}}}$", "#eeeeee", width=0.6)
        _box(ax, (x, y_fw), "LSTM →", OKABE_ITO["blue"], text_color="white")
        _box(ax, (x, y_bw), "← LSTM", OKABE_ITO["orange"])
        _box(ax, (x, y_mg), merge_label, OKABE_ITO["bluish_green"])
        _box(ax, (x, y_out), f"$y_{{{t + 1}}}$", "#eeeeee", width=0.6)
        _arrow(ax, [(x, y_in + h / 2), (x, y_fw - h / 2)])
        _arrow(
            ax,
            [
                (x - 0.2, y_in + h / 2),
                (x - 0.7, y_in + h / 2 + 0.3),
                (x - 0.7, mid_fb),
                (x - 0.2, y_bw - h / 2),
            ],
        )  # black, as the input's arrow to the forward LSTM: the same input
        _arrow(
            ax,
            [
                (x + 0.2, y_fw + h / 2),
                (x + 0.7, mid_fb),
                (x + 0.7, mid_bm),
                (x + 0.2, y_mg - h / 2),
            ],
            color=OKABE_ITO["blue"],
        )
        _arrow(
            ax,
            [(x - 0.1, y_bw + h / 2), (x - 0.1, y_mg - h / 2)],
            color=OKABE_ITO["orange"],
        )
        _arrow(ax, [(x, y_mg + h / 2), (x, y_out - h / 2)])
    for t in range(n_steps - 1):
        left, right = t * gap + half, (t + 1) * gap - half
        _arrow(ax, [(left, y_fw), (right, y_fw)], color=OKABE_ITO["blue"])
        _arrow(ax, [(right, y_bw), (left, y_bw)], color=OKABE_ITO["orange"])
    rows = [
        (y_in, "inputs"),
        (y_fw, "forward\nLSTM"),
        (y_bw, "backward\nLSTM"),
        (y_mg, "merge"),
        (y_out, "outputs"),
    ]
    for y, label in rows:
        ax.text(-0.95, y, label, ha="right", va="center", fontsize=10)
    ax.set_xlim(-2.3, (n_steps - 1) * gap + 0.9)
    ax.set_ylim(-0.4, 5.6)
    ax.set_aspect("equal")
    ax.axis("off")
    ax.set_title(f"A bidirectional LSTM unrolled over {n_steps} time steps")
    fig.tight_layout()
    return fig
