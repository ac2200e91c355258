"""The real-words chapters' figures: the dictionary, accuracy by group, one word.

:func:`plot_word_data` and :func:`plot_accuracy_by` draw into ``ax`` (or a
new pyplot figure) like the other chapter figures; :func:`plot_word_stress`
builds a bare :class:`matplotlib.figure.Figure` (no pyplot), so the word
explorer (:mod:`bilstm.widgets.words`) can render it to PNG with
:func:`bilstm.plots.figure_png`, and a notebook can still show it.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure

from .style import OKABE_ITO, figure_axes, variant_colors

__all__ = ["plot_accuracy_by", "plot_word_data", "plot_word_stress"]


def _bars(ax, counts, xlabel, color):
    keys = np.arange(len(counts))
    share = counts / counts.sum()
    ax.bar(keys, share, color=color, width=0.8)
    ax.set_xlabel(xlabel)
    ax.grid(axis="y", alpha=0.3)
    return share


def plot_word_data(lengths, from_start, from_end):
    """Three bar charts: phonemes per word, and the stressed syllable two ways.

    ``lengths`` holds each word's number of phonemes, ``from_start`` the
    stressed syllable counted from the first (0 = first syllable) and
    ``from_end`` counted from the last (0 = last syllable). Each chart shows
    the share of words. Returns the Figure (three axes).
    """
    arrays = [np.asarray(a, dtype=int) for a in (lengths, from_start, from_end)]
    if (
        any(a.ndim != 1 or a.size == 0 for a in arrays)
        or len({a.size for a in arrays}) != 1
    ):
        raise ValueError("lengths, from_start and from_end: one value per word each")
    if any((a < 0).any() for a in arrays) or (arrays[0] < 1).any():
        raise ValueError("lengths must be >= 1 and syllable positions >= 0")
    fig, axes = plt.subplots(1, 3, figsize=(11, 3.4))
    lengths, from_start, from_end = arrays
    _bars(axes[0], np.bincount(lengths), "phonemes per word", OKABE_ITO["blue"])
    for ax in axes:
        ax.set_ylabel("share of words")
    axes[0].set_xlim(0.5, lengths.max() + 0.5)
    for ax, values, which, color in (
        (axes[1], from_start, "first", OKABE_ITO["orange"]),
        (axes[2], from_end, "last", OKABE_ITO["bluish_green"]),
    ):
        _bars(ax, np.bincount(values), f"stressed syllable (0 = {which})", color)
        top = min(values.max(), 5)
        ax.set_xlim(-0.5, top + 0.5)
        ax.set_xticks(range(top + 1))
    axes[1].set_title("where the stress falls,\ncounted from the first syllable")
    axes[2].set_title("... and counted\nfrom the last")
    axes[0].set_title("how long the words are")
    fig.tight_layout()
    return fig


def plot_accuracy_by(
    groups, order=None, ax=None, xlabel="", ylabel="words right", title=None, ylim=None
):
    """Accuracy per group for several models, with 95% intervals.

    ``groups`` maps a model name to :func:`bilstm.words.accuracy_by`'s dict
    (group key -> ``n``, ``accuracy``, ``interval``). ``order`` lists the keys
    to show, left to right (default: the first model's keys). Each tick says
    how many words the group holds. Returns the Figure: one errorbar series
    per model, dodged sideways.
    """
    if not groups:
        raise ValueError("groups must hold at least one model")
    names = list(groups)
    keys = list(order) if order is not None else list(groups[names[0]])
    if not keys:
        raise ValueError("no groups to show")
    for name in names:
        missing = [k for k in keys if k not in groups[name]]
        if missing:
            raise ValueError(f"model {name!r} has no group(s) {missing}")
    fig, ax = figure_axes(ax, (max(6.0, 0.75 * len(keys) + 2.5), 4.0))
    colors = variant_colors(names)
    x = np.arange(len(keys))
    offsets = np.linspace(-0.25, 0.25, len(names)) if len(names) > 1 else [0.0]
    for name, dx in zip(names, offsets, strict=True):
        g = groups[name]
        acc = np.array([g[k]["accuracy"] for k in keys])
        low = np.array([g[k]["interval"][0] for k in keys])
        high = np.array([g[k]["interval"][1] for k in keys])
        ax.errorbar(
            x + dx,
            acc,
            yerr=[acc - low, high - acc],
            fmt="o",
            color=colors[name],
            capsize=2,
            label=name,
        )
    counts = [groups[names[0]][k]["n"] for k in keys]
    ax.set_xticks(x, [f"{k}\n{n:,}" for k, n in zip(keys, counts, strict=True)])
    ax.set_xlabel(xlabel + ("\n" if xlabel else "") + "(number of test words below)")
    ax.set_ylabel(ylabel)
    if ylim is not None:
        ax.set_ylim(*ylim)
    ax.grid(axis="y", alpha=0.3)
    ax.legend(loc="best", fontsize=9)
    if title:
        ax.set_title(title)
    fig.tight_layout()
    return fig


def plot_word_stress(word, phonemes, stress, probas, width=None):
    """Each model's probability of stress on each phoneme of one word.

    ``probas`` maps a model name to one probability per phoneme. The truly
    stressed phoneme is shaded and its label is bold; each model's most
    probable phoneme is marked with a triangle (▼) above its bar. Returns a bare
    Figure (no pyplot).
    """
    phonemes = list(phonemes)
    if not phonemes or not 0 <= stress < len(phonemes):
        raise ValueError("phonemes must be non-empty and stress an index into them")
    if not probas:
        raise ValueError("probas must hold at least one model")
    for name, p in probas.items():
        if np.shape(p) != (len(phonemes),):
            raise ValueError(
                f"model {name!r}: {len(phonemes)} probabilities expected, one per "
                f"phoneme, got shape {np.shape(p)}"
            )
    n = len(phonemes)
    width = width or max(5.0, 0.55 * n + 2.5)
    fig = Figure(figsize=(width, 3.2), dpi=90, layout="constrained")
    ax = fig.add_subplot()
    names = list(probas)
    colors = variant_colors(names)
    bar = 0.8 / len(names)
    ax.axvspan(stress - 0.45, stress + 0.45, color=OKABE_ITO["yellow"], alpha=0.35)
    for i, name in enumerate(names):
        p = np.asarray(probas[name], dtype=float)
        x = np.arange(n) - 0.4 + bar * (i + 0.5)
        ax.bar(x, p, width=bar, color=colors[name], label=name)
        best = int(np.argmax(p))
        ax.plot(x[best], min(p[best] + 0.06, 1.08), "v", color=colors[name], ms=6)
    ax.set_xticks(range(n), phonemes)
    ax.get_xticklabels()[stress].set_fontweight("bold")
    ax.set_ylim(0, 1.12)
    ax.set_ylabel("probability of stress")
    ax.axhline(0.5, color="grey", lw=0.8, ls=":")
    ax.set_title(f"{word}: stress on {phonemes[stress]} (shaded); ▼ = model's pick")
    ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=9)
    return fig
