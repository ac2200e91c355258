"""The lesson's model in NumPy, forward and backward: an LSTM from scratch.

Teaching code for the chapter "Inside the LSTM cell": float64 NumPy only, no
Keras and no automatic differentiation. The names follow the chapter's
equations, and the weight arrays are laid out as Keras stores them, so a
model's ``get_weights()`` can be used as they are. Two parts, bottom up:

- :mod:`bilstm.scratch.cell` — one step of the cell (:func:`lstm_step`) and a
  whole LSTM layer (:func:`lstm_forward`), and their backward passes
  (:func:`lstm_step_backward`, :func:`lstm_backward`);
- :mod:`bilstm.scratch.network` — the two directions and their merge
  (:func:`merge`, :func:`bidirectional_forward`), the lesson model
  (:func:`model_forward`), its loss and gradients (:func:`loss_and_gradients`).

Gradients come from backpropagation through time (BPTT), written out:
:func:`lstm_step_backward` is the chain rule for one step, :func:`lstm_backward`
runs it from the last step to the first, and :func:`loss_and_gradients` does the
same for the whole lesson model (LSTMs, merge, per-step sigmoid unit, loss).
"""

from .cell import (
    GATES,
    lstm_backward,
    lstm_forward,
    lstm_step,
    lstm_step_backward,
    sigmoid,
    split_gates,
)
from .network import (
    CLIP,
    DIRECTIONS,
    EPSILON,
    MERGE_MODES,
    bidirectional_forward,
    binary_crossentropy,
    loss_and_gradients,
    merge,
    merge_backward,
    model_forward,
)

__all__ = [
    "CLIP",
    "DIRECTIONS",
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
