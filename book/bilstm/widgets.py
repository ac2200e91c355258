"""The live training panel: change the settings, press Retrain, watch it learn.

:class:`TrainingPanel` is a thin shell over the package's pure functions —
:func:`bilstm.model.build_model`, :func:`bilstm.training.train` and
:func:`bilstm.evaluation.evaluate_fresh` — with ipywidgets controls around
them. It holds no training logic of its own: a Keras callback reports progress
after every chunk of batches and stops training when "Stop" is pressed.

Embed it in a chapter (the cell's last line displays the panel)::

    from bilstm.widgets import TrainingPanel

    panel = TrainingPanel.with_default_run(notebook="book/04_fit.ipynb")
    panel

``with_default_run`` trains once with the default settings *before* returning,
in the calling thread, so the saved notebook (and the HTML book built from it)
shows a real learning curve and real results even without a kernel. Any
keyword of :class:`TrainingPanel` works there too, for example
``TrainingPanel.with_default_run(samples=20_000, notebook=...)``.

Drive it from code, as the tests and the playground do::

    panel.controls["Merge mode"].value = "sum"
    panel.controls["Sequence length"].value = 20
    panel.retrain_button.click()
    panel.wait()                       # blocks until the run ends
    panel.runs[-1]["accuracy"]         # per-step accuracy on fresh sequences
    panel.model.input_shape            # (None, 20, 1)

Each finished, stopped or failed run is a plain dict in ``panel.runs`` (its
settings, status and results) and a row in the panel's run history table.

Training runs in a background thread. The compiled loop runs a chunk of
batches per call (:func:`chunk_steps` sizes it to a fraction of a second for
the shape) and the callback checks for Stop after each chunk, so Stop takes
effect within a second — except while a new shape is still compiling, and for
the very largest settings, where one batch alone can take longer. Runs seed
Python, NumPy and Keras globally (:func:`bilstm.seeding.set_seed`).
"""

from __future__ import annotations

from . import _env  # noqa: F401

import contextvars
import html
import math
import threading
import time

import ipywidgets as widgets
import numpy as np
import tensorflow as tf

from . import plots
from .data import get_sequences
from .evaluation import evaluate_fresh
from .model import DIRECTIONS, MERGE_MODES, build_model
from .seeding import set_seed
from .training import STEPS_PER_EXECUTION, CurveRecorder, train

__all__ = ["TrainingPanel", "DEFAULTS", "LIMITS", "estimate_seconds", "chunk_steps"]

#: The lesson's settings: what the panel starts with.
DEFAULTS = {
    "sequence_length": 10,
    "merge_mode": "concat",
    "batch_size": 10,
    "cells": 50,
    "samples": 50_000,
    "direction": "bidirectional",
    "seed": 1,
}

#: The smallest and largest value each number control accepts.
LIMITS = {
    "sequence_length": (2, 100),
    "batch_size": (1, 1000),
    "cells": (1, 256),
    "samples": (1, 100_000),
    "seed": (0, 2**31 - 1),
}

#: Control labels, in the order the panel shows them.
LABELS = {
    "sequence_length": "Sequence length",
    "merge_mode": "Merge mode",
    "batch_size": "Batch size",
    "cells": "Memory cells",
    "samples": "Training sequences",
    "direction": "Direction",
    "seed": "Seed",
}

_CHUNK_SECONDS = 0.3  # aim: a chunk of batches, hence Stop, takes under 0.3 s
_REDRAW_SECONDS = 0.5  # the ticker's period (progress text)
_CURVE_SECONDS = 1.5  # the curve redraws at most this often (drawing costs ~0.1 s)
# Each new shape gets its own compiled loop; TensorFlow would warn about
# "retracing" after a few of them. That is expected here, so keep it quiet.
tf.get_logger().setLevel("ERROR")

_MEASURED: dict = {}  # compiled shapes in this process -> measured seconds per step


def step_seconds(batch_size, sequence_length, cells, direction="bidirectional"):
    """A rough guess of one optimizer step's time on a 2-core CPU (seconds).

    An LSTM step is sequential in time; each time step costs a fixed overhead
    plus work proportional to batch x cells x (cells + 2) per direction.
    Fitted to steps timed here (one TensorFlow thread per operation, see
    ``bilstm._env``): about 0.65 ms for the lesson's batch of 10 sequences of
    10 steps, 1.4 ms at 20 steps or batches of 32, 2.8 ms with 128 cells.
    """
    readers = 2 if direction == "bidirectional" else 1
    work = batch_size * 4 * cells * (cells + 2)
    return 1e-4 + sequence_length * readers * (1e-5 + 1.7e-10 * work)


def chunk_steps(batch_size, sequence_length, cells, direction="bidirectional"):
    """Batches per compiled chunk for this shape.

    The chapters' chunk, ``training.STEPS_PER_EXECUTION``, when a chunk of it
    takes under ``_CHUNK_SECONDS`` by the guess of :func:`step_seconds` (the
    lesson's shape: about 0.2 s): the panel then runs the very program the
    chapters compiled, from memory or from the persistent XLA cache. For
    slower shapes, the largest power of two that does, so Stop is always felt
    well within a second. A pure function of the shape, so a shape that was
    compiled once is never compiled again.
    """
    per_step = step_seconds(batch_size, sequence_length, cells, direction)
    if STEPS_PER_EXECUTION * per_step <= _CHUNK_SECONDS:
        return STEPS_PER_EXECUTION
    steps = max(1, int(_CHUNK_SECONDS / per_step))
    return 1 << (steps.bit_length() - 1)


def compile_seconds(sequence_length):
    """A rough guess of the time to trace and compile a new shape (seconds).

    Measured here with an empty compiled-program cache: about 3 s at 10 steps,
    4.5 s at 20, 7 s at 40. A program found in the persistent cache (see
    ``bilstm._env``) takes about a second instead.
    """
    return 1.6 + 0.14 * sequence_length


def estimate_seconds(settings, compiled=False, per_step=None):
    """Estimated wall time of a run with ``settings`` (a dict like DEFAULTS).

    ``per_step`` (seconds per batch measured on an earlier run of this shape)
    replaces the rough model; ``compiled`` drops the compile cost.
    """
    s = {**DEFAULTS, **settings}
    steps = math.ceil(s["samples"] / s["batch_size"])
    if per_step is None:
        per_step = step_seconds(
            s["batch_size"], s["sequence_length"], s["cells"], s["direction"]
        )
    compiling = 0.0 if compiled else compile_seconds(s["sequence_length"])
    return steps * per_step + compiling + 0.5


def _shape_key(s):
    merge = s["merge_mode"] if s["direction"] == "bidirectional" else None
    return (s["sequence_length"], s["cells"], merge, s["direction"], s["batch_size"])


def _fmt_seconds(seconds):
    if seconds < 60:
        return f"{seconds:.0f} s" if seconds >= 10 else f"{seconds:.1f} s"
    return f"{seconds // 60:.0f} min {seconds % 60:02.0f} s"


def _pct(value):
    return "–" if value is None or not np.isfinite(value) else f"{value:.1%}"


class _PanelCallback(CurveRecorder):
    """Keep the curve rows as they arrive (the live plot reads ``rows``),
    note in ``live["first"]`` when the first chunk ends (time, batches done),
    and stop when the panel asks."""

    def __init__(self, stop_event, live):
        super().__init__()
        self.stop_event = stop_event
        self.live = live

    def on_train_batch_end(self, batch, logs=None):
        super().on_train_batch_end(batch, logs)
        if self.live["first"] is None:
            self.live["first"] = (time.perf_counter(), batch + 1)
            self.live["wake"].set()  # draw the first point now, not at the next tick
        if self.stop_event.is_set():
            self.model.stop_training = True


class TrainingPanel:
    """Retrain the lesson's model live and compare runs.

    Keyword arguments set the starting value of each control (see
    :data:`DEFAULTS`); ``eval_sequences`` is how many fresh sequences score a
    run, ``examples`` how many sample sequences the strip shows, and
    ``notebook`` the path named in the note on how to retrain live.

    Attributes: ``model`` (the latest trained model, ``None`` before the first
    run), ``runs`` (a list of plain dicts, one per run), ``controls`` (label ->
    widget), ``retrain_button``, ``stop_button`` and ``widget`` (the whole
    panel). Methods: :meth:`retrain`, :meth:`stop`, :meth:`wait`.
    """

    def __init__(
        self,
        *,
        eval_sequences: int = 1000,
        examples: int = 4,
        notebook: str = "book/playground.ipynb",
        **settings,
    ):
        unknown = set(settings) - set(DEFAULTS)
        if unknown:
            raise TypeError(f"unknown settings: {', '.join(sorted(unknown))}")
        start = {**DEFAULTS, **settings}
        self.eval_sequences = eval_sequences
        self.examples = examples
        self.notebook = notebook
        self.model = None
        self.runs: list[dict] = []
        self._lock = threading.Lock()
        self._stop_event = threading.Event()
        self._thread = None
        self._done = threading.Event()
        self._done.set()
        self._live: dict | None = None
        self._build_controls(start)
        self._build_outputs()
        self._update_estimate()

    # ----------------------------------------------------------- construction
    @classmethod
    def with_default_run(cls, **kwargs) -> TrainingPanel:
        """Make a panel and train once with its starting settings before returning.

        The run happens in the calling thread, so when the notebook is saved
        the widget state already holds its curve, results and history.
        """
        panel = cls(**kwargs)
        panel.retrain(background=False)
        return panel

    def _build_controls(self, s):
        style = {"description_width": "initial"}
        box = widgets.Layout(width="auto")

        def number(key, cls=widgets.BoundedIntText, **kw):
            low, high = LIMITS[key]
            return cls(
                value=s[key],
                min=low,
                max=high,
                description=LABELS[key],
                style=style,
                layout=box,
                **kw,
            )

        self.controls = {
            LABELS["sequence_length"]: number(
                "sequence_length", widgets.IntSlider, continuous_update=False
            ),
            LABELS["merge_mode"]: widgets.Dropdown(
                options=list(MERGE_MODES),
                value=s["merge_mode"],
                description=LABELS["merge_mode"],
                style=style,
                layout=box,
            ),
            LABELS["batch_size"]: number("batch_size"),
            LABELS["cells"]: number("cells"),
            LABELS["samples"]: number("samples", step=1000),
            LABELS["direction"]: widgets.Dropdown(
                options=list(DIRECTIONS),
                value=s["direction"],
                description=LABELS["direction"],
                style=style,
                layout=box,
            ),
            LABELS["seed"]: number("seed"),
        }
        for control in self.controls.values():
            control.observe(self._on_settings_change, names="value")
        self.retrain_button = widgets.Button(
            description="Retrain",
            button_style="primary",
            icon="play",
            tooltip="Build a new model with these settings and train it",
        )
        self.stop_button = widgets.Button(
            description="Stop",
            icon="stop",
            disabled=True,
            tooltip="Stop training now and keep what was learned so far",
        )
        self.retrain_button.on_click(lambda _: self.retrain())
        self.stop_button.on_click(lambda _: self.stop())

    def _build_outputs(self):
        self.estimate = widgets.HTML()
        self.message = widgets.HTML()
        self.progress = widgets.FloatProgress(
            value=0.0,
            min=0.0,
            max=1.0,
            description="Progress",
            style={
                "description_width": "initial",
                "bar_color": plots.OKABE_ITO["blue"],
            },
            layout=widgets.Layout(width="45%"),
        )
        self.progress_text = widgets.HTML("No run yet.")
        self.curve_image = widgets.Image(
            value=plots.figure_png(plots.plot_live_curve([])),
            format="png",
            layout=widgets.Layout(max_width="100%"),
        )
        self.results = widgets.HTML("<i>Results appear here after the first run.</i>")
        self.strip_image = widgets.Image(
            format="png", layout=widgets.Layout(max_width="100%", display="none")
        )
        self.history = widgets.HTML(self._history_html())
        self.results.add_class("bilstm-results")
        self.history.add_class("bilstm-history")
        self.compare = widgets.SelectMultiple(
            options=[],
            description="Compare runs",
            rows=4,
            style={"description_width": "initial"},
            layout=widgets.Layout(width="95%"),
        )
        self.compare.observe(lambda _: self._draw_comparison(), names="value")
        self.compare_image = widgets.Image(
            format="png", layout=widgets.Layout(max_width="100%", display="none")
        )
        self.note = widgets.HTML(self._note_html())
        section = "<b style='font-size:1.05em'>{}</b>".format
        grid = widgets.GridBox(
            list(self.controls.values()),
            layout=widgets.Layout(
                grid_template_columns="repeat(auto-fill, minmax(17em, 1fr))",
                grid_gap="4px 16px",
            ),
        )
        self.widget = widgets.VBox(
            [
                widgets.HTML(section("Settings")),
                grid,
                widgets.HBox(
                    [self.retrain_button, self.stop_button, self.estimate],
                    layout=widgets.Layout(align_items="center"),
                ),
                widgets.HBox(
                    [self.progress, self.progress_text],
                    layout=widgets.Layout(align_items="center"),
                ),
                self.message,
                widgets.HTML(section("Learning curve")),
                self.curve_image,
                widgets.HTML(section("Results on fresh sequences")),
                self.results,
                self.strip_image,
                widgets.HTML(section("Run history")),
                self.history,
                widgets.HTML(
                    "Choose runs to overlay their learning curves "
                    "(Ctrl- or Shift-click for several):"
                ),
                self.compare,
                self.compare_image,
                self.note,
            ],
            layout=widgets.Layout(max_width="900px"),
        )
        self.widget.add_class("bilstm-training-panel")

    def _repr_mimebundle_(self, **kwargs):
        bundle = self.widget._repr_mimebundle_(**kwargs)
        bundle["text/plain"] = (
            "TrainingPanel (open the notebook in JupyterLab to retrain)"
        )
        return bundle

    def _note_html(self):
        nb = html.escape(self.notebook)
        return (
            "<div style='font-size:0.9em;color:#444;border-left:3px solid #56B4E9;"
            "padding-left:8px;margin-top:6px'>"
            "What you see is a real run, saved with the page. To retrain live, open "
            f"<code>{nb}</code> in JupyterLab (run <code>pip install -r "
            f"requirements.txt</code>, then <code>jupyter lab {nb}</code> from the "
            "repository), choose "
            "<b>Run &rsaquo; Run All Cells</b>, change the settings and press "
            "<b>Retrain</b>.</div>"
        )

    # --------------------------------------------------------------- settings
    @property
    def settings(self) -> dict:
        """The current control values, keyed as in :data:`DEFAULTS`."""
        return {key: self.controls[label].value for key, label in LABELS.items()}

    @property
    def running(self) -> bool:
        return not self._done.is_set()

    def _on_settings_change(self, _change):
        self._update_estimate()

    def _update_estimate(self):
        s = self.settings
        key = _shape_key(s)
        seconds = estimate_seconds(
            s, compiled=key in _MEASURED, per_step=_MEASURED.get(key)
        )
        text = f"Estimated time: about {_fmt_seconds(seconds)}"
        if key not in _MEASURED:
            compiling = compile_seconds(s["sequence_length"])
            text += (
                f" (including up to {compiling:.0f} s to compile this new shape,"
                " less if it was compiled before)"
            )
        if seconds > 60:
            text = f"<b style='color:{plots.OKABE_ITO['vermillion']}'>{text}: long</b>"
        self.estimate.value = text

    # ------------------------------------------------------------------ runs
    def retrain(self, background: bool = True) -> bool:
        """Start a run with the current settings; return False if one is going.

        With ``background=False`` the run happens in the calling thread.
        """
        with self._lock:
            if not self._done.is_set():
                self._say(
                    "A run is still going: press Stop first, or wait for it to finish.",
                    warn=True,
                )
                return False
            self._done.clear()
            self._stop_event.clear()
        settings = self.settings
        run = {"run": len(self.runs) + 1, **settings, "status": "running"}
        run["label"] = self._label(run)
        self.runs.append(run)
        self.retrain_button.disabled = True
        self.stop_button.disabled = False
        self._say("")
        if not background:
            self._run(run)
            return True
        context = contextvars.copy_context()  # keep the cell's parent for messages
        self._thread = threading.Thread(
            target=context.run, args=(self._run, run), name="bilstm-panel", daemon=True
        )
        self._thread.start()
        return True

    def stop(self):
        """Ask the current run to stop after its current chunk of batches."""
        if self.running:
            self._stop_event.set()
            live = self._live or {}
            if live.get("first") is None and live.get("compiling"):
                self._say(
                    "Stopping as soon as the training loop for this new shape is "
                    "compiled and has run its first chunk…"
                )
            else:
                self._say("Stopping after the current chunk of batches…")

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the current run ends; return False if ``timeout`` passed."""
        return self._done.wait(timeout)

    @staticmethod
    def _label(run):
        s = run
        how = s["direction"] + (
            f" {s['merge_mode']}" if s["direction"] == "bidirectional" else ""
        )
        return (
            f"run {s['run']}: {how}, length {s['sequence_length']}, "
            f"batch {s['batch_size']}, cells {s['cells']}"
        )

    def _run(self, run):
        s = dict(run)
        total = math.ceil(s["samples"] / s["batch_size"])
        live = {
            "compiling": _shape_key(s) not in _MEASURED,
            "rows": [],
            "start": time.perf_counter(),
            "first": None,
            "total": total,
            "drawn": 0,
            "last_draw": 0.0,
            "run": run,
            "ticker_stop": threading.Event(),
            "wake": threading.Event(),
        }
        self._live = live
        self.progress.value = 0.0
        self.progress.bar_style = ""
        self.progress_text.value = "Building the model…"
        ticker = threading.Thread(
            target=contextvars.copy_context().run, args=(self._tick, live), daemon=True
        )
        ticker.start()

        callback = _PanelCallback(self._stop_event, live)
        live["rows"] = callback.rows

        try:
            set_seed(s["seed"])
            model = build_model(
                s["sequence_length"], s["cells"], s["merge_mode"], s["direction"]
            )
            X, y = get_sequences(s["samples"], s["sequence_length"], rng=s["seed"])
            spe = chunk_steps(
                s["batch_size"], s["sequence_length"], s["cells"], s["direction"]
            )
            result = train(
                model,
                X,
                y,
                batch_size=s["batch_size"],
                rng=s["seed"],
                callbacks=[callback],
                steps_per_execution=spe,
            )
            trained = live["trained"] = time.perf_counter()
            del X, y
            scores = evaluate_fresh(model, self.eval_sequences, rng=s["seed"] + 1)
        except Exception as err:  # report it in the panel and keep the panel usable
            live["ticker_stop"].set()
            live["wake"].set()
            ticker.join()
            self._fail(run, err)
            return
        live["ticker_stop"].set()
        live["wake"].set()
        ticker.join()
        key = _shape_key(s)
        if live["first"] is not None and result.steps > live["first"][1]:
            t0, s0 = live["first"]
            _MEASURED[key] = (trained - t0) / (result.steps - s0)
        else:
            _MEASURED.setdefault(key, None)
        self._finish(run, model, result, scores, total)

    def _tick(self, live):
        """Every half second: progress text; the curve when it has new points."""
        while True:
            live["wake"].wait(_REDRAW_SECONDS)
            live["wake"].clear()
            if live["ticker_stop"].is_set():
                break
            try:
                self._show_progress(live)
                now = time.perf_counter()
                if (
                    len(live["rows"]) != live["drawn"]
                    and now - live["last_draw"] >= _CURVE_SECONDS
                ):
                    self._draw_curve(live["rows"], live["total"], live["run"])
                    live["last_draw"] = time.perf_counter()
            except Exception:  # noqa: BLE001 - a drawing hiccup must not stop training
                pass

    def _show_progress(self, live):
        rows, total = list(live["rows"]), live["total"]
        done = rows[-1]["step"] if rows else 0
        elapsed = time.perf_counter() - live["start"]
        self.progress.value = done / total
        if live["first"] is None:
            if self._stop_event.is_set():
                left = "stopping once the first chunk is done…"
            elif live.get("compiling"):
                left = "compiling the training loop for this new shape…"
            else:
                left = "starting…"
            text = f"step 0 of {total:,} · {_fmt_seconds(elapsed)} elapsed · {left}"
        else:
            t0, s0 = live["first"]
            rate = (time.perf_counter() - t0) / max(1, done - s0) if done > s0 else None
            left = (
                f"about {_fmt_seconds(rate * (total - done))} left"
                if rate
                else "measuring speed…"
            )
            text = (
                f"step {done:,} of {total:,} · {_fmt_seconds(elapsed)} elapsed · {left}"
            )
        self.progress_text.value = text

    def _draw_curve(self, rows, total, run):
        rows = list(rows)
        if self._live is not None:
            self._live["drawn"] = len(rows)
        fig = plots.plot_live_curve(rows, total_steps=total, title=run["label"])
        self.curve_image.value = plots.figure_png(fig)

    def _finish(self, run, model, result, scores, total):
        stopped = bool(result.stopped)
        run.update(
            status="stopped" if stopped else "finished",
            steps=int(result.steps),
            total_steps=total,
            seconds=round(float(result.seconds), 2),
            params=int(model.count_params()),
            train_loss=result.loss,
            train_accuracy=result.accuracy,
            loss=scores["loss"],
            accuracy=scores["accuracy"],
            sequence_accuracy=scores["sequence_accuracy"],
            accuracy_interval=tuple(scores["accuracy_interval"]),
            sequence_accuracy_interval=tuple(scores["sequence_accuracy_interval"]),
            eval_sequences=scores["n_sequences"],
            curve=[dict(row) for row in result.curve],
            error=None,
        )
        self.model = model
        self._draw_curve(run["curve"], total, run)
        self.progress.value = run["steps"] / total
        self.progress.bar_style = "warning" if stopped else "success"
        self.progress_text.value = (
            f"{'stopped at' if stopped else 'done:'} step {run['steps']:,} of "
            f"{total:,} in {_fmt_seconds(result.seconds)}"
        )
        self.results.value = self._results_html(run)
        self._draw_strip(scores)
        self._end_run(run)
        self._say(
            f"Run {run['run']} stopped early; its partial model is kept."
            if stopped
            else ""
        )

    def _fail(self, run, err):
        first = (str(err).strip().splitlines() or [""])[0]
        line = f"{type(err).__name__}: {first}" if first else type(err).__name__
        if len(line) > 160:
            line = line[:157] + "…"
        run.update(status="failed", error=line, steps=0, curve=[])
        self.progress.bar_style = "danger"
        self.progress_text.value = "failed"
        self._end_run(run)
        self._say(
            f"Run {run['run']} failed: {line}. Earlier runs are kept; "
            "change the settings and press Retrain.",
            warn=True,
        )

    def _end_run(self, run):
        self.history.value = self._history_html()
        labelled = [(r["label"], r["run"]) for r in self.runs if r.get("curve")]
        chosen = tuple(v for v in self.compare.value if v != run["run"])
        if run.get("curve"):
            chosen = (chosen + (run["run"],))[-4:]
        self.compare.options = labelled
        self.compare.value = tuple(v for v in chosen if v in dict(labelled).values())
        self._draw_comparison()
        self.retrain_button.disabled = False
        self.stop_button.disabled = True
        self._update_estimate()
        self._done.set()

    def _say(self, text, warn=False):
        if warn and text:
            color = plots.OKABE_ITO["vermillion"]
            text = f"<span style='color:{color}'>{html.escape(text)}</span>"
        else:
            text = html.escape(text)
        self.message.value = text

    # --------------------------------------------------------------- display
    def _results_html(self, run):
        lo, hi = run["accuracy_interval"]
        slo, shi = run["sequence_accuracy_interval"]
        n = run["eval_sequences"]
        stopped = " (stopped early)" if run["status"] == "stopped" else ""
        return (
            f"<table style='border-collapse:collapse;margin:0'>"
            f"<tr><td>Per-step accuracy</td><td><b>{_pct(run['accuracy'])}</b></td>"
            f"<td>95% interval {_pct(lo)}–{_pct(hi)}</td></tr>"
            f"<tr><td>Whole sequences right&nbsp;</td>"
            f"<td><b>{_pct(run['sequence_accuracy'])}</b></td>"
            f"<td>95% interval {_pct(slo)}–{_pct(shi)}</td></tr>"
            f"<tr><td>Loss</td><td>{run['loss']:.4f}</td><td></td></tr></table>"
            f"<div style='font-size:0.9em;color:#444'>{html.escape(run['label'])}, "
            f"scored on {n:,} fresh sequences; trained on {run['samples']:,} "
            f"sequences in {run['steps']:,} steps{stopped}.</div>"
        )

    def _draw_strip(self, scores):
        wrong_any = scores["wrong"].any(axis=1)
        bad, good = np.flatnonzero(wrong_any), np.flatnonzero(~wrong_any)
        k = min(self.examples, len(wrong_any))
        pick = list(bad[: k // 2]) + list(good[: k - min(len(bad), k // 2)])
        pick = sorted(pick[:k])
        fig = plots.plot_prediction_strip(
            scores["X"][pick],
            scores["y"][pick],
            scores["proba"][pick],
            scores["wrong"][pick],
            n=len(pick),
        )
        self.strip_image.value = plots.figure_png(fig)
        self.strip_image.layout.display = None

    def _draw_comparison(self):
        chosen = [r for r in self.runs if r["run"] in self.compare.value]
        if not chosen:
            self.compare_image.layout.display = "none"
            return
        self.compare_image.value = plots.figure_png(plots.plot_panel_runs(chosen))
        self.compare_image.layout.display = None

    def _history_html(self):
        if not self.runs:
            return "<i>No runs yet.</i>"
        head = [
            "Run",
            "Direction",
            "Merge mode",
            "Sequence length",
            "Memory cells",
            "Batch size",
            "Training sequences",
            "Seed",
            "Status",
            "Steps",
            "Time",
            "Per-step accuracy",
            "Whole sequences",
            "Loss",
        ]
        cell = "padding:2px 6px;border-bottom:1px solid #ddd;text-align:right"
        rows = []
        for r in self.runs:
            merge = r["merge_mode"] if r["direction"] == "bidirectional" else "–"
            seconds = r.get("seconds")
            values = [
                r["run"],
                r["direction"],
                merge,
                r["sequence_length"],
                r["cells"],
                f"{r['batch_size']:,}",
                f"{r['samples']:,}",
                r["seed"],
                r["status"]
                if r["status"] != "failed"
                else f"<span title='{html.escape(r.get('error') or '')}' style='color:"
                f"{plots.OKABE_ITO['vermillion']}'>failed</span>",
                f"{r['steps']:,}" if r.get("steps") is not None else "–",
                _fmt_seconds(seconds) if seconds is not None else "–",
                _pct(r.get("accuracy")),
                _pct(r.get("sequence_accuracy")),
                f"{r['loss']:.4f}" if r.get("loss") is not None else "–",
            ]
            rows.append(
                "<tr>"
                + "".join(f"<td style='{cell}'>{v}</td>" for v in values)
                + "</tr>"
            )
        header = "".join(f"<th style='{cell}'>{h}</th>" for h in head)
        return (
            "<div style='overflow-x:auto'><table class='bilstm-run-history' "
            "style='border-collapse:collapse;font-size:0.85em;margin:0'>"
            f"<thead><tr>{header}</tr></thead><tbody>{''.join(rows)}</tbody>"
            "</table></div>"
        )
