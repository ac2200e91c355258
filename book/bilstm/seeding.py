"""One call that makes a run repeatable: seed Python, NumPy and Keras."""

from __future__ import annotations

from . import _env  # noqa: F401

import keras

from .data import check_positive_int

__all__ = ["set_seed"]


def set_seed(seed: int = 0) -> int:
    """Seed Python's ``random``, NumPy's global generator and Keras/TensorFlow.

    Weight initialisation, shuffling and sequence generation that rely on the
    global generators then repeat exactly from run to run. Returns the seed.
    """
    seed = check_positive_int("seed", seed, minimum=0)
    keras.utils.set_random_seed(seed)
    return seed
