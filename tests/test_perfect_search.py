"""benchmarks/perfect_search.py: its rules, and a smoke run of the whole script."""

import argparse
import importlib.util
import json

from _scripts import ROOT, run_quick

import numpy as np
import pytest
from bilstm.data import get_sequences

SCRIPT = ROOT / "benchmarks" / "perfect_search.py"
_spec = importlib.util.spec_from_file_location("perfect_search", SCRIPT)
search = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(search)


def _result(cells, batch, params, passed, seconds):
    return {
        "cells": cells,
        "batch_size": batch,
        "params": params,
        "passed": passed,
        "median_seconds": seconds,
    }


def test_winners_are_the_fewest_weights_and_the_least_time_among_passes():
    results = [
        _result(1, 10, 25, False, 1.0),  # smaller and faster, but failed
        _result(4, 10, 201, True, 6.0),
        _result(16, 64, 2337, True, 3.0),
        _result(50, 10, 20901, True, 9.0),
    ]
    smallest, fastest = search.winners(results)
    assert (smallest["cells"], fastest["cells"]) == (4, 16)
    assert search.winners(results[:1]) == (None, None)


def test_closest_call_is_the_nearest_running_sum_to_the_limit():
    X, _ = get_sequences(100, 10, rng=2)
    gaps = np.abs(np.cumsum(X[..., 0], axis=1) - 2.5)
    assert search.closest_call() == pytest.approx(float(gaps.min()))
    assert 0 < search.closest_call() < 0.01


def test_lesson_test_is_the_books_lesson_test():
    # chapters 5 and 7 score their model with evaluate_fresh(model, 100, rng=SEED + 1)
    assert search.LESSON_TEST == {"n_test": 100, "test_seed": 2}


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--budget", "0"], "--budget must be >= 1"),
        (["--cells", "0"], "--cells and --batches"),
        (["--learning-rate", "2"], "--learning-rate"),
        (["--jobs", "0"], "--jobs must be a whole number >= 1, or -1"),
        (["--jobs", "-2"], "--jobs must be a whole number >= 1, or -1"),
        (["--jobs", "two"], "argument --jobs: invalid int value"),
        (["--scheduler"], "argument --scheduler: expected one argument"),
    ],
)
def test_bad_arguments_are_argparse_errors(argv, message, capsys):
    with pytest.raises(SystemExit) as err:
        search.parse_args(argv)
    assert err.value.code == 2
    assert message in capsys.readouterr().err


def test_jobs_default_to_one_and_to_every_dask_worker():
    assert search.parse_args([]).jobs == 1
    assert search.parse_args(["--jobs", "-1"]).jobs == -1
    args = search.parse_args(["--scheduler", "tcp://127.0.0.1:8786"])
    assert (args.jobs, args.scheduler) == (-1, "tcp://127.0.0.1:8786")
    assert search.parse_args(["--scheduler", "x", "--jobs", "3"]).jobs == 3


@pytest.mark.parametrize(
    "seeds, need, tried",
    [
        ((0, 1), 2, 1),  # dropped at the first miss: the second run is discarded
        ((0, 1, 2), 1, 3),  # two waves (0, 1) and (2,), every seed tried
    ],
)
def test_parallel_seeds_follow_the_serial_rules(seeds, need, tried):
    # Far too few sequences to reach the test: every run misses.
    args = argparse.Namespace(
        budget=100, learning_rate=0.02, check_every=50, seeds=seeds, need=need
    )
    setting = search.setting_for(2, 50, args)
    serial = search.try_setting(setting, argparse.Namespace(**vars(args), jobs=1))
    parallel = search.try_setting(setting, argparse.Namespace(**vars(args), jobs=2))
    assert serial["tried"] == parallel["tried"] == tried
    for result in (serial, parallel):
        for run in result["runs"]:
            del run["seconds"]
        del result["median_seconds"]
    assert parallel == serial
    assert [r["seed"] for r in serial["runs"]] == list(seeds[:tried])


def test_quick_run_writes_json_and_markdown(tmp_path):
    run_quick(SCRIPT, tmp_path)
    report = json.loads((tmp_path / "perfect_search.json").read_text())
    assert report["settings"]["quick"] is True
    assert report["closest_call"] == pytest.approx(search.closest_call())
    (result,) = report["results"]
    assert (result["cells"], result["batch_size"], result["params"]) == (2, 50, 69)
    assert 1 <= result["tried"] == len(result["runs"]) <= 2
    for run in result["runs"]:
        assert run["sequences"] <= 500 and run["seconds"] > 0
        assert 0.0 <= run["big_sequence_accuracy"] <= run["big_accuracy"] <= 1.0
        assert run["reached"] == (run["test_accuracy"] == 1.0)
    table = (tmp_path / "perfect_search.md").read_text().splitlines()
    assert len(table) == 3 and table[2].startswith("| 2 | 50 | 69 |")


def test_committed_results_are_a_full_search():
    report = json.loads((ROOT / "benchmarks/results/perfect_search.json").read_text())
    assert report["settings"]["quick"] is False
    assert report["settings"]["seeds"] == [0, 1, 2, 3, 4]
    smallest, fastest = search.winners(report["results"])
    assert report["smallest"] == [smallest["cells"], smallest["batch_size"]]
    assert report["fastest"] == [fastest["cells"], fastest["batch_size"]]
    for result in report["results"]:
        reached = sum(run["reached"] for run in result["runs"])
        assert result["reached"] == reached
        assert result["passed"] == (reached >= 4)
