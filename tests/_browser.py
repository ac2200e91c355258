"""What the browser tests share: where Chromium is, how to start it here,
whether a missing browser is a skip (locally) or a failure (in CI), how to run
a local server for the duration of a test, and how to find a panel control."""

from __future__ import annotations

import contextlib
import os
import re
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
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


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def serve(command, *, cwd, env, ready_url, log_path, name, timeout=180):
    """Run a server (and its kernels, in its own process group) while in the block.

    It is up once ``ready_url`` gives any HTTP answer; if it exits or stays
    silent for ``timeout`` seconds, the test fails with the end of its log.
    """
    log = open(log_path, "wb")  # noqa: SIM115
    server = subprocess.Popen(
        command,
        cwd=cwd,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # its kernels share its process group
    )
    try:
        deadline = time.monotonic() + timeout
        while True:
            try:
                with urllib.request.urlopen(ready_url, timeout=5):
                    break
            except urllib.error.HTTPError:
                break  # it answers
            except OSError:
                pass
            if server.poll() is not None or time.monotonic() > deadline:
                log.flush()
                text = Path(log_path).read_text(errors="replace")
                pytest.fail(f"{name} did not start:\n{text[-3000:]}")
            time.sleep(0.5)
        yield server
    finally:
        try:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=30)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            try:
                os.killpg(server.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            server.wait(timeout=30)
        log.close()


def control(panel, label: str):
    """The ipywidgets control in ``panel`` whose description label reads ``label``."""
    name = panel.page.locator("label.widget-label", has_text=re.compile(f"^{label}$"))
    return panel.locator(".widget-inline-hbox", has=name)
