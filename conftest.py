"""Hooks for every test item, the notebooks' nbval cells included.

They live here, at the repository's root, because pytest calls a conftest's
``pytest_runtest_*`` hooks only for items in or below the conftest's folder:
in ``tests/conftest.py`` they never saw ``book/*.ipynb``.
"""

import os

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

    ``bilstm.setup()`` in ``tests/conftest.py`` put the cache folder into
    this process's ``TF_XLA_FLAGS``, and a kernel inherits the environment.
    nbval starts a notebook's kernel while setting up its first cell, so the
    variable is left out for that moment: the kernel's own ``bilstm.setup()``
    then chooses the same folder and prints what a reader's kernel prints
    ("compiled programs cached on disk") instead of "cached where
    TF_XLA_FLAGS says".
    """
    if item.path.suffix != ".ipynb" or "TF_XLA_FLAGS" not in os.environ:
        return (yield)
    flags = os.environ.pop("TF_XLA_FLAGS")
    try:
        return (yield)
    finally:
        os.environ["TF_XLA_FLAGS"] = flags
