"""The book's configuration keeps its promises: rendered as committed, offline."""

import json
import re
import subprocess
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
CONFIG = yaml.safe_load((ROOT / "_config.yml").read_text())
TOC = yaml.safe_load((ROOT / "_toc.yml").read_text())


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
