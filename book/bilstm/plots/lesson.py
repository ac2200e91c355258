"""The lesson's data figures (chapters 2-7): the problem, one run, its errors.

Every function returns its :class:`matplotlib.figure.Figure`, so a notebook
shows it and a test inspects its artists. The network drawing of chapter 1 is
in :mod:`bilstm.plots.diagram`.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from ..curves import window_curve
from ..checks import check_positive_int
from ..data import cumsum_labels, flip_step, limit_for, squeeze_features
from .style import OKABE_ITO

__all__ = [
    "plot_class_balance",
    "plot_cumsum_sequences",
    "plot_error_by_distance",
    "plot_flip_positions",
    "plot_learning_curve",
    "plot_step_predictions",
]


# --- Chapters 2-3: the cumulative sum problem ---


def plot_cumsum_sequences(X, y=None, limit=None, ncols: int = 2, title=None):
    """Plot sequences with their running sum, the limit and where the label flips.

    ``X`` is one sequence ``(n,)`` or several ``(k, n)`` (or ``(k, n, 1)``).
    Each panel shows the inputs as bars, the running sum as a line, the limit
    as a dashed horizontal line and shades the steps labelled 1. ``y`` defaults
    to the labels the limit implies. Returns the Figure (one Axes per sequence).
    """
    X = squeeze_features(X)
    k, n = X.shape
    if limit is None:
        limit = limit_for(n)
    if y is None:
        y = cumsum_labels(X, limit)
    y = np.asarray(y, dtype=np.float64).reshape(k, n)
    ncols = max(1, min(ncols, k))
    nrows = int(np.ceil(k / ncols))
    fig, axes = plt.subplots(
        nrows, ncols, figsize=(5.2 * ncols, 3.0 * nrows), squeeze=False, sharey=True
    )
    steps = np.arange(1, n + 1)
    flips = flip_step(y)
    for i, ax in enumerate(axes.flat):
        if i >= k:
            ax.remove()
            continue
        ax.bar(steps, X[i], color=OKABE_ITO["sky_blue"], label="input $x_t$")
        ax.plot(
            steps, np.cumsum(X[i]), "o-", color=OKABE_ITO["blue"], label="running sum"
        )
        ax.axhline(
            limit, color=OKABE_ITO["vermillion"], ls="--", label=f"limit = {limit:g}"
        )
        if flips[i] < n:
            ax.axvspan(
                flips[i] + 0.5,
                n + 0.5,
                color=OKABE_ITO["yellow"],
                alpha=0.3,
                label="label 1",
            )
        ax.set_xlim(0.5, n + 0.5)
        ax.set_xlabel("time step")
        ax.set_title(
            f"labels: {''.join(str(int(v)) for v in y[i])}"
            if n <= 40
            else f"label flips at step {flips[i] + 1}",
            fontsize=10,
            family="monospace",
        )
    axes.flat[0].set_ylabel("value")
    axes.flat[0].legend(loc="upper left", fontsize=8)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def plot_flip_positions(flips_by_length: dict):
    """Histogram of where the label flips, as a fraction of the sequence length.

    ``flips_by_length`` maps a sequence length ``n`` to an array of flip steps
    (0-based, as returned by :func:`bilstm.data.flip_step`; ``n`` means "never
    flipped").
    For each length, draws a step-outline density histogram of ``(flip + 1) / n``
    with one bin per possible step, over the sequences that flip. Returns the
    Figure: one Axes with one histogram (and legend entry) per length.
    """
    colors = list(OKABE_ITO.values())
    fig, ax = plt.subplots(figsize=(7, 3.8))
    for i, (n, flips) in enumerate(sorted(flips_by_length.items())):
        flips = np.asarray(flips)
        frac = (flips[flips < n] + 1) / n
        edges = (np.arange(n + 1) + 0.5) / n
        never = int((flips >= n).sum())
        label = f"n = {n}" + (f" ({never} never flip)" if never else "")
        ax.hist(
            frac,
            bins=edges,
            density=True,
            histtype="step",
            lw=2,
            color=colors[i % len(colors)],
            label=label,
        )
    ax.set_xlim(0, 1.05)
    ax.set_xlabel("flip step / sequence length")
    ax.set_ylabel("density")
    ax.set_title("Where the label flips from 0 to 1")
    ax.legend(title="sequence length", fontsize=9)
    fig.tight_layout()
    return fig


def plot_class_balance(y):
    """Fraction of 1 labels at each step position, with the overall fraction.

    ``y`` holds labels shaped ``(N, n)`` or ``(N, n, 1)``. Returns the Figure:
    one Axes with one bar per step and a dashed line at the overall fraction.
    """
    y = squeeze_features(y)
    per_step = y.mean(axis=0)
    overall = float(y.mean())
    steps = np.arange(1, y.shape[1] + 1)
    fig, ax = plt.subplots(figsize=(7, 3.5))
    ax.bar(steps, per_step, color=OKABE_ITO["blue"], label="fraction of 1 labels")
    ax.axhline(
        overall,
        color=OKABE_ITO["vermillion"],
        ls="--",
        label=f"overall = {overall:.2f}",
    )
    ax.axhline(0.5, color="grey", lw=0.8, ls=":", label="0.5 (a coin toss)")
    ax.set_xticks(steps)
    ax.set_ylim(0, 1)
    ax.set_xlabel("time step")
    ax.set_ylabel("fraction labelled 1")
    ax.set_title(f"Class balance over {len(y):,} sequences")
    ax.legend(loc="upper left")
    fig.tight_layout()
    return fig


# --- Chapters 4-7: the learning curve, where errors land, predictions ---


def plot_learning_curve(curve, batch_size=None, title=None):
    """Loss and accuracy of one training run, per window of batches.

    ``curve`` is a :class:`bilstm.training.TrainResult` or its ``curve`` rows.
    Solid lines with dots are the means over each window of batches (from
    :func:`bilstm.curves.window_curve`); dashed lines are the running means
    over the epoch so far, which is what Keras reports. With ``batch_size``
    the x axis counts sequences seen instead of batches. Returns the Figure:
    two Axes (loss on top, accuracy below), each with those two lines.
    """
    rows = getattr(curve, "curve", curve)
    if not rows:
        raise ValueError("the curve holds no rows: was anything trained?")
    windows = window_curve(rows)
    widths = set(np.diff(windows["step"], prepend=0).tolist())  # batches per window
    window = f"each {widths.pop()} batches" if len(widths) == 1 else "each window"
    running_x = np.array([row["step"] for row in rows], dtype=float)
    window_x = windows["step"].astype(float)
    xlabel = "batches (gradient steps)"
    if batch_size is not None:
        scale = check_positive_int("batch_size", batch_size)
        running_x, window_x = running_x * scale, window_x * scale
        xlabel = "training sequences seen"
    fig, (ax_loss, ax_acc) = plt.subplots(2, 1, figsize=(7.5, 5.2), sharex=True)
    for ax, key, name in ((ax_loss, "loss", "loss"), (ax_acc, "accuracy", "accuracy")):
        ax.plot(
            window_x,
            windows[key],
            "o-",
            color=OKABE_ITO["blue"],
            ms=4,
            label=f"{name}, mean of {window}",
        )
        ax.plot(
            running_x,
            [row[key] for row in rows],
            "--",
            color=OKABE_ITO["orange"],
            label=f"running mean {name} of the epoch (as Keras reports it)",
        )
        ax.set_ylabel(name)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8, loc="center right")
    ax_acc.set_ylim(top=1.0)
    ax_acc.set_xlabel(xlabel)
    ax_loss.set_title(title or "Learning curve")
    fig.tight_layout()
    return fig


def _bin_label(low, high):
    return f"≥ {low:g}" if np.isinf(high) else f"{low:g}–{high:g}"


def plot_error_by_distance(X, wrong, limit=None, edges=None, title=None):
    """Bar chart of the error rate against ``|running sum - limit|`` at each step.

    Uses :func:`bilstm.evaluation.error_rate_by_distance` (``edges`` default to
    its ``DISTANCE_EDGES``); each bar carries its Wilson 95% interval and the
    number of wrong steps out of all steps in the bin above it. Returns the
    Figure: one Axes with one bar per bin.
    """
    from ..evaluation import DISTANCE_EDGES, error_rate_by_distance, wilson_interval

    edges = DISTANCE_EDGES if edges is None else edges
    table = error_rate_by_distance(X, wrong, limit, edges)
    edges, steps, errors = table["edges"], table["steps"], table["errors"]
    labels = [_bin_label(a, b) for a, b in zip(edges[:-1], edges[1:], strict=True)]
    rate = np.nan_to_num(table["rate"]) * 100
    low, high = np.zeros_like(rate), np.zeros_like(rate)
    for i, (k, n) in enumerate(zip(errors, steps, strict=True)):
        if n:
            lo, hi = wilson_interval(int(k), int(n))
            low[i], high[i] = rate[i] - 100 * lo, 100 * hi - rate[i]
    x = np.arange(len(labels))
    fig, ax = plt.subplots(figsize=(8, 4.2))
    ax.bar(
        x,
        rate,
        color=OKABE_ITO["vermillion"],
        yerr=np.vstack([low, high]),
        capsize=3,
        error_kw={"elinewidth": 1, "ecolor": "black"},
        label="error rate (Wilson 95% interval)",
    )
    for xi, top, k, n in zip(x, rate + high, errors, steps, strict=True):
        ax.text(xi, top, f"{k}/{n}", ha="center", va="bottom", fontsize=7)
    ax.set_xticks(x, labels, rotation=30)
    ax.set_xlabel("|running sum − limit| at the step")
    ax.set_ylabel("steps predicted wrong (%)")
    ax.set_ylim(0, max(1.0, float(np.max(rate + high))) * 1.15)
    ax.set_title(
        title or "Errors concentrate where the running sum is close to the limit"
    )
    ax.legend(loc="upper right", fontsize=9)
    ax.grid(axis="y", alpha=0.3)
    fig.tight_layout()
    return fig


def plot_step_predictions(y, proba, wrong=None, ncols=5, title=None):
    """Predicted probability against the true label, step by step, per sequence.

    ``y`` holds the true labels ``(k, n)`` (or ``(k, n, 1)``) and ``proba`` the
    predicted probabilities of label 1 in the same shape. ``wrong`` (default:
    where the probability is on the wrong side of 0.5) marks steps with an
    open vermillion ring. Returns the Figure: one Axes per sequence, titled
    with its number and whether every step was right; the rings are a
    scatter collection with gid ``"wrong"``.
    """
    y, proba = squeeze_features(y), squeeze_features(proba)
    if y.shape != proba.shape:
        raise ValueError(f"y {y.shape} and proba {proba.shape} must have one shape")
    if wrong is None:
        wrong = (proba > 0.5) != (y > 0.5)
    wrong = np.asarray(wrong, dtype=bool).reshape(y.shape)
    k, n = y.shape
    ncols = max(1, min(check_positive_int("ncols", ncols), k))
    nrows = -(-k // ncols)
    fig, axes = plt.subplots(
        nrows,
        ncols,
        figsize=(2.6 * ncols + 0.6, 2.3 * nrows + 0.6),
        sharex=True,
        sharey=True,
        squeeze=False,
    )
    steps = np.arange(1, n + 1)
    for i, ax in enumerate(axes.flat):
        if i >= k:
            ax.remove()
            continue
        ax.axhline(0.5, color="grey", lw=0.8, ls=":")
        ax.step(
            steps, y[i], where="mid", color=OKABE_ITO["black"], lw=1.5, label="truth"
        )
        ax.plot(
            steps,
            proba[i],
            "o-",
            color=OKABE_ITO["blue"],
            ms=3.5,
            lw=1,
            label="predicted probability",
        )
        bad = wrong[i]
        ax.scatter(
            steps[bad],
            proba[i][bad],
            s=110,
            facecolor="none",
            edgecolor=OKABE_ITO["vermillion"],
            linewidth=2,
            zorder=4,
            gid="wrong",
            label="wrong step",
        )
        verdict = "all right" if not bad.any() else f"{int(bad.sum())} wrong"
        ax.set_title(f"sequence {i + 1}: {verdict}", fontsize=9)
        ax.set_ylim(-0.1, 1.1)
        ax.set_xticks(steps if n <= 12 else steps[:: max(1, n // 6)])
    for ax in axes[-1]:
        ax.set_xlabel("time step")
    for ax in axes[:, 0]:
        ax.set_ylabel("P(label = 1)")
    handles, labels = axes.flat[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncols=3, fontsize=9)
    fig.suptitle(title or "Predicted probability against the true label")
    fig.tight_layout(rect=(0, 0.07, 1, 1))
    return fig
