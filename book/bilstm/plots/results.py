"""The extension chapters' figures: repeated runs, their spread, frontiers, searches.

Each function draws into ``ax`` if given (so a notebook can put several side
by side) and returns the :class:`matplotlib.figure.Figure`. Variants get the
colours of :data:`bilstm.plots.style.LINE_COLORS` in the order they come.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from .style import OKABE_ITO, figure_axes, variant_colors

__all__ = [
    "plot_final_scores",
    "plot_frontier",
    "plot_pass_grid",
    "plot_run_curves",
    "plot_step_accuracy",
    "plot_training_needed",
    "plot_training_speed",
]


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
    fig, ax = figure_axes(ax, (7.5, 4.2))
    colors = variant_colors(list(curves))
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
    fig, ax = figure_axes(ax, (1.5 * len(scores) + 2.5, 4.0))
    names = list(scores)
    colors = variant_colors(names)
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
    ylabel="smallest units per direction",
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
    fig, ax = figure_axes(ax, (6.5, 4.0))
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
    fig, ax = figure_axes(ax, (6.5, 4.0))
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
    """Which settings of a search passed: a grid of units by batch size.

    ``results`` is a list of dicts with ``units``, ``batch_size``, ``reached``
    (runs that reached the target), ``tried`` (runs made), ``passed`` and
    ``median_seconds``. Passing settings are filled green, the others grey;
    every square shows "reached of tried" and the median training time.
    ``marks`` maps a label to a ``(units, batch_size)`` to outline and name,
    for example the winners of the search. Returns the Figure.
    """
    if not results:
        raise ValueError("results must hold at least one setting")
    units = sorted({r["units"] for r in results})
    batches = sorted({r["batch_size"] for r in results})
    fig, ax = figure_axes(ax, (1.3 * len(batches) + 2.2, 0.62 * len(units) + 1.6))
    for r in results:
        x, y = batches.index(r["batch_size"]), units.index(r["units"])
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
        if c not in units or b not in batches:
            raise ValueError(f"mark {label!r} is not a setting of the grid: {(c, b)}")
        x, y = batches.index(b), units.index(c)
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
    ax.set_yticks(range(len(units)), [str(c) for c in units])
    ax.set_xlim(-0.5, len(batches) - 0.5)
    ax.set_ylim(-0.5, len(units) - 0.5 + 0.35)
    ax.set_xlabel("batch size")
    ax.set_ylabel("units per direction")
    ax.set_title(title or "Runs that reached the target, and median training time")
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    fig.tight_layout()
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
    fig, ax = figure_axes(ax, (7.5, 4.2))
    colors = variant_colors(list(per_step))
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


def plot_training_speed(results):
    """Seconds to train the lesson's epoch: ``model.fit``'s settings and ``train``.

    ``results`` is the speed benchmark's record (``benchmarks/results/speed.json``):
    ``results["lesson"]`` holds the runs ``plain_fit``, ``train_first`` and
    ``train_cached``, and ``results["levers"]["xla_and_steps_per_execution"]``
    the ``model.fit`` runs with ``jit_compile`` and ``steps_per_execution``,
    each with its ``seconds`` (the median of the repeats), and
    ``results["settings"]`` the ``n_train``, ``batch_size`` and ``repeats``
    the x label names. Returns the Figure: one horizontal bar per run, from
    top to bottom in that order.
    """
    try:
        lesson = results["lesson"]
        fits = results["levers"]["xla_and_steps_per_execution"]
        rows = [("fit, Keras defaults", lesson["plain_fit"], OKABE_ITO["black"])]
        for r in fits:
            xla = "XLA" if r["jit_compile"] else "no XLA"
            colour = OKABE_ITO["blue"] if r["jit_compile"] else OKABE_ITO["sky_blue"]
            k = r["steps_per_execution"]
            rows.append(
                (f"fit, {xla}, {k} step{'s' if k != 1 else ''}/call", r, colour)
            )
        rows += [
            (
                "train, first call (fresh process)",
                lesson["train_first"],
                OKABE_ITO["orange"],
            ),
            ("train, cached", lesson["train_cached"], OKABE_ITO["vermillion"]),
        ]
        seconds = [r[1]["seconds"] for r in rows]
        settings = results["settings"]
        n_train, batch_size = settings["n_train"], settings["batch_size"]
        repeats = settings["repeats"]
    except (KeyError, TypeError) as err:
        raise ValueError(
            "results must be the speed benchmark's record, with 'settings' "
            "(n_train, batch_size, repeats), 'lesson' runs "
            "plain_fit, train_first and train_cached and 'levers' "
            f"xla_and_steps_per_execution, each with 'seconds'; missing {err}"
        ) from None
    fig, ax = plt.subplots(figsize=(7, 0.4 * len(rows) + 1))
    ax.barh(
        [r[0] for r in rows][::-1],
        seconds[::-1],
        color=[r[2] for r in rows][::-1],
        edgecolor="black",
    )
    ax.set_xlabel(
        f"median seconds of {repeats} runs for one epoch of {n_train:,} sequences "
        f"(batch size {batch_size})"
    )
    return fig
