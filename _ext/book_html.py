"""Small Sphinx extension for the HTML version of the book.

It does three things that Jupyter Book's configuration alone cannot:

1. **Widgets work offline.** The saved widget state in the notebooks is drawn
   by the ipywidgets HTML manager (``embed-amd.js``), which needs require.js.
   Both come from npm (``package.json`` pins them; ``npm ci`` installs them
   into ``node_modules``). At build time this extension copies the files into
   ``_build/.widget_static/widgets`` and adds that folder to
   ``html_static_path``, so they are served from ``_static/widgets/`` next to
   the pages. ``nb_ipywidgets_js`` in ``_config.yml`` points myst-nb at them
   instead of at a CDN. Nothing third-party is committed to the repository.
2. **No duplicate Thebe settings.** sphinx-thebe registers an inline script
   (``const THEBE_JS_URL = ...``) every time the environment is read, so an
   incremental build can list it twice and the browser reports "Identifier
   'THEBE_JS_URL' has already been declared". Duplicate script entries are
   dropped from every page.
3. **"Run this chapter live".** Every page made from a notebook gets a short
   box under its title explaining how to download the notebook and run it in
   JupyterLab, so the chapters themselves need not repeat it.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from docutils import nodes
from sphinx.application import Sphinx
from sphinx.errors import ExtensionError
from sphinx.util import logging

logger = logging.getLogger(__name__)

# npm package files served with the book, as (source under node_modules, name).
WIDGET_FILES = [
    ("requirejs/require.js", "require.js"),
    ("@jupyter-widgets/html-manager/dist/embed-amd.js", "embed-amd.js"),
]
# Font Awesome files the HTML manager's stylesheet loads next to embed-amd.js.
FONT_GLOB = "@jupyter-widgets/html-manager/dist/*.*"
FONT_SUFFIXES = {".woff2", ".woff", ".ttf", ".eot", ".svg"}

RUN_LIVE_TITLE = "Run this chapter live in JupyterLab"


def _node_modules(app: Sphinx) -> Path:
    return Path(app.confdir) / "node_modules"


def copy_widget_files(app: Sphinx) -> None:
    """Copy the widget manager and require.js into a static folder."""
    if app.builder.format != "html":
        return
    modules = _node_modules(app)
    missing = [src for src, _ in WIDGET_FILES if not (modules / src).is_file()]
    if missing:
        raise ExtensionError(
            "The widget JavaScript is not installed ("
            + ", ".join(missing)
            + " missing under node_modules). Run `npm ci` in the repository root "
            "before building the book."
        )
    target_root = Path(app.doctreedir).parent / ".widget_static"
    target = target_root / "widgets"
    target.mkdir(parents=True, exist_ok=True)
    for src, name in WIDGET_FILES:
        _copy_if_changed(modules / src, target / name)
    for font in sorted(modules.glob(FONT_GLOB)):
        if font.suffix in FONT_SUFFIXES:
            _copy_if_changed(font, target / font.name)
    static = [str(p) for p in app.config.html_static_path]
    if str(target_root) not in static:
        app.config.html_static_path.append(str(target_root))


def _copy_if_changed(src: Path, dst: Path) -> None:
    if dst.is_file() and dst.stat().st_size == src.stat().st_size:
        if dst.read_bytes() == src.read_bytes():
            return
    shutil.copyfile(src, dst)


def drop_duplicate_scripts(app, pagename, templatename, context, doctree) -> None:
    """Keep only the first of identical script entries on a page."""
    scripts = context.get("script_files")
    if not scripts:
        return
    seen = set()
    unique = []
    for js in scripts:
        # The same inline script is registered once with filename None (added
        # straight to the builder) and once with "" (replayed from the registry).
        filename = os.fspath(getattr(js, "filename", js) or "")
        attributes = getattr(js, "attributes", {}) or {}
        key = (filename, tuple(sorted((k, str(v)) for k, v in attributes.items())))
        if key in seen:
            continue
        seen.add(key)
        unique.append(js)
    scripts[:] = unique


def _run_live_box(notebook_path: str) -> nodes.Element:
    box = nodes.admonition(classes=["tip", "run-live"])
    box += nodes.title(text=RUN_LIVE_TITLE)
    intro = nodes.paragraph()
    intro += nodes.Text(
        "This page is a notebook. Use the download button at the top of the "
        "page (the arrow, then "
    )
    intro += nodes.literal(text=".ipynb")
    intro += nodes.Text(
        ") to get it, or work in a clone of the repository. Install the "
        "environment as the README describes, activate it, and start "
        "JupyterLab on this chapter from the repository root:"
    )
    box += intro
    command = f"jupyter lab {notebook_path}"
    box += nodes.literal_block(command, command, language="bash")
    outro = nodes.paragraph(
        text=(
            "Run the cells from the top with Shift+Enter. Everything runs on a "
            "laptop CPU in minutes, and the widgets, which show their saved "
            "state here, respond to you there."
        )
    )
    box += outro
    return box


def add_run_live_box(app: Sphinx, doctree: nodes.document) -> None:
    """Put the run-live box right under the title of every notebook page."""
    docname = app.env.docname
    source = Path(app.env.doc2path(docname))
    if source.suffix != ".ipynb":
        return
    section = next(iter(doctree.findall(nodes.section)), None)
    if section is None:
        return
    title = section.next_node(nodes.title)
    rel = source.relative_to(Path(app.srcdir)).as_posix()
    index = section.index(title) + 1 if title is not None else 0
    section.insert(index, _run_live_box(rel))


def setup(app: Sphinx):
    app.connect("builder-inited", copy_widget_files)
    app.connect("doctree-read", add_run_live_box)
    app.connect("html-page-context", drop_duplicate_scripts)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
