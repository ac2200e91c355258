"""Make a run repeatable: seed Python, NumPy and Keras, and name the random streams."""

from __future__ import annotations

import contextlib
import threading

import numpy as np

from .checks import check_positive_int
from .settings import check_choice

__all__ = ["set_seed", "seeded", "stream", "building_lock", "STREAMS"]

#: The independent random streams of one run with seed ``s``:
#: ``numpy.random.default_rng((s, STREAMS[name]))``. (The initial weights of
#: the package's models have a stream of their own, :func:`bilstm.model.initializers`.)
STREAMS = {"train": 1, "test": 2, "shuffle": 3, "examples": 4}

_BUILDING = threading.RLock()


def set_seed(seed: int = 0) -> int:
    """Seed Python's ``random``, NumPy's global generator and Keras/TensorFlow.

    Weight initialisation, shuffling and sequence generation that rely on the
    global generators then repeat exactly from run to run. Returns the seed.
    """
    import keras

    seed = check_positive_int("seed", seed, minimum=0)
    keras.utils.set_random_seed(seed)
    return seed


def stream(seed: int, name: str) -> np.random.Generator:
    """The generator of one of a run's random streams (see :data:`STREAMS`).

    Each stream depends only on the seed and its name, so the training
    sequences of seed 3 are the same whatever the run's other settings, and
    drawing more test sequences never changes the training ones.
    """
    check_choice("stream", name, tuple(STREAMS))
    seed = check_positive_int("seed", seed, minimum=0)
    return np.random.default_rng((seed, STREAMS[name]))


def building_lock():
    """The lock the package holds while it makes Keras layers.

    Keras gives every layer and initializer made without a seed one drawn
    from Python's global ``random``. Whoever makes layers from the global
    seed holds this lock, so that two threads of the package never interleave
    their draws: :func:`seeded` (a run's model) and the fast trainer's worker
    copies (:class:`bilstm.programs.Program`). Re-entrant.
    """
    return _BUILDING


@contextlib.contextmanager
def seeded(seed: int):
    """Build a run's model inside this block: seeded, one thread at a time.

    Holds :func:`building_lock` and calls :func:`set_seed`, so a ``build``
    function that leaves Keras to seed its weights gets the same ones every
    time for one seed. Only building belongs inside; training happens after
    the block, so another run may build while this one trains. The package's
    own models do not need the block to repeat: :func:`bilstm.build_model`
    with ``seed=`` seeds every initializer explicitly, so even code outside
    the package that draws from Python's ``random`` in another thread cannot
    change them.
    """
    with _BUILDING:
        set_seed(seed)
        yield
