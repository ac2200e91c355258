"""The playground app: ``voila app/playground.ipynb`` in headless Chromium, offline.

Starts Voila from the repository root (so ``voila.json`` applies: 127.0.0.1,
the book's template without CDN links) on a free port, opens the app with
every request to any other host blocked and recorded, and uses the panel as a
reader would, in two tabs at once (each tab has its own kernel): one sets
"Merge mode" to ``sum`` and another "Sequence length", the other keeps the
lesson's settings; both press Retrain. The run history of each must show its
finished run with its settings, the progress text must have moved while
training (updates sent from the panel's background thread reach the page),
no code is shown, and there are no console errors. Screenshots go to
``tests/artifacts/``.

Without ``/usr/bin/chromium`` the test skips, unless ``BILSTM_REQUIRE_BROWSER=1``
(as in CI), which turns the skip into a failure.
"""

from __future__ import annotations

import os
import re
import sys
import time
from pathlib import Path

import pytest
from _browser import (
    CHROMIUM,
    CHROMIUM_ARGS,
    browser_missing,
    control,
    free_port,
    serve,
    skip_or_fail,
)

ROOT = Path(__file__).resolve().parents[1]
APP = ROOT / "app" / "playground.ipynb"
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
MINUTE = 60_000  # Playwright timeouts are in milliseconds
SEQUENCES = "20000"  # enough steps to see the progress move, few enough to be quick

pytestmark = pytest.mark.browser


@pytest.fixture
def voila(tmp_path):
    """Voila serving the app on 127.0.0.1; yields its URL."""
    skip_or_fail(browser_missing())
    port = free_port()
    env = {
        **os.environ,
        "JUPYTER_RUNTIME_DIR": str(tmp_path / "runtime"),
        "IPYTHONDIR": str(tmp_path / "ipython"),
    }
    command = [sys.executable, "-m", "voila", "app/playground.ipynb"]
    url = f"http://127.0.0.1:{port}/"
    with serve(
        [*command, "--no-browser", f"--port={port}"],
        cwd=ROOT,
        env=env,
        ready_url=f"{url}api",
        log_path=tmp_path / "voila.log",
        name="Voila",
    ):
        yield url


def _open(context, url, log):
    page = context.new_page()
    page.set_default_timeout(3 * MINUTE)
    page.on(
        "console",
        lambda m: log["console"].append(m.text) if m.type == "error" else None,
    )
    page.on("pageerror", lambda e: log["console"].append(str(e)))
    start = time.perf_counter()
    page.goto(url)
    panel = page.locator(".bilstm-training-panel")
    panel.get_by_role("button", name="Retrain").wait_for()
    log["usable_s"].append(time.perf_counter() - start)
    return page, panel


def _set(panel, label, value):
    field = control(panel, label).locator("input")
    field.fill(value)
    field.press("Enter")


def test_the_app_trains_in_two_tabs_at_once(voila):
    from playwright.sync_api import expect, sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    log = {"console": [], "blocked": [], "usable_s": []}
    here = re.compile(r"^http://127\.0\.0\.1:\d+/")

    def guard(route):
        if here.match(route.request.url) or route.request.url.startswith("data:"):
            route.continue_()
        else:
            log["blocked"].append(route.request.url)
            route.abort()

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1300, "height": 2200})
        context.route("**/*", guard)
        try:
            page_a, panel_a = _open(context, voila, log)
            page_b, panel_b = _open(context, voila, log)
            for page in (page_a, page_b):
                # Voila shows the panel and the introduction, never the code
                expect(
                    page.locator(".jp-CodeCell .jp-InputArea, .jp-CodeMirrorEditor")
                ).to_have_count(0)
                expect(
                    page.get_by_text("Bidirectional LSTM playground")
                ).to_be_visible()
                expect(page.locator("table.bilstm-run-history tbody tr")).to_have_count(
                    0
                )

            control(panel_a, "Merge mode").locator("select").select_option("sum")
            readout = control(panel_a, "Sequence length").locator(".widget-readout")
            readout.click()
            page_a.keyboard.press("Control+A")
            page_a.keyboard.type("15")
            page_a.keyboard.press("Enter")
            expect(readout).to_have_text("15")
            for panel in (panel_a, panel_b):
                _set(panel, "Training sequences", SEQUENCES)
            panel_a.get_by_role("button", name="Retrain").click()
            panel_b.get_by_role("button", name="Retrain").click()

            # live updates from the training thread: the progress text moves
            progress = panel_b.locator(".widget-html", has_text=re.compile(r"step \d"))
            seen = set()
            deadline = time.monotonic() + 600
            history_b = panel_b.locator("table.bilstm-run-history tbody tr")
            while history_b.count() == 0 and time.monotonic() < deadline:
                if progress.count():
                    match = re.search(r"step ([\d,]+) of", progress.first.inner_text())
                    if match:
                        seen.add(int(match.group(1).replace(",", "")))
                page_b.wait_for_timeout(200)
            assert any(0 < s < 2_000 for s in seen), seen

            for panel, merge, length in (
                (panel_a, "sum", "15"),
                (panel_b, "concat", "10"),
            ):
                history = panel.locator("table.bilstm-run-history tbody tr")
                expect(history).to_have_count(1, timeout=10 * MINUTE)
                cells = history.nth(0).locator("td")
                expect(cells.nth(2)).to_have_text(merge)
                expect(cells.nth(3)).to_have_text(length)
                expect(cells.nth(6)).to_have_text("20,000")
                expect(cells.nth(8)).to_have_text("finished")
                assert re.fullmatch(r"\d+\.\d%", cells.nth(11).inner_text())
                expect(panel.locator(".bilstm-results")).to_contain_text(
                    f"run 1: bidirectional {merge}, length {length}"
                )
                image = panel.locator("img").first
                assert image.get_attribute("src").startswith(
                    ("data:image/png", "blob:")
                )
                expect(panel.get_by_role("button", name="Retrain")).to_be_enabled()
        finally:
            pages = context.pages
            for i, page in enumerate(pages):
                page.screenshot(
                    path=str(ARTIFACTS / f"voila_app_{i + 1}.png"), full_page=True
                )
            browser.close()
    assert log["blocked"] == [], log["blocked"]
    assert log["console"] == [], log["console"]
    print(f"page usable after {', '.join(f'{s:.1f} s' for s in log['usable_s'])}")
