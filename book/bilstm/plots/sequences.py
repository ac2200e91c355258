"""Sequences of different lengths: padded batches and scores by padding.

The figures of the padding-and-masking chapter: what a zero-padded batch looks
like, after or before the real steps, and each variant's score over seeds,
grouped by reading direction.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.colors import ListedColormap
from matplotlib.patches import Rectangle

from ..data import squeeze_features
from .style import OKABE_ITO, variant_colors

__all__ = ["plot_grouped_scores", "plot_padded_sequences"]

_PADDING_GREY = "#d9d9d9"


def plot_padded_sequences(batches: dict, n_show: int = 6, title=None):
    """Draw the first ``n_show`` sequences of each padded batch as a grid.

    ``batches`` maps a panel title to ``(X, y, w)`` as
    :func:`bilstm.data.get_padded_sequences` returns them. One row per
    sequence, one column per step: real steps shaded by their input value
    (darker is larger), padded steps (weight 0) grey and hatched, and a dot on
    every real step whose label is 1. Returns the Figure, one axes per batch.
    """
    if not batches:
        raise ValueError("batches must hold at least one (X, y, w) batch")
    n_show = int(n_show)
    if n_show < 1:
        raise ValueError(f"n_show must be at least 1, got {n_show}")
    shapes = {squeeze_features(X).shape[1] for X, _, _ in batches.values()}
    width = max(shapes)
    fig, axes = plt.subplots(
        len(batches),
        1,
        figsize=(0.42 * width + 2.2, 0.42 * n_show * len(batches) + 1.4),
        squeeze=False,
    )
    cmap = ListedColormap(plt.get_cmap("Blues")(np.linspace(0.08, 0.85, 256)))
    for ax, (name, (X, y, w)) in zip(axes[:, 0], batches.items(), strict=True):
        X, y = squeeze_features(X)[:n_show], squeeze_features(y)[:n_show]
        w = np.asarray(w, dtype=float).reshape(squeeze_features(w).shape)[:n_show]
        rows, steps = X.shape
        shown = np.ma.masked_where(w == 0, X)
        image = ax.imshow(
            shown, cmap=cmap, vmin=0.0, vmax=1.0, aspect="equal", interpolation="none"
        )
        for i, t in zip(*np.nonzero(w == 0), strict=True):
            ax.add_patch(
                Rectangle(
                    (t - 0.5, i - 0.5),
                    1,
                    1,
                    facecolor=_PADDING_GREY,
                    edgecolor="white",
                    hatch="///",
                    linewidth=0.0,
                    gid="padding",
                )
            )
        ones = (y > 0.5) & (w > 0)
        ax.scatter(
            *np.nonzero(ones)[::-1],
            s=14,
            color=OKABE_ITO["vermillion"],
            edgecolor="white",
            linewidth=0.5,
            zorder=3,
            gid="label_one",
        )
        ax.set_xticks(range(steps), [str(t + 1) for t in range(steps)], fontsize=7)
        ax.set_yticks(range(rows), [f"{int(n)} steps" for n in w.sum(axis=1)])
        ax.set_xlabel("time step")
        ax.set_title(name)
        fig.colorbar(image, ax=ax, fraction=0.025, pad=0.02, label="input")
    fig.suptitle(
        title
        or "Padded batches: input shade, grey = padding, dot = label 1 (real steps)"
    )
    fig.tight_layout()
    return fig


def plot_grouped_scores(
    scores: dict, ax=None, ylabel="accuracy on real steps", title=None, ylim=None
):
    """Every run's score, grouped (e.g. by direction) and coloured by variant.

    ``scores`` maps a group name to ``{variant: values}`` (one value per
    seed); a variant may be missing from a group. Within each group every
    variant gets a column of dots, one per run, spread sideways by a fixed
    pattern, and a short black bar at their mean. The colours follow the
    variants' first appearance, the same in every group, with one legend
    entry each. Returns the Figure.
    """
    if not scores or not any(scores.values()):
        raise ValueError("scores must hold at least one group with a variant")
    variants = list(dict.fromkeys(v for group in scores.values() for v in group))
    colors = variant_colors(variants)
    own = ax is None
    if own:
        fig, ax = plt.subplots(figsize=(1.1 * len(variants) * len(scores) + 2.5, 4.0))
    else:
        fig = ax.figure
    width = 0.8 / len(variants)
    labelled = set()
    for g, by_variant in enumerate(scores.values()):
        for k, variant in enumerate(variants):
            if variant not in by_variant:
                continue
            v = np.asarray(by_variant[variant], dtype=float)
            x = g - 0.4 + width * (k + 0.5)
            spread = 0.3 * width
            offsets = np.linspace(-spread, spread, len(v)) if len(v) > 1 else [0.0]
            ax.scatter(
                x + np.asarray(offsets),
                v,
                color=colors[variant],
                edgecolor="black",
                linewidth=0.5,
                s=26,
                zorder=3,
                label=None if variant in labelled else variant,
            )
            labelled.add(variant)
            ax.hlines(v.mean(), x - 0.4 * width, x + 0.4 * width, color="black", lw=1.5)
    ax.set_xticks(range(len(scores)), list(scores))
    ax.set_xlim(-0.5, len(scores) - 0.5)
    for g in range(1, len(scores)):
        ax.axvline(g - 0.5, color="grey", lw=0.5, alpha=0.5)
    if ylim is not None:
        ax.set_ylim(*ylim)
    ax.set_ylabel(ylabel)
    ax.grid(axis="y", alpha=0.3)
    ax.legend(fontsize=8, loc="best")
    ax.set_title(title or f"{ylabel}: every run (dots) and the mean (bar)")
    if own:
        fig.tight_layout()
    return fig
