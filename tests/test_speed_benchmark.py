"""benchmarks/speed.py runs end to end and writes well-formed results.

The run here is a tiny smoke run (``--quick``): its timings mean nothing and
nothing is asserted about them, only the shape of what the script writes.
"""

import json
import math
import re
import statistics
import subprocess
import sys

import pytest
from _scripts import ROOT, run_quick

SCRIPT = ROOT / "benchmarks" / "speed.py"
QUICK_REPEATS = 2


def _finite_fraction(x):
    return isinstance(x, float) and math.isfinite(x) and 0.0 <= x <= 1.0


def _check_measurement(run, *, fresh_process, compiles, second_call=False):
    """One configuration: every repeat kept, with its median, min and max."""
    repeats = run["repeats"]
    assert len(repeats) == QUICK_REPEATS and all(s > 0 for s in repeats)
    assert run["seconds"] == pytest.approx(statistics.median(repeats))
    assert run["min"] == min(repeats) and run["max"] == max(repeats)
    assert len(run["started"]) == QUICK_REPEATS
    assert run["second_call"] is second_call
    if second_call:  # a second epoch: no accuracy is reported for it
        assert run["train_accuracy"] is run["test_accuracy"] is None
        assert run["test_accuracies"] is None
    else:
        assert _finite_fraction(run["train_accuracy"])
        assert _finite_fraction(run["test_accuracy"])
        assert len(run["test_accuracies"]) == QUICK_REPEATS
        assert all(_finite_fraction(a) for a in run["test_accuracies"])
    assert run["fresh_process"] is fresh_process
    assert run["compiles"] is compiles


@pytest.fixture(scope="module")
def quick(tmp_path_factory):
    out = tmp_path_factory.mktemp("speed")
    proc = run_quick(SCRIPT, out)
    results = json.loads((out / "speed.json").read_text())
    return proc, results, (out / "speed.md").read_text()


@pytest.mark.slow
def test_speed_quick_run_writes_json(quick):
    proc, results, _ = quick
    assert "Speed ratio (fit / train, fresh processes): first call" in proc.stdout
    assert set(results) == {
        "settings",
        "provenance",
        "environment",
        "lesson",
        "speedup",
        "levers",
    }
    settings = results["settings"]
    assert settings["n_train"] == 100 and settings["n_test"] == 20
    assert settings["batch_size"] == 10
    assert settings["repeats"] == QUICK_REPEATS
    assert settings["xla_cache"] == "off"
    assert isinstance(results["environment"]["cpus"], int)

    lesson = results["lesson"]
    names = ("plain_fit", "train_cached", "plain_fit_first", "train_first")
    steady = ("plain_fit_steady", "train_steady")
    assert set(lesson) == set(names) | set(steady)
    _check_measurement(lesson["plain_fit"], fresh_process=False, compiles=True)
    _check_measurement(lesson["train_cached"], fresh_process=False, compiles=False)
    _check_measurement(lesson["plain_fit_first"], fresh_process=True, compiles=True)
    _check_measurement(lesson["train_first"], fresh_process=True, compiles=True)
    for name in steady:  # the second call of the very same fresh processes
        _check_measurement(
            lesson[name], fresh_process=True, compiles=False, second_call=True
        )
        first = lesson[name.replace("_steady", "_first")]
        assert lesson[name]["started"] == first["started"]
    # Same seed, same data: a fresh process trains the very same model.
    for name in names:
        assert len(set(lesson[name]["test_accuracies"])) == 1, name
    assert lesson["train_first"]["test_accuracy"] == pytest.approx(
        lesson["train_cached"]["test_accuracy"]
    )
    assert lesson["plain_fit_first"]["test_accuracy"] == pytest.approx(
        lesson["plain_fit"]["test_accuracy"]
    )

    speedup = results["speedup"]
    assert set(speedup) == {"first_call", "steady_state", "cached_call"}
    assert speedup["steady_state"] == pytest.approx(
        lesson["plain_fit_steady"]["seconds"] / lesson["train_steady"]["seconds"]
    )
    assert speedup["cached_call"] == pytest.approx(
        lesson["plain_fit"]["seconds"] / lesson["train_cached"]["seconds"]
    )
    assert speedup["first_call"] == pytest.approx(
        lesson["plain_fit_first"]["seconds"] / lesson["train_first"]["seconds"]
    )

    levers = results["levers"]["xla_and_steps_per_execution"]
    combos = {(r["jit_compile"], r["steps_per_execution"]) for r in levers}
    assert combos == {(False, 1), (False, 5), (True, 1), (True, 5)}
    for row in levers:
        _check_measurement(row, fresh_process=False, compiles=True)
        # Keras's defaults on a CPU are no XLA and one step per call.
        same = (row["jit_compile"], row["steps_per_execution"]) == (False, 1)
        assert row["same_as_baseline"] is same
    batches = results["levers"]["batch_size"]
    assert [r["batch_size"] for r in batches] == [10]  # the lesson's, alone
    assert [r["steps"] for r in batches] == [10]
    for row in batches:
        _check_measurement(row, fresh_process=False, compiles=False)
        _check_measurement(row["first_call"], fresh_process=True, compiles=True)
        assert row["first_seconds"] == row["first_call"]["seconds"]
    assert batches[0]["repeats"] == lesson["train_cached"]["repeats"]
    assert batches[0]["first_call"] == lesson["train_first"]


@pytest.mark.slow
def test_speed_quick_run_interleaves_the_repeats(quick):
    _, results, _ = quick
    order = results["settings"]["order"]
    lesson, levers = results["lesson"], results["levers"]
    runs = {
        "plain_fit": lesson["plain_fit"],
        "plain_fit_first (fresh process)": lesson["plain_fit_first"],
    }
    for r in levers["xla_and_steps_per_execution"]:
        key = (
            f"fit jit_compile={r['jit_compile']} "
            f"steps_per_execution={r['steps_per_execution']}"
        )
        runs[key] = r
    for r in levers["batch_size"]:
        runs[f"train_cached batch_size={r['batch_size']}"] = r
        runs[f"train_first batch_size={r['batch_size']} (fresh process)"] = r[
            "first_call"
        ]
    assert sorted(order) == sorted(runs)
    # A B C ... A B C ...: every round runs each configuration once, in order.
    starts = [runs[key]["started"][i] for i in range(QUICK_REPEATS) for key in order]
    assert starts == sorted(starts) and len(set(starts)) == len(starts)


@pytest.mark.slow
def test_speed_quick_run_writes_markdown(quick):
    proc, results, table = quick
    separators = [
        line for line in table.splitlines() if re.fullmatch(r"\|(:?-+:?\|)+", line)
    ]
    assert len(separators) == 3  # three tables
    assert "`model.fit`, Keras defaults, in the benchmark's process" in table
    assert "`bilstm.train`, cached program" in table
    assert "first call in a fresh process (compiles)" in table
    assert "`bilstm.train`, second call in the same fresh process" in table
    assert f"median of {QUICK_REPEATS}" in table
    # The lever that is Keras's defaults again is labelled, not given a speed-up.
    noise = [line for line in table.splitlines() if "same as the baseline" in line]
    assert len(noise) == 1 and noise[0].startswith("| False | 1 |")
    # Medians with their lowest and highest run, e.g. "19.2 (18.7–20.1)".
    r = results["lesson"]["plain_fit"]
    cell = f"{r['seconds']:.1f} ({r['min']:.1f}–{r['max']:.1f})"
    assert f"in the benchmark's process (traces) | {cell} |" in table
    # A second call trains a second epoch: its accuracies are not shown.
    r = results["lesson"]["train_steady"]
    cell = f"{r['seconds']:.1f} ({r['min']:.1f}–{r['max']:.1f})"
    assert f"second call in the same fresh process | {cell} |" in table
    assert f"| {results['speedup']['steady_state']:.1f}× | — | — |" in table
    assert table == proc.stdout[: len(table)]


def test_quick_help_says_what_quick_does():
    proc = subprocess.run(
        [sys.executable, str(SCRIPT), "--help"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    help_text = " ".join(proc.stdout.split())
    assert "100 sequences, 20 to score" in help_text
    assert f"{QUICK_REPEATS} repeats" in help_text
