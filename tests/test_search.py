"""bilstm.search: the stopping rule, summaries, winners and closest call."""

import numpy as np
import pytest
from bilstm.data import get_sequences, limit_for
from bilstm.experiments import run_experiment
from bilstm.search import (
    BIG_TEST,
    LESSON_TEST,
    N_TIMESTEPS,
    NEED,
    SEEDS,
    apply_stopping_rule,
    cannot_pass,
    closest_call,
    distances_to_limit,
    passed,
    reached_target,
    score_big_test,
    setting_for,
    steps_between_checks,
    summarize_setting,
    try_setting,
    winners,
)


def _row(seed, reached=True, name="4 units, batch 10", seconds=1.23456):
    """A hand-made row of run_experiment(..., track_test=True) with a target."""
    return {
        "name": name,
        "units": 4,
        "batch_size": 10,
        "seed": seed,
        "params": 201,
        "train_sequences": 70_000 + 1_000 * seed if reached else 100_000,
        "train_steps": 7_000 + 100 * seed if reached else 10_000,
        "train_seconds": seconds,
        "test_accuracy": 1.0 if reached else 0.997,
        "sequences_to_target": 70_000 + 1_000 * seed if reached else None,
    }


def _rows(pattern):
    """Rows for seeds 0, 1, ... that reach ("x") or miss (".") the target."""
    return [_row(seed, mark == "x") for seed, mark in enumerate(pattern)]


# --- the stopping rule -----------------------------------------------------------


def test_the_rule_is_four_of_five_seeds():
    assert (SEEDS, NEED) == ((0, 1, 2, 3, 4), 4)


def test_a_run_reaches_the_target_when_it_stopped_there():
    assert reached_target(_row(0, True)) is True
    assert reached_target(_row(0, False)) is False
    with pytest.raises(ValueError, match="track_test=True"):
        reached_target({"test_accuracy": 1.0})


@pytest.mark.parametrize(
    "pattern, hopeless",
    [
        ("", False),
        (".", False),  # one miss of five: four can still reach it
        ("x.x", False),
        ("..", True),  # two misses: at most three of five can reach it
        ("xxx.x.", True),
    ],
)
def test_a_setting_cannot_pass_once_too_many_seeds_missed(pattern, hopeless):
    assert cannot_pass(_rows(pattern), n_seeds=5, need=4) is hopeless


def test_need_of_one_allows_every_miss_but_the_last():
    assert not cannot_pass(_rows("...."), n_seeds=5, need=1)
    assert cannot_pass(_rows("....."), n_seeds=5, need=1)


@pytest.mark.parametrize(
    "pattern, kept",
    [
        ("xxxxx", 5),  # a passing setting runs every seed
        ("x.x.x", 4),  # the second miss drops it: the fifth run is discarded
        ("..xxx", 2),
        ("x.", 2),  # still undecided: everything is kept
    ],
)
def test_the_stopping_rule_keeps_the_runs_of_seeds_run_one_at_a_time(pattern, kept):
    rows = _rows(pattern)
    assert apply_stopping_rule(rows, n_seeds=5, need=4) == rows[:kept]


def test_the_rule_takes_any_test_of_a_run():
    rows = [{"test_accuracy": a} for a in (0.99, 0.97, 0.985, 0.975, 0.99)]

    def reached(row):
        return row["test_accuracy"] >= 0.98

    assert len(apply_stopping_rule(rows, n_seeds=5, need=4, reached=reached)) == 4
    assert passed(rows, need=3, reached=reached)
    assert not passed(rows, need=4, reached=reached)


def test_a_setting_passes_with_at_least_need_runs_reaching():
    assert passed(_rows("xx.xx"))
    assert not passed(_rows("x.x.x"))
    assert passed(_rows("x"), need=1) and not passed(_rows("."), need=1)


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: cannot_pass(_rows("x"), n_seeds=3, need=4), "need must be at most"),
        (lambda: cannot_pass(_rows("x"), n_seeds=5, need=0), "need must be a whole"),
        (lambda: passed(_rows("x"), need=2.5), "need must be a whole"),
        (lambda: passed(_row(0)), "rows must be a list"),
        (lambda: passed([_row(0), 3]), "row 1 must be a dict"),
        (lambda: passed(_rows("x"), reached="yes"), "reached must be a function"),
        (lambda: apply_stopping_rule(_rows("x"), n_seeds=0), "n_seeds must be"),
    ],
)
def test_bad_rule_arguments_are_value_errors(call, message):
    with pytest.raises(ValueError, match=message):
        call()


# --- the perfect search's settings and summaries ---------------------------------


def test_lesson_test_is_the_books_lesson_test():
    # a fixed stand-in for the lesson's 100 test sequences: seed 2, shared by every run
    assert (N_TIMESTEPS, LESSON_TEST) == (10, {"n_test": 100, "test_seed": 2})
    assert BIG_TEST == {"n_test": 10_000, "test_seed": 2024}


def test_setting_for_trains_down_a_cosine_to_a_perfect_lesson_test():
    setting = setting_for(8, 64, n_train=100_000, learning_rate=0.02)
    assert setting == {
        "name": "8 units, batch 64",
        "n_timesteps": 10,
        "units": 8,
        "batch_size": 64,
        "n_train": 100_000,
        "learning_rate": 0.02,
        "schedule": "cosine",
        "target": 1.0,
        "n_test": 100,
        "test_seed": 2,
    }


@pytest.mark.parametrize(
    "check_every, batch_size, steps", [(2_000, 10, 200), (2_000, 64, 31), (100, 128, 1)]
)
def test_checks_fall_on_whole_batches(check_every, batch_size, steps):
    assert steps_between_checks(check_every, batch_size) == steps


def test_steps_between_checks_rejects_bad_counts():
    with pytest.raises(ValueError, match="check_every must be a whole number >= 1"):
        steps_between_checks(0, 10)
    with pytest.raises(ValueError, match="batch_size must be a whole number"):
        steps_between_checks(2_000, 1.5)


def test_a_setting_summary_is_the_reports_record():
    rows = [_row(0, True, seconds=2.0004), _row(1, False, seconds=4.0), _row(2)]
    big = [{"accuracy": 0.999, "sequence_accuracy": 0.99 - i / 100} for i in range(3)]
    summary = summarize_setting(rows, big, need=2)
    assert list(summary) == [
        "units",
        "batch_size",
        "params",
        "passed",
        "reached",
        "tried",
        "median_seconds",
        "median_sequences",
        "runs",
    ]
    assert (summary["units"], summary["batch_size"], summary["params"]) == (4, 10, 201)
    assert (summary["passed"], summary["reached"], summary["tried"]) == (True, 2, 3)
    assert summary["median_seconds"] == 2.0  # of the rounded seconds
    assert summary["median_sequences"] == 72_000
    assert summary["runs"][0] == {
        "seed": 0,
        "reached": True,
        "sequences": 70_000,
        "steps": 7_000,
        "seconds": 2.0,
        "test_accuracy": 1.0,
        "big_accuracy": 0.999,
        "big_sequence_accuracy": 0.99,
    }
    assert summary["runs"][1]["reached"] is False
    assert not summarize_setting(rows, need=3)["passed"]
    assert "big_accuracy" not in summarize_setting(rows)["runs"][0]


@pytest.mark.parametrize(
    "rows, big, message",
    [
        ([], None, "at least one row"),
        ([_row(0), _row(1, name="other")], None, "one setting"),
        ([{"name": "s", "seed": 0}], None, r"no field\(s\) \['units'"),
        ([_row(0)], [], "one score per row"),
    ],
)
def test_bad_rows_for_a_summary_are_value_errors(rows, big, message):
    with pytest.raises(ValueError, match=message):
        summarize_setting(rows, big)


def test_the_big_test_needs_the_trained_models():
    with pytest.raises(ValueError, match="keep_models=True"):
        score_big_test([_row(0)])


# --- the winners -----------------------------------------------------------------


def _result(units, params, passed, seconds):
    return {
        "units": units,
        "params": params,
        "passed": passed,
        "median_seconds": seconds,
    }


def test_winners_are_the_fewest_weights_and_the_least_time_among_passes():
    results = [
        _result(1, 25, False, 1.0),  # smaller and faster, but failed
        _result(4, 201, True, 6.0),
        _result(16, 2337, True, 3.0),
        _result(50, 20901, True, 9.0),
    ]
    smallest, fastest = winners(results)
    assert (smallest["units"], fastest["units"]) == (4, 16)
    assert winners(results[:1]) == (None, None)
    assert winners([]) == (None, None)


def test_winners_break_ties_on_the_other_measure():
    results = [
        _result(5, 201, True, 3.0),  # as small as 4 cells, but slower
        _result(8, 657, True, 2.0),  # as fast as 4 cells, but larger
        _result(4, 201, True, 2.0),
    ]
    smallest, fastest = winners(results)
    assert (smallest["units"], fastest["units"]) == (4, 4)


def test_winners_need_setting_summaries():
    with pytest.raises(ValueError, match="list of result dicts"):
        winners(_result(4, 201, True, 1.0))
    with pytest.raises(ValueError, match=r"result 0 has no \['median_seconds'\]"):
        winners([{"passed": True, "params": 3}])


# --- the closest call ------------------------------------------------------------


def test_the_closest_call_is_the_running_sum_nearest_the_limit():
    X = np.array([[0.5, 0.4, 0.2, 0.1], [0.9, 0.05, 0.3, 0.0]])  # limit 1.0
    call = closest_call(X)
    assert (call["sequence"], call["step"]) == (1, 1)
    assert call["running_sum"] == pytest.approx(0.95)
    assert call["distance"] == pytest.approx(0.05)
    assert distances_to_limit(X) == pytest.approx(
        np.array([[0.5, 0.1, 0.1, 0.2], [0.1, 0.05, 0.25, 0.25]])
    )
    assert closest_call(X[..., np.newaxis]) == call  # get_sequences' layout


def test_the_lesson_tests_closest_call():
    X, _ = get_sequences(100, 10, rng=2)
    gaps = np.abs(np.cumsum(X[..., 0], axis=1) - limit_for(10))
    call = closest_call(X)
    assert call["distance"] == float(gaps.min())
    assert 0 < call["distance"] < 0.01
    assert abs(call["running_sum"] - 2.5) == pytest.approx(call["distance"])


@pytest.mark.parametrize(
    "X", [np.zeros(5), np.zeros((2, 3, 2)), np.zeros((0, 4)), [["a", "b"]]]
)
def test_the_closest_call_needs_sequences(X):
    with pytest.raises(ValueError, match=r"X must be numbers shaped \(n_sequences"):
        closest_call(X)


# --- try_setting trains (tiny runs) ----------------------------------------------


# Far too few sequences to reach the test: every run misses.
HOPELESS = setting_for(2, 50, n_train=100, learning_rate=0.02)


def _tracked(**options):
    return {"track_test": True, "steps_per_execution": 1, **options}


@pytest.mark.parametrize(
    "seeds, need, tried",
    [
        ((0, 1), 2, 1),  # dropped at the first miss: the second run is discarded
        ((0, 1, 2), 1, 3),  # two waves (0, 1) and (2,), every seed tried
    ],
)
@pytest.mark.slow
def test_parallel_seeds_follow_the_serial_rules(seeds, need, tried):
    setting = HOPELESS
    serial = try_setting(setting, seeds, need=need, **_tracked())
    parallel = try_setting(setting, seeds, need=need, n_jobs=2, **_tracked())
    assert len(serial) == len(parallel) == tried
    assert [r["seed"] for r in serial] == list(seeds[:tried])
    for one, other in zip(serial, parallel, strict=True):
        for key in ("seed", "train_sequences", "test_accuracy", "sequences_to_target"):
            assert one[key] == other[key]


@pytest.mark.slow
def test_a_setting_that_can_pass_runs_every_seed():
    setting = {**HOPELESS, "target": None}
    rows = try_setting(setting, (0, 1, 2), need=3, reached=lambda row: True)
    assert [r["seed"] for r in rows] == [0, 1, 2]
    # the same rows as the runner's own, run for run
    runner = run_experiment([setting], [0, 1, 2])
    assert [r["test_accuracy"] for r in rows] == [r["test_accuracy"] for r in runner]


@pytest.mark.parametrize(
    "seeds, options, message",
    [
        ((0, 1), {"need": 3}, "need must be at most the number of seeds"),
        ((0, 0), {}, "seeds must be distinct"),
        (3, {}, "seeds must be a list"),
        ((0, 1), {"need": 1, "n_jobs": 0}, "n_jobs must be a whole number >= 1"),
        ((0, 1), {"need": 1, "n_jobs": 1.5}, "n_jobs must be a whole number >= 1"),
        ((0, 1), {"need": 1, "n_jobs": "two"}, "n_jobs must be a whole number >= 1"),
        ((0, 1), {"need": 1, "reached": None}, "reached must be a function"),
    ],
)
def test_bad_arguments_fail_before_training(seeds, options, message):
    with pytest.raises(ValueError, match=message):
        try_setting(HOPELESS, seeds, **options)
