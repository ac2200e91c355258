"""Re-execute the book's notebooks in place, keeping their widget state.

The book is built from the outputs committed in its notebooks, and ``pytest``
(nbval) checks that they still come out the same. Whenever a notebook's code,
or package code it uses, changes, re-execute it with this command from the
repository root, in the book's virtual environment::

    python tools/execute.py book/04_fit.ipynb book/05_evaluate.ipynb
    python tools/execute.py --stale      # every notebook whose inputs changed
    python tools/execute.py --all        # every notebook of the book
    python tools/execute.py --check      # list stale notebooks, execute nothing

Each notebook runs top to bottom in a fresh kernel of this Python (the one
``pytest --nbval-current-env`` uses), in ``book/`` as its working directory,
with a per-cell timeout. Outputs, execution counts and the widget state that
the HTML pages draw are written back; so is the fingerprint that
``tests/test_notebooks_executed.py`` checks (see ``tools/nbstate.py``), and
the seconds the notebook took, by which ``conftest.py`` orders the test run. A
notebook whose cell raises is left unchanged on disk and the command exits 1.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

sys.path.insert(0, str(Path(__file__).resolve().parent))
import nbstate  # noqa: E402

BOOK = nbstate.ROOT / "book"
CELL_TIMEOUT = 1200  # seconds; the longest cell (a sweep) takes a few minutes
_LOADED = (
    "import sys as _s, json as _j\n"
    "print(_j.dumps(sorted({getattr(m, '__file__', None) or '' for n, m in "
    "list(_s.modules.items()) if n == 'bilstm' or n.startswith('bilstm.')})))"
)


def book_notebooks() -> list[Path]:
    return sorted(BOOK.glob("*.ipynb"))


def execute(path: Path) -> float:
    """Execute one notebook in place; return the seconds it took."""
    nb = nbformat.read(path, as_version=4)
    probe = nbformat.v4.new_code_cell(_LOADED)
    nb.cells.append(probe)
    client = NotebookClient(
        nb,
        timeout=CELL_TIMEOUT,
        kernel_name="python3",
        resources={"metadata": {"path": str(path.parent)}},
        store_widget_state=True,
        record_timing=False,
    )
    start = time.perf_counter()
    client.execute()
    seconds = time.perf_counter() - start
    nb.cells.pop()
    loaded = json.loads("".join(o["text"] for o in probe.outputs if "text" in o))
    files = nbstate.source_files(nb, [p for p in loaded if p])
    for cell in nb.cells:
        cell.metadata.pop("execution", None)  # timestamps: noise in every diff
    nb.metadata[nbstate.KEY] = nbstate.fingerprint(nb, files)
    # How long it ran: the test run starts the longest notebooks first.
    nb.metadata[nbstate.KEY]["seconds"] = round(seconds)
    nbformat.write(nb, path)
    return seconds


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        prog="python tools/execute.py",
        description="Re-execute notebooks in place (outputs and widget state).",
    )
    parser.add_argument("notebooks", nargs="*", type=Path, help="notebooks to run")
    which = parser.add_mutually_exclusive_group()
    which.add_argument("--all", action="store_true", help="every book notebook")
    which.add_argument(
        "--stale", action="store_true", help="every notebook whose inputs changed"
    )
    which.add_argument(
        "--check", action="store_true", help="list stale notebooks; run nothing"
    )
    args = parser.parse_args(argv)
    if args.notebooks and (args.all or args.stale or args.check):
        parser.error("name notebooks, or give --all, --stale or --check, not both")
    for nb in args.notebooks:
        if nb.suffix != ".ipynb" or not nb.is_file():
            parser.error(f"{nb} is not a notebook file")

    if args.check or args.stale:
        stale = {}
        for nb in book_notebooks():
            found = nbstate.problems(nb)
            if found:
                stale[nb] = found
                print(f"{nbstate.relative(nb)}: " + "; ".join(found))
        if args.check:
            print(f"{len(stale)} of {len(book_notebooks())} notebooks are stale")
            return 1 if stale else 0
        todo = list(stale)
    elif args.all:
        todo = book_notebooks()
    elif args.notebooks:
        todo = args.notebooks
    else:
        parser.error("name notebooks, or give --all, --stale or --check")

    failed = []
    for nb in todo:
        print(f"{nbstate.relative(nb)} ...", end=" ", flush=True)
        try:
            seconds = execute(nb)
        except CellExecutionError as error:
            print("FAILED (left unchanged)")
            print(str(error)[-3000:], file=sys.stderr)
            failed.append(nb)
            continue
        print(f"{seconds:.0f} s")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
