"""Run the same experiment over settings x seeds and keep tidy results.

An experiment is a list of *settings* (each a dict that differs from
:data:`DEFAULTS` in a few keys, plus a ``name``) and a list of *seeds*. Every
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
"""

from __future__ import annotations

from . import _env  # noqa: F401

import numbers
import time

import keras
import numpy as np
import tensorflow as tf

from .data import check_positive_int, get_sequences
from .evaluation import evaluate
from .model import build_model, check_choice, check_learning_rate
from .seeding import set_seed
from .training import train, window_curve

__all__ = [
    "DEFAULTS",
    "SCHEDULES",
    "curves",
    "first_reaching",
    "group",
    "run_experiment",
    "summarize",
    "values",
]

DEFAULTS = {
    "n_timesteps": 10,
    "cells": 50,
    "merge_mode": "concat",
    "direction": "bidirectional",
    "n_train": 10_000,
    "batch_size": 10,
    "epochs": 1,
    "n_test": 1_000,
    "learning_rate": 0.001,
    "schedule": "constant",
}
#: ``"constant"`` keeps Adam's learning rate fixed (the lesson); ``"cosine"``
#: lowers it along half a cosine, over the run's steps, to 1% of its start.
SCHEDULES = ("constant", "cosine")
COSINE_FLOOR = 0.01
_EXTRA_KEYS = {"name", "build", "data", "target", "test_seed"}
_STREAM_TRAIN, _STREAM_TEST, _STREAM_SHUFFLE = 1, 2, 3


def _check_settings(settings):
    if isinstance(settings, dict) or not isinstance(settings, (list, tuple)):
        raise ValueError("settings must be a list of dicts")
    if not settings:
        raise ValueError("settings must hold at least one setting")
    checked, names = [], set()
    for i, setting in enumerate(settings):
        if not isinstance(setting, dict):
            raise ValueError(
                f"setting {i} must be a dict, got {type(setting).__name__}"
            )
        unknown = set(setting) - set(DEFAULTS) - _EXTRA_KEYS
        if unknown:
            raise ValueError(
                f"setting {i} has unknown keys {sorted(unknown)}; allowed: "
                f"{sorted(set(DEFAULTS) | _EXTRA_KEYS)}"
            )
        full = {**DEFAULTS, **setting}
        for key in (
            "n_timesteps",
            "cells",
            "n_train",
            "batch_size",
            "epochs",
            "n_test",
        ):
            check_positive_int(key, full[key])
        check_choice("schedule", full["schedule"], SCHEDULES)
        if "test_seed" in full:
            check_positive_int("test_seed", full["test_seed"], minimum=0)
        check_learning_rate(full["learning_rate"])
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


def _check_seeds(seeds):
    seeds = list(seeds) if not isinstance(seeds, numbers.Integral) else None
    if not seeds:
        raise ValueError("seeds must be a non-empty list of whole numbers >= 0")
    seeds = [check_positive_int("seed", s, minimum=0) for s in seeds]
    if len(set(seeds)) != len(seeds):
        raise ValueError(f"seeds must be distinct, got {seeds}")
    return seeds


class _TestTracker(keras.callbacks.Callback):
    """Score the model on the test sequences after every chunk of batches.

    With a ``target``, stop training as soon as the test accuracy reaches it.
    """

    def __init__(self, X, y, batch_size, target=None):
        super().__init__()
        self.X, self.y, self.batch_size, self.target = X, y, batch_size, target
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
        self._truth = self.y > 0.5

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch_steps = self._done

    def on_train_batch_end(self, batch, logs=None):
        self._done = self._epoch_steps + batch + 1
        right = (np.asarray(self._proba(self._X)) > 0.5) == self._truth
        acc = float(right.mean())
        self.steps.append(self._done)
        self.accuracy.append(acc)
        if self.target is not None and acc >= self.target and self.reached_at is None:
            self.reached_at = self._done
            self.model.stop_training = True


def run_experiment(
    settings,
    seeds,
    *,
    track_test=False,
    steps_per_execution=200,
    keep_models=False,
    progress=None,
):
    """Train and evaluate every setting once per seed; return one row per run.

    ``settings`` is a list of dicts overriding :data:`DEFAULTS` (sequence
    length ``n_timesteps``, ``cells``, ``merge_mode``, ``direction``, training
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
    trained ``model``. ``progress``, if given, is called with each finished row.
    """
    settings = _check_settings(settings)
    seeds = _check_seeds(seeds)
    check_positive_int("steps_per_execution", steps_per_execution)
    if any(s.get("target") is not None for s in settings) and not track_test:
        raise ValueError("a setting's target needs track_test=True")
    rows = []
    for setting in settings:
        for seed in seeds:
            row = _one_run(setting, seed, track_test, steps_per_execution)
            if keep_models:
                row["model"] = row.pop("_model")
            else:
                del row["_model"]
            rows.append(row)
            if progress is not None:
                progress(row)
    return rows


def _one_run(setting, seed, track_test, steps_per_execution):
    n, T, bs = setting["n_train"], setting["n_timesteps"], setting["batch_size"]
    set_seed(seed)
    builder = setting.get("build")
    if builder is None:
        learning_rate = setting["learning_rate"]
        if setting["schedule"] == "cosine":
            learning_rate = keras.optimizers.schedules.CosineDecay(
                learning_rate,
                decay_steps=setting["epochs"] * -(-n // bs),
                alpha=COSINE_FLOOR,
            )
        model = build_model(
            T,
            setting["cells"],
            setting["merge_mode"],
            setting["direction"],
            learning_rate=learning_rate,
        )
    else:
        model = builder(setting)
    make_data = setting.get("data", get_sequences)
    X, y = make_data(n, T, rng=np.random.default_rng((seed, _STREAM_TRAIN)))
    test_rng = (
        np.random.default_rng(setting["test_seed"])
        if "test_seed" in setting
        else np.random.default_rng((seed, _STREAM_TEST))
    )
    X_test, y_test = make_data(setting["n_test"], T, rng=test_rng)
    callbacks = []
    tracker = None
    if track_test:
        tracker = _TestTracker(X_test, y_test, bs, setting.get("target"))
        callbacks.append(tracker)
    start = time.perf_counter()
    result = train(
        model,
        X,
        y,
        batch_size=bs,
        epochs=setting["epochs"],
        callbacks=callbacks,
        steps_per_execution=steps_per_execution,
        rng=np.random.default_rng((seed, _STREAM_SHUFFLE)),
    )
    seconds = time.perf_counter() - start
    scores = evaluate(model, X_test, y_test)
    window = window_curve(result.curve)
    row = {key: setting[key] for key in ("name", *DEFAULTS)}
    row.update(
        seed=seed,
        params=int(model.count_params()),
        train_seconds=seconds,
        train_steps=int(result.steps),
        train_sequences=int(min(result.steps * bs, n * setting["epochs"])),
        train_loss=result.loss,
        train_accuracy=result.accuracy,
        test_loss=scores["loss"],
        test_accuracy=scores["accuracy"],
        test_sequence_accuracy=scores["sequence_accuracy"],
        test_step_accuracy=1.0 - scores["wrong"].mean(axis=0),
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


# --- summaries -----------------------------------------------------------------


def group(rows, by="name"):
    """Split rows into a dict ``{value of by: [rows]}``, in first-seen order."""
    groups = {}
    for row in rows:
        if by not in row:
            raise ValueError(f"rows have no field {by!r}")
        groups.setdefault(row[by], []).append(row)
    return groups


def values(rows, field):
    """The values of one numeric field over rows, as a float array."""
    if not rows:
        raise ValueError("no rows")
    if any(field not in row for row in rows):
        raise ValueError(f"rows have no field {field!r}")
    return np.array(
        [np.nan if row[field] is None else row[field] for row in rows], dtype=float
    )


def summarize(rows, field, by="name"):
    """Mean and spread of ``field`` for each group of rows.

    Returns ``{group: {"n", "mean", "std", "min", "q1", "median", "q3", "max"}}``
    (``std`` is the sample standard deviation, 0 for a single run).
    """
    out = {}
    for key, members in group(rows, by).items():
        v = values(members, field)
        q1, median, q3 = np.percentile(v, [25, 50, 75])
        out[key] = {
            "n": len(v),
            "mean": float(np.mean(v)),
            "std": float(np.std(v, ddof=1)) if len(v) > 1 else 0.0,
            "min": float(np.min(v)),
            "q1": float(q1),
            "median": float(median),
            "q3": float(q3),
            "max": float(np.max(v)),
        }
    return out


def curves(rows, by="name", x="curve_sequences", y="curve_accuracy"):
    """Stack each group's learning curves: ``{group: (x, runs x points array)}``.

    Runs of one group may stop at different points; shorter curves are padded
    with their last value so every run contributes to every point.
    """
    out = {}
    for key, members in group(rows, by).items():
        longest = max(members, key=lambda r: len(r[x]))
        grid = np.asarray(longest[x])
        stack = np.empty((len(members), len(grid)))
        for i, row in enumerate(members):
            v = np.asarray(row[y], dtype=float)
            if len(v) == 0:
                raise ValueError(
                    f"run {row.get('name')!r} seed {row.get('seed')} has no curve"
                )
            stack[i, : len(v)] = v
            stack[i, len(v) :] = v[-1]
        out[key] = (grid, stack)
    return out


def first_reaching(curve_x, curve_y, target):
    """The first x at which ``curve_y >= target``, or ``None`` if it never does."""
    curve_y = np.asarray(curve_y, dtype=float)
    hits = np.flatnonzero(curve_y >= target)
    return None if len(hits) == 0 else float(np.asarray(curve_x)[hits[0]])
