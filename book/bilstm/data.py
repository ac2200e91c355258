"""The cumulative sum prediction problem, in NumPy only.

Each input sequence holds ``n_timesteps`` values drawn uniformly from [0, 1).
Its label sequence is 0 while the running sum of the inputs so far is below a
limit of ``n_timesteps / 4`` and 1 from the step where the sum reaches the limit.

:func:`get_padded_sequences` makes the same problem with sequences of different
lengths, each with the limit of its own length, padded with zeros to one
common length and returned with per-step weights (1 on real steps, 0 on
padding).
"""

from __future__ import annotations

import numbers
from typing import NamedTuple

import numpy as np

from .checks import check_positive_int, check_sample_weight
from .settings import check_choice

__all__ = [
    "Sequences",
    "cumsum_labels",
    "extend_padding",
    "flip_step",
    "PADDINGS",
    "get_padded_sequences",
    "get_sequence",
    "get_sequences",
    "limit_for",
    "make_rng",
    "squeeze_features",
]


class Sequences(NamedTuple):
    """A set of sequences: inputs ``X``, labels ``y`` and per-step weights ``w``.

    ``w`` is ``None`` when every step counts (the lesson's problem), or
    ``(n_sequences, n_timesteps)`` with 1 on the steps that count and 0 on
    padding. :func:`get_padded_sequences` returns one; :func:`bilstm.run`'s
    test set is one, and a problem's ``data`` function may return one (or a
    plain ``(X, y)`` or ``(X, y, w)`` tuple, which :meth:`of` turns into one).
    """

    X: np.ndarray
    y: np.ndarray
    w: np.ndarray | None = None

    @classmethod
    def of(cls, value, name: str = "data") -> Sequences:
        """``value`` as ``Sequences``: it may be one, or an ``(X, y[, w])`` tuple."""
        if isinstance(value, cls):
            return value
        if not isinstance(value, tuple) or len(value) not in (2, 3):
            raise ValueError(
                f"{name}(n_sequences, n_timesteps, rng) must return (X, y), "
                f"(X, y, sample_weight) or Sequences, got {type(value).__name__}"
            )
        return cls(*value)


#: Where :func:`get_padded_sequences` puts the padding: after or before.
PADDINGS = ("post", "pre")


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


def get_padded_sequences(
    n_sequences: int,
    max_timesteps: int,
    min_timesteps: int | None = None,
    padding: str = "post",
    rng=None,
):
    """Cumulative-sum sequences of different lengths, zero-padded to one length.

    Each sequence's length is drawn uniformly from ``min_timesteps`` to
    ``max_timesteps`` (both included; ``min_timesteps`` defaults to half of
    ``max_timesteps``, rounded up). Its values are uniform in [0, 1) and its
    labels are those of :func:`cumsum_labels` with the limit of *its own*
    length, a quarter of it. The sequences are then padded with zeros to
    ``max_timesteps``, after the real steps (``padding="post"``) or before
    them (``"pre"``); padded steps have input 0 and label 0.

    Returns :class:`Sequences` ``X, y, w``: inputs and labels as float32 ``(n_sequences,
    max_timesteps, 1)`` and the weights as float32 ``(n_sequences,
    max_timesteps)``, 1 on real steps and 0 on padding. The same ``rng`` gives
    the same sequences with either padding, only placed differently.
    """
    n_sequences = check_positive_int("n_sequences", n_sequences)
    max_timesteps = check_positive_int("max_timesteps", max_timesteps)
    if min_timesteps is None:
        min_timesteps = -(-max_timesteps // 2)
    min_timesteps = check_positive_int("min_timesteps", min_timesteps)
    if min_timesteps > max_timesteps:
        raise ValueError(
            f"min_timesteps must be at most max_timesteps ({max_timesteps}), "
            f"got {min_timesteps}"
        )
    check_choice("padding", padding, PADDINGS)
    gen = make_rng(rng)
    lengths = gen.integers(min_timesteps, max_timesteps + 1, size=n_sequences)
    values = gen.random((n_sequences, max_timesteps), dtype=np.float64)
    values = values.astype(np.float32)
    steps = np.arange(max_timesteps)
    real = steps < lengths[:, None]  # post-padding: real steps first
    values = np.where(real, values, np.float32(0.0))
    running = np.cumsum(values, axis=-1, dtype=np.float64)
    y = ((running >= lengths[:, None] / 4.0) & real).astype(np.float32)
    w = real.astype(np.float32)
    if padding == "pre":
        # shift each row right by its padding: row i's real steps end at the end
        shift = (steps[None, :] - (max_timesteps - lengths[:, None])) % max_timesteps
        rows = np.arange(n_sequences)[:, None]
        values, y, w = values[rows, shift], y[rows, shift], w[rows, shift]
    return Sequences(values[..., np.newaxis], y[..., np.newaxis], w)


def extend_padding(X, y, w, n_timesteps: int, padding: str = "post"):
    """Pad sequences further with zero steps, up to ``n_timesteps`` in all.

    ``X, y, w`` are as :func:`get_padded_sequences` returns them; the new
    steps (input 0, label 0, weight 0) go after the existing ones with
    ``padding="post"`` or before them with ``"pre"``. The real steps are
    unchanged, so a model that ignores padding scores the same on both.
    Returns :class:`Sequences`.
    """
    X, y = np.asarray(X, np.float32), np.asarray(y, np.float32)
    w = check_sample_weight(w, X.shape)
    n_timesteps = check_positive_int("n_timesteps", n_timesteps)
    if n_timesteps < X.shape[1]:
        raise ValueError(
            f"n_timesteps must be at least the sequences' length {X.shape[1]}, "
            f"got {n_timesteps}"
        )
    check_choice("padding", padding, PADDINGS)
    extra = n_timesteps - X.shape[1]
    where = (0, extra) if padding == "post" else (extra, 0)
    widths = [(0, 0), where]
    return Sequences(
        np.pad(X, widths + [(0, 0)] * (X.ndim - 2)),
        np.pad(y, widths + [(0, 0)] * (y.ndim - 2)),
        np.pad(w, widths),
    )


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
