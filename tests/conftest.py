"""Shared fixtures. bilstm.setup() first: TensorFlow quiet, one thread, cached.

The hooks that concern the notebooks live in the repository's root
``conftest.py``: a hook here would apply only to items under ``tests/``.
"""

import os

import bilstm

# The whole test run compiles more programs than a reader's default cache
# holds (1 GiB); a cache smaller than what a run uses would miss on every run.
os.environ.setdefault("BILSTM_XLA_CACHE_MB", "4096")
bilstm.setup(verbose=False)
import pytest


@pytest.fixture(scope="session")
def lesson_example():
    """The lesson's worked example: ten inputs and the labels it gives them."""
    X = [0.631, 0.294, 0.916, 0.952, 0.322, 0.607, 0.839, 0.180, 0.848, 0.292]
    y = [0, 0, 0, 1, 1, 1, 1, 1, 1, 1]
    return X, y
