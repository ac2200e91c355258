"""The training panel's figures: the live learning curve, run overlays, predictions.

These build a bare :class:`matplotlib.figure.Figure` (no pyplot), so the panel
(:mod:`bilstm.widgets`) can draw them from its background thread and render
them to PNG with :func:`figure_png`.
"""

from __future__ import annotations

import io

import numpy as np
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from ..curves import window_curve
from ..checks import check_positive_int
from ..data import squeeze_features
from .style import LINE_COLORS, OKABE_ITO

__all__ = [
    "figure_png",
    "plot_live_curve",
    "plot_panel_runs",
    "plot_prediction_strip",
]


def _panel_figure(width, height):
    return Figure(figsize=(width, height), dpi=90, layout="constrained")


def figure_png(fig, dpi=None) -> bytes:
    """Render ``fig`` to PNG bytes (for an image widget) without pyplot.

    ``dpi`` defaults to matplotlib's ``savefig.dpi`` setting (normally the
    figure's own). A pyplot figure stays open: close it with ``plt.close(fig)``
    if it should not also show inline.
    """
    buf = io.BytesIO()
    fig.savefig(buf, format="png", **({} if dpi is None else {"dpi": dpi}))
    return buf.getvalue()


def _windows(curve):
    return window_curve(curve) if curve else None


def plot_live_curve(curve, total_steps=None, title=None):
    """Loss and accuracy against optimizer steps, one point per chunk of batches.

    ``curve`` holds the rows of :attr:`bilstm.training.TrainResult.curve`
    (``epoch``, ``batch``, ``step``, running ``loss`` and ``accuracy``); each
    point is the mean over the batches since the previous row. ``total_steps``
    fixes the x-axis so a live curve grows towards its end. Returns the Figure
    (two Axes: loss, accuracy).
    """
    fig = _panel_figure(7.2, 2.5)
    ax_loss, ax_acc = fig.subplots(1, 2)
    win = _windows(curve)
    if win is not None and len(win["step"]):
        ax_loss.plot(win["step"], win["loss"], ".-", color=OKABE_ITO["vermillion"])
        ax_acc.plot(win["step"], win["accuracy"], ".-", color=OKABE_ITO["blue"])
    else:
        for ax in (ax_loss, ax_acc):
            ax.text(
                0.5,
                0.5,
                "waiting for the first batches",
                ha="center",
                va="center",
                transform=ax.transAxes,
                color="grey",
            )
    for ax, name in ((ax_loss, "loss"), (ax_acc, "accuracy")):
        ax.set_xlabel("optimizer step")
        ax.set_ylabel(f"training {name}")
        if total_steps:
            ax.set_xlim(0, total_steps)
        ax.grid(alpha=0.3)
    ax_acc.set_ylim(0.4, 1.01)
    ax_loss.set_ylim(bottom=0)
    if title:
        fig.suptitle(title, fontsize=10)
    return fig


def plot_panel_runs(runs):
    """Overlay the learning curves of several runs against sequences seen.

    ``runs`` are dicts with ``curve`` (rows as for :func:`plot_live_curve`),
    ``batch_size`` and a ``label``. The x-axis counts training sequences (steps
    x batch size), so runs with different batch sizes line up fairly. Returns
    the Figure (two Axes: loss, accuracy; one line per run).
    """
    runs = list(runs)
    fig = _panel_figure(
        7.2, 2.5 + 0.17 * (len(runs) if len(runs) <= 3 else 2 + len(runs) // 2)
    )
    ax_loss, ax_acc = fig.subplots(1, 2)
    colors = LINE_COLORS
    drawn = 0
    for i, run in enumerate(runs):
        win = _windows(run.get("curve"))
        if win is None or not len(win["step"]):
            continue
        seen = win["step"] * run.get("batch_size", 1)
        number = run.get("run", i + 1)  # a run keeps its colour in every selection
        color = colors[(number - 1) % len(colors)]
        label = run.get("label", f"run {number}")
        ax_loss.plot(seen, win["loss"], color=color, label=label)
        ax_acc.plot(seen, win["accuracy"], color=color, label=label)
        drawn += 1
    for ax, name in ((ax_loss, "loss"), (ax_acc, "accuracy")):
        ax.set_xlabel("training sequences seen")
        ax.set_ylabel(f"training {name}")
        ax.grid(alpha=0.3)
    if drawn:
        handles, labels = ax_loss.get_legend_handles_labels()
        fig.legend(
            handles,
            labels,
            loc="outside lower center",
            fontsize=7,
            ncols=2 if drawn > 3 else 1,
        )
    else:
        ax_loss.text(
            0.5,
            0.5,
            "no runs chosen",
            ha="center",
            va="center",
            transform=ax_loss.transAxes,
            color="grey",
        )
    return fig


def plot_prediction_strip(X, y, predicted, wrong=None, n=4):
    """Show sequences step by step: true label, predicted label, mistakes.

    ``X`` holds inputs ``(k, T)``, ``y`` true labels and ``predicted`` the
    predicted labels (0/1) or probabilities of the same shape (thresholded at
    0.5). Each of the first ``n`` sequences gets two rows of squares, true on
    top and predicted below (dark = 1, light = 0); wrong steps get a
    vermillion frame and a cross. Returns the Figure (one Axes per sequence).
    """
    X = squeeze_features(X)
    y = np.asarray(y, dtype=np.float64).reshape(X.shape) > 0.5
    pred = np.asarray(predicted, dtype=np.float64).reshape(X.shape) > 0.5
    wrong = pred != y if wrong is None else np.asarray(wrong).reshape(X.shape)
    k = min(check_positive_int("n", n), len(X))
    T = X.shape[1]
    fig = _panel_figure(7.2, 0.2 + 0.62 * k)
    axes = fig.subplots(k, 1, squeeze=False)[:, 0]
    shade = {False: "#DCEAF5", True: OKABE_ITO["blue"]}
    for i, ax in enumerate(axes):
        for t in range(T):
            for row, labels in ((1, y), (0, pred)):
                ax.add_patch(
                    Rectangle((t, row), 0.92, 0.86, facecolor=shade[bool(labels[i, t])])
                )
            if wrong[i, t]:
                ax.add_patch(
                    Rectangle(
                        (t - 0.04, -0.06),
                        1.0,
                        2.0,
                        fill=False,
                        edgecolor=OKABE_ITO["vermillion"],
                        lw=2,
                    )
                )
                ax.plot(t + 0.46, 0.43, "x", color=OKABE_ITO["vermillion"], ms=6)
        ax.set_xlim(-0.2, T + 0.1)
        ax.set_ylim(-0.15, 2.0)
        ax.set_yticks([0.43, 1.43], ["predicted", "true"], fontsize=7)
        ax.set_xticks([])
        ax.tick_params(length=0)
        for side in ax.spines.values():
            side.set_visible(False)
        n_wrong = int(np.sum(wrong[i]))
        ax.set_title(
            f"sequence {i + 1}: "
            + (
                "all steps right"
                if not n_wrong
                else f"{n_wrong} wrong step{'s' * (n_wrong > 1)}"
            ),
            fontsize=8,
            loc="left",
            pad=2,
            color=OKABE_ITO["vermillion"] if n_wrong else "black",
        )
    fig.suptitle(
        "dark = label 1, light = label 0; framed with a cross = predicted wrong",
        fontsize=8,
    )
    return fig
