"""Look inside a trained bidirectional LSTM: its states, probes and ablations.

The chapter *What the network learned* asks what the lesson's model computes
on the cumulative sum problem. The tools here answer with plain NumPy, from
the weights Keras stores:

- :func:`lstm_steps` runs one Keras ``LSTM`` step by step, with the cell of
  :mod:`bilstm.scratch`, and keeps every step's hidden state ``h``, cell
  state ``c`` and gate activations (Keras's own layer returns the hidden
  states, and the cell state only at the end);
  :func:`bidirectional_states` does it for both halves of a model's
  ``Bidirectional`` layer, both in the input's time order;
- :func:`quantities` lists what a reader of a sequence might track at each
  step (running sum, remaining sum, distance to the limit, label, position);
- :func:`probe_r2` fits a linear probe (least squares) on one set of
  sequences and scores it, as R², on another; :func:`probe_all` does it for
  every direction and quantity; :func:`probe_accuracy` fits a fresh
  sigmoid output unit (logistic regression) to the labels instead;
- :func:`ablate` replaces one direction's output by its mean and measures
  per-step accuracy, to compare with :func:`backward_ceiling`, the best any
  reader of only ``x_t`` and ``t`` can do;
- :func:`align_steps` lines sequences up at a chosen step (the flip of the
  label), and :func:`best_units` finds the units that follow a quantity.
"""

from __future__ import annotations

from . import _env  # noqa: F401

import numbers

import numpy as np

from .data import check_positive_int, limit_for, squeeze_features
from .scratch import MERGE_MODES, lstm_step, merge
from .scratch import sigmoid as _sigmoid

__all__ = [
    "DIRECTION_NAMES",
    "FEATURE_SETS",
    "GATES",
    "QUANTITIES",
    "ablate",
    "align_steps",
    "backward_ceiling",
    "baseline_features",
    "best_units",
    "bidirectional_states",
    "direction_features",
    "lstm_steps",
    "probe_accuracy",
    "probe_all",
    "probe_r2",
    "quantities",
]

#: The gate activations :func:`lstm_steps` returns, in Keras's weight order:
#: input gate, forget gate, candidate cell value, output gate.
GATES = ("i", "f", "g", "o")
DIRECTION_NAMES = ("forward", "backward")
QUANTITIES = (
    "running sum",
    "remaining sum",
    "distance to the limit",
    "label",
    "position",
)
#: Feature sets that :func:`probe_all` fits probes on. ``"position and x_t"``
#: is the baseline: what any reader knows without remembering anything.
FEATURE_SETS = ("forward", "backward", "both", "position and x_t")


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
        scores[name] = {q: float(v) for q, v in zip(QUANTITIES, r2)}
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
