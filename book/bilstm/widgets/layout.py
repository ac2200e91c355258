"""The panel's widgets: controls made from the settings, the outputs, and their updates.

:func:`build` gives a :class:`~bilstm.widgets.TrainingPanel` its widgets; the
``show_*`` functions put a run's state into them. To add a control, give its
setting a ``label`` in :mod:`bilstm.settings`; it appears here by itself.
"""

from __future__ import annotations

import ipywidgets as widgets
import numpy as np

from .. import plots
from ..settings import SETTINGS
from . import views
from .estimates import format_seconds

__all__ = ["CONTROLS", "build"]

#: The settings the panel has a control for, in the order it shows them.
CONTROLS = tuple(name for name, s in SETTINGS.items() if s.label)
#: The sequence-length slider's right end (longer runs: from code or the CLI).
SLIDER_MAX = 100
_STYLE = {"description_width": "initial"}


def _control(name, value):
    s = SETTINGS[name]
    common = dict(
        description=s.label, style=_STYLE, layout=widgets.Layout(width="auto")
    )
    if s.kind == "choice":
        return widgets.Dropdown(options=list(s.choices), value=value, **common)
    if name == "n_timesteps":
        return widgets.IntSlider(
            value=value,
            min=s.low,
            max=max(SLIDER_MAX, value),
            continuous_update=False,
            **common,
        )
    step = 1000 if name == "n_train" else 1
    return widgets.BoundedIntText(
        value=value, min=s.low, max=s.high, step=step, **common
    )


def build(panel, start):
    """Give ``panel`` its controls, buttons, outputs and ``widget``."""
    panel.controls = {name: _control(name, start[name]) for name in CONTROLS}
    panel.retrain_button = widgets.Button(
        description="Retrain",
        button_style="primary",
        icon="play",
        tooltip="Build a new model with these settings and train it",
    )
    panel.stop_button = widgets.Button(
        description="Stop",
        icon="stop",
        disabled=True,
        tooltip="Stop training now and keep what was learned so far",
    )
    panel.estimate = widgets.HTML()
    panel.message = widgets.HTML()
    panel.progress = widgets.FloatProgress(
        value=0.0,
        min=0.0,
        max=1.0,
        description="Progress",
        style={**_STYLE, "bar_color": plots.OKABE_ITO["blue"]},
        layout=widgets.Layout(width="45%"),
    )
    panel.progress_text = widgets.HTML("No run yet.")
    panel.curve_image = widgets.Image(
        value=plots.figure_png(plots.plot_live_curve([])),
        format="png",
        layout=widgets.Layout(max_width="100%"),
    )
    panel.results = widgets.HTML("<i>Results appear here after the first run.</i>")
    panel.strip_image = _hidden_image()
    panel.history = widgets.HTML(views.history_html(panel.runs))
    panel.results.add_class("bilstm-results")
    panel.history.add_class("bilstm-history")
    panel.compare = widgets.SelectMultiple(
        options=[],
        description="Compare runs",
        rows=4,
        style=_STYLE,
        layout=widgets.Layout(width="95%"),
    )
    panel.compare.observe(lambda _: draw_comparison(panel), names="value")
    panel.compare_image = _hidden_image()
    panel.note = widgets.HTML(views.note_html(panel.notebook))
    section = "<b style='font-size:1.05em'>{}</b>".format
    grid = widgets.GridBox(
        list(panel.controls.values()),
        layout=widgets.Layout(
            grid_template_columns="repeat(auto-fill, minmax(17em, 1fr))",
            grid_gap="4px 16px",
        ),
    )
    row = widgets.Layout(align_items="center")
    panel.widget = widgets.VBox(
        [
            widgets.HTML(section("Settings")),
            grid,
            widgets.HBox(
                [panel.retrain_button, panel.stop_button, panel.estimate], layout=row
            ),
            widgets.HBox([panel.progress, panel.progress_text], layout=row),
            panel.message,
            widgets.HTML(section("Learning curve")),
            panel.curve_image,
            widgets.HTML(section("Results on test sequences")),
            panel.results,
            *([panel.strip_image] if panel.examples else []),
            widgets.HTML(section("Run history")),
            panel.history,
            widgets.HTML(
                "Choose runs to overlay their learning curves "
                "(Ctrl- or Shift-click for several):"
            ),
            panel.compare,
            panel.compare_image,
            panel.note,
        ],
        layout=widgets.Layout(max_width="900px"),
    )
    panel.widget.add_class("bilstm-training-panel")


def _hidden_image():
    return widgets.Image(
        format="png", layout=widgets.Layout(max_width="100%", display="none")
    )


def show_start(panel):
    panel.progress.value = 0.0
    panel.progress.bar_style = ""
    panel.progress_text.value = "Building the model…"


def draw_curve(panel, rows, total, run):
    fig = plots.plot_live_curve(list(rows), total_steps=total, title=run["label"])
    panel.curve_image.value = plots.figure_png(fig)


def show_result(panel, run, result, total):
    """Record a finished or stopped run in ``run`` and show it; return the message."""
    training, scores = result.training, result.scores
    stopped = bool(training.stopped)
    run.update(
        status="stopped" if stopped else "finished",
        steps=int(training.steps),
        total_steps=total,
        seconds=round(float(result.seconds), 2),
        params=int(result.model.count_params()),
        train_loss=training.loss,
        train_accuracy=training.accuracy,
        loss=scores["loss"],
        accuracy=scores["accuracy"],
        sequence_accuracy=scores["sequence_accuracy"],
        accuracy_interval=tuple(scores["accuracy_interval"]),
        sequence_accuracy_interval=tuple(scores["sequence_accuracy_interval"]),
        curve=[dict(row) for row in training.curve],
        error=None,
    )
    draw_curve(panel, run["curve"], total, run)
    panel.progress.value = run["steps"] / total
    panel.progress.bar_style = "warning" if stopped else "success"
    panel.progress_text.value = (
        f"{'stopped at' if stopped else 'done:'} step {run['steps']:,} of "
        f"{total:,} in {format_seconds(training.seconds)}"
    )
    panel.results.value = views.results_html(run)
    _draw_strip(panel, result)
    if stopped:
        return (f"Run {run['run']} stopped early; its partial model is kept.",)
    return ("",)


def show_failure(panel, run, error):
    """Record a failed run in ``run`` and show it; return the message."""
    first = (str(error).strip().splitlines() or [""])[0]
    line = f"{type(error).__name__}: {first}" if first else type(error).__name__
    if len(line) > 160:
        line = line[:157] + "…"
    run.update(status="failed", error=line, steps=0, curve=[])
    panel.progress.bar_style = "danger"
    panel.progress_text.value = "failed"
    return (
        f"Run {run['run']} failed: {line}. Earlier runs are kept; "
        "change the settings and press Retrain.",
        True,
    )


def show_history(panel):
    """Redraw the history table, and keep the latest run among those compared."""
    panel.history.value = views.history_html(panel.runs)
    latest = panel.runs[-1]
    labelled = [(r["label"], r["run"]) for r in panel.runs if r.get("curve")]
    chosen = tuple(v for v in panel.compare.value if v != latest["run"])
    if latest.get("curve"):
        chosen = (chosen + (latest["run"],))[-4:]
    panel.compare.options = labelled
    panel.compare.value = tuple(v for v in chosen if v in dict(labelled).values())
    draw_comparison(panel)


def _draw_strip(panel, result):
    X = result.test.X
    if panel.examples == 0 or X.ndim != 3 or X.shape[-1] != 1:
        panel.strip_image.layout.display = "none"
        return  # sample sequences are drawn for one number per step only
    wrong = result.scores["wrong"]
    wrong_any = wrong.any(axis=1)
    bad, good = np.flatnonzero(wrong_any), np.flatnonzero(~wrong_any)
    k = min(panel.examples, len(wrong_any))
    pick = list(bad[: k // 2]) + list(good[: k - min(len(bad), k // 2)])
    pick = sorted(pick[:k])
    fig = plots.plot_prediction_strip(
        X[pick, :, 0],
        result.test.y[pick, :, 0],
        result.scores["proba"][pick],
        wrong[pick],
        n=len(pick),
    )
    panel.strip_image.value = plots.figure_png(fig)
    panel.strip_image.layout.display = None


def draw_comparison(panel):
    chosen = [r for r in panel.runs if r["run"] in panel.compare.value]
    if not chosen:
        panel.compare_image.layout.display = "none"
        return
    panel.compare_image.value = plots.figure_png(plots.plot_panel_runs(chosen))
    panel.compare_image.layout.display = None
