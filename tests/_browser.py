"""What the browser tests share: where Chromium is, how to start it here, and
whether a missing browser is a skip (locally) or a failure (in CI)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
# Headless, as root, on a machine with no network but localhost: without the
# background-networking flags Chromium keeps trying to reach its own services.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
REQUIRED = os.environ.get("BILSTM_REQUIRE_BROWSER") == "1"


def browser_missing() -> str | None:
    """Why a browser test cannot run here, or None if it can."""
    if not CHROMIUM.is_file():
        return f"no Chromium at {CHROMIUM} (Debian package 'chromium')"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "Playwright is not installed (pip install -r requirements.txt)"
    return None


def skip_or_fail(reason: str | None) -> None:
    """Skip with ``reason``; fail instead when BILSTM_REQUIRE_BROWSER=1."""
    if reason is None:
        return
    if REQUIRED:
        pytest.fail(f"BILSTM_REQUIRE_BROWSER=1 but {reason}")
    pytest.skip(f"browser test skipped: {reason}")
