"""The book's configuration keeps its promises: rendered as committed, offline."""

import json
import re
import subprocess
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
CONFIG = yaml.safe_load((ROOT / "_config.yml").read_text())
TOC = yaml.safe_load((ROOT / "_toc.yml").read_text())
NOTEBOOKS = sorted((ROOT / "book").glob("*.ipynb")) + [
    ROOT / "app" / "playground.ipynb"
]


def _toc_files():
    files = []
    for part in TOC.get("parts", []):
        files += [chapter["file"] for chapter in part["chapters"]]
    return files


def test_build_renders_committed_outputs_and_executes_nothing():
    # The notebooks are committed executed; nbval re-executes them in the tests
    # and tests/test_notebooks_executed.py checks they are current.
    execute = CONFIG["execute"]
    assert execute["execute_notebooks"] == "off"
    assert execute["stderr_output"] == "remove"  # TensorFlow logs never reach a page


def test_pages_load_no_javascript_from_other_hosts():
    sphinx = CONFIG["sphinx"]["config"]
    scripts = list(sphinx["nb_ipywidgets_js"])
    assert scripts == ["widgets/require.js", "widgets/setup.js", "widgets/embed-amd.js"]
    assert "://" not in sphinx["mathjax_path"]
    launch = CONFIG["launch_buttons"]
    assert launch["thebe"] is False
    assert not any(
        launch[key] for key in ("binderhub_url", "jupyterhub_url", "colab_url")
    )


def test_widget_javascript_is_pinned_not_committed():
    package = json.loads((ROOT / "package.json").read_text())
    deps = package["dependencies"]
    assert re.fullmatch(r"1\.0\.\d+", deps["@jupyter-widgets/html-manager"])
    assert re.fullmatch(r"\d+\.\d+\.\d+", deps["requirejs"])
    lock = json.loads((ROOT / "package-lock.json").read_text())
    locked = lock["packages"]["node_modules/@jupyter-widgets/html-manager"]["version"]
    assert locked == deps["@jupyter-widgets/html-manager"]
    tracked = subprocess.run(
        ["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    third_party = ("require.js", "embed-amd.js", "tex-mml-chtml.js")
    assert [
        f for f in tracked if f.endswith(".min.js") or f.endswith(third_party)
    ] == []


def test_intro_chapter_map_links_every_page():
    intro = (ROOT / "book" / "intro.md").read_text()
    linked = set(re.findall(r"\{doc\}`(?:[^`<]*<)?([^`>]+)>?`", intro))
    for file in _toc_files():
        assert Path(file).name in linked, f"intro.md does not link {file}"


def test_every_toc_page_has_a_source_file():
    for file in _toc_files():
        sources = [ROOT / f"{file}{ext}" for ext in (".ipynb", ".md")]
        assert any(p.is_file() for p in sources), f"_toc.yml lists {file}: no such page"


def test_parts_come_in_reading_order():
    parts = {part["caption"]: part for part in TOC["parts"]}
    assert list(parts) == [
        "The lesson",
        "Try it live",
        "Under the hood",
        "Extensions",
        "Real sequences",
        "Appendix",
    ]
    hood = [chapter["file"] for chapter in parts["Under the hood"]["chapters"]]
    assert hood == ["book/inside_the_cell", "book/what_it_learned"]
    real = [chapter["file"] for chapter in parts["Real sequences"]["chapters"]]
    assert real == ["book/padding_and_masking", "book/real_words", "book/words_deeper"]


def test_numbered_chapters_keep_the_numbers_in_their_file_names():
    # Numbering runs on from one numbered part to the next
    # (use_multitoc_numbering), so an unnumbered part (the playground, under
    # the hood) shifts nothing and chapter NN_*.ipynb is shown as chapter NN,
    # the number the prose uses.
    assert CONFIG["html"]["use_multitoc_numbering"] is True
    numbered = [
        chapter["file"]
        for part in TOC["parts"]
        if part.get("numbered")
        for chapter in part["chapters"]
    ]
    for number, file in enumerate(numbered, start=1):
        assert Path(file).name.startswith(f"{number:02d}_"), file


def _shown_code_cells(nb):
    for cell in nb["cells"]:
        tags = cell.get("metadata", {}).get("tags", [])
        if cell["cell_type"] == "code" and not {"remove-input", "remove-cell"} & set(
            tags
        ):
            yield cell


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_no_test_plumbing_is_shown_on_the_page(path):
    """nbval's markers are cell tags, and assertion cells are hidden in the HTML
    (remove-input) and collapsed in JupyterLab: the page shows the claim in
    its prose, not the harness."""
    import ast

    nb = json.loads(path.read_text())
    for cell in nb["cells"]:
        assert "NBVAL_" not in "".join(cell["source"]), cell.get("id")
        tags = cell.get("metadata", {}).get("tags", [])
        if "remove-input" in tags:
            assert cell["metadata"].get("jupyter", {}).get("source_hidden") is True
    for cell in _shown_code_cells(nb):
        tree = ast.parse("".join(cell["source"]))
        asserts = [n for n in ast.walk(tree) if isinstance(n, ast.Assert)]
        assert not asserts, f"cell {cell.get('id')} shows an assert"
