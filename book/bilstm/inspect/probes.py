"""Measure what a trained model's states hold: probes, ablations, alignments.

Built on the states of :mod:`bilstm.inspect.states`:

- :func:`probe_r2` fits a linear probe (least squares) on one set of
  sequences and scores it, as R², on another; :func:`probe_all` does it for
  every direction and quantity; :func:`probe_accuracy` fits a fresh
  sigmoid output unit (logistic regression) to the labels instead;
- :func:`ablate` replaces one direction's output by its mean and measures
  per-step accuracy, to compare with
  :func:`bilstm.inspect.states.backward_ceiling`;
- :func:`align_steps` lines sequences up at a chosen step (the flip of the
  label), and :func:`best_units` finds the units that follow a quantity.
"""

from __future__ import annotations

import numbers

import numpy as np

from ..checks import check_positive_int
from ..data import squeeze_features
from ..scratch import MERGE_MODES, merge
from ..scratch import sigmoid as _sigmoid
from .states import (
    DIRECTION_NAMES,
    QUANTITIES,
    _bidirectional_layer,
    _check_sequences,
    baseline_features,
    bidirectional_states,
    direction_features,
    quantities,
)

__all__ = [
    "FEATURE_SETS",
    "ablate",
    "align_steps",
    "best_units",
    "probe_accuracy",
    "probe_all",
    "probe_r2",
]

#: Feature sets that :func:`probe_all` fits probes on. ``"position and x_t"``
#: is the baseline: what any reader knows without remembering anything.
FEATURE_SETS = ("forward", "backward", "both", "position and x_t")


def _rows(features, target, label):
    features = np.asarray(features, dtype=np.float64)
    target = np.asarray(target, dtype=np.float64)
    if features.ndim < 2:
        raise ValueError(
            f"{label} features must have a last axis of features, got {features.shape}"
        )
    if target.shape != features.shape[:-1]:
        raise ValueError(
            f"{label} target must have shape {features.shape[:-1]} to match its "
            f"features {features.shape}, got {target.shape}"
        )
    if target.size < 2:
        raise ValueError(f"{label} needs at least two rows, got {target.size}")
    if not (np.all(np.isfinite(features)) and np.all(np.isfinite(target))):
        raise ValueError(f"{label} features and target must be finite")
    return features.reshape(-1, features.shape[-1]), target.reshape(-1)


def probe_r2(fit_features, fit_target, score_features, score_target) -> float:
    """R² on the score set of a least-squares linear probe fitted on the fit set.

    Features are ``(..., d)`` and targets shaped like the features without
    their last axis (for example ``(n, T, d)`` and ``(n, T)``: every step of
    every sequence is one row). The probe is ``target ≈ features @ w + b``,
    fitted by least squares; its R² is ``1 - SSE / SST`` on the score rows,
    with ``SST`` taken around the score target's own mean. So 1 means the
    quantity can be read off the features exactly, 0 means the probe does
    no better than that mean, and it can go below 0.
    """
    A, a = _rows(fit_features, fit_target, "fit")
    B, b = _rows(score_features, score_target, "score")
    if A.shape[1] != B.shape[1]:
        raise ValueError(
            f"fit and score features must have the same width, got {A.shape[1]} "
            f"and {B.shape[1]}"
        )
    return float(_least_squares_r2(A, a[:, None], B, b[:, None])[0])


def _least_squares_r2(A, targets_fit, B, targets_score):
    """R² of least-squares probes, one per column of the targets, fitted at once."""
    sst = ((targets_score - targets_score.mean(axis=0)) ** 2).sum(axis=0)
    if np.any(sst == 0.0):
        raise ValueError("the score target is constant, so R² is undefined")
    # Centred on the fit set's means (that is the intercept), solved through
    # the normal equations: one (d x d) system for every target, fast for many
    # rows.
    mean_A, mean_t = A.mean(axis=0), targets_fit.mean(axis=0)
    A = A - mean_A
    w, *_ = np.linalg.lstsq(A.T @ A, A.T @ (targets_fit - mean_t), rcond=None)
    predicted = (B - mean_A) @ w + mean_t
    return 1.0 - ((targets_score - predicted) ** 2).sum(axis=0) / sst


def probe_accuracy(
    fit_features, fit_labels, score_features, score_labels, ridge=1e-6
) -> float:
    """Accuracy on the score set of a logistic-regression probe fitted on the fit set.

    The probe is what the lesson's output layer is: one sigmoid unit,
    ``P(label = 1) = sigmoid(features @ w + b)``, here fitted afresh by
    maximum likelihood on the fit rows (Newton's method, features scaled by
    the fit set's mean and spread, with an L2 penalty ``ridge / 2 * |w|²``
    on the mean cross-entropy, which keeps ``w`` finite when the labels can
    be separated exactly). Shapes are as for :func:`probe_r2`; labels must be
    0 or 1. Returns the share of score rows whose label the probe gets right
    at the 0.5 threshold.
    """
    A, a = _rows(fit_features, fit_labels, "fit")
    B, b = _rows(score_features, score_labels, "score")
    if A.shape[1] != B.shape[1]:
        raise ValueError(
            f"fit and score features must have the same width, got {A.shape[1]} "
            f"and {B.shape[1]}"
        )
    if not (np.isin(a, (0.0, 1.0)).all() and np.isin(b, (0.0, 1.0)).all()):
        raise ValueError("labels must be 0 or 1")
    if (
        isinstance(ridge, bool)
        or not isinstance(ridge, numbers.Real)
        or not (0 < ridge < np.inf)
    ):
        raise ValueError(f"ridge must be a positive number, got {ridge!r}")
    mean, scale = A.mean(axis=0), A.std(axis=0)
    scale[scale == 0] = 1.0
    design = np.column_stack([(A - mean) / scale, np.ones(len(A))])
    penalty = np.full(design.shape[1], ridge)
    penalty[-1] = 0.0  # the intercept is not penalised
    w = np.zeros(design.shape[1])
    for _ in range(50):
        p = _sigmoid(design @ w)
        gradient = design.T @ (p - a) / len(a) + penalty * w
        hessian = (design.T * (p * (1 - p))) @ design / len(a) + np.diag(penalty)
        step = np.linalg.lstsq(hessian, gradient, rcond=None)[0]
        w -= step
        if np.abs(step).max() < 1e-6 * (1.0 + np.abs(w).max()):
            break
    predicted = np.column_stack([(B - mean) / scale, np.ones(len(B))]) @ w > 0
    return float((predicted == (b > 0.5)).mean())


def probe_all(model, X_fit, X_score, parts=("h", "c")) -> dict:
    """R² of linear probes for every feature set and quantity.

    Probes are fitted on every step of the sequences ``X_fit`` and scored on
    every step of ``X_score``. Returns ``{feature set: {quantity: R²}}`` over
    :data:`FEATURE_SETS` and :data:`QUANTITIES`: ``"forward"``,
    ``"backward"`` and ``"both"`` use those directions' states (``parts``, by
    default ``h`` and ``c``), ``"position and x_t"`` the
    :func:`baseline_features`.
    """
    fit_states = bidirectional_states(model, X_fit)
    score_states = bidirectional_states(model, X_score)
    fit_q, score_q = quantities(X_fit), quantities(X_score)
    targets_fit = np.stack([fit_q[q].ravel() for q in QUANTITIES], axis=1)
    targets_score = np.stack([score_q[q].ravel() for q in QUANTITIES], axis=1)
    scores = {}
    for name in FEATURE_SETS:
        if name == "position and x_t":
            fit_f, score_f = baseline_features(X_fit), baseline_features(X_score)
        else:
            fit_f = direction_features(fit_states, name, parts)
            score_f = direction_features(score_states, name, parts)
        r2 = _least_squares_r2(
            fit_f.reshape(-1, fit_f.shape[-1]),
            targets_fit,
            score_f.reshape(-1, score_f.shape[-1]),
            targets_score,
        )
        scores[name] = {q: float(v) for q, v in zip(QUANTITIES, r2, strict=True)}
    return scores


def _head(model, layer):
    """The layers after the Bidirectional one, which must be the model's last."""
    layers = list(model.layers)
    position = next(k for k, candidate in enumerate(layers) if candidate is layer)
    head = layers[position + 1 :]
    if not head:
        raise ValueError("model must have layers after its Bidirectional layer")
    return head


def ablate(model, X, y, direction=None, reference=None, per_step=True) -> dict:
    """Per-step accuracy of ``model`` with one direction's output replaced by its mean.

    ``model`` is the lesson's kind: its input goes straight into one
    ``Bidirectional(LSTM)`` layer and the layers after it (the per-step
    output) take the merged features. ``direction`` is ``"forward"`` or
    ``"backward"`` (the direction to ablate) or ``None`` (nothing ablated:
    the model's own output, recomputed). The ablated direction's hidden
    states, the vectors the layer merges, are replaced by their mean over the
    ``reference`` sequences (default: ``X`` itself), taken at each step when
    ``per_step`` is true (so what the position alone tells is kept) or over
    all steps. The other direction is left as it is, the two are merged as
    the layer merges them, and the model's remaining layers give the
    probabilities.

    Returns ``{"proba": (n, T), "accuracy": float, "step_accuracy": (T,)}``,
    the accuracy measured against the labels ``y`` (``(n, T)`` or
    ``(n, T, 1)``) with the 0.5 threshold.
    """
    import keras

    if direction not in (*DIRECTION_NAMES, None):
        raise ValueError(
            f"direction must be 'forward', 'backward' or None, got {direction!r}"
        )
    layer = _bidirectional_layer(model)
    head = _head(model, layer)
    X = _check_sequences(X)
    y = squeeze_features(y)
    if y.shape != X.shape[:2]:
        raise ValueError(f"y must have shape {X.shape[:2]} to match X, got {y.shape}")
    outputs = {d: s["h"] for d, s in bidirectional_states(layer, X).items()}
    if direction is not None:
        ref = X if reference is None else _check_sequences(reference, "reference")
        if ref.shape[1:] != X.shape[1:]:
            raise ValueError(
                f"reference must have the shape of X's sequences {X.shape[1:]}, "
                f"got {ref.shape[1:]}"
            )
        ref_h = bidirectional_states(layer, ref)[direction]["h"]
        mean = ref_h.mean(axis=0) if per_step else ref_h.mean(axis=(0, 1))
        outputs[direction] = np.broadcast_to(mean, outputs[direction].shape)
    if layer.merge_mode not in MERGE_MODES:
        raise ValueError(
            "the Bidirectional layer's merge_mode must be one of "
            f"{', '.join(map(repr, MERGE_MODES))} to ablate it, got "
            f"{layer.merge_mode!r}"
        )
    merged = merge(outputs["forward"], outputs["backward"], layer.merge_mode)
    z = keras.ops.convert_to_tensor(merged.astype(np.float32))
    for later in head:
        z = later(z, training=False)
    proba = np.asarray(z, dtype=np.float64).reshape(X.shape[:2])
    right = (proba > 0.5) == (y > 0.5)
    return {
        "proba": proba,
        "accuracy": float(right.mean()),
        "step_accuracy": right.mean(axis=0),
    }


def align_steps(values, at, before=3, after=3):
    """Line sequences up at one step each, from ``at - before`` to ``at + after``.

    ``values`` is ``(n, T, ...)`` (states or gates over time) and ``at`` holds
    one step index per sequence (0-based, for example where its label flips;
    ``T`` or more for a sequence without such a step). Returns
    ``(offsets, aligned)``: the offsets ``-before, ..., after`` and an array
    ``(n, before + after + 1, ...)`` whose entry ``k`` is the value at step
    ``at + offsets[k]``, or NaN where that step is outside the sequence.
    """
    values = np.asarray(values, dtype=np.float64)
    if values.ndim < 2:
        raise ValueError(f"values must be (n, T, ...), got shape {values.shape}")
    at = np.asarray(at)
    if at.shape != values.shape[:1] or not np.issubdtype(at.dtype, np.integer):
        raise ValueError(
            f"at must hold one whole step index per sequence, shape "
            f"{values.shape[:1]}, got {at.dtype} {at.shape}"
        )
    if np.any(at < 0):
        raise ValueError("at must hold step indices >= 0")
    before = check_positive_int("before", before, minimum=0)
    after = check_positive_int("after", after, minimum=0)
    n, T = values.shape[:2]
    offsets = np.arange(-before, after + 1)
    steps = at[:, np.newaxis] + offsets
    inside = (steps >= 0) & (steps < T) & (at[:, np.newaxis] < T)
    picked = values[np.arange(n)[:, np.newaxis], np.clip(steps, 0, T - 1)]
    mask = inside.reshape(inside.shape + (1,) * (values.ndim - 2))
    return offsets, np.where(mask, picked, np.nan)


def best_units(values, target, k=3):
    """The ``k`` units whose values follow ``target`` most closely.

    ``values`` is ``(n, T, units)`` and ``target`` ``(n, T)``; closeness is
    the absolute Pearson correlation over every step of every sequence.
    Returns ``(units, correlations)``: indices, best first, and their signed
    correlations. A unit that never changes has correlation 0.
    """
    V, t = _rows(values, target, "values")
    k = check_positive_int("k", k)
    if k > V.shape[1]:
        raise ValueError(f"k must be at most the number of units {V.shape[1]}, got {k}")
    V = V - V.mean(axis=0)
    t = t - t.mean()
    norms = np.sqrt((V**2).sum(axis=0) * (t**2).sum())
    with np.errstate(invalid="ignore", divide="ignore"):
        corr = np.where(norms > 0, (V * t[:, np.newaxis]).sum(axis=0) / norms, 0.0)
    order = np.argsort(-np.abs(corr), kind="stable")[:k]
    return order, corr[order]
