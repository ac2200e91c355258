"""Figures of the padding-and-masking chapter: padded batches, grouped scores."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pytest
from matplotlib.collections import PathCollection

from bilstm import plots
from bilstm.data import get_padded_sequences


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def test_padded_batches_draw_padding_and_labels():
    batches = {p: get_padded_sequences(8, 12, 4, p, rng=0) for p in ("post", "pre")}
    fig = plots.plot_padded_sequences(batches, n_show=5)
    main = [ax for ax in fig.axes if ax.get_title() in batches]
    assert [ax.get_title() for ax in main] == ["post", "pre"]
    for ax, (_, y, w) in zip(main, batches.values(), strict=True):
        pads = [p for p in ax.patches if p.get_gid() == "padding"]
        assert len(pads) == int((w[:5] == 0).sum())
        (dots,) = [c for c in ax.collections if c.get_gid() == "label_one"]
        assert len(dots.get_offsets()) == int(((y[:5, :, 0] > 0.5) & (w[:5] > 0)).sum())
        labels = [t.get_text() for t in ax.get_yticklabels()]
        assert labels == [f"{int(n)} steps" for n in w[:5].sum(axis=1)]


def test_grouped_scores_one_dot_per_run_and_one_legend_entry_per_variant():
    scores = {
        "bidirectional": {"post": [0.9, 0.91], "pre": [0.95, 0.96, 0.94]},
        "forward": {"post": [0.8, 0.82], "mask": [0.85]},
    }
    fig = plots.plot_grouped_scores(scores, ylim=(0.7, 1.0))
    (ax,) = fig.axes
    dots = [c for c in ax.collections if isinstance(c, PathCollection)]
    sizes = [len(c.get_offsets()) for c in dots]
    assert sorted(sizes) == [1, 2, 2, 3]
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend == ["post", "pre", "mask"]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["bidirectional", "forward"]
    assert ax.get_ylim() == (0.7, 1.0)


def test_grouped_scores_draw_into_given_axes():
    fig, (left, right) = plt.subplots(1, 2)
    out = plots.plot_grouped_scores({"a": {"x": np.array([0.5])}}, ax=right, title="t")
    assert out is fig and right.get_title() == "t" and not left.collections


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: plots.plot_padded_sequences({}), "at least one"),
        (
            lambda: plots.plot_padded_sequences(
                {"a": get_padded_sequences(2, 4, rng=0)}, n_show=0
            ),
            "n_show",
        ),
        (lambda: plots.plot_grouped_scores({}), "at least one group"),
    ],
)
def test_bad_input_says_what_is_wrong(call, message):
    with pytest.raises(ValueError, match=message):
        call()
