"""Score a trained model on fresh sequences: per step, per sequence, and loss."""

from __future__ import annotations

from . import _env  # noqa: F401

import math

import numpy as np

from .data import (
    check_positive_int,
    check_sample_weight,
    check_x,
    get_sequences,
    limit_for,
    squeeze_features,
)
from .training import check_xy

__all__ = [
    "DISTANCE_EDGES",
    "error_rate_by_distance",
    "evaluate",
    "evaluate_fresh",
    "predict_classes",
    "predict_proba",
    "wilson_interval",
]

_EPSILON = 1e-7  # Keras's clipping constant for cross-entropy on probabilities
_PREDICT_BATCH = 4096
DISTANCE_EDGES = (0.0, 0.05, 0.1, 0.15, 0.2, 0.3, 0.4, 0.6, 0.8, 1.0, np.inf)


def _predict(model, X):
    """Probabilities as :func:`predict_proba` returns them, and the output's mask.

    The mask is the boolean ``(n_sequences, n_timesteps)`` array Keras attaches
    to a masking model's output (``_keras_mask``, as in Keras's masking guide),
    or ``None`` for a model that does not mask.
    """
    X = np.asarray(X)
    if X.ndim == 2 and len(model.input_shape) == 3:
        X = X[..., np.newaxis]
    X = check_x(model, X)
    parts, masks = [], []
    for i in range(0, len(X), _PREDICT_BATCH):
        out = model(X[i : i + _PREDICT_BATCH], training=False)
        parts.append(np.asarray(out))
        mask = getattr(out, "_keras_mask", None)
        masks.append(None if mask is None else np.asarray(mask, dtype=bool))
    proba = np.concatenate(parts).astype(np.float64)
    if any(m is None for m in masks):
        return proba, None
    return proba, np.concatenate(masks).reshape(proba.shape[:2])


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


def wilson_interval(successes: int, trials: int, confidence: float = 0.95):
    """Wilson score interval for a proportion: (low, high)."""
    if trials <= 0:
        raise ValueError(f"trials must be >= 1, got {trials}")
    if not 0 <= successes <= trials:
        raise ValueError(f"successes must be between 0 and {trials}, got {successes}")
    z = {0.9: 1.6448536, 0.95: 1.959964, 0.99: 2.5758293}.get(confidence)
    if z is None:
        raise ValueError(f"confidence must be 0.9, 0.95 or 0.99, got {confidence!r}")
    p = successes / trials
    denom = 1 + z * z / trials
    centre = (p + z * z / (2 * trials)) / denom
    half = z * math.sqrt(p * (1 - p) / trials + z * z / (4 * trials * trials)) / denom
    # exact at the ends: rounding would otherwise leave e.g. 3e-18 for 0 of 69
    low = 0.0 if successes == 0 else max(0.0, centre - half)
    high = 1.0 if successes == trials else min(1.0, centre + half)
    return low, high


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
    others, sequences without any step that counts are left out of
    ``sequence_accuracy`` and ``n_sequences``, and ``weights`` holds the 0/1
    weights used (this key only when steps were chosen so).

    A model with one label per sequence (output ``(None, 1)``,
    ``return_sequences=False``) is scored on ``y`` of shape ``(n_sequences,
    1)``: every sequence is one step, so ``accuracy`` and
    ``sequence_accuracy`` are both the share of sequences right, and
    ``sample_weight`` (0s and 1s, ``(n_sequences,)``) chooses the sequences.
    """
    if len(model.output_shape) == 2:
        return _evaluate_per_sequence(model, X, y, sample_weight)
    X, y = check_xy(model, X, y)
    proba, mask = _predict(model, X)
    truth = y.astype(np.float64)
    if sample_weight is None and mask is None:
        loss = float(np.mean(_losses(truth, proba)))
        wrong = (proba > 0.5) != (truth > 0.5)
        step_right = int((~wrong).sum())
        seq_right = int((~wrong.any(axis=(1, 2))).sum())
        return {
            "loss": loss,
            "accuracy": step_right / wrong.size,
            "sequence_accuracy": seq_right / len(X),
            "n_sequences": len(X),
            "n_steps": int(wrong.size),
            "accuracy_interval": wilson_interval(step_right, wrong.size),
            "sequence_accuracy_interval": wilson_interval(seq_right, len(X)),
            "proba": proba[..., 0],
            "wrong": wrong[..., 0],
        }
    if sample_weight is None:
        counts = mask
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
    p = np.clip(proba, _EPSILON, 1 - _EPSILON)
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
    }


def evaluate_fresh(model, n_sequences: int = 100, rng=None) -> dict:
    """Evaluate on ``n_sequences`` newly generated sequences of the model's length."""
    n_sequences = check_positive_int("n_sequences", n_sequences)
    X, y = get_sequences(n_sequences, model.input_shape[1], rng)
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
