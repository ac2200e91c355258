"""The panel's widgets: controls made from the settings, the outputs, and their updates.

:func:`build` makes a :class:`PanelView`, the widgets of one
:class:`~bilstm.widgets.TrainingPanel`; its ``show_*`` and ``draw_*``
methods put plain data into them (run dicts, a :class:`~bilstm.runs.RunResult`,
numbers), so the view needs no panel and the panel no widget details. To add
a control, give its setting a ``label`` in :mod:`bilstm.settings`; it appears
here by itself.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import ipywidgets as widgets
import numpy as np

from .. import plots
from ..settings import SETTINGS
from . import views
from .estimates import format_seconds

__all__ = ["CONTROLS", "PanelView", "build"]

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


def build(start, *, notebook, examples, note=True) -> PanelView:
    """The widgets of a panel whose controls start at the settings ``start``.

    ``notebook`` is the path the note on retraining live names; ``examples``
    how many sample sequences the strip shows (0: no strip in the panel);
    ``note=False`` leaves the note out of the panel.
    """
    parts = {
        "controls": {name: _control(name, start[name]) for name in CONTROLS},
        **_buttons(),
        **_progress(),
        **_outputs(),
        "note": widgets.HTML(views.note_html(notebook)),
    }
    widget = _arrange(parts, examples=examples, note=note)
    return PanelView(**parts, widget=widget, examples=examples)


def _buttons() -> dict:
    retrain_button = widgets.Button(
        description="Retrain",
        button_style="primary",
        icon="play",
        tooltip="Build a new model with these settings and train it",
    )
    stop_button = widgets.Button(
        description="Stop",
        icon="stop",
        disabled=True,
        tooltip="Stop training now and keep what was learned so far",
    )
    return {"retrain_button": retrain_button, "stop_button": stop_button}


def _progress() -> dict:
    progress = widgets.FloatProgress(
        value=0.0,
        min=0.0,
        max=1.0,
        description="Progress",
        style={**_STYLE, "bar_color": plots.OKABE_ITO["blue"]},
        layout=widgets.Layout(width="45%"),
    )
    return {
        "estimate": widgets.HTML(),
        "message": widgets.HTML(),
        "progress": progress,
        "progress_text": widgets.HTML("No run yet."),
    }


def _outputs() -> dict:
    curve_image = widgets.Image(
        value=plots.figure_png(plots.plot_live_curve([])),
        format="png",
        layout=widgets.Layout(max_width="100%"),
    )
    results = widgets.HTML("<i>Results appear here after the first run.</i>")
    history = widgets.HTML(views.history_html([]))
    results.add_class("bilstm-results")
    history.add_class("bilstm-history")
    compare = widgets.SelectMultiple(
        options=[],
        description="Compare runs",
        rows=4,
        style=_STYLE,
        layout=widgets.Layout(width="95%"),
    )
    return {
        "curve_image": curve_image,
        "results": results,
        "strip_image": _hidden_image(),
        "history": history,
        "compare": compare,
        "compare_image": _hidden_image(),
    }


def _arrange(parts: dict, *, examples, note) -> widgets.VBox:
    """The panel's one box: settings, buttons, curve, results, history."""
    section = "<b style='font-size:1.05em'>{}</b>".format
    grid = widgets.GridBox(
        list(parts["controls"].values()),
        layout=widgets.Layout(
            grid_template_columns="repeat(auto-fill, minmax(17em, 1fr))",
            grid_gap="4px 16px",
        ),
    )
    row = widgets.Layout(align_items="center")
    buttons = [parts["retrain_button"], parts["stop_button"], parts["estimate"]]
    widget = widgets.VBox(
        [
            widgets.HTML(section("Settings")),
            grid,
            widgets.HBox(buttons, layout=row),
            widgets.HBox([parts["progress"], parts["progress_text"]], layout=row),
            parts["message"],
            widgets.HTML(section("Learning curve")),
            parts["curve_image"],
            widgets.HTML(section("Results on test sequences")),
            parts["results"],
            *([parts["strip_image"]] if examples else []),
            widgets.HTML(section("Run history")),
            parts["history"],
            widgets.HTML(
                "Choose runs to overlay their learning curves "
                "(Ctrl- or Shift-click for several):"
            ),
            parts["compare"],
            parts["compare_image"],
            *([parts["note"]] if note else []),
        ],
        layout=widgets.Layout(max_width="900px"),
    )
    widget.add_class("bilstm-training-panel")
    return widget


def _hidden_image():
    return widgets.Image(
        format="png", layout=widgets.Layout(max_width="100%", display="none")
    )


@dataclass(eq=False, repr=False)
class PanelView:
    """The widgets of a training panel, and the updates that show a run in them.

    Made by :func:`build`. ``widget`` is the whole panel (a ``VBox``);
    ``controls`` maps each name in :data:`CONTROLS` to its widget. The
    methods take plain data: run dicts as in ``TrainingPanel.runs``, a
    :class:`~bilstm.runs.RunResult`, numbers and text. They only draw: what
    a run records is the panel's business. ``strip_image`` is in ``widget``
    only if ``examples`` (sample sequences in the strip) is not 0, and
    ``note`` only if :func:`build` was given ``note=True``.
    """

    controls: dict[str, widgets.ValueWidget]
    retrain_button: widgets.Button
    stop_button: widgets.Button
    estimate: widgets.HTML
    message: widgets.HTML
    progress: widgets.FloatProgress
    progress_text: widgets.HTML
    curve_image: widgets.Image
    results: widgets.HTML
    strip_image: widgets.Image
    history: widgets.HTML
    compare: widgets.SelectMultiple
    compare_image: widgets.Image
    note: widgets.HTML
    widget: widgets.VBox
    examples: int = 4
    #: The runs the history last showed: choosing runs to compare draws from them.
    shown: list = field(default_factory=list, init=False)

    def __post_init__(self):
        self.compare.observe(lambda _: self.draw_comparison(self.shown), names="value")

    def values(self) -> dict:
        """The controls' values, by setting name."""
        return {name: control.value for name, control in self.controls.items()}

    def show_estimate(self, settings, measured):
        """The time estimate next to Retrain (see :func:`views.estimate_html`)."""
        self.estimate.value = views.estimate_html(settings, measured)

    def show_message(self, text, warn=False):
        """A line in the message area (vermillion if ``warn``); ``""`` clears it."""
        self.message.value = views.message_html(text, warn)

    def show_running(self, running: bool):
        """Retrain off and Stop on while a run goes, and the other way round."""
        self.retrain_button.disabled, self.stop_button.disabled = running, not running

    def show_start(self):
        """An empty progress bar and "Building the model…"."""
        self.progress.value = 0.0
        self.progress.bar_style = ""
        self.progress_text.value = "Building the model…"

    def show_progress(self, fraction, text):
        """The progress bar at ``fraction`` (0 to 1) and the line next to it."""
        self.progress.value, self.progress_text.value = fraction, text

    def draw_curve(self, rows, total, title):
        """The learning curve of ``rows`` (curve rows) on an axis of ``total`` steps."""
        fig = plots.plot_live_curve(list(rows), total_steps=total, title=title)
        self.curve_image.value = plots.figure_png(fig)

    def show_result(self, run, result):
        """Show a finished or stopped ``run`` and its :class:`~bilstm.runs.RunResult`.

        ``run`` holds what the run recorded (``status``, ``steps``,
        ``total_steps``, ``curve``, scores, ``label``); ``result`` gives the
        training time and the test sequences and scores for the strip.
        """
        stopped = run["status"] == "stopped"
        total = run["total_steps"]
        self.draw_curve(run["curve"], total, run["label"])
        self.progress.value = run["steps"] / total
        self.progress.bar_style = "warning" if stopped else "success"
        self.progress_text.value = (
            f"{'stopped at' if stopped else 'done:'} step {run['steps']:,} of "
            f"{total:,} in {format_seconds(result.training.seconds)}"
        )
        self.results.value = views.results_html(run)
        self._draw_strip(result.test, result.scores)

    def show_failure(self):
        """A red progress bar and "failed" (the message says why)."""
        self.progress.bar_style = "danger"
        self.progress_text.value = "failed"

    def show_history(self, runs):
        """Redraw the history table, and keep the latest run among those compared."""
        self.shown = list(runs)
        self.history.value = views.history_html(runs)
        latest = runs[-1]
        labelled = [(r["label"], r["number"]) for r in runs if r.get("curve")]
        chosen = tuple(v for v in self.compare.value if v != latest["number"])
        if latest.get("curve"):
            chosen = (chosen + (latest["number"],))[-4:]
        self.compare.options = labelled
        self.compare.value = tuple(v for v in chosen if v in dict(labelled).values())
        self.draw_comparison(runs)

    def draw_comparison(self, runs):
        """Overlay the curves of the ``runs`` chosen in ``compare`` (none: hide)."""
        chosen = [r for r in runs if r["number"] in self.compare.value]
        if not chosen:
            self.compare_image.layout.display = "none"
            return
        # plot_panel_runs keeps a run's colour by its "run" key (bilstm.plots)
        chosen = [{**r, "run": r["number"]} for r in chosen]
        self.compare_image.value = plots.figure_png(plots.plot_panel_runs(chosen))
        self.compare_image.layout.display = None

    def _draw_strip(self, test, scores):
        X = test.X
        if self.examples == 0 or X.ndim != 3 or X.shape[-1] != 1:
            self.strip_image.layout.display = "none"
            return  # sample sequences are drawn for one number per step only
        wrong = scores["wrong"]
        wrong_any = wrong.any(axis=1)
        bad, good = np.flatnonzero(wrong_any), np.flatnonzero(~wrong_any)
        k = min(self.examples, len(wrong_any))
        pick = list(bad[: k // 2]) + list(good[: k - min(len(bad), k // 2)])
        pick = sorted(pick[:k])
        fig = plots.plot_prediction_strip(
            X[pick, :, 0],
            test.y[pick, :, 0],
            scores["proba"][pick],
            wrong[pick],
            n=len(pick),
        )
        self.strip_image.value = plots.figure_png(fig)
        self.strip_image.layout.display = None
