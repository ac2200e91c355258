"""Score a trained model on fresh sequences: per step, per sequence, and loss."""

from __future__ import annotations


import keras
import numpy as np

from .checks import check_positive_int, check_sample_weight, check_x, check_xy
from .data import get_sequences, limit_for, squeeze_features
from .summaries import CLIP, wilson_interval

__all__ = [
    "DISTANCE_EDGES",
    "PREDICT_BATCH",
    "as_model_input",
    "input_mask",
    "error_rate_by_distance",
    "evaluate",
    "evaluate_fresh",
    "predict_classes",
    "predict_proba",
    "wilson_interval",
]

#: Sequences per call of the model when predicting.
PREDICT_BATCH = 4096
DISTANCE_EDGES = (0.0, 0.05, 0.1, 0.15, 0.2, 0.3, 0.4, 0.6, 0.8, 1.0, np.inf)


def input_mask(model, X):
    """The steps a masking model reads, from its input: ``(n, n_timesteps)``.

    The package's masking models mask at their input: a ``Masking`` layer
    (:func:`bilstm.build_model` with ``mask=True``) or an ``Embedding`` with
    ``mask_zero=True`` (the word models) right after it. Such a layer's own
    ``compute_mask`` gives the mask every later layer carries. ``None`` for a
    model with no such layer (it is scored on every step, or by weights).
    """
    inputs = {id(t) for t in getattr(model, "inputs", None) or ()}
    for layer in getattr(model, "layers", ()):
        masks = isinstance(layer, keras.layers.Masking) or getattr(
            layer, "mask_zero", False
        )
        if masks and id(layer.input) in inputs:
            return np.asarray(layer.compute_mask(X), dtype=bool).reshape(X.shape[:2])
    return None


def as_model_input(model, X) -> np.ndarray:
    """``X`` checked for ``model``; one feature per step may come as ``(n, T)``."""
    X = np.asarray(X)
    if X.ndim == 2 and len(model.input_shape) == 3:
        X = X[..., np.newaxis]
    return check_x(model, X)


def _predict(model, X):
    """Probabilities as :func:`predict_proba` returns them, and the input's mask."""
    X = as_model_input(model, X)
    parts = [
        np.asarray(model(X[i : i + PREDICT_BATCH], training=False))
        for i in range(0, len(X), PREDICT_BATCH)
    ]
    return np.concatenate(parts).astype(np.float64), input_mask(model, X)


def predict_proba(model, X) -> np.ndarray:
    """Probability that each step's label is 1, shaped like the model's output.

    Calls the model directly on large batches rather than ``model.predict``,
    so no new function is traced or compiled for each new number of sequences.
    ``X`` is shaped as the model's input (``(n_sequences, n_timesteps, 1)``;
    one feature per step may also come as ``(n_sequences, n_timesteps)``), or
    integer token indices ``(n_sequences, n_timesteps)`` for a model with an
    ``Embedding`` in front.
    """
    return _predict(model, X)[0]


def predict_classes(model, X, threshold: float = 0.5) -> np.ndarray:
    """The label (0 or 1) the model predicts for each step.

    The modern replacement for Keras 2's removed ``model.predict_classes``:
    threshold the sigmoid output at 0.5.
    """
    if not 0.0 < threshold < 1.0:
        raise ValueError(f"threshold must be between 0 and 1, got {threshold!r}")
    return (predict_proba(model, X) > threshold).astype(np.int32)


def evaluate(model, X, y, sample_weight=None) -> dict:
    """Loss, per-step accuracy and whole-sequence accuracy of ``model`` on (X, y).

    ``sequence_accuracy`` counts a sequence as right only if every step is.
    Also returns the per-step predictions and which steps were wrong, so that
    callers can show where the errors are.

    Only the steps that count are scored: those of weight 1 in
    ``sample_weight`` (``(n_sequences, n_timesteps)`` of 0s and 1s, such as the
    ``w`` of :func:`bilstm.data.get_padded_sequences`), or, without weights, the
    steps a masking model does not mask (``build_model(..., mask=True)``, an
    ``Embedding`` with ``mask_zero=True``); a model that does not mask, given
    no weights, is scored on every step. The loss is then the mean over the
    steps that count, ``n_steps`` is their number, ``wrong`` is False on the
    others, and sequences without any step that counts are left out of
    ``sequence_accuracy`` and ``n_sequences``. ``weights`` always holds the
    0/1 weights of the steps scored, ``(n_sequences, n_timesteps)`` like
    ``proba`` and ``wrong`` (all 1 when every step counts).

    A model with one label per sequence (output ``(None, 1)``,
    ``return_sequences=False``) is scored on ``y`` of shape ``(n_sequences,
    1)``: every sequence is one step, so ``accuracy`` and
    ``sequence_accuracy`` are both the share of sequences right, and
    ``sample_weight`` (0s and 1s, ``(n_sequences,)``) chooses the sequences.

    ``X`` and ``y`` may also come without their trailing axis of one feature,
    as ``(n_sequences, n_timesteps)``, as :func:`predict_proba` accepts ``X``.
    """
    if len(model.output_shape) == 2:
        return _evaluate_per_sequence(model, X, y, sample_weight)
    y = np.asarray(y)
    if y.ndim == 2:  # one label per step as (n, T), like X may come
        y = y[..., np.newaxis]
    X, y = check_xy(model, as_model_input(model, X), y)
    proba, mask = _predict(model, X)
    truth = y.astype(np.float64)
    if sample_weight is None:
        counts = np.ones(X.shape[:2], bool) if mask is None else mask
    else:
        counts = _counted(sample_weight, X.shape, "steps that count, 0 on padding")
    n_steps = int(counts.sum())
    if n_steps == 0:
        raise ValueError("no step counts: sample_weight (or the mask) is 0 everywhere")
    t = truth[..., 0]
    loss = float(_losses(t, proba[..., 0])[counts].mean())
    wrong = ((proba[..., 0] > 0.5) != (t > 0.5)) & counts
    step_right = n_steps - int(wrong.sum())
    scored = counts.any(axis=1)
    n_sequences = int(scored.sum())
    seq_right = int((scored & ~wrong.any(axis=1)).sum())
    return {
        "loss": loss,
        "accuracy": step_right / n_steps,
        "sequence_accuracy": seq_right / n_sequences,
        "n_sequences": n_sequences,
        "n_steps": n_steps,
        "accuracy_interval": wilson_interval(step_right, n_steps),
        "sequence_accuracy_interval": wilson_interval(seq_right, n_sequences),
        "proba": proba[..., 0],
        "wrong": wrong,
        "weights": counts.astype(np.float32),
    }


def _losses(truth, proba):
    """Binary cross-entropy of every label, with Keras's clipping."""
    p = np.clip(proba, *CLIP)
    return -(truth * np.log(p) + (1 - truth) * np.log(1 - p))


def _counted(sample_weight, shape, what):
    """Which labels are scored: 0/1 ``sample_weight`` as booleans."""
    w = check_sample_weight(sample_weight, shape)
    if not np.all((w == 0) | (w == 1)):
        raise ValueError(
            f"sample_weight must hold only 0s and 1s to score with (1 on the {what})"
        )
    return w > 0


def _evaluate_per_sequence(model, X, y, sample_weight) -> dict:
    X, y = check_xy(model, X, y)
    if y.shape[1] != 1:
        raise ValueError(f"evaluate scores one sigmoid per sequence, got {y.shape[1]}")
    proba = _predict(model, X)[0][:, 0]
    counts = np.ones(len(X), bool)
    if sample_weight is not None:
        counts = _counted(sample_weight, (len(X),), "sequences that count")
    n = int(counts.sum())
    if n == 0:
        raise ValueError("no sequence counts: sample_weight is 0 everywhere")
    truth = y[:, 0].astype(np.float64)
    losses = _losses(truth, proba)
    wrong = ((proba > 0.5) != (truth > 0.5)) & counts
    right = n - int(wrong.sum())
    interval = wilson_interval(right, n)
    return {
        "loss": float(losses[counts].mean()),
        "accuracy": right / n,
        "sequence_accuracy": right / n,
        "n_sequences": n,
        "n_steps": n,
        "accuracy_interval": interval,
        "sequence_accuracy_interval": interval,
        "proba": proba,
        "wrong": wrong,
        "weights": counts.astype(np.float32),
    }


def evaluate_fresh(
    model, n_sequences: int = 100, rng=None, *, n_timesteps: int | None = None
) -> dict:
    """Evaluate on ``n_sequences`` newly generated sequences of the model's length.

    A model that reads sequences of any length (``build_model(None, ...)``)
    needs ``n_timesteps``; for a model of fixed length it must be that length
    or None.
    """
    n_sequences = check_positive_int("n_sequences", n_sequences)
    length = model.input_shape[1]
    if n_timesteps is None and length is None:
        raise ValueError(
            "this model reads sequences of any length: give n_timesteps, the "
            "length of the fresh sequences to score it on"
        )
    if n_timesteps is not None:
        n_timesteps = check_positive_int("n_timesteps", n_timesteps)
        if length is not None and n_timesteps != length:
            raise ValueError(
                f"n_timesteps must be the model's length {length}, got {n_timesteps}"
            )
    X, y = get_sequences(n_sequences, n_timesteps or length, rng)
    result = evaluate(model, X, y)
    result["X"], result["y"] = X[..., 0], y[..., 0]
    return result


def error_rate_by_distance(X, wrong, limit=None, edges=DISTANCE_EDGES):
    """Error rate of the steps grouped by how far the running sum is from the limit.

    ``X`` holds the inputs ``(N, n)`` (or ``(N, n, 1)``) and ``wrong`` marks the
    steps a model got wrong, shaped ``(N, n)``. The distance of a step is
    ``|cumsum(X)[t] - limit|`` (the limit defaults to ``n / 4``); ``edges`` are
    the bin edges (left-closed). Returns a dict of arrays: ``edges``,
    ``steps`` (steps per bin), ``errors`` (wrong steps per bin) and ``rate``
    (``errors / steps``, NaN for an empty bin).
    """
    X = squeeze_features(X)
    wrong = np.asarray(wrong, dtype=bool).reshape(X.shape)
    if limit is None:
        limit = limit_for(X.shape[-1])
    edges = np.asarray(edges, dtype=float)
    if edges.ndim != 1 or len(edges) < 2 or np.any(np.diff(edges) <= 0):
        raise ValueError("edges must be at least two increasing bin edges")
    distance = np.abs(np.cumsum(X, axis=-1) - limit).ravel()
    bins = np.digitize(distance, edges) - 1
    inside = (bins >= 0) & (bins < len(edges) - 1)
    n_bins = len(edges) - 1
    steps = np.bincount(bins[inside], minlength=n_bins)
    errors = np.bincount(bins[inside], weights=wrong.ravel()[inside], minlength=n_bins)
    errors = errors.astype(int)
    with np.errstate(invalid="ignore", divide="ignore"):
        rate = np.where(steps > 0, errors / np.maximum(steps, 1), np.nan)
    return {"edges": edges, "steps": steps, "errors": errors, "rate": rate}
