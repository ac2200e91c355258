"""The committed notebooks are executed, complete, and what the code produces.

The book is rendered from the outputs saved in its notebooks, so each must be
fully executed, every widget it displays must have saved state (else the HTML
shows a blank box), and nothing it was executed from may have changed since:
its code cells, the package files it used, the benchmark results it read.
``python tools/execute.py --stale`` mends what these tests find.
"""

import copy
import json
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
import nbstate  # noqa: E402

NOTEBOOKS = sorted((ROOT / "book").glob("*.ipynb"))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_outputs_come_from_its_current_code(path):
    assert nbstate.problems(path) == [], "run: python tools/execute.py " + str(
        path.relative_to(ROOT)
    )


def _notebook():
    return json.loads(NOTEBOOKS[0].read_text())


def test_an_unexecuted_cell_is_found():
    nb = _notebook()
    cell = next(c for c in nbstate.code_cells(nb) if "".join(c["source"]).strip())
    cell["execution_count"] = None
    assert nbstate.unexecuted_cells(nb) != []


def test_a_widget_view_without_state_is_found():
    nb = _notebook()
    view = {"model_id": "no-such-model", "version_major": 2, "version_minor": 0}
    nbstate.code_cells(nb)[0].setdefault("outputs", []).append(
        {
            "output_type": "display_data",
            "metadata": {},
            "data": {nbstate.WIDGET_VIEW: view},
        }
    )
    assert nbstate.widget_views_without_state(nb) == ["no-such-model"]


def test_a_code_change_or_a_package_change_is_found(tmp_path):
    nb = _notebook()
    recorded = nb["metadata"][nbstate.KEY]
    assert recorded["code"] == nbstate.code_digest(nb)
    changed = copy.deepcopy(nb)
    nbstate.code_cells(changed)[0]["source"] += ["\n# edited"]
    assert nbstate.code_digest(changed) != recorded["code"]

    # a fingerprint of the files as they are now, with one digest spoiled
    files = [nbstate.ROOT / name for name in recorded["sources"]]
    changed = copy.deepcopy(nb)
    changed["metadata"][nbstate.KEY] = nbstate.fingerprint(nb, files)
    name = next(iter(recorded["sources"]))
    changed["metadata"][nbstate.KEY]["sources"][name] = "0" * 64
    path = tmp_path / "edited.ipynb"
    path.write_text(json.dumps(changed))
    assert nbstate.problems(path) == [f"{name} changed since it was executed"]


def test_a_docstring_or_comment_edit_leaves_the_digest_a_code_edit_changes_it(
    tmp_path,
):
    code = 'def f(x):\n    """Twice x."""\n    return 2 * x  # doubled\n'
    same = 'def f(x):\n    """Two times x, reworded."""\n\n    return 2 * x\n'
    different = 'def f(x):\n    """Twice x."""\n    return 3 * x  # doubled\n'
    digests = []
    for i, text in enumerate((code, same, different)):
        path = tmp_path / f"m{i}.py"
        path.write_text(text)
        digests.append(nbstate.file_digest(path))
    assert digests[0] == digests[1] != digests[2]


def test_every_notebook_depends_on_requirements_txt():
    for path in NOTEBOOKS:
        nb = json.loads(path.read_text())
        assert "requirements.txt" in nb["metadata"][nbstate.KEY]["sources"], path.name


def test_prose_that_refers_to_an_unglued_name_is_found():
    nb = _notebook()
    glued = sorted(nbstate.glued_keys(nb))
    assert glued, "the first notebook glues its numbers"
    nb["cells"].append(
        {
            "cell_type": "markdown",
            "metadata": {},
            "source": [
                f"Both {{glue:text}}`{glued[0]}:.2f` and ",
                "{glue:text}`no_such_name` appear.",
            ],
        }
    )
    assert nbstate.unglued_references(nb) == ["no_such_name"]


def test_a_name_pasted_from_another_notebook_is_looked_up_there():
    """``{glue:text}`other.ipynb::key``` needs ``key`` in other.ipynb's outputs."""
    book = nbstate.ROOT / "book"
    real_words = json.loads((book / "real_words.ipynb").read_text())
    key = sorted(nbstate.glued_keys(real_words))[0]
    nb = {
        "cells": [
            {
                "cell_type": "markdown",
                "metadata": {},
                "source": [
                    f"{{glue:text}}`real_words.ipynb::{key}:.1%` is there, ",
                    "{glue:text}`real_words.ipynb::no_such_name` is not, ",
                    f"and {{glue:text}}`no_such_book.ipynb::{key}` is not either.",
                ],
            }
        ]
    }
    assert nbstate.unglued_references(nb, book) == [
        f"no_such_book.ipynb::{key}",
        "real_words.ipynb::no_such_name",
    ]


def test_a_solution_whose_code_only_sits_in_its_text_is_found():
    """Every exercise solution's code is a code cell, so nbval runs it."""
    nb = _notebook()
    assert nbstate.solutions_with_unrun_code(nb) == []
    nb["cells"].append(
        {
            "cell_type": "markdown",
            "metadata": {},
            "source": [
                "````{solution} some-exercise\n",
                ":class: dropdown\n",
                "\n",
                "```python\n",
                "print(no_such_function())\n",
                "```\n",
                "````\n",
                "```{solution} prose-only\n",
                "Words, and `inline code`, run nothing.\n",
                "```\n",
            ],
        }
    )
    assert nbstate.solutions_with_unrun_code(nb) == ["some-exercise"]


def test_a_python_files_digest_does_not_depend_on_the_python_version(tmp_path):
    """ast.dump differs between 3.11, 3.12 and 3.13; the digest may not."""
    source = tmp_path / "m.py"
    source.write_text('"""Doc."""\n\n\ndef f(x, *, y=1):\n    return x + y  # note\n')
    assert nbstate.file_digest(source) == (
        "cfa8f15f2028ce98fe5786b258de02e66f1f646c7b3ef2bbaa67db8fa615fdc8"
    )
