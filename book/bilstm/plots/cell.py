"""Figures for the chapter "Inside the LSTM cell" (matplotlib only).

The cell diagram, Keras's weight layout and the gradient-by-lag curves. Every
function returns its :class:`matplotlib.figure.Figure`, as in
:mod:`bilstm.plots`, whose palette it uses.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.patches import Circle, FancyBboxPatch
from matplotlib.ticker import FormatStrFormatter

from ..scratch import GATES
from .style import OKABE_ITO

__all__ = [
    "GATE_COLORS",
    "plot_gradient_by_lag",
    "plot_lstm_cell",
    "plot_weight_blocks",
]

#: One colour per block, in Keras's order (:data:`bilstm.scratch.GATES`):
#: i, f, g (the candidate), o.
GATE_COLORS = {
    "i": OKABE_ITO["sky_blue"],
    "f": OKABE_ITO["orange"],
    "g": OKABE_ITO["bluish_green"],
    "o": OKABE_ITO["reddish_purple"],
}
_GATE_NAMES = {
    "i": "input gate",
    "f": "forget gate",
    "g": "candidate",
    "o": "output gate",
}


def _line(ax, points, arrow=True, color="black", lw=1.6):
    """A polyline through ``points``, with an arrow head at its end."""
    points = np.asarray(points, dtype=float)
    ax.plot(points[:, 0], points[:, 1], color=color, lw=lw, zorder=2)
    if arrow:
        ax.annotate(
            "",
            xy=tuple(points[-1]),
            xytext=tuple(points[-2]),
            arrowprops={"arrowstyle": "-|>", "color": color, "lw": lw, "shrinkA": 0},
            zorder=2,
        )


def _gate(ax, xy, label, color, width=1.1, height=0.6):
    x, y = xy
    ax.add_patch(
        FancyBboxPatch(
            (x - width / 2, y - height / 2),
            width,
            height,
            boxstyle="round,pad=0.02,rounding_size=0.12",
            facecolor=color,
            edgecolor="black",
            zorder=3,
        )
    )
    ax.text(x, y, label, ha="center", va="center", fontsize=11, zorder=4)


def _pointwise(ax, xy, symbol, radius=0.3):
    ax.add_patch(Circle(xy, radius, facecolor="white", edgecolor="black", zorder=3))
    ax.text(*xy, symbol, ha="center", va="center", fontsize=13, zorder=4)


def _draw_cell_background(ax):
    """The grey rounded box that stands for the cell."""
    ax.add_patch(
        FancyBboxPatch(
            (0.6, 0.1),
            9.8,
            5.7,
            boxstyle="round,pad=0.05,rounding_size=0.4",
            facecolor="#f4f4f4",
            edgecolor="0.4",
            zorder=0,
        )
    )


def _draw_cell_state_line(ax, top, x_f, x_g):
    """The cell-state line at height ``top``: × f at ``x_f``, then + i*g at ``x_g``."""
    _line(ax, [(-0.4, top), (x_f - 0.3, top)], arrow=False, lw=2.6)
    _line(ax, [(x_f + 0.3, top), (x_g - 0.3, top)], arrow=False, lw=2.6)
    _line(ax, [(x_g + 0.3, top), (11.4, top)], lw=2.6)
    _pointwise(ax, (x_f, top), "×")
    _pointwise(ax, (x_g, top), "+")


def _draw_input_bus_and_gates(ax, bus, gates, xs):
    """``[h_{t-1}, x_t]`` along the bus at ``bus`` up to the four gates at ``xs``."""
    x_f, x_i, x_g, x_o = xs
    _line(ax, [(-0.4, bus), (x_o, bus)], arrow=False)
    _line(ax, [(1.3, -0.7), (1.3, bus)], arrow=False)
    for x in (x_f, x_i, x_g, x_o):
        _line(ax, [(x, bus), (x, gates - 0.3)])

    labels = {"f": "σ", "i": "σ", "g": "tanh", "o": "σ"}
    for key, x in zip("figo", (x_f, x_i, x_g, x_o), strict=True):
        _gate(ax, (x, gates), labels[key], GATE_COLORS[key])
        ax.text(x + 0.62, gates + 0.45, key, fontsize=12, style="italic")


def _draw_cell_update(ax, top, gates, x_f, x_i, x_g):
    """f up to the old cell state; i * g up to the addition."""
    _line(ax, [(x_f, gates + 0.3), (x_f, top - 0.3)])
    mix = 3.7
    _line(ax, [(x_i, gates + 0.3), (x_i, mix), (x_g - 0.3, mix)])
    _line(ax, [(x_g, gates + 0.3), (x_g, mix - 0.3)])
    _pointwise(ax, (x_g, mix), "×")
    _line(ax, [(x_g, mix + 0.3), (x_g, top - 0.3)])


def _draw_hidden_output(ax, top, bus, gates, x_o, x_out):
    """``h_t = o * tanh(c_t)``: out to the next step and up to the layer's output."""
    _line(ax, [(x_out, top), (x_out, 4.1)])
    ax.add_patch(
        FancyBboxPatch(
            (x_out - 0.45, 3.5),
            0.9,
            0.5,
            boxstyle="round,pad=0.02,rounding_size=0.2",
            facecolor="white",
            edgecolor="black",
            zorder=3,
        )
    )
    ax.text(x_out, 3.75, "tanh", ha="center", va="center", fontsize=10, zorder=4)
    _line(ax, [(x_out, 3.5), (x_out, gates + 0.3)])
    _line(ax, [(x_o + 0.55, gates), (x_out - 0.3, gates)])
    _pointwise(ax, (x_out, gates), "×")
    _line(ax, [(x_out + 0.3, gates), (9.8, gates), (9.8, bus), (11.4, bus)])
    _line(ax, [(9.8, gates), (9.8, 6.6)])


def _draw_cell_labels(ax, top, bus, x_out):
    """The state names at the ends of the lines, the two equations and the key."""
    text = {"fontsize": 12, "va": "center"}
    ax.text(-0.5, top, "$c_{t-1}$", ha="right", **text)
    ax.text(11.5, top, "$c_t$", ha="left", **text)
    ax.text(-0.5, bus, "$h_{t-1}$", ha="right", **text)
    ax.text(11.5, bus, "$h_t$", ha="left", **text)
    ax.text(1.3, -0.95, "$x_t$", ha="center", **text)
    ax.text(9.8, 6.85, "$h_t$ (output)", ha="center", **text)
    ax.text(
        4.0,
        top + 0.45,
        "cell state: $c_t = f \\odot c_{t-1} + i \\odot g$",
        ha="center",
        fontsize=10,
    )
    ax.text(x_out - 0.1, 1.25, "$h_t = o \\odot \\tanh c_t$", ha="center", fontsize=10)
    legend = [f"{k}: {_GATE_NAMES[k]}" for k in "figo"] + [
        "coloured boxes: weights, then σ or tanh",
        "white box: tanh only",
        "circles: elementwise",
    ]
    ax.text(
        -0.5,
        -1.6,
        "     ".join(legend[:4]) + "\n" + "     ".join(legend[4:]),
        fontsize=9,
        va="center",
        color="0.25",
    )


def plot_lstm_cell():
    """Draw one LSTM cell: its four gates, the cell-state line and the outputs.

    The top line carries the cell state from ``c_{t-1}`` to ``c_t``: it is
    multiplied by the forget gate and has the gated candidate added, and
    nothing else touches it. The bottom line carries ``[h_{t-1}, x_t]`` to
    the four gates. Boxes are layers with weights (σ or tanh of ``x_t W +
    h_{t-1} U + b``, one block each); circles act elementwise.
    """
    fig, ax = plt.subplots(figsize=(9, 5.4))
    _draw_cell_background(ax)
    top, bus, gates = 5.0, 0.8, 2.3
    x_f, x_i, x_g, x_o, x_out = 2.5, 4.2, 5.6, 7.3, 8.8

    # The cell-state line: x f, then + i*g.
    _draw_cell_state_line(ax, top, x_f, x_g)
    # The input bus: h_{t-1} from the left, x_t from below, to every gate.
    _draw_input_bus_and_gates(ax, bus, gates, (x_f, x_i, x_g, x_o))
    # f multiplies the old cell state; i * g is added to it.
    _draw_cell_update(ax, top, gates, x_f, x_i, x_g)
    # h_t = o * tanh(c_t): out to the next step and up to the layer's output.
    _draw_hidden_output(ax, top, bus, gates, x_o, x_out)
    _draw_cell_labels(ax, top, bus, x_out)
    ax.set_xlim(-1.6, 12.4)
    ax.set_ylim(-2.1, 7.2)
    ax.set_aspect("equal")
    ax.axis("off")
    fig.tight_layout()
    return fig


def plot_weight_blocks(kernel, recurrent_kernel, bias, title=None):
    """Show an LSTM layer's three weight arrays with their four column blocks.

    ``kernel`` ``(features, 4 units)``, ``recurrent_kernel`` ``(units, 4
    units)`` and ``bias`` ``(4 units,)`` are drawn as heat maps on one column
    axis, with each block (i, f, c, o, Keras's order) labelled and outlined.
    """
    kernel, recurrent_kernel = np.asarray(kernel), np.asarray(recurrent_kernel)
    bias = np.asarray(bias)
    units = recurrent_kernel.shape[0]
    arrays = [
        ("kernel $W$", kernel),
        ("recurrent kernel $U$", recurrent_kernel),
        ("bias $b$", bias[np.newaxis, :]),
    ]
    heights = [max(a.shape[0], 7) for _, a in arrays]
    fig, axes = plt.subplots(
        3, 1, figsize=(9, 5.2), sharex=True, gridspec_kw={"height_ratios": heights}
    )
    limit = max(float(np.abs(a).max()) for _, a in arrays)
    for ax, (name, array) in zip(axes, arrays, strict=True):
        image = ax.imshow(
            array,
            aspect="auto",
            cmap="RdBu_r",
            vmin=-limit,
            vmax=limit,
            interpolation="nearest",
        )
        ax.set_ylabel(
            f"{name}\n{array.shape[0]} row{'s' if array.shape[0] > 1 else ''}"
        )
        ax.set_yticks([])
        for k, key in enumerate(GATES):
            ax.axvline(k * units - 0.5, color="black", lw=1.2)
            ax.axvspan(
                k * units - 0.5,
                (k + 1) * units - 0.5,
                ymin=0,
                ymax=0.04 if array.shape[0] > 4 else 0.1,
                color=GATE_COLORS[key],
            )
    for k, key in enumerate(GATES):
        axes[0].text(
            (k + 0.5) * units - 0.5,
            -0.6 - 0.1 * kernel.shape[0],
            f"{key}: {_GATE_NAMES[key]}",
            ha="center",
            va="bottom",
            fontsize=10,
            color="black",
        )
    axes[-1].set_xticks([k * units for k in range(5)])
    axes[-1].set_xlabel(f"column (4 blocks of {units} units)")
    fig.colorbar(image, ax=axes, shrink=0.8, label="weight")
    if title:
        fig.suptitle(title, y=1.0)
    return fig


def plot_gradient_by_lag(panels, ylabel="mean ‖∂h_t / ∂x_s‖"):
    """Plot gradient size against the lag ``t - s``, one panel per dict entry.

    ``panels`` maps a panel title to ``{label: values}``, where ``values[k]``
    is the mean gradient size at lag ``k``. The y axis is logarithmic, so a
    gradient that shrinks by the same factor per step is a straight line.
    """
    fig, axes = plt.subplots(
        1, len(panels), figsize=(5 * len(panels), 3.8), squeeze=False
    )
    colors = [OKABE_ITO[c] for c in ("blue", "vermillion", "bluish_green", "orange")]
    for ax, (title, curves) in zip(axes[0], panels.items(), strict=True):
        for (label, values), color in zip(
            curves.items(), colors, strict=False
        ):  # <= 4 curves
            values = np.asarray(values, dtype=float)
            ax.semilogy(
                np.arange(len(values)), values, "o-", ms=3, color=color, label=label
            )
        low, high = ax.get_ylim()
        if high / low < 10:  # less than a decade: plain numbers, not powers of 10
            ax.yaxis.set_major_formatter(FormatStrFormatter("%.1f"))
            ax.yaxis.set_minor_formatter(FormatStrFormatter("%.1f"))
        ax.set_title(title)
        ax.set_xlabel("lag t − s (steps)")
        ax.grid(alpha=0.3, which="both")
        ax.legend(fontsize=9)
    for ax in axes[0]:  # the panels do not share a y scale, so each says what it is
        ax.set_ylabel(ylabel)
    fig.tight_layout()
    return fig
