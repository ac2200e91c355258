"""Make a run repeatable: seed Python, NumPy and Keras, and name the random streams."""

from __future__ import annotations

from . import _env  # noqa: F401

import contextlib
import importlib
import random

import keras
import numpy as np

from .data import check_positive_int

__all__ = ["set_seed", "seeded", "stream", "STREAMS"]

#: The independent random streams of one run with seed ``s``:
#: ``numpy.random.default_rng((s, STREAMS[name]))``.
STREAMS = {"train": 1, "test": 2, "shuffle": 3, "examples": 4}


def set_seed(seed: int = 0) -> int:
    """Seed Python's ``random``, NumPy's global generator and Keras/TensorFlow.

    Weight initialisation, shuffling and sequence generation that rely on the
    global generators then repeat exactly from run to run. Returns the seed.
    """
    seed = check_positive_int("seed", seed, minimum=0)
    keras.utils.set_random_seed(seed)
    return seed


def stream(seed: int, name: str) -> np.random.Generator:
    """The generator of one of a run's random streams (see :data:`STREAMS`).

    Each stream depends only on the seed and its name, so the training
    sequences of seed 3 are the same whatever the run's other settings, and
    drawing more test sequences never changes the training ones.
    """
    if name not in STREAMS:
        raise ValueError(f"stream must be one of {', '.join(STREAMS)}; got {name!r}")
    seed = check_positive_int("seed", seed, minimum=0)
    return np.random.default_rng((seed, STREAMS[name]))


@contextlib.contextmanager
def seeded(seed: int):
    """Seed everything for one run, and keep other threads out of its weights.

    Calls :func:`set_seed`, then, for the duration of the ``with`` block, draws
    Keras's default seeds from a private ``random.Random(seed)``. Keras gives
    every initializer and layer created without a seed one drawn from Python's
    global ``random`` generator; other threads of the process may draw from it
    too (a Dask worker does, to size up task results), and each of their draws
    would change the weights a model starts from. The private generator gives
    exactly the seeds a quiet process gets from the global one, whatever other
    threads do. Only ``make_default_seed`` (Keras's one use of ``random`` when
    building models) sees it; if Keras's layout ever differs, the block just
    runs with the global generator.
    """
    set_seed(seed)
    try:
        module = importlib.import_module("keras.src.random.seed_generator")
    except ImportError:
        module = None
    if module is None or getattr(module, "python_random", None) is not random:
        yield
        return
    module.python_random = random.Random(seed)
    try:
        yield
    finally:
        module.python_random = random
