"""benchmarks/perfect_search.py: its command line, its report, and a smoke run.

The rules it applies are bilstm.search's, tested in tests/test_search.py.
"""

import importlib.util
import json
import sys

from _scripts import ROOT, run_quick

import pytest
from bilstm.data import get_sequences
from bilstm.search import LESSON_TEST, N_TIMESTEPS, closest_call, passed, winners

SCRIPT = ROOT / "benchmarks" / "perfect_search.py"
# The script imports its neighbour provenance.py, as `python benchmarks/...` allows.
sys.path.insert(0, str(SCRIPT.parent))
_spec = importlib.util.spec_from_file_location("perfect_search", SCRIPT)
script = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(script)
REPORT = ROOT / "benchmarks" / "results" / "perfect_search.json"


def _lesson_closest_call():
    X, _ = get_sequences(
        LESSON_TEST["n_test"], N_TIMESTEPS, rng=LESSON_TEST["test_seed"]
    )
    return closest_call(X)["distance"]


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--budget", "0"], "--budget must be >= 1"),
        (["--units", "0"], "--units and --batches"),
        (["--learning-rate", "2"], "--learning-rate"),
        (["--jobs", "0"], "--jobs must be a whole number >= 1, or -1"),
        (["--jobs", "-2"], "--jobs must be a whole number >= 1, or -1"),
        (["--jobs", "two"], "argument --jobs: invalid int value"),
        (["--scheduler"], "argument --scheduler: expected one argument"),
        (["--out", "README.md"], "--out README.md: "),
        (["--out", "README.md/results"], "README.md is not a folder"),
    ],
)
def test_bad_arguments_are_argparse_errors(argv, message, capsys):
    with pytest.raises(SystemExit) as err:
        script.parse_args(argv)
    assert err.value.code == 2
    assert message in capsys.readouterr().err


def test_jobs_default_to_one_and_to_every_dask_worker():
    assert script.parse_args([]).jobs == 1
    assert script.parse_args(["--jobs", "-1"]).jobs == -1
    args = script.parse_args(["--scheduler", "tcp://127.0.0.1:8786"])
    assert (args.jobs, args.scheduler) == (-1, "tcp://127.0.0.1:8786")
    assert script.parse_args(["--scheduler", "x", "--jobs", "3"]).jobs == 3


@pytest.mark.slow
def test_quick_run_writes_json_and_markdown(tmp_path):
    run_quick(SCRIPT, tmp_path)
    report = json.loads((tmp_path / "perfect_search.json").read_text())
    assert report["settings"]["quick"] is True
    assert report["closest_call"] == _lesson_closest_call()
    (result,) = report["results"]
    assert (result["units"], result["batch_size"], result["params"]) == (2, 50, 69)
    assert 1 <= result["tried"] == len(result["runs"]) <= 2
    for run in result["runs"]:
        assert run["sequences"] <= 500 and run["seconds"] > 0
        assert 0.0 <= run["big_sequence_accuracy"] <= run["big_accuracy"] <= 1.0
        assert run["reached"] == (run["test_accuracy"] == 1.0)
    table = (tmp_path / "perfect_search.md").read_text().splitlines()
    assert len(table) == 3 and table[2].startswith("| 2 | 50 | 69 |")


def test_committed_results_are_a_full_search():
    report = json.loads(REPORT.read_text())
    assert report["settings"]["quick"] is False
    assert report["settings"]["seeds"] == [0, 1, 2, 3, 4]
    assert report["settings"]["test"] == LESSON_TEST
    assert report["closest_call"] == pytest.approx(_lesson_closest_call())
    smallest, fastest = winners(report["results"])
    assert report["smallest"] == [smallest["units"], smallest["batch_size"]]
    assert report["fastest"] == [fastest["units"], fastest["batch_size"]]
    for result in report["results"]:
        runs = result["runs"]
        assert result["reached"] == sum(run["reached"] for run in runs)
        assert result["passed"] == passed(runs, need=4, reached=lambda r: r["reached"])


def test_committed_table_is_the_reports():
    report = json.loads(REPORT.read_text())
    table = (ROOT / "benchmarks" / "results" / "perfect_search.md").read_text()
    assert script.markdown(report) == table
