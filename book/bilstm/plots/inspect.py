"""Figures of the chapter *What the network learned*: states, probes, gates.

Pure functions of plain arrays (what :mod:`bilstm.inspect` returns), each
returning its :class:`matplotlib.figure.Figure`. They belong with the other
figures in :mod:`bilstm.plots` and will move there.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from ..data import cumsum_labels, flip_step, squeeze_features
from .style import OKABE_ITO

__all__ = [
    "plot_cell_against_sum",
    "plot_gates_at_flip",
    "plot_probe_scores",
    "plot_states_over_time",
]

_DIRECTION_COLORS = {"forward": OKABE_ITO["blue"], "backward": OKABE_ITO["orange"]}
_HIGHLIGHT = (OKABE_ITO["vermillion"], OKABE_ITO["bluish_green"], OKABE_ITO["black"])
_STATE_NAMES = {"c": "cell state $c$", "h": "hidden state $h$"}


def _draw_sums(ax, j, steps, x, running, remaining, limit, flip):
    """Sequence ``j``'s inputs, running and remaining sums and the limit."""
    ax.bar(steps, x, color=OKABE_ITO["sky_blue"], label="input $x_t$")
    ax.plot(
        steps,
        running,
        "o-",
        color=_DIRECTION_COLORS["forward"],
        label="running sum",
    )
    ax.plot(
        steps,
        remaining,
        "s-",
        color=_DIRECTION_COLORS["backward"],
        label="remaining sum",
    )
    ax.axhline(limit, color=OKABE_ITO["vermillion"], ls="--", label="limit")
    ax.set_title(
        f"sequence {j + 1}: label flips at step {flip}"
        if flip
        else f"sequence {j + 1}: label never flips",
        fontsize=10,
    )


def _draw_state_units(ax, steps, values, units):
    """Every unit of ``values`` ``(T, units)`` in grey, ``units`` in colour."""
    ax.plot(steps, values, color="grey", lw=0.6, alpha=0.35)
    for colour, unit in zip(_HIGHLIGHT, units, strict=False):  # up to 3 units
        ax.plot(
            steps,
            values[:, unit],
            "o-",
            color=colour,
            lw=1.8,
            ms=3,
            label=f"unit {unit}",
        )
    ax.axhline(0, color="black", lw=0.5)


def plot_states_over_time(X, states, units, limit=None):
    """A few sequences with both directions' cell and hidden states, step by step.

    ``X`` holds ``k`` sequences ``(k, T)``; ``states`` is
    :func:`bilstm.inspect.bidirectional_states` of those sequences, and
    ``units`` maps ``"forward"`` and ``"backward"`` to the indices of up to
    three units to draw in colour (the rest are drawn as faint grey lines).
    One column per sequence; the top row shows the inputs, the running sum
    ``x_1 + ... + x_t``, the remaining sum ``x_t + ... + x_T`` and the limit
    (default ``T / 4``), then one row each for the forward cell and hidden
    states and the backward ones. A dotted line marks the step where the label
    flips to 1. Returns the Figure (``5 * k`` Axes).
    """
    X = squeeze_features(X)
    k, T = X.shape
    limit = T / 4.0 if limit is None else float(limit)
    for direction in ("forward", "backward"):
        if direction not in units or not 1 <= len(units[direction]) <= 3:
            raise ValueError(
                f"units must map {direction!r} to one to three unit indices"
            )
        for part in ("c", "h"):
            shape = np.shape(states[direction][part])
            if shape[:2] != (k, T):
                raise ValueError(
                    f"states[{direction!r}][{part!r}] must start with ({k}, {T}) "
                    f"to match X, got {shape}"
                )
    steps = np.arange(1, T + 1)
    running = np.cumsum(X, axis=1)
    remaining = np.cumsum(X[:, ::-1], axis=1)[:, ::-1]
    flips = [int(f) + 1 if f < T else None for f in flip_step(cumsum_labels(X, limit))]
    rows = [("forward", "c"), ("forward", "h"), ("backward", "c"), ("backward", "h")]
    fig, axes = plt.subplots(
        5, k, figsize=(3.9 * k + 0.6, 11.5), sharex=True, squeeze=False
    )
    for j in range(k):
        _draw_sums(
            axes[0, j], j, steps, X[j], running[j], remaining[j], limit, flips[j]
        )
        for row, (direction, part) in enumerate(rows, start=1):
            values = np.asarray(states[direction][part])[j]
            _draw_state_units(axes[row, j], steps, values, units[direction])
            if j == 0:
                axes[row, j].set_ylabel(f"{direction}\n{_STATE_NAMES[part]}")
        for ax in axes[:, j]:
            if flips[j]:
                ax.axvline(flips[j], color="black", ls=":", lw=1)
            ax.grid(alpha=0.3)
        axes[-1, j].set_xlabel("time step")
    axes[0, 0].set_ylabel("value")
    axes[0, 0].legend(loc="upper left", fontsize=8)
    for row in (1, 3):
        axes[row, 0].legend(loc="best", fontsize=8)
    axes[0, 0].set_xticks(steps)
    fig.tight_layout()
    return fig


def plot_probe_scores(scores, title=None):
    """R² of linear probes: one group of bars per quantity, one bar per feature set.

    ``scores`` maps a feature set (``"forward"``, ``"backward"``, a baseline,
    ...) to ``{quantity: R² of each run}``; every feature set must have the
    same quantities. Each bar is the mean over runs, its black line spans the
    lowest to the highest run and the dots are the runs. Returns the Figure.
    """
    if not scores:
        raise ValueError("scores must hold at least one feature set")
    names = list(scores)
    quantities = list(scores[names[0]])
    if not quantities or any(list(scores[n]) != quantities for n in names):
        raise ValueError("every feature set must score the same quantities")
    palette = [OKABE_ITO[c] for c in ("blue", "orange", "reddish_purple")]
    colors = {
        name: palette[i] if i < len(palette) else "#bbbbbb"
        for i, name in enumerate(names)
    }
    if len(names) > len(palette):  # the last set is drawn grey: the baseline
        colors[names[-1]] = "#bbbbbb"
    width = 0.8 / len(names)
    fig, ax = plt.subplots(figsize=(1.9 * len(quantities) + 2.0, 4.4))
    centres = np.arange(len(quantities))
    for i, name in enumerate(names):
        runs = [np.atleast_1d(np.asarray(scores[name][q], float)) for q in quantities]
        x = centres - 0.4 + width * (i + 0.5)
        ax.bar(
            x,
            [r.mean() for r in runs],
            width * 0.9,
            color=colors[name],
            label=name,
            edgecolor="black",
            lw=0.5,
        )
        for xi, r in zip(x, runs, strict=True):
            ax.plot([xi, xi], [r.min(), r.max()], color="black", lw=1.5)
            offsets = np.linspace(-0.25, 0.25, len(r)) * width if len(r) > 1 else [0]
            ax.scatter(xi + np.asarray(offsets), r, s=9, color="black", zorder=3)
    ax.set_xticks(centres, [q.replace(" to the ", "\nto the ") for q in quantities])
    ax.set_ylabel("R² on fresh sequences")
    ax.set_ylim(0, 1.17)
    ax.axhline(1, color="black", lw=0.5)
    ax.set_title(
        title or "What a linear read-out recovers from each direction's states"
    )
    ax.legend(fontsize=9, loc="upper center", ncols=len(names))
    ax.grid(axis="y", alpha=0.3)
    fig.tight_layout()
    return fig


def plot_gates_at_flip(offsets, gates, gate_names=None):
    """Gate activations around the step where the label flips.

    ``offsets`` are the steps relative to the flip (for example ``-3 ... 3``)
    and ``gates`` maps a direction to ``{gate: {group label: curve}}``, each
    curve the mean activation at those offsets for one group of sequences
    (for example those whose label flips at step 5). One panel per direction
    and gate, one line per group. ``gate_names`` gives the panels' names for
    the gates (default: ``"i"`` input gate, ``"f"`` forget gate). Returns the
    Figure.
    """
    gate_names = gate_names or {"i": "input gate", "f": "forget gate"}
    offsets = np.asarray(offsets)
    directions = list(gates)
    if not directions:
        raise ValueError("gates must hold at least one direction")
    gate_keys = list(gates[directions[0]])
    if not gate_keys or any(list(gates[d]) != gate_keys for d in directions):
        raise ValueError("every direction must hold the same gates")
    fig, axes = plt.subplots(
        len(directions),
        len(gate_keys),
        figsize=(4.6 * len(gate_keys), 3.4 * len(directions)),
        squeeze=False,
        sharex=True,
    )
    for r, direction in enumerate(directions):
        for c, gate in enumerate(gate_keys):
            ax = axes[r, c]
            groups = gates[direction][gate]
            shades = plt.cm.viridis(np.linspace(0.0, 0.85, max(len(groups), 1)))
            for shade, (label, curve) in zip(
                shades, groups.items(), strict=False
            ):  # 1 shade if none
                curve = np.asarray(curve, float)
                if curve.shape != offsets.shape:
                    raise ValueError(
                        f"curve {label!r} must have one value per offset "
                        f"({len(offsets)}), got {curve.shape}"
                    )
                ax.plot(offsets, curve, "o-", color=shade, lw=1.8, ms=4, label=label)
            ax.axvline(0, color="black", ls=":", lw=1)
            ax.set_title(f"{direction} LSTM: {gate_names.get(gate, gate)}", fontsize=10)
            ax.grid(alpha=0.3)
            if c == 0:
                ax.set_ylabel("mean activation over units")
            if r == len(directions) - 1:
                ax.set_xlabel("steps from the flip (0 = first step labelled 1)")
    axes[0, 0].legend(fontsize=8, title="label flips at", title_fontsize=8)
    fig.tight_layout()
    return fig


def plot_cell_against_sum(panels, limit=None):
    """One cell's state against the running sum, every step a dot coloured by step.

    ``panels`` maps a title to ``(running_sum, cell, position)``, three arrays
    of the same shape (for example ``(n, T)``). A cell that added up its
    inputs would put the dots on one straight line. ``limit``, if given, is
    drawn as a dashed vertical line. Returns the Figure (one Axes per panel
    and a colour bar).
    """
    if not panels:
        raise ValueError("panels must hold at least one panel")
    fig, axes = plt.subplots(
        1,
        len(panels),
        figsize=(4.4 * len(panels) + 0.8, 3.9),
        squeeze=False,
        layout="constrained",
    )
    for ax, (title, (running, cell, position)) in zip(
        axes[0], panels.items(), strict=True
    ):
        running, cell, position = (
            np.asarray(a, float).ravel() for a in (running, cell, position)
        )
        if not running.shape == cell.shape == position.shape:
            raise ValueError(f"panel {title!r}: the three arrays must match in shape")
        dots = ax.scatter(running, cell, c=position, s=4, cmap="viridis", alpha=0.6)
        if limit is not None:
            ax.axvline(
                limit, color=OKABE_ITO["vermillion"], ls="--", lw=1, label="limit"
            )
            ax.legend(fontsize=8, loc="best")
        ax.set_title(title, fontsize=10)
        ax.set_xlabel("running sum $x_1 + \\dots + x_t$")
        ax.grid(alpha=0.3)
    axes[0, 0].set_ylabel("cell state of the unit")
    fig.colorbar(dots, ax=axes[0].tolist(), label="time step $t$")
    return fig
