"""Figures of lesson chapters 4-7 and the extensions: curves, errors, searches."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pytest
from matplotlib.collections import PathCollection

from bilstm import get_sequences, plots
from bilstm.curves import window_curve
from bilstm.evaluation import DISTANCE_EDGES, error_rate_by_distance


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def _rows():
    """Running-mean rows of one epoch of 600 batches, reported every 200."""
    return [
        {"epoch": 0, "batch": 200, "step": 200, "loss": 0.6, "accuracy": 0.7},
        {"epoch": 0, "batch": 400, "step": 400, "loss": 0.4, "accuracy": 0.8},
        {"epoch": 0, "batch": 600, "step": 600, "loss": 0.3, "accuracy": 0.85},
    ]


def test_learning_curve_draws_windows_and_running_means():
    fig = plots.plot_learning_curve(_rows())
    ax_loss, ax_acc = fig.axes
    assert ax_loss.get_ylabel() == "loss" and ax_acc.get_ylabel() == "accuracy"
    assert ax_acc.get_xlabel() == "batches (gradient steps)"
    windows = window_curve(_rows())
    for ax, key in ((ax_loss, "loss"), (ax_acc, "accuracy")):
        window_line, running_line = ax.get_lines()
        assert window_line.get_label() == f"{key}, mean of each 200 batches"
        assert "running mean" in running_line.get_label()
        np.testing.assert_allclose(window_line.get_ydata(), windows[key])
        np.testing.assert_allclose(running_line.get_ydata(), [r[key] for r in _rows()])
        np.testing.assert_allclose(window_line.get_xdata(), [200, 400, 600])
    # the last window's accuracy is above the running mean: (0.85*600-0.8*400)/200
    assert ax_acc.get_lines()[0].get_ydata()[-1] == pytest.approx(0.95)


def test_learning_curve_counts_sequences_with_a_batch_size():
    class Result:
        curve = _rows()

    fig = plots.plot_learning_curve(Result(), batch_size=10, title="run 1")
    ax_loss, ax_acc = fig.axes
    assert ax_acc.get_xlabel() == "training sequences seen"
    assert ax_loss.get_title() == "run 1"
    np.testing.assert_allclose(ax_acc.get_lines()[0].get_xdata(), [2000, 4000, 6000])


def test_learning_curve_rejects_an_empty_curve():
    with pytest.raises(ValueError, match="no rows"):
        plots.plot_learning_curve([])


def test_error_by_distance_plot_has_one_bar_per_bin_with_counts():
    X, y = get_sequences(200, 10, rng=1)
    running = np.cumsum(X[..., 0], axis=1)
    wrong = np.abs(running - 2.5) < 0.1  # a model that errs only near the limit
    fig = plots.plot_error_by_distance(X, wrong)
    (ax,) = fig.axes
    n_bins = len(DISTANCE_EDGES) - 1
    assert len(ax.patches) == n_bins
    heights = np.array([p.get_height() for p in ax.patches])
    assert heights[0] == pytest.approx(100) and heights[1] == pytest.approx(100)
    assert np.all(heights[2:] == 0)
    labels = [t.get_text() for t in ax.get_xticklabels()]
    assert labels[0] == "0–0.05" and labels[-1] == "≥ 1"
    counts = [t.get_text() for t in ax.texts]
    table = error_rate_by_distance(X, wrong)
    assert counts == [
        f"{k}/{n}" for k, n in zip(table["errors"], table["steps"], strict=True)
    ]
    assert "running sum" in ax.get_xlabel() and "%" in ax.get_ylabel()


def test_step_predictions_mark_exactly_the_wrong_steps():
    y = np.array([[0, 0, 1, 1], [0, 1, 1, 1], [0, 0, 0, 1]], float)
    proba = np.array(
        [[0.1, 0.2, 0.9, 0.8], [0.1, 0.4, 0.7, 0.9], [0.2, 0.6, 0.3, 0.95]]
    )
    fig = plots.plot_step_predictions(y[..., None], proba[..., None], ncols=2)
    axes = fig.axes
    assert len(axes) == 3
    titles = [ax.get_title() for ax in axes]
    assert titles == [
        "sequence 1: all right",
        "sequence 2: 1 wrong",
        "sequence 3: 1 wrong",
    ]
    for ax, expected in zip(axes, [[], [(2, 0.4)], [(2, 0.6)]], strict=True):
        (rings,) = [
            c
            for c in ax.collections
            if isinstance(c, PathCollection) and c.get_gid() == "wrong"
        ]
        np.testing.assert_allclose(
            rings.get_offsets().reshape(-1, 2), np.reshape(expected, (-1, 2))
        )
        truth, predicted = [
            line
            for line in ax.get_lines()
            if line.get_label() in ("truth", "predicted probability")
        ]
        assert truth.get_label() == "truth"
        np.testing.assert_allclose(truth.get_ydata(), y[axes.index(ax)])
    legend_texts = [t.get_text() for t in fig.legends[0].get_texts()]
    assert legend_texts == ["truth", "predicted probability", "wrong step"]


def test_step_predictions_take_an_explicit_wrong_mask_and_check_shapes():
    y = np.zeros((2, 5))
    proba = np.full((2, 5), 0.1)
    wrong = np.zeros((2, 5), bool)
    wrong[1, 4] = True
    fig = plots.plot_step_predictions(y, proba, wrong=wrong)
    rings = [c for ax in fig.axes for c in ax.collections if c.get_gid() == "wrong"]
    assert sum(len(c.get_offsets()) for c in rings) == 1
    assert fig.axes[0].get_xlabel() == "time step"
    with pytest.raises(ValueError, match="one shape"):
        plots.plot_step_predictions(y, proba[:, :4])


def _grid_results():
    return [
        {
            "units": c,
            "batch_size": b,
            "reached": r,
            "tried": t,
            "passed": r >= 4,
            "median_seconds": s,
        }
        for c, b, r, t, s in [
            (2, 10, 0, 2, 7.0),
            (4, 10, 4, 5, 5.0),
            (2, 64, 1, 3, 2.0),
            (4, 64, 5, 5, 3.0),
        ]
    ]


def test_pass_grid_fills_passes_and_labels_every_setting():
    fig = plots.plot_pass_grid(
        _grid_results(), marks={"smallest": (4, 10), "fastest": (4, 64)}
    )
    ax = fig.axes[0]
    filled = [p for p in ax.patches if p.get_fill()]
    outlined = [p for p in ax.patches if not p.get_fill()]
    assert len(filled) == 4 and len(outlined) == 2
    green = matplotlib.colors.to_rgba(plots.OKABE_ITO["bluish_green"], 0.55)
    assert sum(p.get_facecolor() == pytest.approx(green) for p in filled) == 2
    texts = [t.get_text() for t in ax.texts]
    assert "4 of 5\n5.0 s" in texts and "1 of 3\n2.0 s" in texts
    assert "smallest" in texts and "fastest" in texts
    assert [t.get_text() for t in ax.get_xticklabels()] == ["10", "64"]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["2", "4"]
    plt.close(fig)


def test_pass_grid_rejects_an_empty_search_and_a_mark_off_the_grid():
    with pytest.raises(ValueError, match="at least one"):
        plots.plot_pass_grid([])
    with pytest.raises(ValueError, match="not a setting"):
        plots.plot_pass_grid(_grid_results(), marks={"x": (3, 10)})


def test_training_needed_draws_runs_medians_and_budget():
    needed = [[100, 300, 200], [400, None, 600]]
    fig = plots.plot_training_needed([5, 10], needed, budget=1000)
    (ax,) = fig.axes
    dots = [c for c in ax.collections if isinstance(c, PathCollection)]
    np.testing.assert_allclose(dots[0].get_offsets()[:, 1], [100, 300, 200])
    np.testing.assert_allclose(dots[1].get_offsets()[:, 1], [400, 600])
    x = dots[0].get_offsets()[:, 0]
    assert np.all(np.abs(x - 5) < 1) and len(set(x)) == 3  # side by side
    median, budget = ax.get_lines()
    np.testing.assert_allclose(median.get_ydata(), [200, 500])
    np.testing.assert_allclose(budget.get_ydata(), [1000, 1000])
    labels = ax.get_legend_handles_labels()[1]
    assert labels == ["one run", "median", "budget"]
    assert ax.get_ylim()[0] == 0


def test_training_needed_leaves_a_gap_where_no_run_got_there():
    fig = plots.plot_training_needed([5, 10], [[100], [None, None]])
    (ax,) = fig.axes
    assert np.isnan(ax.get_lines()[0].get_ydata()[1])
    assert len(ax.get_lines()) == 1  # no budget line
    with pytest.raises(ValueError, match="same length"):
        plots.plot_training_needed([5, 10], [[100]])


def test_error_by_distance_plot_draws_bins_with_no_errors_or_only_errors():
    # 0 wrong of 69 steps and 4 of 4 once left rounding crumbs below zero in
    # the error bars, which matplotlib refuses
    X = np.concatenate([np.zeros(69), np.full(4, 10.0)])[None]  # sums 0, then 10-40
    wrong = X > 0
    fig = plots.plot_error_by_distance(X, wrong, limit=0.0, edges=(0, 5, 100))
    heights = [p.get_height() for p in fig.axes[0].patches]
    assert heights == pytest.approx([0.0, 100.0])


def _speed_results():
    def run(seconds):
        return {"seconds": seconds}

    return {
        "settings": {"n_train": 50000, "batch_size": 10, "repeats": 5},
        "lesson": {
            "plain_fit": run(60.0),
            "train_first": run(9.0),
            "train_cached": run(4.0),
        },
        "levers": {
            "xla_and_steps_per_execution": [
                {"jit_compile": False, "steps_per_execution": 1, "seconds": 50.0},
                {"jit_compile": True, "steps_per_execution": 200, "seconds": 6.0},
            ]
        },
    }


def test_training_speed_one_bar_per_run_top_to_bottom():
    fig = plots.plot_training_speed(_speed_results())
    (ax,) = fig.axes
    labels = [t.get_text() for t in ax.get_yticklabels()][::-1]  # top first
    assert labels == [
        "fit, Keras defaults",
        "fit, no XLA, 1 step/call",
        "fit, XLA, 200 steps/call",
        "train, first call (fresh process)",
        "train, cached",
    ]
    widths = [p.get_width() for p in ax.patches][::-1]
    assert widths == [60.0, 50.0, 6.0, 9.0, 4.0]
    xlabel = ax.get_xlabel()  # says what each bar is: a median, of what, how many
    assert xlabel == (
        "median seconds of 5 runs for one epoch of 50,000 sequences (batch size 10)"
    )


def test_training_speed_names_what_is_missing():
    results = _speed_results()
    del results["lesson"]["train_cached"]
    with pytest.raises(ValueError, match="train_cached"):
        plots.plot_training_speed(results)


def test_figure_png_renders_at_the_figures_or_a_given_dpi():
    fig = plots.plot_live_curve([])  # 7.2 x 2.5 inches at 90 dpi
    width = int.from_bytes(plots.figure_png(fig)[16:20], "big")
    small = int.from_bytes(plots.figure_png(fig, dpi=45)[16:20], "big")
    assert width == 648 and small == 324
