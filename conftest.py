"""Hooks for every test item, the notebooks' nbval cells included.

They live here, at the repository's root, so that they see ``book/*.ipynb``
as well as ``tests/``: pytest calls a conftest's per-item hooks only for items
in or below the conftest's folder.

A notebook's kernel inherits ``TF_XLA_FLAGS`` from this process, whose
``bilstm.setup()`` (in ``tests/conftest.py``) named its cache folder there; the
kernel's own ``setup()`` recognises the folder as its own and prints what a
reader's kernel prints ("compiled programs cached on disk").
"""

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
