"""Figures of the lesson chapters (1-3): the right artists, labels and data.

Also the package's layout: ``bilstm.plots`` re-exports every figure of its modules.
"""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pytest
from matplotlib.patches import FancyBboxPatch
from matplotlib.text import Annotation

from bilstm import get_sequences, plots
from bilstm.data import flip_step


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


@pytest.mark.parametrize("n_steps", [1, 3, 4])
def test_unrolled_bilstm_has_a_node_per_row_and_step(n_steps):
    fig = plots.plot_unrolled_bilstm(n_steps)
    (ax,) = fig.axes
    boxes = [p for p in ax.patches if isinstance(p, FancyBboxPatch)]
    assert len(boxes) == 5 * n_steps
    arrows = [c for c in ax.get_children() if isinstance(c, Annotation)]
    assert len(arrows) == 5 * n_steps + 2 * (n_steps - 1)
    texts = [t.get_text() for t in ax.texts]
    assert texts.count("LSTM →") == n_steps
    assert texts.count("← LSTM") == n_steps
    assert f"$x_{{{n_steps}}}$" in texts and f"$y_{{{n_steps}}}$" in texts
    for label in ("inputs", "forward\nLSTM", "backward\nLSTM", "merge", "outputs"):
        assert label in texts
    assert str(n_steps) in ax.get_title()


def test_unrolled_bilstm_recurrent_arrows_point_opposite_ways():
    fig = plots.plot_unrolled_bilstm(3)
    (ax,) = fig.axes
    horizontal = []
    for a in ax.get_children():
        if isinstance(a, Annotation):
            (x0, y0), (x1, y1) = a.xyann, a.xy
            if y0 == y1:
                horizontal.append((y0, np.sign(x1 - x0)))
    rows = sorted({y for y, _ in horizontal})
    assert len(rows) == 2 and len(horizontal) == 4
    low, high = rows  # forward row sits below the backward row
    assert {s for y, s in horizontal if y == low} == {1.0}
    assert {s for y, s in horizontal if y == high} == {-1.0}


def test_unrolled_bilstm_rejects_bad_steps():
    with pytest.raises(ValueError, match="n_steps"):
        plots.plot_unrolled_bilstm(0)


def test_cumsum_sequences_one_panel_per_sequence():
    X, y = get_sequences(3, 10, rng=0)
    fig = plots.plot_cumsum_sequences(X, y, ncols=2)
    assert len(fig.axes) == 3
    ax = fig.axes[0]
    lines = ax.get_lines()
    assert len(lines) == 2  # running sum + limit
    np.testing.assert_allclose(lines[0].get_ydata(), np.cumsum(X[0, :, 0]), rtol=1e-6)
    assert np.allclose(lines[1].get_ydata(), 2.5)
    assert len(ax.patches) == 10 + 1  # bars + shaded label-1 span
    labels = ax.get_legend_handles_labels()[1]
    assert sorted(labels) == sorted(
        ["input $x_t$", "running sum", "limit = 2.5", "label 1"]
    )
    assert ax.get_title() == "labels: " + "".join(str(int(v)) for v in y[0, :, 0])
    assert ax.get_xlabel() == "time step"


def test_cumsum_sequences_single_sequence_and_no_flip():
    x = np.full(8, 0.1)
    fig = plots.plot_cumsum_sequences(x)
    (ax,) = fig.axes
    assert len(ax.patches) == 8  # no shaded span: the sum never reaches 2
    assert ax.get_title() == "labels: 00000000"


def test_flip_positions_one_histogram_per_length():
    flips = {n: flip_step(get_sequences(500, n, rng=n)[1]) for n in (5, 10, 20)}
    fig = plots.plot_flip_positions(flips)
    (ax,) = fig.axes
    labels = ax.get_legend_handles_labels()[1]
    assert len(labels) == 3
    assert [lab.split()[2] for lab in labels] == ["5", "10", "20"]
    assert ax.get_xlabel() == "flip step / sequence length"
    assert len(ax.patches) == 3  # one step outline per length


def test_class_balance_bars_match_label_means():
    _, y = get_sequences(200, 10, rng=1)
    fig = plots.plot_class_balance(y)
    (ax,) = fig.axes
    heights = [p.get_height() for p in ax.patches]
    np.testing.assert_allclose(heights, y[..., 0].mean(axis=0), rtol=1e-6)
    overall = ax.get_lines()[0]
    assert np.allclose(overall.get_ydata(), y.mean())
    assert ax.get_ylim() == (0.0, 1.0)
    assert "200" in ax.get_title()


def test_plots_reexports_every_figure_of_its_modules():
    from bilstm.plots import diagram, lesson, panel, results, style

    exported = set(plots.__all__)
    for module in (diagram, lesson, panel, results, style):
        for name in module.__all__:
            if name.startswith("plot_") or name.isupper() or name == "figure_png":
                assert name in exported, f"{module.__name__}.{name} not re-exported"
                assert getattr(plots, name) is getattr(module, name)
    assert all(hasattr(plots, name) for name in exported)


def test_line_colors_are_the_palette_without_yellow():
    assert plots.OKABE_ITO["yellow"] not in plots.LINE_COLORS
    assert len(plots.LINE_COLORS) == len(plots.OKABE_ITO) - 1
    assert list(plots.LINE_COLORS) == [
        c for name, c in plots.OKABE_ITO.items() if name != "yellow"
    ]
