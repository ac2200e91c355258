"""The cumulative sum prediction problem, in NumPy only.

Each input sequence holds ``n_timesteps`` values drawn uniformly from [0, 1).
Its label sequence is 0 while the running sum of the inputs so far is below a
limit of ``n_timesteps / 4`` and 1 from the step where the sum reaches the limit.
"""

from __future__ import annotations

import numbers

import numpy as np

__all__ = [
    "check_positive_int",
    "check_x",
    "cumsum_labels",
    "flip_step",
    "get_sequence",
    "get_sequences",
    "limit_for",
    "make_rng",
    "squeeze_features",
]


def check_positive_int(name: str, value, minimum: int = 1) -> int:
    """Return ``value`` as an int, or raise ``ValueError`` naming ``name``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise ValueError(
            f"{name} must be a whole number >= {minimum}, got {value!r} "
            f"({type(value).__name__})"
        )
    if value < minimum:
        raise ValueError(f"{name} must be a whole number >= {minimum}, got {value}")
    return int(value)


def check_x(model, X) -> np.ndarray:
    """Check that inputs ``X`` fit ``model``; return them as a float32 array.

    ``X`` must be shaped like the model's input, ``(n_sequences, n_timesteps,
    1)``, and hold at least one sequence. Only ``model.input_shape`` is read,
    so this needs no Keras.
    """
    X = np.asarray(X, dtype=np.float32)
    expected = tuple(model.input_shape[1:])
    if X.ndim != 3 or X.shape[1:] != expected:
        raise ValueError(
            f"X must have shape (n_sequences, {expected[0]}, {expected[1]}) for this "
            f"model (sequence length {expected[0]}), got {X.shape}"
        )
    if len(X) == 0:
        raise ValueError("X must hold at least one sequence")
    return X


def squeeze_features(values, dtype=np.float64) -> np.ndarray:
    """Sequences as a 2-D array ``(n_sequences, n_timesteps)``.

    Accepts one sequence ``(n_timesteps,)``, several ``(k, n_timesteps)`` or
    Keras's layout ``(k, n_timesteps, 1)``: the feature axis is dropped and a
    single sequence becomes a batch of one.
    """
    values = np.asarray(values, dtype=dtype)
    if values.ndim == 3 and values.shape[-1] == 1:
        values = values[..., 0]
    if not 1 <= values.ndim <= 2:
        raise ValueError(
            "expected sequences shaped (n_timesteps,), (n_sequences, n_timesteps) "
            f"or (n_sequences, n_timesteps, 1), got {values.shape}"
        )
    return np.atleast_2d(values)


def make_rng(rng=None) -> np.random.Generator:
    """Turn ``None``, an integer seed or a Generator into a Generator.

    ``None`` gives a generator seeded from NumPy's global one, so that after
    :func:`bilstm.set_seed` it too repeats from run to run.
    """
    if isinstance(rng, np.random.Generator):
        return rng
    if rng is None:
        return np.random.default_rng(np.random.randint(2**31))
    if isinstance(rng, bool) or not isinstance(rng, numbers.Integral) or rng < 0:
        raise ValueError(
            "rng must be None, a non-negative integer seed or a "
            f"numpy.random.Generator, got {rng!r}"
        )
    return np.random.default_rng(int(rng))


def limit_for(n_timesteps: int) -> float:
    """The running-sum limit for sequences of this length: one quarter of it."""
    return check_positive_int("n_timesteps", n_timesteps) / 4.0


def cumsum_labels(X, limit: float | None = None) -> np.ndarray:
    """Label each step: 1 once the running sum along the last axis reaches ``limit``.

    ``X`` may be one sequence ``(n_timesteps,)`` or many ``(..., n_timesteps)``.
    The default limit is a quarter of the sequence length.
    """
    X = np.asarray(X)
    if X.ndim == 0 or X.shape[-1] == 0:
        raise ValueError(f"X must hold at least one time step, got shape {X.shape}")
    if limit is None:
        limit = limit_for(X.shape[-1])
    running = np.cumsum(X, axis=-1, dtype=np.float64)
    return (running >= limit).astype(np.float32)


def get_sequences(n_sequences: int, n_timesteps: int, rng=None):
    """Make ``n_sequences`` fresh (input, label) pairs of length ``n_timesteps``.

    Returns ``X, y`` as float32 arrays of shape ``(n_sequences, n_timesteps, 1)``,
    the layout a Keras recurrent layer expects (one feature per step).
    """
    n_sequences = check_positive_int("n_sequences", n_sequences)
    n_timesteps = check_positive_int("n_timesteps", n_timesteps)
    gen = make_rng(rng)
    X = gen.random((n_sequences, n_timesteps), dtype=np.float64).astype(np.float32)
    y = cumsum_labels(X)
    return X[..., np.newaxis], y[..., np.newaxis]


def get_sequence(n_timesteps: int, rng=None):
    """Make one (input, label) pair, each of shape ``(n_timesteps,)``."""
    X, y = get_sequences(1, n_timesteps, rng)
    return X[0, :, 0], y[0, :, 0]


def flip_step(y) -> np.ndarray:
    """Index of the first 1 label in each sequence of ``y`` (last axis is time).

    ``y`` is shaped as for :func:`squeeze_features`. Sequences whose labels
    never reach 1 get the sequence length.
    """
    y = squeeze_features(y) > 0.5
    n = y.shape[-1]
    return np.where(y.any(axis=-1), y.argmax(axis=-1), n)
