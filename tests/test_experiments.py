"""The experiment runner: settings x seeds -> one tidy row per run."""

import matplotlib

matplotlib.use("Agg")

import random
import threading

import joblib
import keras
import numpy as np
import pytest
from bilstm.data import get_padded_sequences, get_sequences
from bilstm.runs import COSINE_FLOOR
from bilstm.evaluation import evaluate
from bilstm.experiments import (
    SWEEP,
    curves,
    first_reaching,
    group,
    run_experiment,
    summarize,
    values,
)
from bilstm.plots import (
    plot_final_scores,
    plot_frontier,
    plot_run_curves,
    plot_step_accuracy,
)

TINY = {"n_timesteps": 4, "units": 2, "n_train": 60, "batch_size": 10, "n_test": 20}
SETTINGS = [
    {**TINY, "name": "bi"},
    {**TINY, "name": "bi sum", "merge_mode": "sum"},
]
SEEDS = [0, 1, 2]


@pytest.fixture(scope="module")
def rows():
    return run_experiment(SETTINGS, SEEDS, steps_per_execution=2)


@pytest.mark.slow
def test_one_row_per_setting_and_seed(rows):
    assert len(rows) == len(SETTINGS) * len(SEEDS)
    assert [(r["name"], r["seed"]) for r in rows] == [
        (s["name"], seed) for s in SETTINGS for seed in SEEDS
    ]


def test_rows_hold_settings_and_sane_measurements(rows):
    for row in rows:
        for key in SWEEP:
            assert key in row
        assert row["n_timesteps"] == 4 and row["units"] == 2
        assert row["train_steps"] == 6 and row["train_sequences"] == 60
        assert row["train_seconds"] > 0
        for key in ("train_accuracy", "test_accuracy", "test_sequence_accuracy"):
            assert 0.0 <= row[key] <= 1.0
        assert row["train_loss"] > 0 and row["test_loss"] > 0
        # one window per chunk of 2 batches
        assert list(row["curve_step"]) == [2, 4, 6]
        assert list(row["curve_sequences"]) == [20, 40, 60]
        assert len(row["curve_accuracy"]) == len(row["curve_loss"]) == 3
        assert row["test_step_accuracy"].shape == (4,)
        assert row["test_step_accuracy"].mean() == pytest.approx(row["test_accuracy"])
    by_name = group(rows)
    # concat doubles the width the Dense layer sees; sum keeps it
    assert by_name["bi"][0]["params"] == 2 * (4 * 2 * (1 + 2 + 1)) + (2 * 2 + 1)
    assert by_name["bi sum"][0]["params"] == 2 * (4 * 2 * (1 + 2 + 1)) + (2 + 1)


def test_same_seeds_give_the_same_results(rows):
    again = run_experiment(SETTINGS[:1], SEEDS[:2], steps_per_execution=2)
    for a, b in zip(rows[:2], again, strict=True):
        assert a["test_accuracy"] == b["test_accuracy"]
        assert a["test_loss"] == pytest.approx(b["test_loss"], rel=1e-6)
        np.testing.assert_allclose(a["curve_loss"], b["curve_loss"], rtol=1e-6)
    # different seeds give different runs
    assert rows[0]["test_loss"] != rows[1]["test_loss"]


def test_summaries_and_curves(rows):
    summary = summarize(rows, "test_accuracy")
    assert list(summary) == ["bi", "bi sum"]
    for name, s in summary.items():
        v = values(group(rows)[name], "test_accuracy")
        assert s["n"] == 3
        assert s["mean"] == pytest.approx(v.mean())
        assert s["min"] <= s["q1"] <= s["median"] <= s["q3"] <= s["max"]
        assert s["std"] == pytest.approx(v.std(ddof=1))
    stacked = curves(rows)
    x, runs = stacked["bi"]
    assert list(x) == [20, 40, 60] and runs.shape == (3, 3)
    assert first_reaching([1, 2, 3], [0.2, 0.9, 0.95], 0.9) == 2.0
    assert first_reaching([1, 2, 3], [0.2, 0.5, 0.6], 0.9) is None


def test_track_test_and_target_stop_early():
    settings = [{**TINY, "name": "easy", "target": 0.01}]
    (row,) = run_experiment(settings, [0], track_test=True, steps_per_execution=2)
    # any model gets at least 1% of the steps right: it stops after the first chunk
    assert row["sequences_to_target"] == 20
    assert row["train_sequences"] == 20
    assert list(row["test_curve_step"]) == [2]


def test_tracked_test_curve_matches_evaluate():
    setting = {**TINY, "name": "tracked", "n_train": 40}
    (row,) = run_experiment(
        [setting], [3], track_test=True, keep_models=True, steps_per_execution=2
    )
    assert list(row["test_curve_step"]) == [2, 4]
    # the last check scores the final model, exactly as evaluate() does
    assert row["test_curve_accuracy"][-1] == row["test_accuracy"]
    assert row["test_accuracy"] == evaluate(row["model"], *_test_set(row))["accuracy"]


def _test_set(row, seed=None):
    rng = np.random.default_rng(seed if seed is not None else (row["seed"], 2))
    return get_sequences(row["n_test"], row["n_timesteps"], rng=rng)


def test_cosine_schedule_decays_over_the_run_to_the_floor():
    setting = {**TINY, "name": "cos", "schedule": "cosine", "learning_rate": 0.02}
    (row,) = run_experiment([setting], [0], keep_models=True, steps_per_execution=2)
    optimizer = row["model"].optimizer
    assert int(optimizer.iterations) == 6  # 60 sequences in batches of 10
    assert float(optimizer.learning_rate) == pytest.approx(0.02 * COSINE_FLOOR)
    assert row["schedule"] == "cosine" and row["learning_rate"] == 0.02
    (plain,) = run_experiment([{**TINY, "learning_rate": 0.02}], [0], keep_models=True)
    assert float(plain["model"].optimizer.learning_rate) == pytest.approx(0.02)


def test_test_seed_shares_one_test_set_between_seeds():
    setting = {**TINY, "name": "shared", "test_seed": 7}
    rows = run_experiment([setting], [0, 1], keep_models=True)
    X, y = get_sequences(TINY["n_test"], TINY["n_timesteps"], rng=7)
    for row in rows:
        assert row["test_accuracy"] == evaluate(row["model"], X, y)["accuracy"]


def _rnn_builder():
    """A model builder defined inside a function, as a notebook's would be."""

    def build(setting):
        inputs = keras.Input((setting["n_timesteps"], 1))
        x = keras.layers.SimpleRNN(setting["units"], return_sequences=True)(inputs)
        outputs = keras.layers.Dense(1, activation="sigmoid")(x)
        model = keras.Model(inputs, outputs)
        model.compile(
            loss="binary_crossentropy", optimizer="adam", metrics=["accuracy"]
        )
        return model

    return build


def test_custom_build():
    build = _rnn_builder()

    calls = []

    def constant_data(n, n_timesteps, rng):
        calls.append((n, n_timesteps))
        X = rng.random((n, n_timesteps, 1)).astype("float32")
        return X, np.ones_like(X)

    setting = {**TINY, "name": "rnn", "build": build, "data": constant_data}
    (row,) = run_experiment([setting], [0], keep_models=True)
    assert row["params"] == (1 + 2 + 1) * 2 + 3
    assert row["model"].count_params() == row["params"]
    assert calls == [(20, 4), (60, 4)]  # the test set (drawn once), then training


@pytest.mark.parametrize(
    "settings, seeds",
    [
        ({"name": "x"}, [0]),  # not a list
        ([], [0]),
        ([{"name": "a"}, {"name": "a"}], [0]),  # repeated name
        ([{"units": 0}], [0]),
        ([{"cels": 4}], [0]),  # unknown key
        ([{"target": 1.5}], [0]),
        ([{"name": "a"}], []),
        ([{"name": "a"}], [0, 0]),
        ([{"name": "a"}], [-1]),
        ([{"name": "a"}], 3),
        ([{"name": "a", "build": "not callable"}], [0]),
        ([{"name": "a", "data": 3}], [0]),
        ([{"name": "a", "schedule": "step"}], [0]),
        ([{"name": "a", "learning_rate": -0.1}], [0]),
        ([{"name": "a", "test_seed": -2}], [0]),
    ],
)
def test_bad_input_raises(settings, seeds):
    with pytest.raises(ValueError):
        run_experiment(settings, seeds)


# --- n_jobs: the same rows from worker processes, or from a Dask cluster ----------

SMALL = {"n_timesteps": 5, "n_train": 200, "batch_size": 10, "n_test": 20}
PARALLEL_SETTINGS = [
    {**SMALL, "name": "2 cells", "units": 2},
    {**SMALL, "name": "4 cells, forward", "units": 4, "direction": "forward"},
    {**SMALL, "name": "3 cells, cosine", "units": 3, "schedule": "cosine"},
    {**SMALL, "name": "3 cells, target", "units": 3, "target": 0.6},
]
PARALLEL_SEEDS = [0, 1]
PARALLEL_KW = {"track_test": True, "steps_per_execution": 5}


def _differences(a, b):
    """Fields of two rows that are not identical (train_seconds is a wall time)."""
    assert a.keys() - {"model"} == b.keys() - {"model"}
    out = []
    for key in a.keys() - {"train_seconds", "model"}:
        x, y = a[key], b[key]
        if isinstance(x, np.ndarray):
            if not (x.dtype == y.dtype and np.array_equal(x, y)):
                out.append(key)
        elif x != y:
            out.append(key)
    return sorted(out)


def _assert_same_rows(serial, parallel):
    assert [(r["name"], r["seed"]) for r in parallel] == [
        (r["name"], r["seed"]) for r in serial
    ]
    for a, b in zip(serial, parallel, strict=True):
        assert _differences(a, b) == [], (a["name"], a["seed"])


@pytest.fixture(scope="module")
def serial_rows():
    # This process has trained other models before (and keeps their compiled
    # programs); the workers start fresh. The rows must not care.
    return run_experiment(PARALLEL_SETTINGS, PARALLEL_SEEDS, **PARALLEL_KW)


@pytest.mark.slow
def test_n_jobs_2_gives_the_serial_rows(serial_rows):
    seen = []
    rows = run_experiment(
        PARALLEL_SETTINGS,
        PARALLEL_SEEDS,
        n_jobs=2,
        progress=lambda row: seen.append((row["name"], row["seed"])),
        **PARALLEL_KW,
    )
    _assert_same_rows(serial_rows, rows)
    assert seen == [(r["name"], r["seed"]) for r in rows]  # in order
    assert rows[-1]["sequences_to_target"] is not None
    assert all("model" not in r and "_model" not in r for r in rows)


@pytest.mark.slow
def test_n_jobs_keeps_models_and_custom_builds(serial_rows):
    build = _rnn_builder()  # a function defined in a function: sent by value

    settings = [PARALLEL_SETTINGS[0], {**SMALL, "name": "rnn", "units": 2}]
    settings[1]["build"] = build
    serial = run_experiment(settings, [0, 1], keep_models=True, **PARALLEL_KW)
    rows = run_experiment(settings, [0, 1], keep_models=True, n_jobs=2, **PARALLEL_KW)
    _assert_same_rows(serial, rows)
    _assert_same_rows(serial_rows[:2], rows[:2])
    for a, b in zip(serial, rows, strict=True):
        # the model comes back trained: same weights, same optimizer state
        for x, y in zip(
            a["model"].get_weights(), b["model"].get_weights(), strict=True
        ):
            np.testing.assert_array_equal(x, y)
        assert int(b["model"].optimizer.iterations) == b["train_steps"]
        X_test, y_test = _test_set(b)
        assert evaluate(b["model"], X_test, y_test)["accuracy"] == b["test_accuracy"]
    assert rows[2]["params"] == (1 + 2 + 1) * 2 + 3


@pytest.mark.slow
def test_dask_cluster_gives_the_serial_rows(serial_rows):
    distributed = pytest.importorskip("distributed")
    settings = [PARALLEL_SETTINGS[0], PARALLEL_SETTINGS[-1]]  # plain, and a target
    with (
        distributed.LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address=":0",  # a free port: 8787 may be taken
        ) as cluster,
        distributed.Client(cluster),
        joblib.parallel_config(backend="dask"),
    ):
        # n_jobs=-1: every worker of the cluster
        rows = run_experiment(settings, PARALLEL_SEEDS, n_jobs=-1, **PARALLEL_KW)
    _assert_same_rows(serial_rows[:2] + serial_rows[-2:], rows)


@pytest.mark.slow
def test_other_threads_drawing_random_numbers_change_nothing(serial_rows):
    # A Dask worker's own threads draw from Python's global random generator
    # while a run builds its model; Keras's default seeds must not see that.
    stop = threading.Event()

    def draw():
        while not stop.is_set():
            random.random()

    thread = threading.Thread(target=draw, daemon=True)
    thread.start()
    try:
        rows = run_experiment(PARALLEL_SETTINGS[:2], PARALLEL_SEEDS, **PARALLEL_KW)
    finally:
        stop.set()
        thread.join()
    _assert_same_rows(serial_rows[:4], rows)


@pytest.mark.slow
def test_a_model_keras_cannot_rebuild_is_a_clear_error():
    class Twice(keras.layers.Layer):  # not registered: Keras cannot rebuild it
        def call(self, x):
            return 2 * x

    def build(setting):
        inputs = keras.Input((setting["n_timesteps"], 1))
        x = keras.layers.SimpleRNN(2, return_sequences=True)(Twice()(inputs))
        model = keras.Model(inputs, keras.layers.Dense(1, activation="sigmoid")(x))
        model.compile(loss="binary_crossentropy", optimizer="adam")
        return model

    setting = {**SMALL, "name": "twice", "build": build}
    with pytest.raises(ValueError, match="keep_models=True with n_jobs=1"):
        run_experiment([setting], [0], keep_models=True, n_jobs=2)
    (row,) = run_experiment([setting], [0], n_jobs=2)  # without the model: fine
    assert row["params"] == (1 + 2 + 1) * 2 + 3


@pytest.mark.parametrize("n_jobs", [0, -2, 1.5, 2.0, True, "2", None])
def test_bad_n_jobs_raises(n_jobs):
    with pytest.raises(ValueError, match=r"n_jobs must be a whole number >= 1.*-1"):
        run_experiment([TINY], [0], n_jobs=n_jobs)


def test_unpicklable_build_is_a_clear_error():
    lock = threading.Lock()

    def build(setting):
        with lock:
            raise AssertionError("never called")

    with pytest.raises(ValueError, match="cannot be sent to worker processes"):
        run_experiment([{**TINY, "build": build}], [0, 1], n_jobs=2)


def test_target_needs_tracking():
    with pytest.raises(ValueError, match="track_test"):
        run_experiment([{**TINY, "target": 0.9}], [0])


def test_summary_of_missing_field_raises(rows):
    with pytest.raises(ValueError):
        summarize(rows, "no_such_field")


def test_plots(rows):
    fig = plot_run_curves(curves(rows), band="iqr")
    ax = fig.axes[0]
    assert len(ax.lines) == 2 and len(ax.collections) == 2
    scores = {n: values(r, "test_accuracy") for n, r in group(rows).items()}
    fig = plot_final_scores(scores)
    assert len(fig.axes[0].collections) == 2
    fig = plot_frontier([5, 10], [2, None], tested=[(5, 2, True), (10, 2, False)])
    assert len(fig.axes[0].lines) == 1 and len(fig.axes[0].collections) == 2
    with pytest.raises(ValueError):
        plot_run_curves(curves(rows), band="sd")
    per_step = {
        n: np.stack([r["test_step_accuracy"] for r in g])
        for n, g in group(rows).items()
    }
    fig = plot_step_accuracy(per_step, reference={"ceiling": np.ones(4)})
    assert len(fig.axes[0].lines) == 3  # two means and the reference


# --- padded problems: the test tracker and the per-step accuracy -------------


def _padded(n_sequences, n_timesteps, rng):
    return get_padded_sequences(n_sequences, n_timesteps, 5, "post", rng=rng)


PADDED = {**TINY, "name": "padded", "n_timesteps": 10, "n_train": 60, "n_test": 40}


def test_track_test_works_on_a_padded_problem_and_counts_real_steps_only():
    # Before: test_sequences returned (X, y, w) here and the runner unpacked
    # two values, so this raised "too many values to unpack".
    (row,) = run_experiment(
        [{**PADDED, "data": _padded}], [1], track_test=True, steps_per_execution=3
    )
    assert len(row["test_curve_step"]) == 2
    # the last check scores the final model as evaluate() does: real steps only
    assert row["test_curve_accuracy"][-1] == pytest.approx(
        row["test_accuracy"], abs=1e-9
    )


def test_step_accuracy_leaves_padding_out():
    # Before: 1 - wrong.mean(axis=0) counted every padded step as right, so
    # the last positions (mostly padding) looked nearly perfect.
    (row,) = run_experiment(
        [{**PADDED, "data": _padded}], [2], keep_models=True, steps_per_execution=3
    )
    X, y, w = _padded(40, 10, np.random.default_rng((2, 2)))
    scores = evaluate(row["model"], X, y, w)
    counted = w > 0
    right = counted & ~scores["wrong"]
    want = right.sum(axis=0) / counted.sum(axis=0)
    np.testing.assert_allclose(row["test_step_accuracy"], want)
    old = 1.0 - scores["wrong"].mean(axis=0)
    padded_positions = counted.sum(axis=0) < len(X)
    assert np.all(old[padded_positions] >= want[padded_positions])
    assert np.any(old[padded_positions] > want[padded_positions])
