"""One run function: the CLI, the panel and the runner train the same model."""

import keras
import numpy as np
import pytest
from bilstm import run
from bilstm.runs import test_sequences as draw_test_set
from bilstm.cli import main
from bilstm.experiments import run_experiment
from bilstm.widgets import TrainingPanel

SETTING = {"seed": 3, "n_train": 3000, "units": 16}


def same_weights(a, b):
    return len(a) == len(b) and all(
        np.array_equal(x, y) for x, y in zip(a, b, strict=True)
    )


@pytest.fixture(scope="module")
def reference():
    return run(SETTING)


@pytest.mark.slow
def test_cli_panel_and_runner_train_bit_identical_weights(reference, tmp_path):
    want = reference.model.get_weights()

    path = tmp_path / "cli.keras"
    argv = ["train", "--seed", "3", "--n-train", "3000", "--units", "16"]
    assert main([*argv, "--save", str(path)]) == 0
    assert same_weights(keras.models.load_model(path).get_weights(), want)

    panel = TrainingPanel.with_default_run(seed=3, n_train=3000, units=16)
    assert same_weights(panel.model.get_weights(), want)

    settings = {k: v for k, v in SETTING.items() if k != "seed"}
    (row,) = run_experiment([settings], [3], keep_models=True)
    assert same_weights(row["model"].get_weights(), want)

    other = run({**SETTING, "seed": 4})  # and the seed matters
    assert not same_weights(other.model.get_weights(), want)


def test_the_chunk_size_does_not_change_the_weights(reference):
    # The panel cuts training into shorter compiled chunks than the CLI; the
    # steps are the same, so the weights are too.
    chunked = run(SETTING, steps_per_execution=7)
    assert same_weights(chunked.model.get_weights(), reference.model.get_weights())
    assert chunked.training.steps == reference.training.steps == 300


def test_a_run_records_what_it_did(reference):
    assert reference.settings["n_train"] == 3000 and reference.seed == 3
    assert reference.test.X.shape == (100, 10, 1)  # the lesson's 100 test sequences
    assert 0.5 < reference.scores["accuracy"] <= 1.0
    assert reference.training.steps == 300 and reference.seconds > 0


@pytest.mark.slow
def test_bad_settings_fail_before_anything_trains():
    with pytest.raises(ValueError, match="units must be a whole number"):
        run({"units": -1})
    with pytest.raises(ValueError, match="build must be a function"):
        run(build="lstm")
    with pytest.raises(ValueError, match="test_seed must be a whole number"):
        run(test_seed=-2)


def test_weighted_data_and_a_separate_test_set():
    # A problem whose data come with per-step weights, and whose test set is
    # drawn by a function of its own (here: padded sequences, pre-padding).
    from bilstm.data import get_padded_sequences
    from bilstm.model import build_model

    def data(n, n_timesteps, rng):
        return get_padded_sequences(n, n_timesteps, 4, "post", rng=rng)

    def test_data(n, n_timesteps, rng):
        return get_padded_sequences(n, n_timesteps, 4, "pre", rng=rng)

    def build(settings):
        return build_model(None, settings["units"], mask=True)

    small = {"seed": 2, "n_train": 400, "units": 4, "n_test": 50, "n_timesteps": 8}
    result = run(small, build=build, data=data, test_data=test_data)
    X, y, w = test_data(50, 8, np.random.default_rng(0))
    assert result.test.X.shape == X.shape and result.test.w.shape == w.shape
    # pre-padded test sequences: every one ends on a real step
    assert np.all(result.test.w[:, -1] == 1.0)
    assert result.scores["n_steps"] == int(result.test.w.sum())
    with pytest.raises(ValueError, match=r"must return \(X, y\), \(X, y, sample_w"):
        run(small, build=build, data=lambda n, t, rng: data(n, t, rng)[0])
    with pytest.raises(ValueError, match="test_data must be a function"):
        run(small, test_data=3)


@pytest.mark.slow
def test_two_runs_training_at_once_each_match_their_serial_run():
    # Run B builds its model while run A trains, and both then train at the
    # same time (different shapes, so different compiled programs): each must
    # still get the weights it gets alone.
    import threading

    settings = [
        {"seed": 5, "n_train": 2000, "units": 8},
        {"seed": 6, "n_train": 2000, "units": 8, "merge_mode": "sum"},
    ]
    serial = [run(s).model.get_weights() for s in settings]
    meeting = threading.Barrier(2, timeout=120)

    class MeetAtFirstChunk(keras.callbacks.Callback):
        def __init__(self):
            super().__init__()
            self.met = False

        def on_train_batch_end(self, batch, logs=None):
            if not self.met:  # both runs are training now
                self.met = True
                meeting.wait()

    results = [None, None]

    def one(i):
        results[i] = run(
            settings[i], callbacks=[MeetAtFirstChunk()], steps_per_execution=20
        )

    threads = [threading.Thread(target=one, args=(i,)) for i in (0, 1)]
    threads[0].start()
    threads[1].start()
    for thread in threads:
        thread.join(timeout=300)
    assert not meeting.broken
    for result, want in zip(results, serial, strict=True):
        assert same_weights(result.model.get_weights(), want)


def test_run_can_train_without_scoring_or_score_its_own_way(reference):
    unscored = run(SETTING, score=False)
    assert unscored.scores is None and unscored.test is None
    assert same_weights(unscored.model.get_weights(), reference.model.get_weights())
    own = run(SETTING, score=lambda model: {"params": model.count_params()})
    assert own.scores == {"params": reference.model.count_params()}
    assert own.test is None
    with pytest.raises(ValueError, match="score must be True, False, a Sequences"):
        run(SETTING, score="yes")


def test_run_scores_on_a_test_set_it_is_given(reference):
    """``score=Sequences``: that test set, so a caller can draw it once."""
    test = draw_test_set(SETTING)
    given = run(SETTING, score=test)
    assert given.test is test
    assert given.scores["accuracy"] == reference.scores["accuracy"]
    assert given.scores["loss"] == reference.scores["loss"]
