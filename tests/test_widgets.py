"""Drive the training panel headlessly: controls, Retrain, Stop, failures.

Small settings keep every run to a fraction of a second once its shape has
been compiled; the module shares one shape where it can so that only a few
compiles happen.
"""

import time

import pytest
from bilstm.training import STEPS_PER_EXECUTION

import bilstm  # noqa: F401  (quiet TensorFlow first)
from bilstm import widgets
from bilstm.widgets import LABELS, LIMITS, TrainingPanel

SMALL = {"samples": 400, "cells": 8, "batch_size": 20, "sequence_length": 6}


def make_panel(**settings):
    return TrainingPanel(eval_sequences=50, examples=3, **{**SMALL, **settings})


def reset(panel):
    """Back to the module's small settings (a shape compiled already)."""
    start = {**widgets.DEFAULTS, **SMALL}
    for key, label in LABELS.items():
        panel.controls[label].value = start[key]


def wait_for(predicate, timeout=60.0):
    end = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < end, "timed out waiting"
        time.sleep(0.01)


@pytest.fixture(scope="module")
def panel():
    panel = make_panel()
    assert panel.retrain_button.click() is None
    assert panel.wait(timeout=300)
    return panel


def test_controls_have_the_issue_labels_and_bounds():
    panel = make_panel()
    assert list(panel.controls) == list(LABELS.values())
    assert panel.controls["Merge mode"].options == ("concat", "sum", "mul", "ave")
    assert panel.controls["Direction"].options == (
        "bidirectional",
        "forward",
        "backward",
    )
    assert (
        panel.controls["Sequence length"].min,
        panel.controls["Sequence length"].max,
    ) == (2, 100)
    assert (panel.controls["Batch size"].min, panel.controls["Batch size"].max) == (
        1,
        1000,
    )
    for key, (low, high) in LIMITS.items():
        control = panel.controls[LABELS[key]]
        control.value = high + 1  # bounded widgets clamp impossible values
        assert control.value == high
        control.value = low - 1
        assert control.value == low
    for control in panel.controls.values():
        assert control.style.description_width == "initial"
    assert panel.retrain_button.description == "Retrain"
    assert panel.stop_button.description == "Stop"
    assert panel.model is None and panel.runs == []


def test_text_repr_is_stable():
    bundle = make_panel()._repr_mimebundle_()
    assert bundle["text/plain"].startswith("TrainingPanel")
    assert "application/vnd.jupyter.widget-view+json" in bundle


def test_a_run_records_settings_results_and_model(panel):
    (run,) = panel.runs
    assert run["status"] == "finished"
    assert {k: run[k] for k in SMALL} == SMALL
    assert run["steps"] == run["total_steps"] == 20
    assert 0.0 <= run["accuracy"] <= 1.0 and 0.0 <= run["sequence_accuracy"] <= 1.0
    assert run["eval_sequences"] == 50 and run["curve"]
    assert panel.model.input_shape == (None, 6, 1)
    assert (
        "finished" in panel.history.value and "Per-step accuracy" in panel.results.value
    )
    assert panel.curve_image.value[:4] == b"\x89PNG"
    assert panel.strip_image.value[:4] == b"\x89PNG"
    assert panel.compare.value == (1,)
    assert not panel.retrain_button.disabled and panel.stop_button.disabled


def test_changed_settings_reach_the_model_and_history(panel):
    panel.controls["Merge mode"].value = "sum"
    panel.controls["Sequence length"].value = 9
    panel.controls["Direction"].value = "backward"
    panel.retrain_button.click()
    assert panel.wait(timeout=300)
    run = panel.runs[-1]
    assert (run["merge_mode"], run["sequence_length"], run["direction"]) == (
        "sum",
        9,
        "backward",
    )
    assert run["status"] == "finished"
    assert panel.model.input_shape == (None, 9, 1)
    assert panel.model.get_layer("time_reverse") is not None
    assert len(panel.runs) == 2 and panel.runs[0]["sequence_length"] == 6
    assert panel.history.value.count("<tr>") == 3  # header + two runs
    assert set(panel.compare.value) == {1, 2}


def test_stop_keeps_the_partial_model_and_marks_the_run(panel, monkeypatch):
    # one batch per chunk, so the callback (and Stop) is reached after every batch
    monkeypatch.setattr(widgets, "chunk_steps", lambda *a, **k: 1)
    runs_before = len(panel.runs)
    panel.controls["Training sequences"].value = 100_000
    panel.controls["Batch size"].value = 1
    panel.controls["Direction"].value = "forward"
    try:
        assert panel.retrain()
        assert panel.retrain_button.disabled and not panel.stop_button.disabled
        wait_for(lambda: len(panel._live["rows"]) >= 3, timeout=120)
        started = time.perf_counter()
        panel.stop_button.click()
        assert panel.wait(timeout=60)
        assert panel._live["trained"] - started < 1.0  # training ended within 1 s
    finally:
        panel.stop()
        panel.wait()
    run = panel.runs[-1]
    assert len(panel.runs) == runs_before + 1
    assert run["status"] == "stopped"
    assert 3 <= run["steps"] < run["total_steps"] == 100_000
    assert run["curve"] and 0.0 <= run["accuracy"] <= 1.0
    assert panel.model.input_shape == (None, 9, 1)
    assert "stopped" in panel.history.value and "stopped early" in panel.message.value


def test_second_click_while_running_does_not_start_another_run(panel, monkeypatch):
    monkeypatch.setattr(widgets, "chunk_steps", lambda *a, **k: 1)
    panel.controls["Training sequences"].value = 100_000
    panel.controls["Batch size"].value = 1
    runs_before = len(panel.runs)
    try:
        assert panel.retrain()
        assert panel.running
        panel.retrain_button.click()  # programmatic clicks bypass `disabled`
        assert panel.retrain() is False
        assert "still going" in panel.message.value
        assert len(panel.runs) == runs_before + 1
    finally:
        panel.stop()
        assert panel.wait(timeout=60)
    assert panel.runs[-1]["status"] == "stopped"


@pytest.mark.parametrize("where", ["build_model", "train"])
def test_a_failing_run_reports_one_line_and_keeps_earlier_runs(
    panel, monkeypatch, where
):
    def boom(*args, **kwargs):
        raise MemoryError("out of memory while allocating\nsecond line")

    monkeypatch.setattr(widgets, where, boom)
    earlier = [dict(run) for run in panel.runs]
    model = panel.model
    panel.retrain_button.click()
    assert panel.wait(timeout=60)
    run = panel.runs[-1]
    assert run["status"] == "failed"
    assert run["error"] == "MemoryError: out of memory while allocating"
    assert "failed: MemoryError" in panel.message.value
    assert "second line" not in panel.message.value
    assert panel.runs[: len(earlier)] == earlier and panel.model is model
    assert not panel.retrain_button.disabled and panel.stop_button.disabled
    monkeypatch.undo()
    reset(panel)
    panel.retrain_button.click()  # the panel is still usable
    assert panel.wait(timeout=300)
    assert panel.runs[-1]["status"] == "finished"
    assert panel.message.value == ""


def test_default_run_happens_before_the_panel_is_returned():
    panel = TrainingPanel.with_default_run(eval_sequences=50, **SMALL)
    assert not panel.running
    assert [run["status"] for run in panel.runs] == ["finished"]
    assert panel.model is not None and panel.results.value.count("%") >= 2
    assert "JupyterLab" in panel.note.value


def test_estimate_counts_compile_once_per_shape():
    fresh = {**SMALL, "cells": 7, "sequence_length": 41}
    panel = make_panel(**fresh)
    assert "to compile" in panel.estimate.value
    slow = {"samples": 100_000, "batch_size": 1, "sequence_length": 100}
    assert widgets.estimate_seconds(slow) > 60
    panel.controls["Training sequences"].value = 100_000
    panel.controls["Batch size"].value = 1
    panel.controls["Sequence length"].value = 100
    assert "long" in panel.estimate.value


def test_chunks_are_short_and_fixed_per_shape():
    assert widgets.chunk_steps(10, 10, 50) == widgets.chunk_steps(10, 10, 50)
    for batch, length, cells in [(10, 10, 50), (1000, 100, 256), (1, 2, 1)]:
        steps = widgets.chunk_steps(batch, length, cells)
        assert 1 <= steps <= STEPS_PER_EXECUTION
        assert steps * widgets.step_seconds(batch, length, cells) < 1.0 or steps == 1


def test_the_lesson_shape_runs_the_chapters_compiled_program():
    # train()'s default chunk is the chapters'; the panel's default run uses it
    # too, so it needs no compile of its own after a chapter has trained.
    d = widgets.DEFAULTS
    shape = (d["batch_size"], d["sequence_length"], d["cells"], d["direction"])
    assert widgets.chunk_steps(*shape) == STEPS_PER_EXECUTION


def test_panel_plots_draw_without_pyplot():
    import numpy as np
    from matplotlib import pyplot as plt

    from bilstm import plots

    open_before = plt.get_fignums()
    rows = [
        {"epoch": 0, "batch": b, "step": b, "loss": 0.7 / b, "accuracy": 1 - 0.4 / b}
        for b in (8, 16, 24)
    ]
    fig = plots.plot_live_curve(rows, total_steps=40, title="live")
    assert len(fig.axes) == 2 and fig.axes[0].get_xlim() == (0.0, 40.0)
    assert len(fig.axes[0].lines[0].get_xdata()) == 3
    assert plots.figure_png(fig)[:4] == b"\x89PNG"
    assert len(plots.plot_live_curve([]).axes[0].texts) == 1  # "waiting" note
    runs = [
        {"run": 1, "label": "a", "batch_size": 10, "curve": rows},
        {"run": 2, "label": "b", "batch_size": 100, "curve": rows},
    ]
    fig = plots.plot_panel_runs(runs)
    loss_lines = fig.axes[0].lines
    assert [line.get_label() for line in loss_lines] == ["a", "b"]
    assert loss_lines[1].get_xdata()[-1] == 24 * 100  # sequences seen
    X = np.random.default_rng(0).random((3, 5))
    y = (np.cumsum(X, axis=1) >= 1.25).astype(float)
    pred = y.copy()
    pred[1, 2] = 1 - pred[1, 2]
    fig = plots.plot_prediction_strip(X, y, pred, n=3)
    assert len(fig.axes) == 3
    assert "1 wrong step" in fig.axes[1].get_title(loc="left")
    assert "all steps right" in fig.axes[0].get_title(loc="left")
    assert plt.get_fignums() == open_before  # nothing left open in pyplot
