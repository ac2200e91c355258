"""benchmarks/speed.py runs end to end and writes well-formed results.

The run here is a tiny smoke run (``--quick``): its timings mean nothing and
nothing is asserted about them, only the shape of what the script writes.
"""

import json
import math
import re

from _scripts import ROOT, run_quick

SCRIPT = ROOT / "benchmarks" / "speed.py"


def _finite_fraction(x):
    return isinstance(x, float) and math.isfinite(x) and 0.0 <= x <= 1.0


def test_speed_quick_run_writes_json_and_markdown(tmp_path):
    proc = run_quick(SCRIPT, tmp_path)
    assert "Speed ratio (plain fit / cached train):" in proc.stdout

    results = json.loads((tmp_path / "speed.json").read_text())
    assert set(results) == {
        "settings",
        "environment",
        "lesson",
        "speedup",
        "levers",
    }
    assert results["settings"]["samples"] == 100
    assert results["settings"]["batch_size"] == 10
    for name in ("plain_fit", "train_first", "train_cached"):
        run = results["lesson"][name]
        assert run["seconds"] > 0
        assert _finite_fraction(run["train_accuracy"])
        assert _finite_fraction(run["test_accuracy"])
    assert set(results["speedup"]) == {"first_call", "cached_call"}
    assert all(v > 0 for v in results["speedup"].values())

    levers = results["levers"]["xla_and_steps_per_execution"]
    combos = {(r["jit_compile"], r["steps_per_execution"]) for r in levers}
    assert combos == {(False, 1), (False, 5), (True, 1), (True, 5)}
    for row in levers:
        assert row["seconds"] > 0 and _finite_fraction(row["test_accuracy"])
    batches = results["levers"]["batch_size"]
    assert [r["batch_size"] for r in batches] == [10, 20]
    assert [r["steps"] for r in batches] == [10, 5]

    table = (tmp_path / "speed.md").read_text()
    separators = [
        line for line in table.splitlines() if re.fullmatch(r"\|(:?-+:?\|)+", line)
    ]
    assert len(separators) == 3  # three tables
    assert "`model.fit`, Keras defaults" in table
    assert "`bilstm.train`, cached program" in table
    assert table == proc.stdout[: len(table)]
