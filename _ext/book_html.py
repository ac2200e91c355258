"""Small Sphinx extension for the HTML version of the book.

It does four things that Jupyter Book's configuration alone cannot:

1. **Widgets and equations work offline.** The saved widget state in the
   notebooks is drawn by the ipywidgets HTML manager (``embed-amd.js``), which
   needs require.js; equations need MathJax. All three come from npm
   (``package.json`` and ``package-lock.json`` pin them; ``npm ci`` installs
   them into ``node_modules``). At build time this extension copies the files
   into ``_build/.static_assets`` and adds that folder to ``html_static_path``,
   so they are served from ``_static/widgets/`` and ``_static/mathjax/`` next to
   the pages. ``nb_ipywidgets_js`` and ``mathjax_path`` in ``_config.yml`` point
   myst-nb and Sphinx at them instead of at a CDN. Nothing third-party is
   committed to the repository.
2. **No duplicate Thebe settings.** sphinx-thebe registers an inline script
   (``const THEBE_JS_URL = ...``) every time the environment is read, so an
   incremental build can list it twice and the browser reports "Identifier
   'THEBE_JS_URL' has already been declared". Duplicate script entries are
   dropped from every page.
3. **"Run this chapter live".** Every page made from a notebook gets a short
   box under its title explaining how to download the notebook and run it in
   JupyterLab, so the chapters themselves need not repeat it.
4. **No file names as alt text.** A notebook figure without alt text of its
   own (set in the cell's ``mystnb.image.alt`` metadata) gets one that says
   where it comes from, rather than Sphinx's default, its file name.
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

# npm package files served with the book: (source under node_modules, target
# under the static folder). A source ending in "/" is a folder, copied whole.
ASSETS = [
    ("requirejs/require.js", "widgets/require.js"),
    ("@jupyter-widgets/html-manager/dist/embed-amd.js", "widgets/embed-amd.js"),
    # MathJax 3 (Sphinx's default version) for pages with equations: the
    # combined TeX/MathML bundle plus the pieces it loads on demand.
    ("mathjax/es5/tex-mml-chtml.js", "mathjax/tex-mml-chtml.js"),
    ("mathjax/es5/input/", "mathjax/input/"),
    ("mathjax/es5/output/chtml/", "mathjax/output/chtml/"),
    ("mathjax/es5/a11y/", "mathjax/a11y/"),
    ("mathjax/es5/ui/", "mathjax/ui/"),
    ("mathjax/es5/adaptors/", "mathjax/adaptors/"),
]
# The book's own glue between those files (see the comments in the file).
OWN_ASSETS = [("static/widgets-setup.js", "widgets/setup.js")]
# Font Awesome files the HTML manager's stylesheet loads next to embed-amd.js.
FONT_DIR = "@jupyter-widgets/html-manager/dist"
FONT_SUFFIXES = {".woff2", ".woff", ".ttf", ".eot", ".svg"}

RUN_LIVE_TITLE = "Run this chapter live in JupyterLab"


def _node_modules(app: Sphinx) -> Path:
    return Path(app.confdir) / "node_modules"


def copy_static_assets(app: Sphinx) -> None:
    """Copy the widget manager, require.js and MathJax into a static folder."""
    if app.builder.format != "html":
        return
    modules = _node_modules(app)
    missing = [src for src, _ in ASSETS if not (modules / src).exists()]
    if missing:
        raise ExtensionError(
            "The book's JavaScript is not installed ("
            + ", ".join(missing)
            + " missing under node_modules). Run `npm ci` in the repository root "
            "before building the book."
        )
    target_root = Path(app.doctreedir).parent / ".static_assets"
    for src, dst in ASSETS:
        source, target = modules / src, target_root / dst
        if src.endswith("/"):
            for path in sorted(source.rglob("*")):
                if path.is_file():
                    _copy_if_changed(path, target / path.relative_to(source))
        else:
            _copy_if_changed(source, target)
    for src, dst in OWN_ASSETS:
        _copy_if_changed(Path(__file__).parent / src, target_root / dst)
    for font in sorted((modules / FONT_DIR).iterdir()):
        if font.suffix in FONT_SUFFIXES:
            _copy_if_changed(font, target_root / "widgets" / font.name)
    static = [str(p) for p in app.config.html_static_path]
    if str(target_root) not in static:
        app.config.html_static_path.append(str(target_root))


def _copy_if_changed(src: Path, dst: Path) -> None:
    dst.parent.mkdir(parents=True, exist_ok=True)
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


def _run_live_box(docname: str, notebook_path: str) -> nodes.Element:
    box = nodes.admonition(classes=["tip", "run-live"])
    box += nodes.title(text=RUN_LIVE_TITLE)
    # Sphinx copies every source into _sources/, so the page can link to its
    # own notebook: the same file as the theme's download button (.ipynb).
    download = "../" * docname.count("/") + f"_sources/{docname}.ipynb"
    intro = nodes.paragraph()
    intro += nodes.Text("This page is a notebook. ")
    link = nodes.reference("", "", refuri=download, classes=["download-notebook"])
    link += nodes.Text("Download it (")
    link += nodes.literal(text=".ipynb")
    link += nodes.Text(")")
    intro += link
    intro += nodes.Text(
        " here or with the download button at the top of the page, or work in a "
        "clone of the repository. Install the environment as the README "
        "describes, activate it, and start JupyterLab on this chapter from the "
        "repository root:"
    )
    box += intro
    command = f"jupyter lab {notebook_path}"
    box += nodes.literal_block(command, command, language="bash")
    outro = nodes.paragraph(
        text=(
            "Then run the cells from the top (Shift+Enter, or Run All Cells in "
            "the Run menu). Everything runs on a laptop CPU, and any widget on "
            "the page, frozen at its saved state here, responds to you there."
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
    section.insert(index, _run_live_box(docname, rel))


def _section_title(node: nodes.Node) -> str:
    parent = node.parent
    while parent is not None:
        if isinstance(parent, nodes.section):
            title = parent.next_node(nodes.title)
            if title is not None:
                return title.astext()
        parent = parent.parent
    return ""


def _in_cell_output(node: nodes.Node) -> bool:
    parent = node.parent
    while parent is not None:
        if "cell_output" in parent.get("classes", []):
            return True
        parent = parent.parent
    return False


def add_fallback_alt_text(app: Sphinx, doctree: nodes.document, docname: str) -> None:
    """Give notebook output images without alt text a description of where
    they come from, instead of Sphinx's default (the image's file name).

    A chapter gives a figure real alt text with the code cell's metadata
    ``{"mystnb": {"image": {"alt": "..."}}}``; that always wins.
    """
    # Runs after myst-nb's post-transforms, which turn outputs into images.
    if Path(app.env.doc2path(docname)).suffix != ".ipynb":
        return
    for image in doctree.findall(nodes.image):
        if image.get("alt") or not _in_cell_output(image):
            continue
        section = _section_title(image)
        where = f" in the section “{section}”" if section else ""
        image["alt"] = f"Figure drawn by the code cell above{where}."


def setup(app: Sphinx):
    app.connect("builder-inited", copy_static_assets)
    app.connect("doctree-read", add_run_live_box)
    app.connect("doctree-resolved", add_fallback_alt_text)
    app.connect("html-page-context", drop_duplicate_scripts)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
