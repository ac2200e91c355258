"""The lesson's model in NumPy, forward and backward: an LSTM from scratch.

Teaching code for the chapter "Inside the LSTM cell": float64 NumPy only, no
Keras and no automatic differentiation. The names follow the chapter's
equations. One step of the cell reads the input ``x_t`` (shape ``(n,
features)``) and the previous state ``h_prev``, ``c_prev`` (shape ``(n,
units)``)::

    a   = x_t W + h_prev U + b        W kernel, U recurrent kernel, b bias
    i   = sigmoid(a_i)                input gate
    f   = sigmoid(a_f)                forget gate
    g   = tanh(a_g)                   candidate cell value
    o   = sigmoid(a_o)                output gate
    c_t = f * c_prev + i * g          new cell state
    h_t = o * tanh(c_t)               new hidden state (the layer's output)

``keras.layers.LSTM`` stores ``W`` ``(features, 4 units)``, ``U`` ``(units, 4
units)`` and ``b`` ``(4 units,)`` with the four blocks of ``units`` columns side
by side in the order i, f, c (the candidate, here ``g``), o; the arrays here
are laid out the same way, so Keras's weights can be used as they are.

Gradients come from backpropagation through time (BPTT), written out:
:func:`lstm_step_backward` is the chain rule for one step, :func:`lstm_backward`
runs it from the last step to the first, and :func:`loss_and_gradients` does the
same for the whole lesson model (LSTMs, merge, per-step sigmoid unit, loss).
"""

from __future__ import annotations

import numpy as np

from .settings import SETTINGS

__all__ = [
    "CLIP",
    "EPSILON",
    "GATES",
    "MERGE_MODES",
    "binary_crossentropy",
    "bidirectional_forward",
    "loss_and_gradients",
    "lstm_backward",
    "lstm_forward",
    "lstm_step",
    "lstm_step_backward",
    "merge",
    "merge_backward",
    "model_forward",
    "sigmoid",
    "split_gates",
]

GATES = ("i", "f", "c", "o")  # Keras's order of the four column blocks
MERGE_MODES = SETTINGS["merge_mode"].choices
DIRECTIONS = SETTINGS["direction"].choices
EPSILON = 1e-7  # Keras clips probabilities to [EPSILON, 1 - EPSILON] in its loss
# ... as float32 numbers: the upper bound is 1 - 1.19e-7, the float32 just below 1.
CLIP = (float(np.float32(EPSILON)), float(np.float32(1 - EPSILON)))


# --- One cell step, forward and backward ------------------------------------


def sigmoid(a):
    """The logistic function 1 / (1 + exp(-a)), without overflow for large |a|."""
    return 0.5 * (1.0 + np.tanh(0.5 * a))


def split_gates(array):
    """Split the last axis of a Keras LSTM weight array into its four blocks.

    Returns the blocks in Keras's order i, f, c, o (input gate, forget gate,
    candidate, output gate).
    """
    return np.split(np.asarray(array), 4, axis=-1)


def lstm_step(x_t, h_prev, c_prev, kernel, recurrent_kernel, bias):
    """One step of the LSTM cell: return ``(h_t, c_t, (i, f, g, o))``."""
    a = x_t @ kernel + h_prev @ recurrent_kernel + bias
    a_i, a_f, a_g, a_o = split_gates(a)
    i, f, g, o = sigmoid(a_i), sigmoid(a_f), np.tanh(a_g), sigmoid(a_o)
    c_t = f * c_prev + i * g
    h_t = o * np.tanh(c_t)
    return h_t, c_t, (i, f, g, o)


def lstm_step_backward(d_h, d_c, c_prev, c_t, gates, kernel, recurrent_kernel):
    """Backpropagate through one step of the cell.

    ``d_h`` and ``d_c`` are the gradients of the loss with respect to this
    step's ``h_t`` and ``c_t`` (everything that reaches them from later steps
    and from this step's output). ``c_prev``, ``c_t`` and ``gates`` are what
    :func:`lstm_step` computed on the way forward. Returns ``(d_a, d_h_prev,
    d_c_prev, d_x_t)``: the gradient with respect to the four pre-activation
    blocks (laid out like the weights' columns), the previous state and the
    input.
    """
    i, f, g, o = gates
    tanh_c = np.tanh(c_t)
    d_o = d_h * tanh_c
    d_c = d_c + d_h * o * (1 - tanh_c**2)  # h_t = o * tanh(c_t)
    d_i = d_c * g  # c_t = f * c_prev + i * g
    d_g = d_c * i
    d_f = d_c * c_prev
    d_c_prev = d_c * f
    d_a = np.concatenate(
        [d_i * i * (1 - i), d_f * f * (1 - f), d_g * (1 - g**2), d_o * o * (1 - o)],
        axis=-1,
    )
    d_h_prev = d_a @ recurrent_kernel.T
    d_x_t = d_a @ kernel.T
    return d_a, d_h_prev, d_c_prev, d_x_t


# --- A whole layer ----------------------------------------------------------


def _check_array(name, value, ndim):
    try:
        array = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be an array of numbers, got {value!r}") from None
    if array.ndim != ndim:
        raise ValueError(f"{name} must be {ndim}-D, got shape {array.shape}")
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{name} must hold finite numbers only (no nan or inf)")
    return array


def _check_x(x, features=None):
    x = _check_array("x", x, 3)
    if 0 in x.shape:
        raise ValueError(
            "x must have shape (n_sequences, n_timesteps, features) with every "
            f"size >= 1, got {x.shape}"
        )
    if features is not None and x.shape[2] != features:
        raise ValueError(
            f"x has {x.shape[2]} feature(s) per step but the kernel expects "
            f"{features}: x must have shape (n_sequences, n_timesteps, {features})"
        )
    return x


def _check_lstm_weights(kernel, recurrent_kernel, bias, name="LSTM"):
    """Return the three arrays as float64 after checking they fit together."""
    recurrent_kernel = _check_array(f"{name} recurrent_kernel", recurrent_kernel, 2)
    units = recurrent_kernel.shape[0]
    if units == 0 or recurrent_kernel.shape != (units, 4 * units):
        raise ValueError(
            f"{name} recurrent_kernel must have shape (units, 4 * units), got "
            f"{recurrent_kernel.shape}"
        )
    kernel = _check_array(f"{name} kernel", kernel, 2)
    if kernel.shape[1] != 4 * units or kernel.shape[0] == 0:
        raise ValueError(
            f"{name} kernel must have shape (features, {4 * units}) to match a "
            f"recurrent kernel of {units} units, got {kernel.shape}"
        )
    bias = _check_array(f"{name} bias", bias, 1)
    if bias.shape != (4 * units,):
        raise ValueError(
            f"{name} bias must have shape ({4 * units},) for {units} units, got "
            f"{bias.shape}"
        )
    return kernel, recurrent_kernel, bias


def _run_forward(x, kernel, recurrent_kernel, bias, go_backwards):
    """Run the cell over ``x``; return everything the backward pass needs.

    ``steps`` lists the steps in reading order (last step first when
    ``go_backwards``); each holds the input read, the previous and new cell
    state and the gates. ``h`` is ``(n, T + 1, units)``: the initial zero state
    and then every step's output, in reading order.
    """
    n, n_steps, _ = x.shape
    units = recurrent_kernel.shape[0]
    order = range(n_steps - 1, -1, -1) if go_backwards else range(n_steps)
    h = np.zeros((n, n_steps + 1, units))
    c_t = np.zeros((n, units))
    steps = []
    for k, t in enumerate(order):
        c_prev = c_t
        h[:, k + 1], c_t, gates = lstm_step(
            x[:, t], h[:, k], c_prev, kernel, recurrent_kernel, bias
        )
        steps.append((t, c_prev, c_t, gates))
    return h, steps


def lstm_forward(x, kernel, recurrent_kernel, bias, go_backwards=False):
    """Run an LSTM layer over a batch, as ``keras.layers.LSTM`` does.

    ``x`` is ``(n, T, features)``; the weights are the arrays Keras stores
    (``layer.get_weights()``). Returns ``(outputs, h, c)``: ``outputs`` is
    ``(n, T, units)`` in the order Keras returns them with
    ``return_sequences=True`` (reading order, so reversed in time when
    ``go_backwards=True``), and ``h``, ``c`` are the final states ``(n,
    units)``. The initial state is zero, as in Keras.
    """
    kernel, recurrent_kernel, bias = _check_lstm_weights(kernel, recurrent_kernel, bias)
    x = _check_x(x, kernel.shape[0])
    h, steps = _run_forward(x, kernel, recurrent_kernel, bias, bool(go_backwards))
    return h[:, 1:], h[:, -1], steps[-1][2]


def lstm_backward(x, kernel, recurrent_kernel, bias, d_outputs, go_backwards=False):
    """Backpropagation through time for one LSTM layer.

    ``d_outputs`` is the gradient of the loss with respect to the ``outputs``
    of :func:`lstm_forward` (same shape, same order: reading order). Runs the
    layer forward again, then :func:`lstm_step_backward` from the last step read
    to the first, carrying ``d_h`` and ``d_c`` back and adding every step's
    share to the weight gradients. Returns ``(d_kernel, d_recurrent_kernel,
    d_bias, d_x)``; ``d_x`` is in the time order of ``x``.
    """
    kernel, recurrent_kernel, bias = _check_lstm_weights(kernel, recurrent_kernel, bias)
    x = _check_x(x, kernel.shape[0])
    d_outputs = _check_array("d_outputs", d_outputs, 3)
    units = recurrent_kernel.shape[0]
    if d_outputs.shape != x.shape[:2] + (units,):
        raise ValueError(
            f"d_outputs must have the outputs' shape {x.shape[:2] + (units,)}, "
            f"got {d_outputs.shape}"
        )
    h, steps = _run_forward(x, kernel, recurrent_kernel, bias, bool(go_backwards))
    d_kernel = np.zeros_like(kernel)
    d_recurrent_kernel = np.zeros_like(recurrent_kernel)
    d_bias = np.zeros_like(bias)
    d_x = np.zeros_like(x)
    d_h_next = np.zeros((len(x), units))  # reaches h_t through step t + 1
    d_c_next = np.zeros((len(x), units))  # reaches c_t through step t + 1
    for k in reversed(range(len(steps))):
        t, c_prev, c_t, gates = steps[k]
        d_h = d_outputs[:, k] + d_h_next
        d_a, d_h_next, d_c_next, d_x[:, t] = lstm_step_backward(
            d_h, d_c_next, c_prev, c_t, gates, kernel, recurrent_kernel
        )
        d_kernel += x[:, t].T @ d_a
        d_recurrent_kernel += h[:, k].T @ d_a
        d_bias += d_a.sum(axis=0)
    return d_kernel, d_recurrent_kernel, d_bias, d_x


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
