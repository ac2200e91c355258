"""book/complete_example.py, the lesson in plain Keras, runs without the book.

It is what chapter 7 shows and runs; here it runs in a fresh Python in which
``import bilstm`` fails, so the script cannot lean on the book's package.
"""

import re
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[1] / "book" / "complete_example.py"

WITHOUT_BILSTM = (
    "import runpy, sys; sys.modules['bilstm'] = None; "  # import bilstm -> ImportError
    f"runpy.run_path({str(SCRIPT)!r}, run_name='__main__')"
)


@pytest.mark.slow
def test_the_complete_example_runs_without_the_book_and_learns():
    assert "bilstm" not in SCRIPT.read_text().split('"""', 2)[2]  # code, not docs
    proc = subprocess.run(
        [sys.executable, "-c", WITHOUT_BILSTM],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = proc.stdout
    assert "Total params: 20,901" in out  # the lesson's model
    accuracy = float(re.search(r"Test: loss [\d.]+, accuracy ([\d.]+)%", out)[1])
    assert accuracy > 95.0  # the lesson expects the high 90s
    assert len(re.findall(r"^Expected: \[", out, re.M)) == 10
