"""Hooks for every test item, the notebooks' nbval cells included.

They live here, at the repository's root, so that they see ``book/*.ipynb``
as well as ``tests/``: pytest calls a conftest's per-item hooks only for items
in or below the conftest's folder.

A notebook's kernel inherits ``TF_XLA_FLAGS`` from this process, whose
``bilstm.setup()`` (in ``tests/conftest.py``) named its cache folder there; the
kernel's own ``setup()`` recognises the folder as its own and prints what a
reader's kernel prints ("compiled programs cached on disk").
"""

import json

import pytest

#: Estimated seconds: a test file with slow or browser tests (a browser, a
#: subprocess, a fixture that trains) costs SLOW_FILE_SECONDS, plus each such
#: test SLOW_TEST_SECONDS and any other TEST_SECONDS; a notebook costs the
#: time ``tools/execute.py`` recorded. Only the order depends on them.
SLOW_FILE_SECONDS, SLOW_TEST_SECONDS, TEST_SECONDS = 30.0, 2.0, 0.2
NOTEBOOK_SECONDS = 60.0  # a notebook executed before the time was recorded


def _notebook_seconds(path) -> float:
    metadata = json.loads(path.read_text(encoding="utf-8")).get("metadata", {})
    return float(metadata.get("bilstm", {}).get("seconds", NOTEBOOK_SECONDS))


def _scope(item) -> str:
    return item.nodeid.split("::", 1)[0]  # a file: what --dist=loadscope sends


def pytest_collection_modifyitems(config, items):
    """Mark every nbval item (a notebook cell) ``notebooks``; longest files first.

    ``pytest -m "not notebooks"`` then leaves the book's notebooks out: nbval
    only reads them at collection and starts a kernel when a cell first runs,
    so deselected notebooks cost next to nothing.

    The two workers (``--numprocesses=2 --dist=loadscope``) take whole files,
    in this order, each as it finishes the last (``--no-loadscope-reorder``
    keeps the order). Longest first, shortest last, leaves neither worker
    idle at the end while the other runs a long notebook.
    """
    seconds, slow_files = {}, set()
    for item in items:
        scope = _scope(item)
        if item.path.suffix == ".ipynb":
            item.add_marker(pytest.mark.notebooks)
            if scope not in seconds:
                seconds[scope] = _notebook_seconds(item.path)
            continue
        slow = item.get_closest_marker("slow") or item.get_closest_marker("browser")
        cost = SLOW_TEST_SECONDS if slow else TEST_SECONDS
        if slow and scope not in slow_files:
            slow_files.add(scope)
            cost += SLOW_FILE_SECONDS
        seconds[scope] = seconds.get(scope, 0.0) + cost
    first = {}
    for i, item in enumerate(items):
        first.setdefault(_scope(item), i)
    items.sort(key=lambda item: (-seconds[_scope(item)], first[_scope(item)]))
