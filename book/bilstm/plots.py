"""The book's figures, in matplotlib only.

Every function returns its :class:`matplotlib.figure.Figure`, so a notebook
shows it (or renders it to PNG for a widget) and a test inspects its artists.
Colours come from the Okabe-Ito palette, which stays distinguishable for the
common forms of colour blindness.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.patches import FancyBboxPatch

from .data import check_positive_int

OKABE_ITO = {
    "blue": "#0072B2",
    "orange": "#E69F00",
    "bluish_green": "#009E73",
    "vermillion": "#D55E00",
    "sky_blue": "#56B4E9",
    "reddish_purple": "#CC79A7",
    "yellow": "#F0E442",
    "black": "#000000",
}


# --- Lesson chapters 1-3: the architecture and the cumulative sum problem ---


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
            color=OKABE_ITO["vermillion"],
        )
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


def flip_step(y) -> np.ndarray:
    """Index of the first 1 label in each sequence of ``y`` (last axis is time).

    Sequences whose labels never reach 1 get the sequence length.
    """
    y = np.asarray(y)
    if y.ndim == 3:
        y = y[..., 0]
    y = np.atleast_2d(y) > 0.5
    n = y.shape[-1]
    return np.where(y.any(axis=-1), y.argmax(axis=-1), n)


def plot_cumsum_sequences(X, y=None, limit=None, ncols: int = 2, title=None):
    """Plot sequences with their running sum, the limit and where the label flips.

    ``X`` is one sequence ``(n,)`` or several ``(k, n)`` (or ``(k, n, 1)``).
    Each panel shows the inputs as bars, the running sum as a line, the limit
    as a dashed horizontal line and shades the steps labelled 1. ``y`` defaults
    to the labels the limit implies. Returns the Figure (one Axes per sequence).
    """
    X = np.asarray(X, dtype=np.float64)
    if X.ndim == 3:
        X = X[..., 0]
    X = np.atleast_2d(X)
    k, n = X.shape
    if limit is None:
        limit = n / 4.0
    if y is None:
        y = (np.cumsum(X, axis=-1) >= limit).astype(np.float64)
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
    (0-based, as returned by :func:`flip_step`; ``n`` means "never flipped").
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
    y = np.asarray(y, dtype=np.float64)
    if y.ndim == 3:
        y = y[..., 0]
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
    ax.axhline(0.5, color="grey", lw=0.8, ls=":")
    ax.set_xticks(steps)
    ax.set_ylim(0, 1)
    ax.set_xlabel("time step")
    ax.set_ylabel("fraction labelled 1")
    ax.set_title(f"Class balance over {len(y):,} sequences")
    ax.legend(loc="upper left")
    fig.tight_layout()
    return fig


# --- Extension chapters: repeated runs, spread and frontiers ---


def _variant_colors(names):
    palette = [c for k, c in OKABE_ITO.items() if k != "yellow"]
    return {name: palette[i % len(palette)] for i, name in enumerate(names)}


def plot_run_curves(
    curves,
    band="minmax",
    ax=None,
    xlabel="training sequences seen",
    ylabel="training accuracy (per window)",
    title=None,
    ylim=None,
):
    """Mean learning curve per variant with a band showing the spread over runs.

    ``curves`` maps a variant name to ``(x, runs)``: the x values (length m)
    and an array of shape ``(n_runs, m)``, as returned by
    :func:`bilstm.experiments.curves`. ``band`` is ``"minmax"`` (the band
    spans the lowest and highest run) or ``"iqr"`` (25th to 75th percentile).
    Draws into ``ax`` if given. Returns the Figure: one mean line (with a
    legend entry) and one filled band per variant.
    """
    if band not in ("minmax", "iqr"):
        raise ValueError(f"band must be 'minmax' or 'iqr', got {band!r}")
    if not curves:
        raise ValueError("curves must hold at least one variant")
    fig, ax = (ax.figure, ax) if ax is not None else plt.subplots(figsize=(7.5, 4.2))
    colors = _variant_colors(list(curves))
    for name, (x, runs) in curves.items():
        runs = np.atleast_2d(np.asarray(runs, dtype=float))
        x = np.asarray(x, dtype=float)
        if band == "minmax":
            low, high = runs.min(axis=0), runs.max(axis=0)
        else:
            low, high = np.percentile(runs, [25, 75], axis=0)
        color = colors[name]
        ax.fill_between(x, low, high, color=color, alpha=0.2, lw=0)
        ax.plot(
            x,
            runs.mean(axis=0),
            color=color,
            lw=2,
            label=f"{name} (mean of {len(runs)})",
        )
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if ylim is not None:
        ax.set_ylim(*ylim)
    band_text = "lowest to highest run" if band == "minmax" else "25th-75th percentile"
    ax.set_title(title or f"Learning curves: mean, band = {band_text}")
    ax.legend(loc="lower right", fontsize=9)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    return fig


def plot_final_scores(
    scores, ax=None, ylabel="test accuracy per step", title=None, ylim=None
):
    """Box plot of one score per variant with every run drawn as a dot.

    ``scores`` maps a variant name to the values of its runs (one per seed).
    Dots are spread sideways by a fixed offset pattern (no randomness), so the
    figure is the same every time. Returns the Figure: one box per variant and
    one dot collection per variant.
    """
    if not scores:
        raise ValueError("scores must hold at least one variant")
    fig, ax = (
        (ax.figure, ax)
        if ax is not None
        else plt.subplots(figsize=(1.5 * len(scores) + 2.5, 4.0))
    )
    names = list(scores)
    colors = _variant_colors(names)
    data = [np.asarray(scores[n], dtype=float) for n in names]
    boxes = ax.boxplot(
        data,
        widths=0.5,
        showfliers=False,
        patch_artist=True,
        medianprops={"color": "black"},
    )
    ax.set_xticks(range(1, len(names) + 1), names)
    for patch, name in zip(boxes["boxes"], names, strict=True):
        patch.set_facecolor(colors[name])
        patch.set_alpha(0.35)
    for i, (name, v) in enumerate(zip(names, data, strict=True), start=1):
        offsets = np.linspace(-0.15, 0.15, len(v)) if len(v) > 1 else np.zeros(1)
        ax.scatter(
            i + offsets, v, color=colors[name], edgecolor="black", s=28, zorder=3
        )
    ax.set_ylabel(ylabel)
    if ylim is not None:
        ax.set_ylim(*ylim)
    ax.set_title(title or f"{ylabel}: every run (dots) and their spread (boxes)")
    ax.grid(axis="y", alpha=0.3)
    fig.tight_layout()
    return fig


def plot_frontier(
    lengths,
    needed,
    tested=None,
    ax=None,
    xlabel="sequence length",
    ylabel="smallest memory cells per direction",
    title=None,
    log=True,
):
    """The smallest setting that reaches a target, against problem size.

    ``lengths`` and ``needed`` give the frontier (``None`` or NaN in ``needed``
    means the target was not reached in the search). ``tested``, optional, is a
    list of ``(length, value, passed)`` for every setting tried: passes are
    drawn as filled circles, failures as open ones. Draws into ``ax`` if given.
    Returns the Figure.
    """
    lengths = np.asarray(lengths, dtype=float)
    needed = np.array([np.nan if v is None else v for v in needed], dtype=float)
    if lengths.shape != needed.shape or lengths.size == 0:
        raise ValueError("lengths and needed must be non-empty and the same length")
    fig, ax = (ax.figure, ax) if ax is not None else plt.subplots(figsize=(6.5, 4.0))
    if tested:
        t = np.array([(a, b, bool(c)) for a, b, c in tested], dtype=float)
        ok = t[:, 2] > 0
        ax.scatter(
            t[ok, 0],
            t[ok, 1],
            color=OKABE_ITO["bluish_green"],
            s=30,
            label="tried: reached target",
            zorder=3,
        )
        ax.scatter(
            t[~ok, 0],
            t[~ok, 1],
            facecolor="white",
            edgecolor=OKABE_ITO["vermillion"],
            s=30,
            label="tried: missed target",
            zorder=3,
        )
    ax.plot(
        lengths, needed, "s-", color=OKABE_ITO["blue"], lw=2, label="frontier", zorder=2
    )
    if log:
        ax.set_yscale("log", base=2)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title or f"{ylabel} against {xlabel}")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=9)
    fig.tight_layout()
    return fig


def plot_training_needed(
    lengths,
    needed,
    budget=None,
    ax=None,
    xlabel="sequence length",
    ylabel="training sequences to reach the target",
    title=None,
):
    """How much training each run needed, against problem size.

    ``needed`` holds one list per length: the training each run of that
    length needed (``None`` or NaN for a run that never got there). Every run
    is a dot (side by side, so equal values stay visible), the median of the
    runs that got there a line; ``budget``, if given, is drawn as a dashed
    line (a number, or one per length). Draws into ``ax`` if given. Returns
    the Figure.
    """
    lengths = np.asarray(lengths, dtype=float)
    if lengths.size == 0 or len(needed) != lengths.size:
        raise ValueError("lengths and needed must be non-empty and the same length")
    fig, ax = (ax.figure, ax) if ax is not None else plt.subplots(figsize=(6.5, 4.0))
    gap = np.min(np.diff(np.sort(lengths))) if lengths.size > 1 else 1.0
    medians = []
    for n, runs in zip(lengths, needed, strict=True):
        v = np.array([np.nan if r is None else r for r in runs], dtype=float)
        hit = v[np.isfinite(v)]
        spread = 0.12 * gap if hit.size > 1 else 0.0  # side by side, not on top
        ax.scatter(
            n + np.linspace(-spread, spread, hit.size),
            hit,
            color=OKABE_ITO["sky_blue"],
            edgecolor=OKABE_ITO["blue"],
            s=28,
            zorder=3,
            label="one run" if not medians else None,
        )
        medians.append(np.median(hit) if hit.size else np.nan)
    ax.plot(lengths, medians, "s-", color=OKABE_ITO["blue"], lw=2, label="median")
    if budget is not None:
        budget = np.broadcast_to(np.asarray(budget, dtype=float), lengths.shape)
        ax.plot(lengths, budget, "--", color=OKABE_ITO["vermillion"], label="budget")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_ylim(bottom=0)
    ax.set_title(title or f"{ylabel} against {xlabel}")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=9)
    fig.tight_layout()
    return fig


def plot_pass_grid(results, marks=None, ax=None, title=None):
    """Which settings of a search passed: a grid of memory cells by batch size.

    ``results`` is a list of dicts with ``cells``, ``batch_size``, ``reached``
    (runs that reached the target), ``tried`` (runs made), ``passed`` and
    ``median_seconds``. Passing settings are filled green, the others grey;
    every square shows "reached of tried" and the median training time.
    ``marks`` maps a label to a ``(cells, batch_size)`` to outline and name,
    for example the winners of the search. Returns the Figure.
    """
    if not results:
        raise ValueError("results must hold at least one setting")
    cells = sorted({r["cells"] for r in results})
    batches = sorted({r["batch_size"] for r in results})
    fig, ax = (
        (ax.figure, ax)
        if ax is not None
        else plt.subplots(figsize=(1.3 * len(batches) + 2.2, 0.62 * len(cells) + 1.6))
    )
    for r in results:
        x, y = batches.index(r["batch_size"]), cells.index(r["cells"])
        color = OKABE_ITO["bluish_green"] if r["passed"] else "#DDDDDD"
        ax.add_patch(
            plt.Rectangle(
                (x - 0.46, y - 0.44), 0.92, 0.88, facecolor=color, alpha=0.55, lw=0
            )
        )
        ax.text(
            x,
            y,
            f"{r['reached']} of {r['tried']}\n{r['median_seconds']:.1f} s",
            ha="center",
            va="center",
            fontsize=8.5,
        )
    for i, (label, (c, b)) in enumerate((marks or {}).items()):
        if c not in cells or b not in batches:
            raise ValueError(f"mark {label!r} is not a setting of the grid: {(c, b)}")
        x, y = batches.index(b), cells.index(c)
        color = [OKABE_ITO["blue"], OKABE_ITO["vermillion"], "black"][i % 3]
        ax.add_patch(
            plt.Rectangle(
                (x - 0.46, y - 0.44), 0.92, 0.88, fill=False, edgecolor=color, lw=2.5
            )
        )
        ax.annotate(
            label,
            (x + 0.46, y + 0.44),
            xytext=(3, 3),
            textcoords="offset points",
            color=color,
            fontsize=9,
            fontweight="bold",
            ha="right",
            va="bottom",
        )
    ax.set_xticks(range(len(batches)), [str(b) for b in batches])
    ax.set_yticks(range(len(cells)), [str(c) for c in cells])
    ax.set_xlim(-0.5, len(batches) - 0.5)
    ax.set_ylim(-0.5, len(cells) - 0.5 + 0.35)
    ax.set_xlabel("batch size")
    ax.set_ylabel("memory cells per direction")
    ax.set_title(title or "Runs that reached the target, and median training time")
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    fig.tight_layout()
    return fig


# --- Lesson chapters 4-7: the learning curve, where errors land, predictions ---


def plot_learning_curve(curve, batch_size=None, title=None):
    """Loss and accuracy of one training run, per window of batches.

    ``curve`` is a :class:`bilstm.training.TrainResult` or its ``curve`` rows.
    Solid lines with dots are the means over each window of batches (from
    :func:`bilstm.training.window_curve`); dashed lines are the running means
    over the epoch so far, which is what Keras reports. With ``batch_size``
    the x axis counts sequences seen instead of batches. Returns the Figure:
    two Axes (loss on top, accuracy below), each with those two lines.
    """
    from .training import window_curve

    rows = getattr(curve, "curve", curve)
    if not rows:
        raise ValueError("the curve holds no rows: was anything trained?")
    windows = window_curve(rows)
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
            label=f"{name} per window",
        )
        ax.plot(
            running_x,
            [row[key] for row in rows],
            "--",
            color=OKABE_ITO["orange"],
            label=f"running mean {name} (as Keras reports it)",
        )
        ax.set_ylabel(name)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8, loc="center right")
    ax_acc.set_ylim(top=1.0)
    ax_acc.set_xlabel(xlabel)
    ax_loss.set_title(title or "Learning curve")
    fig.tight_layout()
    return fig


DISTANCE_EDGES = (0.0, 0.05, 0.1, 0.15, 0.2, 0.3, 0.4, 0.6, 0.8, 1.0, np.inf)


def error_rate_by_distance(X, wrong, limit=None, edges=DISTANCE_EDGES):
    """Error rate of the steps grouped by how far the running sum is from the limit.

    ``X`` holds the inputs ``(N, n)`` (or ``(N, n, 1)``) and ``wrong`` marks the
    steps a model got wrong, shaped ``(N, n)``. The distance of a step is
    ``|cumsum(X)[t] - limit|`` (the limit defaults to ``n / 4``); ``edges`` are
    the bin edges (left-closed). Returns a dict of arrays: ``edges``,
    ``steps`` (steps per bin), ``errors`` (wrong steps per bin) and ``rate``
    (``errors / steps``, NaN for an empty bin).
    """
    X = np.asarray(X, dtype=np.float64)
    if X.ndim == 3:
        X = X[..., 0]
    X = np.atleast_2d(X)
    wrong = np.asarray(wrong, dtype=bool).reshape(X.shape)
    if limit is None:
        limit = X.shape[-1] / 4.0
    edges = np.asarray(edges, dtype=float)
    if edges.ndim != 1 or len(edges) < 2 or np.any(np.diff(edges) <= 0):
        raise ValueError("edges must be at least two increasing bin edges")
    distance = np.abs(np.cumsum(X, axis=-1) - limit).ravel()
    bins = np.digitize(distance, edges) - 1
    inside = (bins >= 0) & (bins < len(edges) - 1)
    n_bins = len(edges) - 1
    steps = np.bincount(bins[inside], minlength=n_bins)
    errors = np.bincount(bins[inside], weights=wrong.ravel()[inside], minlength=n_bins)
    errors = errors.astype(int)
    with np.errstate(invalid="ignore", divide="ignore"):
        rate = np.where(steps > 0, errors / np.maximum(steps, 1), np.nan)
    return {"edges": edges, "steps": steps, "errors": errors, "rate": rate}


def _bin_label(low, high):
    return f"≥ {low:g}" if np.isinf(high) else f"{low:g}–{high:g}"


def plot_error_by_distance(X, wrong, limit=None, edges=DISTANCE_EDGES, title=None):
    """Bar chart of the error rate against ``|running sum - limit|`` at each step.

    Uses :func:`error_rate_by_distance`; each bar carries its Wilson 95%
    interval and the number of wrong steps out of all steps in the bin above
    it. Returns the Figure: one Axes with one bar per bin.
    """
    from .evaluation import wilson_interval

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
    ax.set_title(title or "Errors cluster where the running sum is close to the limit")
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
    y = np.asarray(y, dtype=np.float64)
    proba = np.asarray(proba, dtype=np.float64)
    if y.ndim == 3:
        y = y[..., 0]
    if proba.ndim == 3:
        proba = proba[..., 0]
    y, proba = np.atleast_2d(y), np.atleast_2d(proba)
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


# --- The training panel (bilstm.widgets): learning curves and prediction strips ---
# These build a bare Figure (no pyplot), so the panel can draw them from its
# background thread and render them to PNG with figure_png.


def _panel_figure(width, height):
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height), dpi=90, layout="constrained")


def figure_png(fig) -> bytes:
    """Render ``fig`` to PNG bytes (for an image widget) without pyplot."""
    import io

    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    return buf.getvalue()


def _windows(curve):
    from .training import window_curve

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
    colors = [c for name, c in OKABE_ITO.items() if name not in ("yellow",)]
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
    from matplotlib.patches import Rectangle

    X = np.asarray(X, dtype=np.float64).reshape(len(X), -1)
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


def plot_step_accuracy(per_step, reference=None, ax=None, title=None):
    """Test accuracy at each time step: mean over runs, with the min-max band.

    ``per_step`` maps a variant name to an array ``(n_runs, n_timesteps)`` of
    per-step accuracies (one row per run). ``reference``, optional, maps a
    label to a curve of length ``n_timesteps`` drawn dashed (for example the
    best accuracy any model with the same information could reach). Returns
    the Figure.
    """
    if not per_step:
        raise ValueError("per_step must hold at least one variant")
    fig, ax = (ax.figure, ax) if ax is not None else plt.subplots(figsize=(7.5, 4.2))
    colors = _variant_colors(list(per_step))
    for name, runs in per_step.items():
        runs = np.atleast_2d(np.asarray(runs, dtype=float))
        steps = np.arange(1, runs.shape[1] + 1)
        ax.fill_between(
            steps, runs.min(axis=0), runs.max(axis=0), color=colors[name], alpha=0.2
        )
        ax.plot(steps, runs.mean(axis=0), "o-", color=colors[name], lw=2, label=name)
    styles = [("--", "black"), (":", "dimgrey"), ("-.", "grey")]
    for i, (label, curve) in enumerate((reference or {}).items()):
        curve = np.asarray(curve, dtype=float)
        ls, color = styles[i % len(styles)]
        steps = np.arange(1, len(curve) + 1)
        ax.plot(steps, curve, ls=ls, color=color, lw=1.8, label=label)
    ax.set_xlabel("time step")
    ax.set_ylabel("test accuracy at this step")
    ax.set_title(title or "Where the errors are: accuracy per time step")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=9, loc="lower left")
    fig.tight_layout()
    return fig
