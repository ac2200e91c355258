"""Run the same experiment over settings x seeds and keep tidy results.

An experiment is a list of *settings* (each a dict that differs from
:data:`SWEEP` in a few keys, plus a ``name``) and a list of *seeds*. Every
(setting, seed) pair is one run: seed everything, build the model, train it on
freshly generated sequences, evaluate it on fresh test sequences. Each run
becomes one row: a plain dict with the setting, the seed and what was measured.
Lists of such rows are easy to filter, group and plot without pandas.

Runs of one setting follow each other, so the compiled training program of
:func:`bilstm.training.train` is built once per setting and reused by the
other seeds.

For a given seed, every setting of an experiment trains on the same stream of
random sequences (as far as their shapes allow) and is tested on the same
test sequences, so settings are compared on equal terms.

Runs are independent, so ``n_jobs`` spreads them over worker processes with
joblib; the rows are the same, number for number, as those of the serial run
(each worker compiles, or loads from the disk cache, its own programs). The
same call runs on a Dask cluster under ``joblib.parallel_config(backend="dask")``
(see :func:`run_experiment`).
"""

from __future__ import annotations

import numbers

import keras
import numpy as np
import tensorflow as tf

from . import settings as _settings
from .curves import window_curve
from .checks import check_dicts, check_positive_int, check_sample_weight, check_seeds
from .evaluation import input_mask
from .parallel import run_in_workers
from .runs import run, test_sequences
from .settings import STEPS_PER_EXECUTION
from .summaries import curves, first_reaching, group, summarize, values

__all__ = [
    "SWEEP",
    "SCHEDULES",
    "curves",
    "first_reaching",
    "group",
    "run_experiment",
    "summarize",
    "values",
]

#: The runner's defaults: the lesson's settings (:data:`bilstm.DEFAULTS`)
#: with 10,000 training sequences instead of 50,000 and 1,000 test sequences
#: instead of 100, so that a sweep of many runs stays quick and each run is
#: scored finely. Every other default, and every bound, is the lesson's.
SWEEP = {
    key: value
    for key, value in _settings.defaults(n_train=10_000, n_test=1_000).items()
    if key != "seed"
}
#: ``"constant"`` keeps Adam's learning rate fixed (the lesson); ``"cosine"``
#: lowers it along half a cosine, over the run's steps, to 1% of its start.
SCHEDULES = _settings.SETTINGS["schedule"].choices
_EXTRA_KEYS = {"name", "build", "data", "target", "test_seed"}


def _check_settings(settings):
    settings = check_dicts(settings, "settings", "setting")
    if not settings:
        raise ValueError("settings must hold at least one setting")
    checked, names = [], set()
    for i, setting in enumerate(settings):
        if "seed" in setting:
            raise ValueError(
                f"setting {i} gives a seed; seeds are run_experiment's second argument"
            )
        try:
            full = _settings.check({**SWEEP, **setting}, allowed_extra=_EXTRA_KEYS)
        except ValueError as error:
            raise ValueError(f"setting {i}: {error}") from None
        del full["seed"]
        if "test_seed" in full:
            check_positive_int("test_seed", full["test_seed"], minimum=0)
        for key in ("build", "data"):
            if key in full and not callable(full[key]):
                raise ValueError(f"setting {i}: {key} must be callable")
        target = full.get("target")
        if target is not None and not (
            isinstance(target, numbers.Real) and 0.0 < target <= 1.0
        ):
            raise ValueError(f"setting {i}: target must be in (0, 1], got {target!r}")
        full.setdefault("name", f"setting {i}")
        if full["name"] in names:
            raise ValueError(f"setting names must be unique; {full['name']!r} repeats")
        names.add(full["name"])
        checked.append(full)
    return checked


class _TestTracker(keras.callbacks.Callback):
    """Score the model on the test sequences after every chunk of batches.

    With a ``target``, stop training as soon as the test accuracy reaches it.

    Scores as :func:`bilstm.evaluate` does: only the steps that count (those
    of weight 1, or those a masking model reads).
    """

    def __init__(self, test, target=None):
        super().__init__()
        self.X, self.y, self.w, self.target = test.X, test.y, test.w, target
        self.steps, self.accuracy, self.reached_at = [], [], None
        self._epoch_steps, self._done = 0, 0

    def on_train_begin(self, logs=None):
        # One graph for the whole run: calling the model eagerly costs ~0.1 s a
        # check, the graph a few milliseconds.
        model = self.model
        self._proba = tf.function(
            lambda x: model(x, training=False),
            input_signature=[tf.TensorSpec(self.X.shape, tf.float32)],
        )
        self._X = tf.constant(self.X, tf.float32)
        self._truth = self.y[..., 0] > 0.5
        if self.w is not None:
            self._counts = check_sample_weight(self.w, self.X.shape) > 0
        else:
            mask = input_mask(model, self.X)
            self._counts = np.ones(self.X.shape[:2], bool) if mask is None else mask
        self._n = int(self._counts.sum())

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch_steps = self._done

    def on_train_batch_end(self, batch, logs=None):
        self._done = self._epoch_steps + batch + 1
        right = (np.asarray(self._proba(self._X))[..., 0] > 0.5) == self._truth
        acc = int((right & self._counts).sum()) / self._n
        self.steps.append(self._done)
        self.accuracy.append(acc)
        if self.target is not None and acc >= self.target and self.reached_at is None:
            self.reached_at = self._done
            self.model.stop_training = True


def _check_n_jobs(n_jobs):
    if (
        isinstance(n_jobs, bool)
        or not isinstance(n_jobs, numbers.Integral)
        or (n_jobs < 1 and n_jobs != -1)
    ):
        raise ValueError(
            "n_jobs must be a whole number >= 1 (worker processes), or -1 for "
            f"one per core (every worker, on a Dask cluster); got {n_jobs!r}"
        )
    return int(n_jobs)


def run_experiment(
    settings,
    seeds,
    *,
    track_test=False,
    steps_per_execution=STEPS_PER_EXECUTION,
    keep_models=False,
    progress=None,
    n_jobs=1,
):
    """Train and evaluate every setting once per seed; return one row per run.

    ``settings`` is a list of dicts overriding :data:`SWEEP` (sequence
    length ``n_timesteps``, ``units``, ``merge_mode``, ``direction``, training
    sequences ``n_train``, ``batch_size``, ``epochs``, test sequences
    ``n_test``, Adam's ``learning_rate`` and its ``schedule``, one of
    :data:`SCHEDULES`), each with a unique ``name``. Each seed gets its own
    test sequences unless the setting gives ``test_seed``, the seed of one test
    set that every run of the setting shares. A setting may also give
    ``build``, a function of the full setting that returns a compiled Keras
    model, to try a model the package does not build, and ``data``, a function
    ``(n_sequences, n_timesteps, rng) -> (X, y)`` shaped like
    :func:`bilstm.data.get_sequences`, to pose another problem.

    With ``track_test=True`` the test accuracy is also measured after every
    ``steps_per_execution`` batches (the ``test_curve_*`` fields); a setting's
    ``target`` (an accuracy) then stops its runs as soon as the test accuracy
    reaches it, and ``sequences_to_target`` records how many training
    sequences that took. With ``keep_models=True`` each row also holds the
    trained ``model``. ``progress``, if given, is called with each finished row,
    in the order of the rows.

    ``n_jobs`` other than 1 runs the (setting, seed) pairs in that many worker
    processes through :class:`joblib.Parallel` (``-1``: one per core, as in
    joblib). The rows are the same, in the same order and with the same
    numbers, as with ``n_jobs=1`` (only ``train_seconds``, a wall-clock time,
    differs): every run seeds itself and depends on nothing a previous run of
    its process left behind. Each worker runs TensorFlow on one thread, so N
    workers share N cores without oversubscribing them. ``build`` and ``data``
    functions travel to the workers with cloudpickle (a function defined in a
    notebook works; its side effects stay in the worker). With
    ``keep_models=True`` the trained models come back pickled; a model whose
    custom layers Keras cannot rebuild in this process raises ``ValueError``.
    On a Dask cluster the same call runs unchanged on the cluster's workers::

        from distributed import Client
        client = Client("tcp://scheduler:8786")
        with joblib.parallel_config(backend="dask"):
            rows = run_experiment(settings, seeds, n_jobs=-1)
    """
    settings = _check_settings(settings)
    seeds = check_seeds(seeds)
    check_positive_int("steps_per_execution", steps_per_execution)
    n_jobs = _check_n_jobs(n_jobs)
    if any(s.get("target") is not None for s in settings) and not track_test:
        raise ValueError("a setting's target needs track_test=True")
    pairs = [(setting, seed) for setting in settings for seed in seeds]
    if n_jobs == 1:
        runs = (
            _finish_row(
                _one_run(setting, seed, track_test, steps_per_execution), keep_models
            )
            for setting, seed in pairs
        )
    else:
        runs = run_in_workers(
            _one_run, pairs, (track_test, steps_per_execution), keep_models, n_jobs
        )
    rows = []
    for row in runs:
        rows.append(row)
        if progress is not None:
            progress(row)
    return rows


def _finish_row(row, keep_model):
    model = row.pop("_model")
    if keep_model:
        row["model"] = model
    return row


def _step_accuracy(scores) -> np.ndarray:
    """Accuracy at each time step over the sequences whose step counts.

    NaN at a step that counts in no sequence (all padding there).
    """
    counts = scores["weights"] > 0
    right = (counts & ~scores["wrong"]).sum(axis=0)
    n = counts.sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(n > 0, right / np.maximum(n, 1), np.nan)


def _one_run(setting, seed, track_test, steps_per_execution):
    """One (setting, seed) pair through :func:`bilstm.run`, as a row."""
    settings = {key: setting[key] for key in SWEEP}
    settings["seed"] = seed
    problem = {"data": setting.get("data"), "test_seed": setting.get("test_seed")}
    test = test_sequences(settings, **problem)  # drawn once: tracked and scored
    tracker = _TestTracker(test, setting.get("target")) if track_test else None
    result = run(
        settings,
        build=setting.get("build"),
        score=test,
        callbacks=[] if tracker is None else [tracker],
        steps_per_execution=steps_per_execution,
        data=problem["data"],
    )
    model, scores, bs = result.model, result.scores, setting["batch_size"]
    window = window_curve(result.training.curve)
    row = {key: setting[key] for key in ("name", *SWEEP)}
    row.update(
        seed=seed,
        params=int(model.count_params()),
        train_seconds=result.seconds,
        train_steps=int(result.training.steps),
        train_sequences=int(
            min(result.training.steps * bs, setting["n_train"] * setting["epochs"])
        ),
        train_loss=result.training.loss,
        train_accuracy=result.training.accuracy,
        test_loss=scores["loss"],
        test_accuracy=scores["accuracy"],
        test_sequence_accuracy=scores["sequence_accuracy"],
        test_step_accuracy=_step_accuracy(scores),
        curve_step=window["step"],
        curve_sequences=window["step"] * bs,
        curve_loss=window["loss"],
        curve_accuracy=window["accuracy"],
        _model=model,
    )
    if tracker is not None:
        row.update(
            target=setting.get("target"),
            test_curve_step=np.array(tracker.steps),
            test_curve_accuracy=np.array(tracker.accuracy),
            sequences_to_target=(
                None if tracker.reached_at is None else tracker.reached_at * bs
            ),
        )
    return row
