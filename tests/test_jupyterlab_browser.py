"""Retrain the playground's panel in a real JupyterLab, driven by headless Chromium.

Starts JupyterLab on 127.0.0.1 (token on, a free port, private config and
runtime directories, no network calls) serving a temporary copy of
``book/playground.ipynb``, runs all its cells, then uses the panel as a reader
would: "Merge mode" to ``sum``, another "Sequence length", fewer training
sequences, "Retrain", and checks that the run history and the results show the
new run. A screenshot goes to ``tests/artifacts/``.

Without ``/usr/bin/chromium`` the test skips, unless ``BILSTM_REQUIRE_BROWSER=1``
(as in CI), which turns the skip into a failure.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import secrets
import shutil
import sys
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
NOTEBOOK = ROOT / "book" / "playground.ipynb"
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
MINUTE = 60_000  # Playwright timeouts are in milliseconds

pytestmark = pytest.mark.browser


def _require_browser():
    skip_or_fail(browser_missing())


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def jupyterlab(tmp_path):
    """A JupyterLab server on a temporary copy of the playground; yields its URL."""
    _require_browser()
    root = tmp_path / "book"
    root.mkdir()
    shutil.copy2(NOTEBOOK, root / NOTEBOOK.name)
    config = tmp_path / "config"
    config.mkdir()
    port, token = free_port(), secrets.token_hex(16)
    settings = {
        "ServerApp": {
            "ip": "127.0.0.1",
            "port": port,
            "port_retries": 0,
            "open_browser": False,
            "allow_root": True,
            "root_dir": str(root),
            "terminals_enabled": False,
        },
        "IdentityProvider": {"token": token},
        "LabApp": {
            "news_url": None,
            "check_for_updates_class": (
                "jupyterlab.handlers.announcements.NeverCheckForUpdate"
            ),
            "extension_manager": "readonly",
            "user_settings_dir": str(tmp_path / "lab-settings"),
            "workspaces_dir": str(tmp_path / "lab-workspaces"),
        },
    }
    (config / "jupyter_server_config.json").write_text(json.dumps(settings))
    lab_settings = {
        "notebook-extension/tracker": {"autoStartDefaultKernel": True},
        "apputils-extension/notification": {
            "fetchNews": "false",
            "checkForUpdates": False,
        },
    }
    for name, values in lab_settings.items():
        path = tmp_path / "lab-settings" / "@jupyterlab" / f"{name}.jupyterlab-settings"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(values))
    env = {
        **os.environ,
        "JUPYTER_CONFIG_DIR": str(config),
        "JUPYTER_RUNTIME_DIR": str(tmp_path / "runtime"),
        "JUPYTER_DATA_DIR": str(tmp_path / "data"),
        "IPYTHONDIR": str(tmp_path / "ipython"),
        "JUPYTER_PLATFORM_DIRS": "1",
    }
    url = f"http://127.0.0.1:{port}"
    with serve(
        [sys.executable, "-m", "jupyterlab", "--no-browser"],
        cwd=root,
        env=env,
        ready_url=f"{url}/api/status?token={token}",
        log_path=tmp_path / "jupyterlab.log",
        name="JupyterLab",
    ):
        yield {"url": url, "token": token, "root": root}


def _menu(page, menu: str, item: str):
    page.locator(".lm-MenuBar-itemLabel", has_text=re.compile(f"^{menu}$")).click()
    page.locator(".lm-Menu-itemLabel", has_text=re.compile(f"^{item}$")).click()


def _wait_for_kernel(page):
    """Accept a kernel-selection dialog if one shows; wait until the kernel idles."""
    dialog = page.locator(".jp-Dialog")
    try:
        dialog.get_by_role("button", name="Select").click(timeout=3000)
    except Exception:  # noqa: BLE001 - no dialog: the kernel started by itself
        pass
    expect_idle = page.locator('.jp-Notebook-ExecutionIndicator[data-status="idle"]')
    expect_idle.wait_for(state="attached", timeout=5 * MINUTE)


def test_retrain_in_jupyterlab(jupyterlab):
    from playwright.sync_api import expect, sync_playwright

    before = _digest(NOTEBOOK)
    ARTIFACTS.mkdir(exist_ok=True)
    lab = jupyterlab
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1100})
        page.set_default_timeout(2 * MINUTE)
        try:
            page.goto(
                f"{lab['url']}/lab/tree/playground.ipynb?reset&token={lab['token']}"
            )
            page.locator(".jp-Notebook .jp-Cell").first.wait_for()
            _wait_for_kernel(page)
            done = page.locator(".jp-OutputArea-output", has_text="accuracy_interval")
            _menu(page, "Edit", "Clear Outputs of All Cells")
            expect(done).to_have_count(0)
            _menu(page, "Run", "Run All Cells")
            expect(done).to_have_count(1, timeout=20 * MINUTE)
            _wait_for_kernel(page)
            expect(page.locator(".jp-InputArea-prompt", has_text="*")).to_have_count(0)
            errors = page.locator(
                '.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]'
            )
            expect(errors).to_have_count(0)

            panel = page.locator(".bilstm-training-panel")
            expect(panel).to_have_count(1)
            history = panel.locator("table.bilstm-run-history tbody tr")
            expect(history).to_have_count(2)
            results = panel.locator(".bilstm-results")
            old_results = results.inner_text()

            control(panel, "Merge mode").locator("select").select_option("sum")
            readout = control(panel, "Sequence length").locator(".widget-readout")
            readout.click()
            page.keyboard.press("Control+A")
            page.keyboard.type("15")
            page.keyboard.press("Enter")
            expect(readout).to_have_text("15")
            samples = control(panel, "Training sequences").locator("input")
            samples.fill("5000")
            samples.press("Enter")
            panel.get_by_role("button", name="Retrain").click()

            expect(history).to_have_count(3, timeout=15 * MINUTE)
            cells = history.nth(2).locator("td")
            expect(cells.nth(0)).to_have_text("3")
            expect(cells.nth(2)).to_have_text("sum")
            expect(cells.nth(3)).to_have_text("15")
            expect(cells.nth(6)).to_have_text("5,000")
            expect(cells.nth(8)).to_have_text("finished")
            assert re.fullmatch(r"\d+\.\d%", cells.nth(11).inner_text())
            expect(results).to_contain_text("run 3: bidirectional sum, length 15")
            assert results.inner_text() != old_results
            expect(panel.get_by_role("button", name="Retrain")).to_be_enabled()
        finally:
            # tall enough for the whole panel to fit in the notebook's view
            page.set_viewport_size({"width": 1400, "height": 3200})
            if page.locator(".bilstm-training-panel").count():
                page.locator(".bilstm-training-panel").evaluate(
                    "el => el.scrollIntoView({block: 'start'})"
                )
                page.wait_for_timeout(1000)
            page.screenshot(
                path=str(ARTIFACTS / "jupyterlab_playground.png"), full_page=True
            )
            if page.locator(".bilstm-training-panel").count():
                page.locator(".bilstm-training-panel").screenshot(
                    path=str(ARTIFACTS / "jupyterlab_panel.png")
                )
            browser.close()
    assert _digest(NOTEBOOK) == before, "the test must not modify the notebook"
