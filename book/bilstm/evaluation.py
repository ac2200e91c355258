"""Score a trained model on fresh sequences: per step, per sequence, and loss."""

from __future__ import annotations

from . import _env  # noqa: F401

import math

import numpy as np

from .data import check_positive_int, get_sequences
from .training import check_xy

__all__ = [
    "evaluate",
    "evaluate_fresh",
    "predict_classes",
    "predict_proba",
    "wilson_interval",
]

_EPSILON = 1e-7  # Keras's clipping constant for cross-entropy on probabilities
_PREDICT_BATCH = 4096


def predict_proba(model, X) -> np.ndarray:
    """Probability that each step's label is 1, shaped like the model's output.

    Calls the model directly on large batches rather than ``model.predict``,
    so no new function is traced or compiled for each new number of sequences.
    """
    X = np.asarray(X, dtype=np.float32)
    if X.ndim == 2:
        X = X[..., np.newaxis]
    X, _ = check_xy(model, X, np.zeros(X.shape[:2] + (1,), np.float32))
    parts = [
        np.asarray(model(X[i : i + _PREDICT_BATCH], training=False))
        for i in range(0, len(X), _PREDICT_BATCH)
    ]
    return np.concatenate(parts).astype(np.float64)


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
    return max(0.0, centre - half), min(1.0, centre + half)


def evaluate(model, X, y) -> dict:
    """Loss, per-step accuracy and whole-sequence accuracy of ``model`` on (X, y).

    ``sequence_accuracy`` counts a sequence as right only if every step is.
    Also returns the per-step predictions and which steps were wrong, so that
    callers can show where the errors are.
    """
    X, y = check_xy(model, X, y)
    proba = predict_proba(model, X)
    truth = y.astype(np.float64)
    p = np.clip(proba, _EPSILON, 1 - _EPSILON)
    loss = float(-np.mean(truth * np.log(p) + (1 - truth) * np.log(1 - p)))
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


def evaluate_fresh(model, n_sequences: int = 100, rng=None) -> dict:
    """Evaluate on ``n_sequences`` newly generated sequences of the model's length."""
    n_sequences = check_positive_int("n_sequences", n_sequences)
    X, y = get_sequences(n_sequences, model.input_shape[1], rng)
    result = evaluate(model, X, y)
    result["X"], result["y"] = X[..., 0], y[..., 0]
    return result
