"""One LSTM cell step and a whole LSTM layer in NumPy, forward and backward.

One step of the cell reads the input ``x_t`` (shape ``(n, features)``) and the
previous state ``h_prev``, ``c_prev`` (shape ``(n, units)``)::

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

:func:`lstm_step_backward` is the chain rule for one step and
:func:`lstm_backward` runs it from the last step to the first (backpropagation
through time). The input checks here are shared with
:mod:`bilstm.scratch.network`.
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "GATES",
    "lstm_backward",
    "lstm_forward",
    "lstm_step",
    "lstm_step_backward",
    "sigmoid",
    "split_gates",
]

#: The four column blocks of an LSTM's weights, in Keras's order: the input
#: gate, the forget gate, the candidate cell value ``g`` and the output gate
#: (``c`` is the cell state). :mod:`bilstm.inspect` and :mod:`bilstm.plots`
#: use the same names.
GATES = ("i", "f", "g", "o")


# --- One cell step, forward and backward ------------------------------------


def sigmoid(a):
    """The logistic function 1 / (1 + exp(-a)), without overflow for large |a|."""
    return 0.5 * (1.0 + np.tanh(0.5 * a))


def split_gates(array):
    """Split the last axis of a Keras LSTM weight array into its four blocks.

    Returns the blocks in Keras's order :data:`GATES`: i, f, g, o (input gate,
    forget gate, candidate, output gate).
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
