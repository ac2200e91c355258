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

Both trainers, :func:`_fit_compiled` (``fast=True``) and
:func:`_fit_with_keras` (``fast=False``, Keras's ``model.fit``), follow one
:class:`_Plan`: the same batches in the same order, in chunks of the same
length, and a curve row at the end of every chunk.

A partial last batch: if ``batch_size`` does not divide the number of
sequences, each epoch ends with a batch of ``m`` sequences. ``model.fit``
runs it as a smaller batch; the fast path pads it to ``batch_size`` with rows
of zeros (inputs, labels and weights), whatever the chunk length. For a model
that masks its input (zeros are its padding) the padding rows are masked
whole, so the step is ``fit``'s step (measured: weights within 4e-8 after two
epochs). For a model that does not mask, it is not quite the same step: Keras
averages the loss over the whole padded batch, so the fast path's last step
has ``m / batch_size`` times the gradient of ``fit``'s (and Adam's step
changes with it), the epoch's reported loss is ``n / (steps * batch_size)``
times lower, and the reported accuracy (an unweighted metric) also counts the
padding rows. When the batch size divides the data, as in the lesson, there
is no such batch.

Weights: ``sample_weight`` (``(n_sequences, n_timesteps)``, for example the
``w`` of :func:`bilstm.data.get_padded_sequences`) weights every step's loss,
on both paths, as ``model.fit(sample_weight=...)`` does: a step of weight 0
(padding) adds nothing to the loss or its gradient. Keras averages the
weighted loss over all steps of a batch, so the reported loss is the real
steps' mean times the batch's share of real steps. Metrics compiled as
``weighted_metrics`` are weighted too; ``metrics`` (the lesson model's
``"accuracy"``) are not. A model that masks its input (``build_model(...,
mask=True)``, an ``Embedding`` with ``mask_zero=True``) needs no weights for
padding: Keras leaves its masked steps out of the loss and every metric.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import keras
import numpy as np
import tensorflow as tf

from .checks import check_positive_int, check_sample_weight, check_xy
from .data import make_rng
from .programs import compiled_programs, program_for
from .settings import STEPS_PER_EXECUTION

__all__ = ["CurveRecorder", "TrainResult", "train", "compiled_programs"]

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


@dataclass
class _Plan:
    """What both trainers follow: checked arrays, batch order and chunks.

    Epoch ``e`` takes the ``e``-th permutation drawn from ``gen`` (with
    ``shuffle=False``, the data's own order), in batches of ``batch_size``,
    grouped in chunks of ``chunk`` batches (the last chunk of an epoch may be
    shorter). Permutations must be drawn in epoch order.
    """

    X: np.ndarray
    y: np.ndarray
    w: np.ndarray | None
    batch_size: int
    epochs: int
    chunk: int
    shuffle: bool
    gen: np.random.Generator

    @property
    def steps_per_epoch(self) -> int:
        return -(-len(self.X) // self.batch_size)

    def order(self) -> np.ndarray:
        n = len(self.X)
        return self.gen.permutation(n) if self.shuffle else np.arange(n)

    def chunks(self):
        """``(first, n_steps)`` of every chunk of one epoch."""
        for first in range(0, self.steps_per_epoch, self.chunk):
            yield first, min(self.chunk, self.steps_per_epoch - first)


def _plan(model, X, y, sample_weight, batch_size, epochs, steps_per_execution,
          shuffle, rng) -> _Plan:  # fmt: skip
    batch_size = check_positive_int("batch_size", batch_size)
    epochs = check_positive_int("epochs", epochs)
    steps_per_execution = check_positive_int("steps_per_execution", steps_per_execution)
    X, y = check_xy(model, X, y)
    w = None
    if sample_weight is not None:
        w = check_sample_weight(sample_weight, y.shape[:-1])
    per_step = batch_size * int(np.prod(X.shape[1:]))
    chunk = max(1, min(steps_per_execution, _MAX_CHUNK_VALUES // per_step))
    return _Plan(X, y, w, batch_size, epochs, chunk, shuffle, make_rng(rng))


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
    ``fast=False`` Keras's ``model.fit`` runs, fed the same batches in the
    same order. Either way the model's weights and optimizer state end up
    trained, a callback can stop training by setting ``model.stop_training =
    True``, ``verbose=1`` shows Keras's progress bar, and the curve has a row
    at the end of every chunk of batches.

    Every epoch takes a new permutation from ``rng`` (a seed or a NumPy
    ``Generator``; with ``shuffle=False`` the data's own order). With the same
    initial weights the two paths end up with the same weights up to
    floating-point rounding (about 1e-6 after the lesson's 500-batch run),
    except after a partial last batch (see the module's docstring).

    ``sample_weight`` (``(n_sequences, n_timesteps)``, or ``(n_sequences,)``
    for one label per sequence) weights every label's loss, as in
    ``model.fit``. ``X`` may also be integer token indices ``(n_sequences,
    n_timesteps)`` for a model whose input is ``(None,)`` (an ``Embedding``
    in front); they stay integers on the fast path.
    """
    plan = _plan(model, X, y, sample_weight, batch_size, epochs,
                 steps_per_execution, shuffle, rng)  # fmt: skip
    recorder = CurveRecorder(plan.chunk, plan.steps_per_epoch)
    callbacks = [recorder, *(callbacks or [])]
    model.stop_training = False
    start = time.perf_counter()
    trainer = _fit_compiled if fast else _fit_with_keras
    history = trainer(model, plan, callbacks, verbose)
    return TrainResult(
        history=history,
        curve=recorder.rows,
        seconds=time.perf_counter() - start,
        steps=recorder.steps,
        stopped=bool(model.stop_training),
        fast=fast,
    )


def _fit_with_keras(model, plan: _Plan, callbacks, verbose) -> dict:
    """``model.fit`` on the plan's batches, in its order; Keras's history.

    Keras must not shuffle again, so the batches come as a ``tf.data``
    pipeline over all epochs (sliced as Keras slices arrays), and
    ``steps_per_epoch`` makes each epoch take just its own batches.
    """
    orders = np.stack([plan.order() for _ in range(plan.epochs)])
    batches = tf.data.Dataset.from_tensor_slices(orders).flat_map(
        lambda order: tf.data.Dataset.from_tensor_slices(order).batch(plan.batch_size)
    )
    arrays = (plan.X, plan.y) if plan.w is None else (plan.X, plan.y, plan.w)
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
        epochs=plan.epochs,
        steps_per_epoch=plan.steps_per_epoch,
        verbose=verbose,
        shuffle=False,
        callbacks=callbacks,
    )
    return history.history


def _fit_compiled(model, plan: _Plan, callbacks, verbose) -> dict:
    """The plan's chunks through one compiled program; Keras's history."""
    _ensure_optimizer_built(model)
    k, bs, X, y, w = plan.chunk, plan.batch_size, plan.X, plan.y, plan.w
    program = program_for(model, bs, k)
    cbs = _callback_list(model, callbacks, plan.epochs, plan.steps_per_epoch, verbose)
    x_buf = np.zeros((k * bs,) + X.shape[1:], X.dtype)  # int32 token indices stay
    y_buf = np.zeros((k * bs,) + y.shape[1:], np.float32)
    w_buf = np.zeros((k * bs,) + y.shape[1:-1], np.float32)  # one weight per label
    logs = {}
    with program.lock:
        program.load(model)
        cbs.on_train_begin()
        for epoch in range(plan.epochs):
            order = plan.order()
            program.worker.reset_metrics()
            cbs.on_epoch_begin(epoch)
            for first, n_steps in plan.chunks():
                idx = order[first * bs : (first + n_steps) * bs]
                m = len(idx)
                x_buf[:m], y_buf[:m] = X[idx], y[idx]
                w_buf[:m] = 1.0 if w is None else w[idx]
                # The rest of the chunk (a partial last batch): zero rows,
                # never the previous chunk's sequences (see the module doc).
                x_buf[m:], y_buf[m:], w_buf[m:] = 0, 0.0, 0.0
                x_chunk = x_buf.reshape((k, bs) + X.shape[1:])
                if first == 0 and epoch == 0:
                    program.check(model, x_chunk)
                out = program.run(
                    x_chunk,
                    y_buf.reshape((k, bs) + y.shape[1:]),
                    w_buf.reshape((k, bs) + y.shape[1:-1]),
                    tf.constant(n_steps, tf.int32),
                )
                logs = {name: float(v) for name, v in out.items()}
                program.store(model)
                cbs.on_train_batch_end(first + n_steps - 1, logs)
                if model.stop_training:
                    break
            cbs.on_epoch_end(epoch, dict(logs))
            if model.stop_training:
                break
        cbs.on_train_end(dict(logs))
    return model.history.history


class CurveRecorder(keras.callbacks.Callback):
    """Keep the running loss and accuracy every ``every`` batches of an epoch.

    Also at an epoch's last batch, ``steps_per_epoch`` (when given), so that
    both of :func:`train`'s paths record a row at the end of every chunk.
    """

    def __init__(self, every: int = 1, steps_per_epoch: int | None = None):
        super().__init__()
        self.every = every
        self.steps_per_epoch = steps_per_epoch
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
        if done % self.every and done != self.steps_per_epoch:
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
