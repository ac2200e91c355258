"""The argument checks every layer shares: a clear ``ValueError`` or the value.

Each check says what was wrong and what is allowed. They read shapes and
types only (NumPy, and ``model.input_shape``/``output_shape``), so they sit
under every other module but :mod:`bilstm.settings` (which holds
``check_choice`` beside the settings' choices).
"""

from __future__ import annotations

import numbers

import numpy as np

__all__ = [
    "check_dicts",
    "check_positive_int",
    "check_sample_weight",
    "check_seeds",
    "check_x",
    "check_xy",
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


def check_dicts(value, name: str, item: str) -> list:
    """``value`` as a list of dicts (``name`` the list, ``item`` one of them).

    A single dict, or anything but a list or tuple, is refused: the usual slip
    is to pass one setting or one row where a list of them is wanted.
    """
    if isinstance(value, dict) or not isinstance(value, (list, tuple)):
        raise ValueError(
            f"{name} must be a list of {item} dicts, got {type(value).__name__}"
        )
    for i, entry in enumerate(value):
        if not isinstance(entry, dict):
            raise ValueError(f"{item} {i} must be a dict, got {type(entry).__name__}")
    return list(value)


def check_seeds(seeds) -> list[int]:
    """``seeds`` as a non-empty list of distinct whole numbers >= 0."""
    if isinstance(seeds, (numbers.Integral, str)) or not hasattr(seeds, "__iter__"):
        raise ValueError(f"seeds must be a list of whole numbers >= 0, got {seeds!r}")
    seeds = [check_positive_int("seed", s, minimum=0) for s in seeds]
    if not seeds:
        raise ValueError("seeds must hold at least one seed")
    if len(set(seeds)) != len(seeds):
        raise ValueError(f"seeds must be distinct, got {seeds}")
    return seeds


def check_x(model, X) -> np.ndarray:
    """Check that inputs ``X`` fit ``model``; return them as an array.

    ``X`` must be shaped like the model's input and hold at least one
    sequence. For the lesson's models that is ``(n_sequences, n_timesteps,
    1)``, returned as float32. A model whose input is ``(None,)`` or
    ``(n_timesteps,)`` per sequence (token indices, read by an ``Embedding``)
    takes a 2-D ``(n_sequences, n_timesteps)`` array; whole numbers are
    returned as int32, anything else as float32. A ``None`` time dimension
    accepts sequences of any length. Only ``model.input_shape`` is read, so
    this needs no Keras.
    """
    expected = tuple(model.input_shape[1:])
    X = np.asarray(X)
    integer = len(expected) == 1 and (
        np.issubdtype(X.dtype, np.integer) or np.issubdtype(X.dtype, np.bool_)
    )
    X = X.astype(np.int32 if integer else np.float32, copy=False)
    fits = X.ndim == 1 + len(expected) and all(
        want is None or got == want
        for got, want in zip(X.shape[1:], expected, strict=True)
    )
    if not fits:
        steps = "n_timesteps" if expected[0] is None else expected[0]
        shape = ", ".join(["n_sequences", str(steps), *map(str, expected[1:])])
        length = "any" if expected[0] is None else expected[0]
        raise ValueError(
            f"X must have shape ({shape}) for this model (sequence length "
            f"{length}), got {X.shape}"
        )
    if len(X) == 0:
        raise ValueError("X must hold at least one sequence")
    if X.shape[1] == 0:
        raise ValueError("X must hold at least one time step")
    return X


def check_xy(model, X, y):
    """Check that ``X`` and ``y`` fit ``model``; return them as arrays.

    ``X`` as :func:`check_x` returns it (float32, or int32 token
    indices for a model with 2-D input). ``y`` is float32: one label per step,
    ``(n_sequences, n_timesteps, 1)``, for a model that labels every step (an
    output of shape ``(None, n_timesteps, 1)``, as the lesson's), or one label
    per sequence, ``(n_sequences, k)``, for a model whose output is ``(None,
    k)`` (``return_sequences=False``).
    """
    X = check_x(model, X)
    y = np.asarray(y, dtype=np.float32)
    output = tuple(model.output_shape)
    want = X.shape[:2] + (1,) if len(output) == 3 else (len(X), output[-1])
    if y.shape != want:
        what = "one label per step" if len(output) == 3 else "one label per sequence"
        raise ValueError(
            f"y must have shape {want} to match X and the model's output "
            f"{output} ({what}), got {y.shape}"
        )
    return X, y


def check_sample_weight(sample_weight, shape) -> np.ndarray:
    """Weights for the labels of sequences of ``shape``, as a float32 array.

    Per step: ``shape`` starts ``(n_sequences, n_timesteps)`` (``X.shape``
    does), and ``sample_weight`` is ``(n_sequences, n_timesteps)`` (or with a
    trailing axis of 1): 1 on the steps that count, 0 on padding. Per
    sequence, for a model with one label per sequence: ``shape`` is
    ``(n_sequences,)`` and so is ``sample_weight``. The weights must be finite
    and never negative. Returns them shaped ``shape[:2]``.
    """
    want = tuple(shape[:2])
    w = np.asarray(sample_weight, dtype=np.float32)
    if w.ndim == len(want) + 1 and w.shape[-1] == 1:
        w = w[..., 0]
    if w.shape != want:
        what = (
            "one weight per step of every sequence"
            if len(want) == 2
            else "one weight per sequence"
        )
        raise ValueError(f"sample_weight must have shape {want}: {what}, got {w.shape}")
    if not np.all(np.isfinite(w)) or np.any(w < 0):
        raise ValueError("sample_weight must be finite and >= 0 (0 on padding)")
    return w
