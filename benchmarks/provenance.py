"""Where, when and how a benchmark ran, for every results file it writes.

The commit (with ``+changes`` when the work tree differed from it), the date
in UTC, and the TensorFlow thread setting that :func:`bilstm.setup` made, so
that a reader can tell how old a number is and what it was measured with.
"""

from __future__ import annotations

import datetime
import os
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _git(*args) -> str:
    try:
        return subprocess.run(
            ["git", *args], cwd=ROOT, capture_output=True, text=True, check=True
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return ""


def provenance() -> dict:
    """``commit``, ``date`` and ``threads`` of this benchmark run."""
    commit = _git("rev-parse", "--short=10", "HEAD") or "unknown"
    changed = _git(
        "status", "--porcelain", "--untracked-files=no", "--", "book", "benchmarks"
    )
    threads = os.environ.get("TF_NUM_INTRAOP_THREADS")
    return {
        "commit": commit + ("+changes" if changed else ""),
        "date": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "threads": (
            f"{threads} TensorFlow thread(s) per operation (bilstm.setup())"
            if threads
            else "TensorFlow's default threads"
        ),
    }


def sentence(p: dict) -> str:
    """The provenance as one sentence for a Markdown table's caption."""
    return f"Measured at commit {p['commit']} on {p['date']}, {p['threads']}."
