"""What a committed notebook was executed from, and whether that still holds.

The book is built from the outputs committed in its notebooks (the build
executes nothing), so those outputs must be what the current code produces.
``tools/execute.py`` re-executes notebooks and records, in each notebook's
metadata under ``bilstm``, a fingerprint of what produced its outputs:

- ``code``: a SHA-256 of the notebook's code cells, in order;
- ``sources``: a SHA-256 of every file of the ``bilstm`` package the kernel had
  loaded when the notebook finished (every file of the package for a notebook
  that runs the command line in a subprocess), of every file under
  ``benchmarks/results/`` that the code names, and of ``requirements.txt``
  (another TensorFlow or NumPy can change the outputs).

A Python file's digest is of its syntax tree without docstrings, so editing a
docstring or a comment, or reformatting, does not make a notebook stale;
changing what the code does does. Other files are hashed byte for byte.

:func:`problems` compares a notebook with its fingerprint and with its saved
widget state; ``tests/test_notebooks_executed.py`` calls it for every chapter.
"""

from __future__ import annotations

import ast
import hashlib
import json
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "book" / "bilstm"
RESULTS = ROOT / "benchmarks" / "results"
REQUIREMENTS = ROOT / "requirements.txt"
KEY = "bilstm"
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"
# Code that runs ``python -m bilstm`` in a subprocess depends on the package
# files that process loads, which the kernel never sees: count all of them.
RUNS_COMMAND = ('"-m", "bilstm"', "'-m', 'bilstm'")


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


DOCUMENTED = ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef


def _without_docstrings(tree: ast.AST) -> ast.AST:
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if isinstance(node, DOCUMENTED) and body:
            first = body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                if isinstance(first.value.value, str):
                    node.body = body[1:] or [ast.Pass()]
    return tree


def file_digest(path: Path) -> str:
    """A SHA-256 of what a file means to the code that reads it.

    For Python, the syntax tree without docstrings (comments and layout never
    reach the tree); for anything else, the bytes.
    """
    data = Path(path).read_bytes()
    if Path(path).suffix != ".py":
        return _sha(data)
    tree = _without_docstrings(ast.parse(data))
    return _sha(_canonical(tree).encode())


def _canonical(node) -> str:
    """The tree as text, the same on Python 3.11 to 3.13.

    ``ast.dump`` is not: 3.12 added fields (``type_params``) and 3.13 dumps
    empty ones differently, so every digest changed with the Python. Fields
    that are empty or None are left out, which is what a new field is in code
    that does not use it.
    """
    if isinstance(node, ast.AST):
        fields = [
            f"{name}={_canonical(value)}"
            for name, value in ast.iter_fields(node)
            if value is not None and value != []
        ]
        return f"{type(node).__name__}({','.join(fields)})"
    if isinstance(node, list):
        return "[" + ",".join(_canonical(item) for item in node) + "]"
    return repr(node)


def code_cells(nb: dict) -> list[dict]:
    return [c for c in nb["cells"] if c["cell_type"] == "code"]


def _source(cell: dict) -> str:
    src = cell["source"]
    return src if isinstance(src, str) else "".join(src)


def code_digest(nb: dict) -> str:
    """A SHA-256 of the notebook's code cells (their text, in order)."""
    joined = "\n\x00\n".join(_source(c) for c in code_cells(nb))
    return _sha(joined.encode())


def relative(path: Path) -> str:
    return path.resolve().relative_to(ROOT).as_posix()


def source_files(nb: dict, loaded: list[str]) -> list[Path]:
    """The files whose contents a notebook's outputs depend on.

    ``loaded`` lists the package files the kernel had imported at the end.
    """
    code = "\n".join(_source(c) for c in code_cells(nb))
    files = {Path(p).resolve() for p in loaded}
    if any(marker in code for marker in RUNS_COMMAND):
        files |= {p.resolve() for p in PACKAGE.rglob("*.py")}
    if RESULTS.is_dir():
        files |= {p.resolve() for p in RESULTS.iterdir() if p.name in code}
    files.add(REQUIREMENTS.resolve())
    return sorted(f for f in files if f.is_file())


def fingerprint(nb: dict, files: list[Path]) -> dict:
    return {
        "code": code_digest(nb),
        "sources": {relative(f): file_digest(f) for f in files},
    }


def unexecuted_cells(nb: dict) -> list[int]:
    """Indices (among code cells) of non-empty code cells that never ran."""
    return [
        i
        for i, c in enumerate(code_cells(nb))
        if _source(c).strip() and c.get("execution_count") is None
    ]


def widget_views_without_state(nb: dict) -> list[str]:
    """Model ids that an output displays but the saved widget state lacks."""
    state = nb["metadata"].get("widgets", {}).get(WIDGET_STATE, {}).get("state", {})
    missing = []
    for cell in code_cells(nb):
        for out in cell.get("outputs", []):
            view = out.get("data", {}).get(WIDGET_VIEW)
            if view is not None and view["model_id"] not in state:
                missing.append(view["model_id"])
    return missing


#: A glue role's target: an optional other notebook (``doc.ipynb::``), then the key.
GLUE_ROLE = re.compile(r"\{glue(?::\w+)?\}`(?:([^`:]+)::)?([^`:]+)(?::[^`]*)?`")


def glued_keys(nb: dict) -> set[str]:
    """The names the notebook's outputs glue (myst-nb's scrapbook metadata)."""
    return {
        out["metadata"]["scrapbook"]["name"]
        for cell in code_cells(nb)
        for out in cell.get("outputs", [])
        if "scrapbook" in out.get("metadata", {})
    }


def unglued_references(nb: dict, folder: Path | None = None) -> list[str]:
    """Glue names the prose refers to that no output glues (a build warning).

    A name pasted from another notebook (``{glue:text}`other.ipynb::key```) is
    looked up in that notebook's outputs, found from ``folder`` (the notebook's
    own folder); it is reported as ``other.ipynb::key``.
    """
    glued = {None: glued_keys(nb)}
    missing = set()
    for cell in nb["cells"]:
        if cell["cell_type"] != "markdown":
            continue
        for doc, key in GLUE_ROLE.findall(_source(cell)):
            doc = doc or None
            if doc not in glued:
                other = Path(folder or ".") / doc
                glued[doc] = (
                    glued_keys(json.loads(other.read_text()))
                    if other.is_file()
                    else set()
                )
            if key not in glued[doc]:
                missing.add(f"{doc}::{key}" if doc else key)
    return sorted(missing)


SOLUTION = re.compile(r"^(`{3,}|:{3,})\{solution\}\s+(\S+)\n(.*?)^\1\s*$", re.S | re.M)
CODE_FENCE = re.compile(r"^`{3,}\s*(python|py|ipython3?)\s*$", re.M)


def solutions_with_unrun_code(nb: dict) -> list[str]:
    """Labels of ``{solution}`` directives that show Python code in their text.

    Such code is only printed: nbval never runs it, so it can break against
    the package unseen. A solution with code is written as a gated solution
    instead (``{solution-start}``, code cells, ``{solution-end}``), whose code
    cells run with the rest of the notebook.
    """
    return [
        match.group(2)
        for cell in nb["cells"]
        if cell["cell_type"] == "markdown"
        for match in SOLUTION.finditer(_source(cell))
        if CODE_FENCE.search(match.group(3))
    ]


def problems(path: Path) -> list[str]:
    """Everything that says the committed outputs are not the code's; [] if none."""
    nb = json.loads(Path(path).read_text())
    found = []
    cells = unexecuted_cells(nb)
    if cells:
        found.append(f"code cells {cells} have not been executed")
    views = widget_views_without_state(nb)
    if views:
        found.append(f"{len(views)} widget views have no saved state (blank in HTML)")
    unglued = unglued_references(nb, Path(path).parent)
    if unglued:
        found.append(f"the prose refers to names no output glues: {unglued}")
    printed = solutions_with_unrun_code(nb)
    if printed:
        found.append(f"solutions whose code no cell runs (gate them): {printed}")
    recorded = nb["metadata"].get(KEY)
    if not recorded:
        return found + ["no execution fingerprint: run tools/execute.py on it"]
    if recorded["code"] != code_digest(nb):
        found.append("its code cells changed since it was executed")
    for name, digest in recorded["sources"].items():
        file = ROOT / name
        if not file.is_file():
            found.append(f"{name} (used when it was executed) no longer exists")
        elif file_digest(file) != digest:
            found.append(f"{name} changed since it was executed")
    return found
