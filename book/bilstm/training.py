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

from . import _env  # noqa: F401

import time
from dataclasses import dataclass, field

import keras
import numpy as np
import tensorflow as tf

from .data import check_positive_int, check_sample_weight, check_x, make_rng
from .programs import compiled_programs, program_for

# Python-side TensorFlow warnings (such as "triggered tf.function retracing"
# when a reader tries many shapes) would otherwise print into notebook cells.
tf.get_logger().setLevel("ERROR")

__all__ = ["CurveRecorder", "TrainResult", "train", "check_xy", "compiled_programs"]

STEPS_PER_EXECUTION = 200
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
    indices for a model with 2-D input). ``y`` is float32: one label per step,
    ``(n_sequences, n_timesteps, 1)``, for a model that labels every step (an
    output of shape ``(None, n_timesteps, 1)``, as the lesson's), or one label
    per sequence, ``(n_sequences, k)``, for a model whose output is ``(None,
    k)`` (``return_sequences=False``).
    """
    X = check_x(model, X)
    y = np.asarray(y, dtype=np.float32)
    output = tuple(model.output_shape)
    want = X.shape[:2] + (1,) if len(output) == 3 else (len(X), output[-1])
    if y.shape != want:
        what = "one label per step" if len(output) == 3 else "one label per sequence"
        raise ValueError(
            f"y must have shape {want} to match X and the model's output "
            f"{output} ({what}), got {y.shape}"
        )
    return X, y


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
    batch; the fast path pads it to ``batch_size`` with rows of zeros (inputs,
    labels and weights), whatever the chunk length. For a model that masks
    its input (zeros are its padding) the padding rows are masked whole, so
    the step is ``fit``'s step (measured: weights within 4e-8 after two
    epochs). For a model that does not mask, it is not quite the same step:
    Keras averages the loss over the whole padded batch, so the fast path's
    last step has ``m / batch_size`` times the gradient of ``fit``'s (and
    Adam's step changes with it), the epoch's reported loss is ``n / (steps *
    batch_size)`` times lower, and the reported accuracy (an unweighted metric)
    also counts the padding rows. When the batch size divides the data, as in
    the lesson, there is no such batch.

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
        weights = check_sample_weight(sample_weight, y.shape[:-1])
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
    program = program_for(model, batch_size, steps_per_execution)
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
                x_buf[:m], y_buf[:m] = X[idx], y[idx]
                w_buf[:m] = 1.0 if weights is None else weights[idx]
                # The rest of the chunk (a partial last batch): zero inputs,
                # labels and weights, never the previous chunk's sequences. A
                # zero row adds nothing to the loss, and a masking model masks
                # it whole, so it is not counted in the loss's average either.
                x_buf[m:], y_buf[m:], w_buf[m:] = 0, 0.0, 0.0
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
