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
from bilstm.settings import DEFAULTS, SETTINGS
from bilstm.widgets import CONTROLS, TrainingPanel

SMALL = {"n_train": 400, "units": 8, "batch_size": 20, "n_timesteps": 6}


def make_panel(**settings):
    return TrainingPanel(n_test=50, examples=3, **{**SMALL, **settings})


def reset(panel):
    """Back to the module's small settings (a shape compiled already)."""
    start = {**DEFAULTS, **SMALL}
    for name in CONTROLS:
        panel.controls[name].value = start[name]


def wait_for(predicate, timeout=60.0):
    end = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < end, "timed out waiting"
        time.sleep(0.01)


@pytest.fixture(scope="module")
def panel():
    panel = make_panel()
    panel.retrain_button.click()
    assert panel.wait(timeout=300)
    return panel


def test_controls_are_the_labelled_settings_with_their_bounds():
    panel = make_panel()
    # one control per labelled setting, in the settings' order (test_settings.py)
    assert list(panel.controls) == list(CONTROLS)
    assert CONTROLS == tuple(name for name, s in SETTINGS.items() if s.label)
    for name, control in panel.controls.items():
        setting = SETTINGS[name]
        assert control.description == setting.label
        if setting.kind == "choice":
            assert control.options == setting.choices
            continue
        high = widgets.layout.SLIDER_MAX if name == "n_timesteps" else setting.high
        control.value = high + 1  # bounded widgets clamp impossible values
        assert control.value == high
        control.value = setting.low - 1
        assert control.value == setting.low
    assert panel.controls["merge_mode"].options == ("concat", "sum", "mul", "ave")
    assert (panel.controls["units"].min, panel.controls["units"].max) == (1, 1024)
    for control in panel.controls.values():
        assert control.style.description_width == "initial"
    assert panel.retrain_button.description == "Retrain"
    assert panel.stop_button.description == "Stop"
    assert panel.model is None and panel.runs == []


def test_bad_settings_are_a_value_error_naming_what_is_allowed():
    with pytest.raises(ValueError, match="units must be a whole number from 1"):
        TrainingPanel(units=0)
    with pytest.raises(ValueError, match="unknown settings"):
        TrainingPanel(sequence_length=10)
    with pytest.raises(ValueError, match="test_data must be a function, got 3"):
        TrainingPanel(test_data=3)  # runs.check_functions, as bilstm.run checks


def test_text_repr_is_stable():
    bundle = make_panel()._repr_mimebundle_()
    assert bundle["text/plain"].startswith("TrainingPanel")
    assert "application/vnd.jupyter.widget-view+json" in bundle


def test_a_run_records_settings_results_and_model(panel):
    (run,) = panel.runs
    assert run["status"] == "finished" and run["number"] == 1
    assert {k: run[k] for k in SMALL} == SMALL
    assert run["steps"] == run["total_steps"] == 20
    assert 0.0 <= run["accuracy"] <= 1.0 and 0.0 <= run["sequence_accuracy"] <= 1.0
    assert run["n_test"] == 50 and run["curve"]
    assert panel.model.input_shape == (None, 6, 1)
    assert (
        "finished" in panel.view.history.value
        and "Per-step accuracy" in panel.view.results.value
    )
    assert panel.view.curve_image.value[:4] == b"\x89PNG"
    assert panel.view.strip_image.value[:4] == b"\x89PNG"
    assert panel.view.compare.value == (1,)
    assert not panel.retrain_button.disabled and panel.stop_button.disabled


def test_changed_settings_reach_the_model_and_history(panel):
    panel.controls["merge_mode"].value = "sum"
    panel.controls["n_timesteps"].value = 9
    panel.controls["direction"].value = "backward"
    panel.retrain_button.click()
    assert panel.wait(timeout=300)
    run = panel.runs[-1]
    assert (run["merge_mode"], run["n_timesteps"], run["direction"]) == (
        "sum",
        9,
        "backward",
    )
    assert run["status"] == "finished"
    assert panel.model.input_shape == (None, 9, 1)
    assert panel.model.get_layer("time_reverse") is not None
    assert len(panel.runs) == 2 and panel.runs[0]["n_timesteps"] == 6
    assert panel.view.history.value.count("<tr>") == 3  # header + two runs
    assert set(panel.view.compare.value) == {1, 2}


def test_stop_keeps_the_partial_model_and_marks_the_run():
    # one batch per chunk, so the callback (and Stop) is reached after every batch
    panel = make_panel(chunk=1, n_train=100_000, batch_size=1, direction="forward")
    try:
        assert panel.retrain()
        assert panel.retrain_button.disabled and not panel.stop_button.disabled
        wait_for(lambda: len(panel.live_curve) >= 3, timeout=120)
        panel.stop_button.click()
        seen = panel.live_curve[-1]["step"]
        assert panel.wait(timeout=60)
    finally:
        panel.stop()
        panel.wait()
    (run,) = panel.runs
    assert run["status"] == "stopped"
    # Stop is felt at the end of the chunk running when it was pressed
    assert 3 <= seen <= run["steps"] <= seen + 2 < run["total_steps"] == 100_000
    assert run["curve"] and 0.0 <= run["accuracy"] <= 1.0
    assert panel.model.input_shape == (None, 6, 1)
    assert (
        "stopped" in panel.view.history.value
        and "stopped early" in panel.view.message.value
    )


def test_second_click_while_running_does_not_start_another_run():
    panel = make_panel(chunk=1, n_train=100_000, batch_size=1)
    try:
        assert panel.retrain()
        assert panel.running
        panel.retrain_button.click()  # programmatic clicks bypass `disabled`
        assert panel.retrain() is False
        assert "still going" in panel.view.message.value
        assert len(panel.runs) == 1
    finally:
        panel.stop()
        assert panel.wait(timeout=60)
    assert panel.runs[-1]["status"] == "stopped"


def test_retrain_with_sets_controls_runs_and_returns_the_finished_run():
    panel = make_panel()
    finished = panel.retrain_with(seed=3, merge_mode="ave")
    assert finished is panel.runs[-1] and finished["number"] == 1
    assert (finished["seed"], finished["merge_mode"]) == (3, "ave")
    assert finished["status"] == "finished" and finished["steps"] == 20
    assert panel.controls["seed"].value == 3 and panel.model is not None
    for bad, allowed in [
        ({"sequence_length": 9}, "unknown setting 'sequence_length'; settings "),
        ({"n_test": 9}, "n_test has no control: this panel's runs keep n_test=50"),
        ({"units": 0}, "units must be a whole number from 1 to 1,024"),
        ({"merge_mode": "max"}, "merge_mode must be one of 'concat', 'sum'"),
        ({"n_timesteps": 150}, "the Sequence length control goes from 1 to 100"),
        ({"seed": 4, "n_timesteps": 150}, "goes from 1 to 100, got 150"),
    ]:
        with pytest.raises(ValueError, match=allowed):
            panel.retrain_with(**bad)
    assert panel.controls["seed"].value == 3  # a refused change changes nothing
    assert len(panel.runs) == 1
    with pytest.raises(ValueError, match="timeout must be a positive"):
        panel.retrain_with(timeout=0)
    failing = make_panel(data=_out_of_memory)
    with pytest.raises(RuntimeError, match="run 1 failed: MemoryError: out of"):
        failing.retrain_with(seed=2)
    assert failing.runs[-1]["status"] == "failed"


def test_retrain_with_times_out_and_refuses_while_a_run_goes():
    panel = make_panel(chunk=1, n_train=100_000, batch_size=1)
    try:
        with pytest.raises(TimeoutError, match="run 1 is still going after 0.2 s"):
            panel.retrain_with(timeout=0.2)
        assert panel.running
        with pytest.raises(RuntimeError, match="a run is still going"):
            panel.retrain_with(seed=5)
        assert panel.controls["seed"].value == DEFAULTS["seed"]
    finally:
        panel.stop()
        assert panel.wait(timeout=60)
    assert [r["status"] for r in panel.runs] == ["stopped"]


def _out_of_memory(*args, **kwargs):
    raise MemoryError("out of memory while allocating\nsecond line")


@pytest.mark.parametrize("where", ["build", "data"])
def test_a_failing_run_reports_one_line_and_keeps_the_panel_usable(where):
    panel = TrainingPanel.with_default_run(n_test=50, examples=3, **SMALL)
    earlier, model = [dict(run) for run in panel.runs], panel.model
    failing = make_panel(**{where: _out_of_memory})
    failing.retrain_button.click()
    assert failing.wait(timeout=60)
    (run,) = failing.runs
    assert run["status"] == "failed"
    assert run["error"] == "MemoryError: out of memory while allocating"
    assert "failed: MemoryError" in failing.view.message.value
    assert "second line" not in failing.view.message.value
    assert "failed" in failing.view.history.value and failing.model is None
    assert not failing.retrain_button.disabled and failing.stop_button.disabled
    failing.build = failing.data = None  # the panel is still usable
    failing.retrain_button.click()
    assert failing.wait(timeout=300)
    assert [r["status"] for r in failing.runs] == ["failed", "finished"]
    assert failing.view.message.value == ""
    assert panel.runs == earlier and panel.model is model  # other panels untouched


def test_default_run_happens_before_the_panel_is_returned():
    panel = TrainingPanel.with_default_run(n_test=50, **SMALL)
    assert not panel.running
    assert [run["status"] for run in panel.runs] == ["finished"]
    assert panel.model is not None and panel.view.results.value.count("%") >= 2
    assert "JupyterLab" in panel.view.note.value
    assert panel.view.note in panel.widget.children


def test_note_false_leaves_the_note_out():
    panel = make_panel(note=False)
    assert panel.view.note not in panel.widget.children
    assert len(panel.widget.children) == len(make_panel().widget.children) - 1


def test_estimate_counts_compile_once_per_shape():
    fresh = {**SMALL, "units": 7, "n_timesteps": 41}
    panel = make_panel(**fresh)
    assert "to compile" in panel.view.estimate.value
    slow = {"n_train": 100_000, "batch_size": 1, "n_timesteps": 100}
    assert widgets.estimate_seconds(slow) > 60
    panel.controls["n_train"].value = 100_000
    panel.controls["batch_size"].value = 1
    panel.controls["n_timesteps"].value = 100
    assert "long" in panel.view.estimate.value


def test_chunks_are_short_and_fixed_per_shape():
    assert widgets.chunk_steps(10, 10, 50) == widgets.chunk_steps(10, 10, 50)
    for batch, length, units in [(10, 10, 50), (1000, 100, 256), (1, 2, 1)]:
        steps = widgets.chunk_steps(batch, length, units)
        assert 1 <= steps <= STEPS_PER_EXECUTION
        assert steps * widgets.step_seconds(batch, length, units) < 1.0 or steps == 1


def test_the_lesson_shape_runs_the_chapters_compiled_program():
    # train()'s default chunk is the chapters'; the panel's default run uses it
    # too, so it needs no compile of its own after a chapter has trained.
    d = DEFAULTS
    shape = (d["batch_size"], d["n_timesteps"], d["units"], d["direction"])
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


def test_views_are_pure_functions_of_run_dicts():
    from bilstm.widgets import views

    run = {
        "number": 2,
        **DEFAULTS,
        "direction": "forward",
        "status": "failed",
        "error": "MemoryError: no",
    }
    assert views.run_label(run) == (
        "run 2: forward, length 10, batch 10, units 50, 50,000 sequences, seed 1"
    )
    table = views.history_html([run])
    assert table.count("<tr>") == 2 and "failed" in table and "50,000" in table
    assert ">–<" in table  # no merge mode for one direction, no steps yet
    for name in views.HISTORY_SETTINGS:
        assert SETTINGS[name].label in table
    assert views.history_html([]) == "<i>No runs yet.</i>"
    assert views.percent(None) == "–" and views.percent(0.98176) == "98.2%"
    assert views.progress_text(0, 500, 3.0, waiting="compiling").endswith(
        "compiling the training loop for this new shape…"
    )
    assert views.progress_text(100, 500, 12.0, 0.01).endswith("about 4.0 s left")
    assert views.message_html("<b>", warn=True).count("&lt;b&gt;") == 1


def test_the_view_shows_plain_data_without_a_panel():
    import types

    import numpy as np

    from bilstm.data import get_sequences
    from bilstm.widgets import layout, views

    start = {**DEFAULTS, **SMALL}
    view = layout.build(start, notebook="book/x.ipynb", examples=2)
    assert {name: c.value for name, c in view.controls.items()} == {
        name: start[name] for name in CONTROLS
    }
    assert view.values() == {name: start[name] for name in CONTROLS}
    assert view.strip_image in view.widget.children
    assert view.note in view.widget.children and "book/x.ipynb" in view.note.value
    assert "bilstm-training-panel" in view.widget._dom_classes
    view.show_running(True)
    assert view.retrain_button.disabled and not view.stop_button.disabled
    view.show_start()
    assert view.progress_text.value == "Building the model…"
    view.show_progress(0.25, "a quarter")
    assert (view.progress.value, view.progress_text.value) == (0.25, "a quarter")
    view.show_message("<no>", warn=True)
    assert "&lt;no&gt;" in view.message.value

    rows = [
        {"epoch": 0, "batch": b, "step": b, "loss": 0.5, "accuracy": 0.8}
        for b in (10, 20)
    ]
    scores = {
        "loss": 0.3,
        "accuracy": 0.9,
        "sequence_accuracy": 0.5,
        "accuracy_interval": (0.85, 0.93),
        "sequence_accuracy_interval": (0.4, 0.6),
    }
    run = {"number": 1, **start, "status": "finished", "steps": 20, "total_steps": 20}
    run.update(scores, curve=rows, label=views.run_label(run))
    X, y = get_sequences(4, start["n_timesteps"], rng=np.random.default_rng(0))
    wrong = np.zeros(y.shape[:2], bool)
    wrong[1, 3] = True
    result = types.SimpleNamespace(
        training=types.SimpleNamespace(seconds=2.0),
        test=types.SimpleNamespace(X=X, y=y),
        scores={**scores, "wrong": wrong, "proba": y[..., 0]},
    )
    view.show_result(run, result)
    assert view.progress.value == 1.0 and view.progress.bar_style == "success"
    assert view.progress_text.value == "done: step 20 of 20 in 2.0 s"
    assert view.results.value == views.results_html(run)
    assert view.curve_image.value[:4] == b"\x89PNG"
    assert view.strip_image.value[:4] == b"\x89PNG"
    assert view.strip_image.layout.display is None

    failed = {"number": 2, **start, "status": "failed", "error": "ValueError: no"}
    failed["label"] = views.run_label(failed)
    view.show_failure()
    assert (view.progress.bar_style, view.progress_text.value) == ("danger", "failed")
    view.show_history([run])  # the latest run with a curve joins the comparison
    assert view.compare.options == ((run["label"], 1),) and view.compare.value == (1,)
    view.show_history([run, failed])  # a failed run has no curve to compare
    assert view.history.value == views.history_html([run, failed])
    assert view.compare.options == ((run["label"], 1),) and view.compare.value == (1,)
    assert view.compare_image.layout.display is None  # run 1's curve, overlaid
    view.compare.value = ()  # choosing no run hides the overlay
    assert view.compare_image.layout.display == "none"
    assert views.end_message(failed) == (
        "Run 2 failed: ValueError: no. Earlier runs are kept; change the settings "
        "and press Retrain.",
        True,
    )
    assert views.end_message(run) == ("", False)
    assert views.error_line(MemoryError("a\nb")) == "MemoryError: a"
    assert views.error_line(KeyError()) == "KeyError"
    assert len(views.error_line(ValueError("x" * 500))) == 158

    bare = layout.build(start, notebook="book/x.ipynb", examples=0)
    assert bare.strip_image not in bare.widget.children
