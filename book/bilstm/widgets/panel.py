"""The training panel: controls from the settings, a run in a thread, live views.

:class:`TrainingPanel` trains with :func:`bilstm.run`, the one run function the
command line and the experiment runner also use, so a panel run with the
lesson's settings and seed 1 trains the very model ``python -m bilstm train``
trains. It holds no training logic of its own: a Keras callback reports
progress after every chunk of batches and stops training when Stop is pressed.
"""

from __future__ import annotations

import contextvars
import threading
import time
from dataclasses import dataclass, field

from .. import runs
from .. import settings as _settings
from ..training import CurveRecorder
from . import layout, views
from .estimates import chunk_steps, shape_key

__all__ = ["TrainingPanel"]

_REDRAW_SECONDS = 0.5  # the ticker's period (progress text)
_CURVE_SECONDS = 1.5  # the curve redraws at most this often (drawing costs ~0.1 s)
_MEASURED: dict = {}  # shape key -> measured seconds per step, for this process


@dataclass
class _LiveRun:
    """The state of the run in progress, shared by its thread and the ticker."""

    run: dict
    total: int
    compiling: bool
    rows: list = field(default_factory=list)  # the curve so far (CurveRecorder)
    start: float = field(default_factory=time.perf_counter)
    first: tuple | None = None  # (time, batches done) when the first chunk ended
    drawn: int = 0  # curve rows drawn so far
    last_draw: float = 0.0
    over: threading.Event = field(default_factory=threading.Event)
    wake: threading.Event = field(default_factory=threading.Event)

    def progress(self, stopping: bool) -> tuple:
        """The share of steps done and the progress line, as of now."""
        rows = list(self.rows)
        done = rows[-1]["step"] if rows else 0
        elapsed = time.perf_counter() - self.start
        if self.first is None:
            waiting = (
                "stopping"
                if stopping
                else "compiling"
                if self.compiling
                else "starting"
            )
            text = views.progress_text(done, self.total, elapsed, waiting=waiting)
            return done / self.total, text
        t0, s0 = self.first
        rate = (time.perf_counter() - t0) / (done - s0) if done > s0 else None
        return done / self.total, views.progress_text(done, self.total, elapsed, rate)


class _PanelCallback(CurveRecorder):
    """Record the curve, note the first chunk's end, stop when asked."""

    def __init__(self, stop_event, live):
        super().__init__()
        self.stop_event, self.live = stop_event, live
        live.rows = self.rows

    def on_train_batch_end(self, batch, logs=None):
        super().on_train_batch_end(batch, logs)
        if self.live.first is None:
            self.live.first = (time.perf_counter(), batch + 1)
            self.live.wake.set()  # draw the first point now, not at the next tick
        if self.stop_event.is_set():
            self.model.stop_training = True


class TrainingPanel:
    """Retrain the lesson's model live and compare runs.

    Keyword arguments are settings of :mod:`bilstm.settings`: those with a
    control (``n_timesteps``, ``merge_mode``, ``batch_size``, ``units``,
    ``n_train``, ``direction``, ``seed``) set its starting value, the others
    (``epochs``, ``n_test``, ``learning_rate``, ``schedule``) hold for every
    run. Each run is scored on ``n_test`` test sequences, 1,000 unless
    given. ``examples`` is how many sample sequences the strip shows,
    ``notebook`` the path named in the note on how to retrain live
    (``note=False``: no note, for a page that is live already), and ``chunk``
    the batches per compiled call (default: ``chunk_steps`` of the
    shape, under a third of a second, so Stop is felt at once). ``build``,
    ``data`` and ``test_data`` pose another model or problem, as in
    :func:`bilstm.run` (for example ``**bilstm.words.task(train, test)``). The
    strip of sample sequences draws the lesson's kind of input only, one
    number per step: pass ``examples=0`` for other problems, and the panel has
    no strip at all.

    Attributes: ``model`` (the latest trained model, ``None`` before the
    first run), ``runs`` (a list of plain dicts, one per run: its
    ``number``, 1 for the first, its settings, ``label``, ``status`` and
    results), ``controls``
    (setting name -> widget), ``retrain_button``, ``stop_button``,
    ``live_curve`` (the running run's curve rows so far), ``widget`` (the
    whole panel) and ``view`` (its :class:`~bilstm.widgets.layout.PanelView`:
    every widget, for tests and tools). Methods: :meth:`retrain`,
    :meth:`retrain_with`, :meth:`stop`, :meth:`wait`.
    """

    view: layout.PanelView

    def __init__(
        self,
        *,
        examples=4,
        notebook="book/playground.ipynb",
        note=True,
        chunk=None,
        build=None,
        data=None,
        test_data=None,
        **settings,
    ):
        start = _settings.check({"n_test": 1000, **settings})
        self.fixed = {k: v for k, v in start.items() if k not in layout.CONTROLS}
        self.chunk = chunk
        runs.check_functions(build=build, data=data, test_data=test_data)
        self.build, self.data, self.test_data = build, data, test_data
        self.model = None
        self.runs: list[dict] = []
        self._lock = threading.Lock()
        self._stop_event = threading.Event()
        self._done = threading.Event()
        self._done.set()
        self._live: _LiveRun | None = None
        self.view = layout.build(start, notebook=notebook, examples=examples, note=note)
        self.view.retrain_button.on_click(lambda _: self.retrain())
        self.view.stop_button.on_click(lambda _: self.stop())
        for control in self.view.controls.values():
            control.observe(lambda _: self._update_estimate(), names="value")
        self._update_estimate()

    @classmethod
    def with_default_run(cls, **kwargs) -> TrainingPanel:
        """Make a panel and train once with its starting settings before returning.

        The run happens in the calling thread, so when the notebook is saved
        the widget state already holds its curve, results and history.
        """
        panel = cls(**kwargs)
        panel.retrain(background=False)
        return panel

    def _repr_mimebundle_(self, **kwargs):
        bundle = self.view.widget._repr_mimebundle_(**kwargs)
        bundle["text/plain"] = (
            "TrainingPanel (open the notebook in JupyterLab to retrain)"
        )
        return bundle

    @property
    def controls(self) -> dict:
        """Setting name -> its control (set a control's ``value`` to change it)."""
        return self.view.controls

    @property
    def retrain_button(self):
        """The Retrain button (``click()`` it to start a run, as a reader does)."""
        return self.view.retrain_button

    @property
    def stop_button(self):
        """The Stop button."""
        return self.view.stop_button

    @property
    def widget(self):
        """The whole panel, an ``ipywidgets.VBox``."""
        return self.view.widget

    @property
    def settings(self) -> dict:
        """The settings the next run uses: the controls' values and the fixed ones."""
        return {**self.fixed, **self.view.values()}

    @property
    def running(self) -> bool:
        return not self._done.is_set()

    @property
    def live_curve(self) -> list:
        """The curve rows of the run in progress (or the last run) so far."""
        return [] if self._live is None else list(self._live.rows)

    def _update_estimate(self):
        self.view.show_estimate(self.settings, _MEASURED)

    def _say(self, text, warn=False):
        self.view.show_message(text, warn)

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
        run = {"number": len(self.runs) + 1, **self.settings, "status": "running"}
        run["label"] = views.run_label(run)
        self.runs.append(run)
        self.view.show_running(True)
        self._say("")
        if not background:
            self._run(run)
            return True
        context = contextvars.copy_context()  # keep the cell's parent for messages
        threading.Thread(
            target=context.run, args=(self._run, run), name="bilstm-panel", daemon=True
        ).start()
        return True

    def stop(self):
        """Ask the current run to stop after its current chunk of batches."""
        if not self.running:
            return
        self._stop_event.set()
        live = self._live
        if live is not None and live.first is None and live.compiling:
            self._say(
                "Stopping as soon as the training loop for this new shape is "
                "compiled and has run its first chunk…"
            )
        else:
            self._say("Stopping after the current chunk of batches…")

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the current run ends; return False if ``timeout`` passed."""
        return self._done.wait(timeout)

    def retrain_with(self, *, timeout: float | None = 600, **changes) -> dict:
        """Set controls, press Retrain, wait for the run; return the run's dict.

        ``changes`` name settings that have a control, as in
        ``panel.retrain_with(seed=2)``: the controls take these values (the
        others keep theirs) and the run trains with them, as if a reader had
        set them and pressed Retrain. An unknown name, a setting without a
        control, or a value its control cannot take is a ``ValueError`` that
        says what is allowed, and then no control changes. A ``RuntimeError``
        if a run is going already, or if this run fails or is stopped (it
        stays in :attr:`runs`); a ``TimeoutError`` if it is still going after
        ``timeout`` seconds (``None``: no limit), and it goes on (:meth:`stop`).
        """
        if timeout is not None and not timeout > 0:
            raise ValueError(
                f"timeout must be a positive number of seconds or None, got {timeout!r}"
            )
        controls = ", ".join(self.controls)
        for name in changes:
            if name in self.controls:
                continue
            if name in _settings.SETTINGS:
                raise ValueError(
                    f"{name} has no control: this panel's runs keep "
                    f"{name}={self.fixed[name]!r} (a TrainingPanel argument); "
                    f"settings with a control: {controls}"
                )
            raise ValueError(
                f"unknown setting {name!r}; settings with a control: {controls}"
            )
        checked = _settings.check({**self.settings, **changes})
        for name in changes:
            control, value = self.controls[name], checked[name]
            if hasattr(control, "max") and not control.min <= value <= control.max:
                raise ValueError(
                    f"{name}: the {control.description} control goes from "
                    f"{control.min:,} to {control.max:,}, got {value:,}"
                )
        if self.running:
            raise RuntimeError(
                "a run is still going: wait for it or stop it before retrain_with"
            )
        for name in changes:
            self.controls[name].value = checked[name]
        if not self.retrain():
            raise RuntimeError("a run started meanwhile; retrain_with started none")
        run = self.runs[-1]
        if not self.wait(timeout):
            raise TimeoutError(
                f"run {run['number']} is still going after {timeout} s "
                "(panel.stop() stops it)"
            )
        if run["status"] == "failed":
            raise RuntimeError(f"run {run['number']} failed: {run['error']}")
        if run["status"] != "finished":
            raise RuntimeError(
                f"run {run['number']} was {run['status']} at step "
                f"{run['steps']:,} of {run['total_steps']:,}"
            )
        return run

    def _run(self, run):
        s = {k: run[k] for k in _settings.SETTINGS}
        total = _settings.total_steps(s)
        live = self._live = _LiveRun(run, total, shape_key(s) not in _MEASURED)
        callback = _PanelCallback(self._stop_event, live)
        self.view.show_start()
        ticker = threading.Thread(
            target=contextvars.copy_context().run, args=(self._tick, live), daemon=True
        )
        ticker.start()
        chunk = self.chunk or chunk_steps(
            s["batch_size"], s["n_timesteps"], s["units"], s["direction"]
        )
        try:
            result = runs.run(
                s,
                build=self.build,
                data=self.data,
                test_data=self.test_data,
                callbacks=[callback],
                steps_per_execution=chunk,
            )
            error = None
        except Exception as err:  # report it in the panel and keep the panel usable
            error = err
        trained = time.perf_counter()
        live.over.set()
        live.wake.set()
        ticker.join()
        if error is not None:
            run.update(
                status="failed", error=views.error_line(error), steps=0, curve=[]
            )
            self.view.show_failure()
            return self._end(run)
        steps = result.training.steps
        if live.first is not None and steps > live.first[1]:
            _MEASURED[shape_key(s)] = (trained - live.first[0]) / (
                steps - live.first[1]
            )
        else:
            _MEASURED.setdefault(shape_key(s), None)
        self.model = result.model
        run.update(_recorded(result, total))
        self.view.show_result(run, result)
        self._end(run)

    def _tick(self, live):
        """Every half second: progress text; the curve when it has new points."""
        while True:
            live.wake.wait(_REDRAW_SECONDS)
            live.wake.clear()
            if live.over.is_set():
                break
            try:
                self.view.show_progress(*live.progress(self._stop_event.is_set()))
                rows = list(live.rows)
                now = time.perf_counter()
                if len(rows) != live.drawn and now - live.last_draw >= _CURVE_SECONDS:
                    self.view.draw_curve(rows, live.total, live.run["label"])
                    live.drawn, live.last_draw = len(rows), time.perf_counter()
            except Exception:  # noqa: BLE001 - a drawing hiccup must not stop training
                pass

    def _end(self, run):
        self.view.show_history(self.runs)
        self.view.show_running(False)
        self._update_estimate()
        self._say(*views.end_message(run))
        self._done.set()


def _recorded(result, total) -> dict:
    """What a finished or stopped run adds to its dict, from its ``RunResult``."""
    training, scores = result.training, result.scores
    return dict(
        status="stopped" if training.stopped else "finished",
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
