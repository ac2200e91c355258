"""Fit a model fast on a CPU, with the same results as ``model.fit``.

The lesson's run is 5,000 tiny batches (10 sequences of 10 steps each). For a
model this small, ``model.fit`` spends most of its time *between* batches:
Python, ``tf.data`` and a kernel launch per step. :func:`train` instead hands
TensorFlow's XLA compiler a loop over a whole chunk of batches, so one call of
a compiled program runs ``steps_per_execution`` optimizer steps back to back.

The compiled program is the expensive part (a few seconds to trace and
compile), so it is cached: it belongs to a private *worker* copy of the model,
keyed by the architecture, compile settings and batch size. Every call copies
the model's weights and optimizer state into the worker, trains, and copies
them back after every chunk, so a second model of the same shape (another
seed, another run of the widget) trains with no compile at all, and a run that
is stopped part-way keeps what it had learned.
"""

from __future__ import annotations

from . import _env

import copy
import json
import os
import threading
import time
import warnings
from collections import OrderedDict
from dataclasses import dataclass, field

import keras
import numpy as np
import tensorflow as tf

from .data import check_positive_int, check_sample_weight, check_x, make_rng

# Python-side TensorFlow warnings (such as "triggered tf.function retracing"
# when a reader tries many shapes) would otherwise print into notebook cells.
tf.get_logger().setLevel("ERROR")

__all__ = ["CurveRecorder", "TrainResult", "train", "check_xy", "compiled_programs"]

STEPS_PER_EXECUTION = 200
_MAX_PROGRAMS = 16
_MAX_CHUNK_VALUES = 4_000_000  # inputs staged per compiled call (16 MB)


@dataclass
class TrainResult:
    """What one call of :func:`train` did.

    ``curve`` holds one row per chunk of batches: the epoch, the number of
    batches done in that epoch, and the running mean loss and accuracy of the
    epoch so far (as Keras reports them). ``history`` is Keras's per-epoch log.
    """

    history: dict
    curve: list = field(default_factory=list)
    seconds: float = 0.0
    steps: int = 0
    stopped: bool = False
    fast: bool = True

    @property
    def loss(self) -> float:
        return float(self.history["loss"][-1]) if self.history.get("loss") else np.nan

    @property
    def accuracy(self) -> float:
        acc = self.history.get("accuracy")
        return float(acc[-1]) if acc else np.nan


def check_xy(model, X, y):
    """Check that ``X`` and ``y`` fit ``model``; return them as arrays.

    ``X`` as :func:`bilstm.data.check_x` returns it (float32, or int32 token
    indices for a model with 2-D input), ``y`` as float32 ``(n_sequences,
    n_timesteps, 1)``.
    """
    X = check_x(model, X)
    y = np.asarray(y, dtype=np.float32)
    if y.shape != X.shape[:2] + (1,):
        raise ValueError(
            f"y must have shape {X.shape[:2] + (1,)} to match X, got {y.shape}"
        )
    return X, y


class _Program:
    """A worker copy of a model plus its XLA-compiled multi-step training loop."""

    def __init__(self, model, batch_size: int, steps: int):
        self.lock = threading.Lock()
        self.batch_size = batch_size
        self.steps = steps
        worker = keras.models.clone_model(model)
        worker.compile_from_config(model.get_compile_config())
        worker.optimizer.build(worker.trainable_variables)
        self.worker = worker

        def loop(x, y, w, n):
            def body(i):
                worker.train_step((x[i], y[i], w[i]))
                return (i + 1,)

            tf.while_loop(lambda i: i < n, body, (tf.constant(0),))
            return worker.get_metrics_result()

        self._loop = loop
        self.jit = not _XLA_CACHE_BROKEN
        self._compile()

    def _compile(self):
        self._run = tf.function(
            self._loop, jit_compile=self.jit, reduce_retracing=True, autograph=False
        )

    def run(self, x, y, w, n):
        """Run ``n`` training steps on the staged batches; return the metrics.

        The XLA program is compiled (or loaded from the persistent cache, see
        ``bilstm._env``) on the first call. If writing the cache fails (a full
        disk, a folder that went away), the error comes before any step runs:
        training then carries on, for the rest of the process, without XLA.
        """
        try:
            return self._run(x, y, w, n)
        except tf.errors.OpError as error:
            folder = _xla_cache_folder()
            if not (self.jit and folder and folder in str(error)):
                raise
            _give_up_xla_cache(folder, error)
            self.jit = False
            self._compile()
            return self._run(x, y, w, n)

    def load(self, model):
        self.worker.set_weights(model.get_weights())
        for target, source in zip(
            self.worker.optimizer.variables, model.optimizer.variables
        ):
            target.assign(source)

    def store(self, model):
        model.set_weights(self.worker.get_weights())
        for target, source in zip(
            model.optimizer.variables, self.worker.optimizer.variables
        ):
            target.assign(source)


_XLA_CACHE_BROKEN = False


def _xla_cache_folder() -> str | None:
    for flag in os.environ.get("TF_XLA_FLAGS", "").split():
        if flag.startswith(_env.CACHE_FLAG + "="):
            return flag.split("=", 1)[1] or None
    return None


def _give_up_xla_cache(folder, error):
    global _XLA_CACHE_BROKEN
    if not _XLA_CACHE_BROKEN:
        warnings.warn(
            f"could not use the compiled-program cache in {folder} "
            f"({error.message.strip()[:200]}); training goes on without XLA, "
            "more slowly. Free disk space there, or set BILSTM_XLA_CACHE=off "
            "or to another folder before starting Python.",
            RuntimeWarning,
            stacklevel=3,
        )
    _XLA_CACHE_BROKEN = True


_PROGRAMS: OrderedDict = OrderedDict()
_PROGRAMS_LOCK = threading.Lock()


def compiled_programs() -> int:
    """How many compiled training programs this process keeps for reuse.

    One per architecture, compile settings, batch size and chunk length; the
    oldest is dropped beyond ``_MAX_PROGRAMS``.
    """
    with _PROGRAMS_LOCK:
        return len(_PROGRAMS)


def _architecture(model) -> str:
    """The model's config as JSON, with its layers named by their position.

    Names do not change what a model computes, and some are numbered by
    Keras as they are made: a ``Masking`` layer adds ``not_equal``, ``any``
    operations to a functional model, named ``not_equal_1``, ``not_equal_2``
    ... in each new model. Without renaming, every masked model would compile
    a training program of its own.
    """
    config = model.get_config()
    names = {}
    for i, layer in enumerate(
        config.get("layers", ()) if isinstance(config, dict) else ()
    ):
        if isinstance(layer, dict) and isinstance(layer.get("name"), str):
            names.setdefault(layer["name"], f"layer_{i}")

    def rename(value):
        if isinstance(value, dict):
            return {k: rename(v) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return [rename(v) for v in value]
        if isinstance(value, str):
            return names.get(value, value)
        return value

    return json.dumps(rename(config), sort_keys=True, default=str)


def _program_for(model, batch_size: int, steps: int) -> _Program:
    compile_config = copy.deepcopy(model.get_compile_config())
    optimizer = compile_config.get("optimizer")
    if isinstance(optimizer, dict):
        optimizer.get("config", {}).pop("name", None)  # "adam", "adam_1", ...
    key = (
        _architecture(model),
        json.dumps(compile_config, sort_keys=True, default=str),
        batch_size,
        steps,
    )
    with _PROGRAMS_LOCK:
        program = _PROGRAMS.pop(key, None)
        if program is None:
            program = _Program(model, batch_size, steps)
        _PROGRAMS[key] = program
        while len(_PROGRAMS) > _MAX_PROGRAMS:
            _PROGRAMS.popitem(last=False)
    return program


def _ensure_optimizer_built(model):
    if not model.optimizer.built:
        model.optimizer.build(model.trainable_variables)
    if len(model.optimizer.variables) == 0:
        raise ValueError("the model's optimizer has no state to train with")


def _callback_list(model, callbacks, epochs, steps_per_epoch, verbose):
    return keras.callbacks.CallbackList(
        callbacks,
        add_history=True,
        add_progbar=verbose != 0,
        verbose=verbose,
        epochs=epochs,
        steps=steps_per_epoch,
        model=model,
    )


def train(
    model,
    X,
    y,
    sample_weight=None,
    *,
    batch_size: int = 10,
    epochs: int = 1,
    callbacks=None,
    shuffle: bool = True,
    verbose: int = 0,
    fast: bool = True,
    steps_per_execution: int = STEPS_PER_EXECUTION,
    rng=None,
) -> TrainResult:
    """Fit ``model`` on ``(X, y)`` and return a :class:`TrainResult`.

    With ``fast=True`` (the default) batches run inside one XLA-compiled loop
    of up to ``steps_per_execution`` steps; callbacks see ``on_train_batch_end``
    once per chunk, as with Keras's own ``steps_per_execution``. With
    ``fast=False`` this is a plain ``model.fit``. Either way the model's weights
    and optimizer state end up trained, a callback can stop training by setting
    ``model.stop_training = True``, and ``verbose=1`` shows Keras's progress bar.

    Both paths see the same batches in the same order: every epoch takes a new
    permutation from ``rng`` (a seed or a NumPy ``Generator``; with
    ``shuffle=False`` the data's own order), and ``model.fit`` is told not to
    shuffle again. With the same initial weights the two paths then end up with
    the same weights up to floating-point rounding (about 1e-6 after the
    lesson's 500-batch run).

    If ``batch_size`` does not divide the number of sequences, each epoch ends
    with a partial batch of ``m`` sequences. ``model.fit`` runs it as a smaller
    batch; the fast path pads it to ``batch_size`` with zero-weight sequences.
    That is not quite the same step: Keras averages the loss over the whole
    padded batch, so the fast path's last step has ``m / batch_size`` times the
    gradient of ``fit``'s (and Adam's step changes with it), the epoch's
    reported loss is ``n / (steps * batch_size)`` times lower, and the reported
    accuracy (an unweighted metric) also counts the padding rows. When the
    batch size divides the data, as in the lesson, there is no such batch.

    ``sample_weight`` (``(n_sequences, n_timesteps)``, for example the ``w`` of
    :func:`bilstm.data.get_padded_sequences`) weights every step's loss, in
    both paths, as ``model.fit(sample_weight=...)`` does: a step of weight 0
    (padding) adds nothing to the loss or its gradient, whatever its input and
    label. Keras averages the weighted loss over all steps of a batch, so the
    reported loss is the real steps' mean times the batch's share of real
    steps. Metrics compiled as ``weighted_metrics`` are weighted too;
    ``metrics`` (the lesson model's ``"accuracy"``) are not. A model that
    masks its input (``build_model(..., mask=True)``, an ``Embedding`` with
    ``mask_zero=True``) needs no weights for padding: Keras leaves its masked
    steps out of the loss (averaging over the real steps) and out of every
    metric by itself.

    ``X`` may also be integer token indices ``(n_sequences, n_timesteps)`` for
    a model whose input is ``(None,)`` (an ``Embedding`` in front); they stay
    integers on the fast path.
    """
    batch_size = check_positive_int("batch_size", batch_size)
    epochs = check_positive_int("epochs", epochs)
    steps_per_execution = check_positive_int("steps_per_execution", steps_per_execution)
    X, y = check_xy(model, X, y)
    weights = None
    if sample_weight is not None:
        weights = check_sample_weight(sample_weight, X.shape)
    gen = make_rng(rng)
    callbacks = list(callbacks or [])
    recorder = CurveRecorder()
    n = len(X)
    steps_per_epoch = -(-n // batch_size)
    model.stop_training = False
    start = time.perf_counter()
    if not fast:
        recorder.every = min(steps_per_execution, steps_per_epoch)
        # The fast path's batches, in its order: epoch e takes the e-th
        # permutation drawn from ``gen`` and ends with its own partial batch.
        # Keras must not shuffle again, so the batches come as a tf.data
        # pipeline over all epochs (sliced as Keras slices arrays), and
        # ``steps_per_epoch`` makes each epoch take just its own batches.
        orders = np.stack(
            [gen.permutation(n) if shuffle else np.arange(n) for _ in range(epochs)]
        )
        batches = tf.data.Dataset.from_tensor_slices(orders).flat_map(
            lambda order: tf.data.Dataset.from_tensor_slices(order).batch(batch_size)
        )
        arrays = (X, y) if weights is None else (X, y, weights)
        arrays = tf.data.Dataset.from_tensors(arrays).repeat()
        data = (
            tf.data.Dataset.zip(batches, arrays)
            .map(
                lambda i, xyw: tuple(tf.gather(a, i) for a in xyw),
                num_parallel_calls=tf.data.AUTOTUNE,
                deterministic=True,
            )
            .prefetch(tf.data.AUTOTUNE)
        )
        history = model.fit(
            data,
            epochs=epochs,
            steps_per_epoch=steps_per_epoch,
            verbose=verbose,
            shuffle=False,
            callbacks=[recorder, *callbacks],
        )
        return TrainResult(
            history=history.history,
            curve=recorder.rows,
            fast=False,
            seconds=time.perf_counter() - start,
            steps=recorder.steps,
            stopped=bool(model.stop_training),
        )

    _ensure_optimizer_built(model)
    per_step = batch_size * int(np.prod(X.shape[1:]))
    steps_per_execution = max(
        1, min(steps_per_execution, _MAX_CHUNK_VALUES // per_step)
    )
    program = _program_for(model, batch_size, steps_per_execution)
    cbs = _callback_list(
        model, [recorder, *callbacks], epochs, steps_per_epoch, verbose
    )
    k, bs = steps_per_execution, batch_size
    x_buf = np.zeros((k * bs,) + X.shape[1:], X.dtype)  # int32 token indices stay
    y_buf = np.zeros((k * bs,) + y.shape[1:], np.float32)
    w_buf = np.zeros((k * bs,) + y.shape[1:-1], np.float32)  # one weight per step
    logs = {}
    with program.lock:
        program.load(model)
        cbs.on_train_begin()
        for epoch in range(epochs):
            order = gen.permutation(n) if shuffle else np.arange(n)
            program.worker.reset_metrics()
            cbs.on_epoch_begin(epoch)
            for first in range(0, steps_per_epoch, k):
                n_steps = min(k, steps_per_epoch - first)
                idx = order[first * bs : (first + n_steps) * bs]
                m = len(idx)
                x_buf[:m], y_buf[:m], w_buf[m:] = X[idx], y[idx], 0.0
                w_buf[:m] = 1.0 if weights is None else weights[idx]
                out = program.run(
                    x_buf.reshape((k, bs) + X.shape[1:]),
                    y_buf.reshape((k, bs) + y.shape[1:]),
                    w_buf.reshape((k, bs) + y.shape[1:-1]),
                    tf.constant(n_steps, tf.int32),
                )
                logs = {name: float(v) for name, v in out.items()}
                program.store(model)
                recorder.epoch = epoch
                cbs.on_train_batch_end(first + n_steps - 1, logs)
                if model.stop_training:
                    break
            cbs.on_epoch_end(epoch, dict(logs))
            if model.stop_training:
                break
        cbs.on_train_end(dict(logs))
    return TrainResult(
        history=model.history.history,
        curve=recorder.rows,
        seconds=time.perf_counter() - start,
        steps=recorder.steps,
        stopped=bool(model.stop_training),
    )


class CurveRecorder(keras.callbacks.Callback):
    """Keep the running loss and accuracy every ``every`` batches."""

    def __init__(self, every: int = 1):
        super().__init__()
        self.every = every
        self.rows = []
        self.epoch = 0
        self.steps = 0
        self._last = -1

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch = epoch
        self._last = -1

    def on_train_batch_end(self, batch, logs=None):
        done = batch + 1
        self.steps += done - (self._last + 1)
        self._last = batch
        if done % self.every:
            return
        logs = logs or {}
        self.rows.append(
            {
                "epoch": self.epoch,
                "batch": done,
                "step": self.steps,
                "loss": float(logs.get("loss", np.nan)),
                "accuracy": float(logs.get("accuracy", np.nan)),
            }
        )
