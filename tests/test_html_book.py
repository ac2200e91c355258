"""The built HTML book, opened page by page in headless Chromium, offline.

The book in ``_build/html`` is served on 127.0.0.1 and every page is opened in
Debian's Chromium through Playwright with every request to any other host
blocked, the way a reader without a network (or behind a firewall) sees it.
Each page must load without console errors, failed requests or blocked
requests; every image must have loaded; every internal link must resolve; and
each page with saved widget state must show its controls and the results of
its default run, drawn by the ipywidgets HTML manager. Screenshots of a few
pages go to ``tests/artifacts/``.

Build the book first (``npm ci && jupyter-book build .``). Without the build
or without ``/usr/bin/chromium`` the tests skip with the reason, unless
``BILSTM_REQUIRE_BROWSER=1`` is set (as in CI), which makes that a failure.
"""

from __future__ import annotations

import functools
import http.server
import re
import threading
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urldefrag, urlparse

import pytest
import yaml
from _browser import CHROMIUM, CHROMIUM_ARGS, browser_missing, skip_or_fail

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[1]
HTML = ROOT / "_build" / "html"
ARTIFACTS = ROOT / "tests" / "artifacts"
SCREENSHOTS = {
    "book/intro.html": "intro.png",
    "book/04_fit.html": "chapter_04_fit.png",
    "book/inside_the_cell.html": "inside_the_cell.png",
    "book/playground.html": "playground.png",
    "book/performance.html": "performance.png",
}
WIDGET_STATE = 'type="application/vnd.jupyter.widget-state+json"'
WIDGET_VIEW = 'type="application/vnd.jupyter.widget-view+json"'


def _pages() -> list[str]:
    if not HTML.is_dir():
        return []
    return sorted(
        p.relative_to(HTML).as_posix()
        for p in HTML.rglob("*.html")
        if not p.relative_to(HTML).parts[0].startswith("_")
    )


PAGES = _pages()


def _missing() -> str | None:
    if not (HTML / "index.html").is_file():
        return "the HTML book is not built (run: npm ci && jupyter-book build .)"
    return browser_missing()


def _skip_or_fail():
    skip_or_fail(_missing())


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


class _QuietServer(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        pass  # a tab closed mid-download (broken pipe) is not a test failure


@pytest.fixture(scope="module")
def server():
    _skip_or_fail()
    handler = functools.partial(_QuietHandler, directory=str(HTML))
    httpd = _QuietServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}/"
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=10)


@pytest.fixture(scope="module")
def browser(server):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture(scope="module")
def link_status(server):
    """HTTP status of internal URLs, fetched once each."""
    cache: dict[str, int] = {}

    def status(url: str) -> int:
        if url not in cache:
            try:
                with urllib.request.urlopen(url, timeout=10) as response:
                    cache[url] = response.status
            except urllib.error.HTTPError as error:
                cache[url] = error.code
        return cache[url]

    return status


def test_book_is_built():
    _skip_or_fail()
    assert PAGES, "no pages found under _build/html"
    for page in ("index.html", "book/intro.html", "book/references.html"):
        assert (HTML / page).is_file(), page


def test_every_page_in_the_toc_is_built():
    _skip_or_fail()
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    files = [toc["root"]] + [
        chapter["file"] for part in toc["parts"] for chapter in part["chapters"]
    ]
    for new in (
        "inside_the_cell",
        "what_it_learned",
        "padding_and_masking",
        "real_words",
    ):
        assert f"book/{new}" in files
    for file in files:
        assert f"{file}.html" in PAGES, f"{file} is in _toc.yml but was not built"


def test_solutions_are_folded_away():
    """Exercise solutions start closed (a dropdown), also those with code cells."""
    _skip_or_fail()
    found = {}
    for page in PAGES:
        text = (HTML / page).read_text(encoding="utf-8")
        found[page] = re.findall(r'class="(solution[^"]*)"', text)
        assert all("dropdown" in s.split() for s in found[page]), (page, found[page])
    # the chapter whose solutions run code (gated solution-start/-end directives)
    assert len(found["book/inside_the_cell.html"]) == 3


def _open(browser, base: str, page: str):
    """Open ``page`` with outside requests blocked; return (tab, problems)."""
    tab = browser.new_page(viewport={"width": 1280, "height": 900})
    problems: list[str] = []

    def route(r):
        host = urlparse(r.request.url).hostname
        if r.request.url.startswith(("data:", "blob:")) or host == "127.0.0.1":
            r.continue_()
        else:
            problems.append(f"blocked request to {r.request.url}")
            r.abort()

    tab.route("**/*", route)
    tab.on(
        "console",
        lambda m: m.type == "error" and problems.append(f"console error: {m.text}"),
    )
    tab.on("pageerror", lambda e: problems.append(f"page error: {e}"))
    tab.on(
        "response",
        lambda r: r.status >= 400 and problems.append(f"HTTP {r.status}: {r.url}"),
    )
    tab.goto(base + page, wait_until="load")
    return tab, problems


_BROKEN_IMAGES = """() => {
  window.scrollTo(0, document.body.scrollHeight);
  return Array.from(document.images)
    .filter((img) => !(img.complete && img.naturalWidth > 0))
    .map((img) => img.currentSrc || img.src || img.outerHTML.slice(0, 120));
}"""

_IMAGES_WITHOUT_ALT = """() => Array.from(document.querySelectorAll("article img"))
  .filter((img) => !img.closest(".widget-subarea"))
  .filter((img) => {
    const alt = (img.getAttribute("alt") || "").trim();
    return alt === "" || /\\.(png|jpe?g|svg|gif)$/i.test(alt);
  })
  .map((img) => img.getAttribute("src"))"""

_LINKS = """() => Array.from(document.querySelectorAll("a[href]"))
  .map((a) => a.href)"""

_IDS = """() => Array.from(document.querySelectorAll("[id]")).map((e) => e.id)"""


@pytest.mark.parametrize("page", PAGES)
def test_page_renders_offline(page, server, browser, link_status):
    tab, problems = _open(browser, server, page)
    try:
        source = (HTML / page).read_text(encoding="utf-8")
        if WIDGET_STATE in source:
            _check_widgets(tab, source)
        tab.wait_for_load_state("networkidle")
        if page in SCREENSHOTS:
            ARTIFACTS.mkdir(parents=True, exist_ok=True)
            tab.evaluate("() => window.scrollTo(0, 0)")
            tab.screenshot(path=str(ARTIFACTS / SCREENSHOTS[page]), full_page=True)
        assert tab.evaluate(_BROKEN_IMAGES) == [], "images that did not load"
        assert tab.evaluate(_IMAGES_WITHOUT_ALT) == [], "figures without alt text"

        ids = set(tab.evaluate(_IDS))
        here = urldefrag(tab.url).url
        for href in tab.evaluate(_LINKS):
            if urlparse(href).hostname != "127.0.0.1":
                continue  # outside links are plain references, not fetched
            url, fragment = urldefrag(href)
            if url == here:
                assert not fragment or fragment in ids, f"no #{fragment} on {page}"
            else:
                assert link_status(url) == 200, f"{page} links to missing {href}"

        assert problems == [], "\n".join(problems)
    finally:
        tab.close()


def _check_widgets(tab, source: str) -> None:
    """Every saved widget view is drawn, with controls and results."""
    views = source.count(WIDGET_VIEW)
    assert views > 0, "widget state but no widget views"
    tab.wait_for_function(
        """(n) => {
          const areas = document.querySelectorAll(".widget-subarea");
          return areas.length >= n &&
            Array.from(areas).every((a) => a.children.length > 0);
        }""",
        arg=views,
        timeout=30_000,
    )
    summary = tab.evaluate(
        """() => {
          const areas = Array.from(document.querySelectorAll(".widget-subarea"));
          const within = (sel) => areas.flatMap((a) =>
            Array.from(a.querySelectorAll(sel)));
          return {
            controls: within(
              "button, input, select, .widget-slider, .widget-dropdown"
            ).length,
            images: within("img").filter((i) => i.naturalWidth > 0).length,
            text: areas.map((a) => a.innerText.trim()).join(" ").length,
          };
        }"""
    )
    assert summary["controls"] > 0, f"no widget controls drawn: {summary}"
    assert summary["images"] > 0 or summary["text"] > 40, (
        f"widgets drawn without results: {summary}"
    )


def test_every_chapter_offers_download_and_run_live():
    """Notebook pages carry the .ipynb download and the run-live box."""
    _skip_or_fail()
    notebooks = [
        p for p in PAGES if (HTML / "_sources" / p).with_suffix(".ipynb").exists()
    ]
    assert notebooks, "no notebook pages"
    for page in notebooks:
        text = (HTML / page).read_text(encoding="utf-8")
        notebook = re.escape(Path(page).with_suffix(".ipynb").as_posix())
        link = rf'href="(\.\./)*_sources/{notebook}"'
        assert "dropdown-download-buttons" in text, f"{page}: no download button"
        assert len(re.findall(link, text)) >= 2, f"{page}: no .ipynb download links"
        assert "Run this chapter live in JupyterLab" in text, page
        assert (HTML / "_sources" / page).with_suffix(".ipynb").is_file(), page
