"""A trained LSTM's states and gates at every step, and what a reader could track.

- :func:`lstm_steps` runs one Keras ``LSTM`` step by step, with the cell of
  :mod:`bilstm.scratch`, and keeps every step's hidden state ``h``, cell
  state ``c`` and gate activations (Keras's own layer returns the hidden
  states, and the cell state only at the end);
  :func:`bidirectional_states` does it for both halves of a model's
  ``Bidirectional`` layer, both in the input's time order, and
  :func:`direction_features` puts one direction's states side by side;
- :func:`quantities` lists what a reader of a sequence might track at each
  step (running sum, remaining sum, distance to the limit, label, position);
  :func:`baseline_features` is what any reader knows without memory (``t``
  and ``x_t``), and :func:`backward_ceiling` the best per-step accuracy such
  a reader can reach.
"""

from __future__ import annotations

import numpy as np

from ..checks import check_positive_int
from ..data import limit_for, squeeze_features
from ..scratch import GATES, lstm_step

__all__ = [
    "DIRECTION_NAMES",
    "GATES",
    "QUANTITIES",
    "backward_ceiling",
    "baseline_features",
    "bidirectional_states",
    "direction_features",
    "lstm_steps",
    "quantities",
]

DIRECTION_NAMES = ("forward", "backward")
QUANTITIES = (
    "running sum",
    "remaining sum",
    "distance to the limit",
    "label",
    "position",
)


def _check_sequences(X, name="X") -> np.ndarray:
    X = np.asarray(X, dtype=np.float64)
    if X.ndim == 2:
        X = X[..., np.newaxis]
    if X.ndim != 3 or X.shape[0] == 0 or X.shape[1] == 0:
        raise ValueError(
            f"{name} must be sequences shaped (n_sequences, n_timesteps) or "
            f"(n_sequences, n_timesteps, features) with n >= 1, got {X.shape}"
        )
    return X


def lstm_steps(x, kernel, recurrent_kernel, bias, go_backwards=False) -> dict:
    """Run one Keras ``LSTM`` over ``x`` and keep every step's states and gates.

    ``x`` is ``(n, T, features)``; ``kernel`` ``(features, 4u)``,
    ``recurrent_kernel`` ``(u, 4u)`` and ``bias`` ``(4u,)`` are the arrays a
    ``keras.layers.LSTM(u)`` stores (its default tanh and sigmoid
    activations), with the column blocks in Keras's order: input gate,
    forget gate, candidate, output gate. Each step is one
    :func:`bilstm.scratch.lstm_step` (``c_t = f * c_prev + i * g``,
    ``h_t = o * tanh(c_t)``), starting from zero states; unlike
    :func:`bilstm.scratch.lstm_forward`, which returns the outputs and the
    final states, this keeps everything every step computed.

    Returns a dict of float64 arrays ``(n, T, u)``: ``"h"``, ``"c"``, ``"i"``,
    ``"f"``, ``"g"``, ``"o"``, **in the input's time order** for both
    directions: index ``t`` holds the state after the layer has read ``x_t``.
    With ``go_backwards=True`` the layer reads ``x_T, ..., x_1``, so index
    ``t`` holds its state after ``x_T, ..., x_t``. (Keras's own
    ``return_sequences`` output lists that state at position ``T - 1 - t``,
    in reading order; ``Bidirectional`` flips it back, as here.)
    """
    x = _check_sequences(x, "x")
    kernel, recurrent_kernel, bias = (
        np.asarray(a, dtype=np.float64) for a in (kernel, recurrent_kernel, bias)
    )
    units = recurrent_kernel.shape[0] if recurrent_kernel.ndim == 2 else 0
    if units == 0 or recurrent_kernel.shape != (units, 4 * units):
        raise ValueError(
            f"recurrent_kernel must be (units, 4 * units), got {recurrent_kernel.shape}"
        )
    if kernel.shape != (x.shape[2], 4 * units):
        raise ValueError(
            f"kernel must be (features, 4 * units) = ({x.shape[2]}, {4 * units}) "
            f"for this x and recurrent_kernel, got {kernel.shape}"
        )
    if bias.shape != (4 * units,):
        raise ValueError(f"bias must be ({4 * units},), got {bias.shape}")
    names = ("h", "c", *GATES)
    steps = {}  # step index -> that step's arrays, in the order of names
    h, c = np.zeros((len(x), units)), np.zeros((len(x), units))
    order = range(x.shape[1] - 1, -1, -1) if go_backwards else range(x.shape[1])
    for t in order:
        h, c, gates = lstm_step(x[:, t], h, c, kernel, recurrent_kernel, bias)
        steps[t] = (h, c, *gates)
    return {
        name: np.stack([steps[t][k] for t in sorted(steps)], axis=1)
        for k, name in enumerate(names)
    }


def _bidirectional_layer(model):
    import keras

    if isinstance(model, keras.layers.Bidirectional):
        return model
    found = [
        layer
        for layer in getattr(model, "layers", [])
        if isinstance(layer, keras.layers.Bidirectional)
    ]
    if len(found) != 1:
        raise ValueError(
            "model must be a keras.layers.Bidirectional layer or a model with "
            f"exactly one, got {type(model).__name__} with {len(found)}"
        )
    return found[0]


def _direction_weights(layer):
    """[kernel, recurrent_kernel, bias] of each direction, after checking them."""
    import keras

    weights = {}
    for name, rnn in (
        ("forward", layer.forward_layer),
        ("backward", layer.backward_layer),
    ):
        config = rnn.get_config()
        if not isinstance(rnn, keras.layers.LSTM) or not (
            config["activation"] == "tanh"
            and config["recurrent_activation"] == "sigmoid"
            and config["use_bias"]
        ):
            raise ValueError(
                f"the {name} layer must be a keras.layers.LSTM with tanh and "
                "sigmoid activations and a bias (Keras's defaults), got "
                f"{type(rnn).__name__} with activation={config.get('activation')!r}, "
                f"recurrent_activation={config.get('recurrent_activation')!r}, "
                f"use_bias={config.get('use_bias')!r}"
            )
        weights[name] = rnn.get_weights()
    return weights


def bidirectional_states(model, X) -> dict:
    """Every step's states and gates of both directions of a ``Bidirectional`` LSTM.

    ``model`` is a ``keras.layers.Bidirectional`` wrapping an ``LSTM`` (Keras's
    default activations), or a model holding exactly one such layer as its
    first recurrent layer, fed the raw sequences ``X`` (``(n, T)`` or
    ``(n, T, features)``). Returns ``{"forward": {...}, "backward": {...}}``,
    each a dict from :func:`lstm_steps` in the input's time order: at index
    ``t`` the forward LSTM has read ``x_1, ..., x_t`` and the backward one
    ``x_t, ..., x_T``. Their hidden states ``h`` are the two halves that the
    layer merges (``merge_mode=None`` returns exactly them).
    """
    layer = _bidirectional_layer(model)
    X = _check_sequences(X)
    weights = _direction_weights(layer)
    return {
        name: lstm_steps(X, *weights[name], go_backwards=(name == "backward"))
        for name in DIRECTION_NAMES
    }


def quantities(X, limit=None) -> dict:
    """What a reader of each sequence might track at every step, ``(n, T)`` each.

    - ``"running sum"``: ``x_1 + ... + x_t``, what the label is decided by;
    - ``"remaining sum"``: ``x_t + ... + x_T``, the mirror image, what the
      backward reader has read at step ``t``;
    - ``"distance to the limit"``: ``|x_1 + ... + x_t - limit|``, how close
      the step is to the boundary where the label flips (the *signed*
      distance, ``limit - running sum``, is the running sum shifted, so a
      linear probe scores it exactly as it scores the running sum);
    - ``"label"``: 1 once the running sum has reached the limit, else 0;
    - ``"position"``: the step number ``t``, from 1 to ``T``.

    ``limit`` defaults to the problem's, a quarter of the sequence length.
    """
    X = squeeze_features(X)
    T = X.shape[1]
    limit = limit_for(T) if limit is None else float(limit)
    running = np.cumsum(X, axis=1)
    remaining = np.cumsum(X[:, ::-1], axis=1)[:, ::-1]
    return {
        "running sum": running,
        "remaining sum": remaining,
        "distance to the limit": np.abs(running - limit),
        "label": (running >= limit).astype(np.float64),
        "position": np.broadcast_to(np.arange(1.0, T + 1), X.shape).copy(),
    }


def baseline_features(X) -> np.ndarray:
    """What any reader knows at step ``t`` without memory: ``t`` and ``x_t``.

    Returns ``(n, T, T + 1)``: a one-hot code of the position followed by the
    current input. For the running sum seen by a backward reader (and the
    remaining sum seen by a forward one), the best prediction from all the
    reader sees, ``(t - 1) / 2 + x_t`` or ``x_t + (T - t) / 2``, is linear in
    these features, so a linear probe on them is the best any such reader
    can do.
    """
    X = squeeze_features(X)
    n, T = X.shape
    onehot = np.broadcast_to(np.eye(T), (n, T, T))
    return np.concatenate([onehot, X[..., np.newaxis]], axis=-1)


def backward_ceiling(n_timesteps, n_samples=200_000, rng=0) -> np.ndarray:
    """Best per-step accuracy of any reader that knows only ``x_t`` and ``t``.

    That is all a backward reader can know about the label at step ``t``
    (chapter *Forward, backward or bidirectional?* derives it): the label is
    1 when ``x_1 + ... + x_{t-1} >= limit - x_t``, and the earlier inputs are
    independent of what it reads. For each ``t`` the probability ``p`` of a
    1 given ``x_t`` is estimated from ``n_samples`` simulated sums of ``t - 1``
    uniform values (seeded by ``rng``), and the best guess is right with
    probability ``max(p, 1 - p)``, averaged over ``x_t`` on a grid of 1,001
    values. Returns an array of length ``n_timesteps``.
    """
    n_timesteps = check_positive_int("n_timesteps", n_timesteps)
    n_samples = check_positive_int("n_samples", n_samples)
    gen = np.random.default_rng(rng)
    limit, x_t = limit_for(n_timesteps), np.linspace(0, 1, 1001)
    ceiling = []
    for t in range(1, n_timesteps + 1):
        before = np.sort(gen.random((n_samples, t - 1)).sum(axis=1))
        p = 1 - np.searchsorted(before, limit - x_t) / n_samples
        ceiling.append(np.maximum(p, 1 - p).mean())
    return np.array(ceiling)


def direction_features(states, direction, parts=("h", "c")) -> np.ndarray:
    """One direction's states, side by side: ``(n, T, units * len(parts))``.

    ``states`` is what :func:`bidirectional_states` returns, ``direction`` one
    of :data:`DIRECTION_NAMES` or ``"both"`` (forward then backward), and
    ``parts`` the arrays to join (by default the hidden and the cell state).
    """
    names = (*DIRECTION_NAMES, "both")
    if direction not in names:
        raise ValueError(
            f"direction must be one of {', '.join(map(repr, names))}; got {direction!r}"
        )
    allowed = ("h", "c", *GATES)
    parts = tuple(parts)
    if not parts or any(p not in allowed for p in parts):
        raise ValueError(
            f"parts must name one or more of {', '.join(map(repr, allowed))}; "
            f"got {parts!r}"
        )
    directions = DIRECTION_NAMES if direction == "both" else (direction,)
    return np.concatenate([states[d][p] for d in directions for p in parts], axis=-1)
