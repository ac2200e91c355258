"""The lesson's whole model in NumPy: two directions, the merge, the loss, by hand.

Built on the LSTM layer of :mod:`bilstm.scratch.cell`: :func:`merge` joins the
two directions' outputs per step as ``Bidirectional`` does,
:func:`bidirectional_forward` runs that layer, :func:`model_forward` the lesson
model (LSTM(s), merge, a sigmoid unit per step) from ``get_weights()``, and
:func:`loss_and_gradients` its mean binary cross-entropy and every weight's
gradient, by backpropagation through time.
"""

from __future__ import annotations

import numpy as np

from ..settings import SETTINGS
from ..summaries import CLIP, EPSILON  # noqa: F401  (EPSILON: part of the API)
from .cell import (
    _check_array,
    _check_lstm_weights,
    _check_x,
    lstm_backward,
    lstm_forward,
    sigmoid,
)

__all__ = [
    "CLIP",
    "DIRECTIONS",
    "EPSILON",
    "MERGE_MODES",
    "bidirectional_forward",
    "binary_crossentropy",
    "loss_and_gradients",
    "merge",
    "merge_backward",
    "model_forward",
]

MERGE_MODES = SETTINGS["merge_mode"].choices
DIRECTIONS = SETTINGS["direction"].choices


# --- Two directions and a merge ----------------------------------------------


def _check_merge_mode(merge_mode):
    if merge_mode not in MERGE_MODES:
        raise ValueError(
            "merge_mode must be one of 'concat', 'sum', 'mul', 'ave', got "
            f"{merge_mode!r} (Keras's merge_mode=None returns the two outputs "
            "unmerged: call lstm_forward once per direction instead)"
        )
    return merge_mode


def merge(forward, backward, merge_mode="concat"):
    """Join the two directions' outputs per step, as ``Bidirectional`` does."""
    _check_merge_mode(merge_mode)
    if merge_mode == "concat":
        return np.concatenate([forward, backward], axis=-1)
    if merge_mode == "sum":
        return forward + backward
    if merge_mode == "mul":
        return forward * backward
    return (forward + backward) / 2


def merge_backward(d_merged, forward, backward, merge_mode="concat"):
    """Split the gradient of :func:`merge`'s result into ``(d_forward, d_backward)``."""
    _check_merge_mode(merge_mode)
    if merge_mode == "concat":
        return np.split(d_merged, 2, axis=-1)
    if merge_mode == "sum":
        return d_merged, d_merged
    if merge_mode == "mul":
        return d_merged * backward, d_merged * forward
    return d_merged / 2, d_merged / 2


def bidirectional_forward(x, forward_weights, backward_weights, merge_mode="concat"):
    """Run ``Bidirectional(LSTM(..., return_sequences=True))`` from two scratch LSTMs.

    Each weights argument is that direction's ``[kernel, recurrent_kernel,
    bias]``. The backward LSTM reads from the last step to the first; its
    outputs are flipped back into time order before the two are merged step by
    step with ``merge_mode`` (``"concat"``, ``"sum"``, ``"mul"`` or ``"ave"``).
    Returns ``(n, T, 2 units)`` for ``"concat"``, else ``(n, T, units)``.
    """
    _check_merge_mode(merge_mode)
    forward = lstm_forward(x, *_three(forward_weights, "forward_weights"))[0]
    backward = lstm_forward(
        x, *_three(backward_weights, "backward_weights"), go_backwards=True
    )[0][:, ::-1]
    if forward.shape != backward.shape:
        raise ValueError(
            "the two directions must have the same number of units, got "
            f"{forward.shape[-1]} forward and {backward.shape[-1]} backward"
        )
    return merge(forward, backward, merge_mode)


def _three(weights, name):
    if not isinstance(weights, (list, tuple)) or len(weights) != 3:
        got = type(weights).__name__
        if isinstance(weights, (list, tuple)):
            got += f" of length {len(weights)}"
        raise ValueError(
            f"{name} must be a list [kernel, recurrent_kernel, bias], got {got}"
        )
    return weights


# --- The lesson model: LSTM(s), merge, a sigmoid unit per step, the loss -----


def _unpack(weights, merge_mode, direction):
    """Check ``build_model(...).get_weights()``; return (lstms, dense kernel, bias).

    ``lstms`` holds one ``(kernel, recurrent_kernel, bias)`` per direction,
    the forward one first.
    """
    if direction not in DIRECTIONS:
        raise ValueError(
            "direction must be one of 'bidirectional', 'forward', 'backward', "
            f"got {direction!r}"
        )
    if direction == "bidirectional":
        _check_merge_mode(merge_mode)
    expected = 8 if direction == "bidirectional" else 5
    if not isinstance(weights, (list, tuple)) or len(weights) != expected:
        got = len(weights) if isinstance(weights, (list, tuple)) else "not a list"
        raise ValueError(
            f"weights must be the {expected} arrays of build_model(direction="
            f"{direction!r}).get_weights() (per LSTM: kernel, recurrent kernel, "
            f"bias; then the dense kernel and bias), got {got}. Only the lesson's "
            "model is supported: one (bi)directional LSTM layer and a per-step "
            "sigmoid unit; pass direction='forward' or 'backward' for a "
            "one-direction model"
        )
    names = ["forward LSTM", "backward LSTM"] if expected == 8 else [direction]
    lstms = [
        _check_lstm_weights(*weights[3 * k : 3 * k + 3], name=name)
        for k, name in enumerate(names)
    ]
    if len(lstms) == 2 and lstms[0][0].shape != lstms[1][0].shape:
        raise ValueError(
            "the forward and backward LSTMs must have the same features and "
            f"units, got kernels of shape {lstms[0][0].shape} and "
            f"{lstms[1][0].shape}"
        )
    units = lstms[0][1].shape[0]
    concat = direction == "bidirectional" and merge_mode == "concat"
    width = 2 * units if concat else units
    dense_kernel = _check_array("dense kernel", weights[-2], 2)
    dense_bias = _check_array("dense bias", weights[-1], 1)
    if dense_kernel.shape != (width, 1) or dense_bias.shape != (1,):
        hint = ""
        if direction == "bidirectional" and dense_kernel.shape[0] in (units, 2 * units):
            hint = (
                " (a kernel of 2 * units rows belongs to merge_mode='concat', one "
                "of units rows to 'sum', 'mul' or 'ave': pass the model's merge_mode)"
            )
        raise ValueError(
            f"the dense kernel must have shape ({width}, 1) and its bias (1,) for "
            f"{units} units and merge_mode={merge_mode!r}, got {dense_kernel.shape} "
            f"and {dense_bias.shape}{hint}"
        )
    return lstms, dense_kernel, dense_bias


def _features(x, lstms, merge_mode, direction):
    """The per-step features the dense unit reads, and each direction's outputs."""
    if direction == "forward":
        return lstm_forward(x, *lstms[0])[0], None, None
    if direction == "backward":
        return lstm_forward(x, *lstms[0], go_backwards=True)[0][:, ::-1], None, None
    forward = lstm_forward(x, *lstms[0])[0]
    backward = lstm_forward(x, *lstms[1], go_backwards=True)[0][:, ::-1]
    return merge(forward, backward, merge_mode), forward, backward


def model_forward(weights, x, *, merge_mode="concat", direction="bidirectional"):
    """The lesson model's per-step probabilities ``(n, T, 1)``, from its weights.

    ``weights`` is ``build_model(...).get_weights()``. Pass the model's
    ``merge_mode`` and ``direction`` when they are not the defaults (the weight
    shapes cannot tell ``"sum"``, ``"mul"`` and ``"ave"`` apart, nor a forward
    from a backward model).
    """
    lstms, dense_kernel, dense_bias = _unpack(weights, merge_mode, direction)
    x = _check_x(x, lstms[0][0].shape[0])
    features, _, _ = _features(x, lstms, merge_mode, direction)
    return sigmoid(features @ dense_kernel + dense_bias)


def _check_y(y, x):
    y = _check_array("y", y, 3)
    if y.shape != x.shape[:2] + (1,):
        raise ValueError(
            f"y must have shape {x.shape[:2] + (1,)} to match x, got {y.shape}"
        )
    if y.min() < 0 or y.max() > 1:
        raise ValueError("y must hold labels between 0 and 1")
    return y


def binary_crossentropy(y, proba):
    """Mean binary cross-entropy over every step of every sequence.

    Probabilities are clipped to ``[EPSILON, 1 - EPSILON]`` first, as Keras
    does (to the same float32 bounds, ``CLIP``), so a confident wrong answer
    costs at most about 16.
    """
    p = np.clip(proba, *CLIP)
    return float(np.mean(-(y * np.log(p) + (1 - y) * np.log(1 - p))))


def loss_and_gradients(
    weights, x, y, *, merge_mode="concat", direction="bidirectional"
):
    """The lesson model's loss on ``(x, y)`` and its gradients, by hand.

    ``loss`` is the mean binary cross-entropy over every step of every
    sequence: what Keras's compiled loss reports for unweighted data (up to
    float32 rounding). ``grads`` is a list of arrays in ``get_weights()``
    order, computed by backpropagation through time in NumPy: from the loss
    to the per-step logits, through the dense unit and the merge, then through
    each LSTM with :func:`lstm_backward`.
    """
    lstms, dense_kernel, dense_bias = _unpack(weights, merge_mode, direction)
    x = _check_x(x, lstms[0][0].shape[0])
    y = _check_y(y, x)
    features, forward, backward = _features(x, lstms, merge_mode, direction)
    logits = features @ dense_kernel + dense_bias
    proba = sigmoid(logits)
    loss = binary_crossentropy(y, proba)

    # d loss / d logit is (p - y) / (number of labels), and zero where the
    # clip in the loss holds p fixed.
    inside = (proba >= CLIP[0]) & (proba <= CLIP[1])
    d_logits = np.where(inside, (proba - y) / y.size, 0.0)
    width = features.shape[-1]
    d_dense_kernel = features.reshape(-1, width).T @ d_logits.reshape(-1, 1)
    d_dense_bias = d_logits.sum(axis=(0, 1))
    d_features = d_logits @ dense_kernel.T

    if direction == "forward":
        grads = list(lstm_backward(x, *lstms[0], d_features)[:3])
    elif direction == "backward":
        d_read = d_features[:, ::-1]  # the LSTM's outputs are in reading order
        grads = list(lstm_backward(x, *lstms[0], d_read, go_backwards=True)[:3])
    else:
        d_forward, d_backward = merge_backward(
            d_features, forward, backward, merge_mode
        )
        d_backward_read = d_backward[:, ::-1]
        grads = list(lstm_backward(x, *lstms[0], d_forward)[:3])
        grads += lstm_backward(x, *lstms[1], d_backward_read, go_backwards=True)[:3]
    return loss, [*grads, d_dense_kernel, d_dense_bias]
