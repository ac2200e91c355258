"""Shared fixtures. bilstm.setup() first: TensorFlow quiet, one thread, cached."""

import os

import bilstm

bilstm.setup(verbose=False)
import pytest


def pytest_collection_modifyitems(config, items):
    """Mark every nbval item (a notebook cell) ``notebooks``.

    ``pytest -m "not notebooks"`` then leaves the book's notebooks out: nbval
    only reads them at collection and starts a kernel when a cell first runs,
    so deselected notebooks cost next to nothing.
    """
    for item in items:
        if item.path.suffix == ".ipynb":
            item.add_marker(pytest.mark.notebooks)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_setup(item):
    """Start each notebook's kernel without this process's ``TF_XLA_FLAGS``.

    ``bilstm.setup()`` above put the cache folder into this process's
    ``TF_XLA_FLAGS``, and a kernel inherits the environment. nbval starts a
    notebook's kernel while setting up its first cell, so the variable is left
    out for that moment: the kernel's own ``bilstm.setup()`` then chooses the
    same folder and prints what a reader's kernel prints ("compiled programs
    cached on disk") instead of "cached where TF_XLA_FLAGS says".
    """
    if item.path.suffix != ".ipynb" or "TF_XLA_FLAGS" not in os.environ:
        return (yield)
    flags = os.environ.pop("TF_XLA_FLAGS")
    try:
        return (yield)
    finally:
        os.environ["TF_XLA_FLAGS"] = flags


@pytest.fixture(scope="session")
def lesson_example():
    """The lesson's worked example: ten inputs and the labels it gives them."""
    X = [0.631, 0.294, 0.916, 0.952, 0.322, 0.607, 0.839, 0.180, 0.848, 0.292]
    y = [0, 0, 0, 1, 1, 1, 1, 1, 1, 1]
    return X, y
