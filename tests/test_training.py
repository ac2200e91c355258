import keras
import numpy as np
import pytest

from bilstm import training
from bilstm.data import get_sequences
from bilstm.evaluation import evaluate
from bilstm.model import build_model
from bilstm.seeding import set_seed
from bilstm.training import train, window_curve


@pytest.fixture(scope="module")
def data():
    return get_sequences(4000, 10, rng=0), get_sequences(1000, 10, rng=1)


def majority_baselines(y):
    """Accuracy of always predicting the commoner label: overall, and per step."""
    ones = y[..., 0].mean(axis=0)
    overall = max(ones.mean(), 1 - ones.mean())
    return float(overall), float(np.maximum(ones, 1 - ones).mean())


def test_small_seeded_run_learns_the_problem(data):
    (X, y), (Xt, yt) = data
    set_seed(0)
    model = build_model(10, 20)
    result = train(model, X, y, batch_size=10)
    scores = evaluate(model, Xt, yt)
    overall, per_step = majority_baselines(yt)
    assert scores["accuracy"] > overall + 0.25
    # The per-step majority rule is strong (about 89%); learning must halve
    # most of its errors, not just match it.
    assert 1 - scores["accuracy"] < 0.6 * (1 - per_step)
    assert result.steps == 400 and not result.stopped
    assert result.history["loss"][0] == pytest.approx(result.loss)


def test_fast_path_matches_plain_fit(data):
    (X, y), (Xt, yt) = data
    scores = {}
    for fast in (True, False):
        set_seed(1)
        model = build_model(10, 20)
        result = train(model, X, y, batch_size=10, shuffle=False, fast=fast)
        scores[fast] = (result, evaluate(model, Xt, yt))
    (fast, fast_eval), (plain, plain_eval) = scores[True], scores[False]
    assert not plain.fast and fast.fast
    assert fast.loss == pytest.approx(plain.loss, rel=0.02)
    assert fast_eval["accuracy"] == pytest.approx(plain_eval["accuracy"], abs=0.01)


def test_same_seed_gives_the_same_model(data):
    (X, y), _ = data
    weights = []
    for _ in range(2):
        set_seed(7)
        model = build_model(10, 8)
        train(model, X[:500], y[:500], batch_size=25, rng=3)
        weights.append(model.get_weights())
    for a, b in zip(*weights):
        np.testing.assert_array_equal(a, b)


def test_compiled_program_is_reused_for_a_second_model(data):
    (X, y), _ = data
    set_seed(2)
    train(build_model(10, 9), X[:100], y[:100], batch_size=10)
    before = len(training._PROGRAMS)
    set_seed(3)
    train(build_model(10, 9), X[:100], y[:100], batch_size=10)
    assert len(training._PROGRAMS) == before


def test_partial_last_batch_and_several_epochs(data):
    (X, y), _ = data
    set_seed(4)
    model = build_model(10, 8)
    result = train(model, X[:105], y[:105], batch_size=10, epochs=3)
    assert len(result.history["loss"]) == 3
    assert result.steps == 3 * 11
    assert all(np.isfinite(result.history["loss"]))


class StopAfterFirstChunk(keras.callbacks.Callback):
    def on_train_batch_end(self, batch, logs=None):
        self.model.stop_training = True


def test_callback_can_stop_training_and_partial_model_is_kept(data):
    (X, y), _ = data
    set_seed(5)
    model = build_model(10, 8)
    before = [w.copy() for w in model.get_weights()]
    result = train(
        model,
        X,
        y,
        batch_size=10,
        steps_per_execution=50,
        callbacks=[StopAfterFirstChunk()],
    )
    assert result.stopped and result.steps == 50
    assert any(not np.array_equal(a, b) for a, b in zip(before, model.get_weights()))


def test_window_curve_recovers_the_running_mean(data):
    (X, y), _ = data
    set_seed(6)
    model = build_model(10, 8)
    result = train(model, X[:1000], y[:1000], batch_size=10, steps_per_execution=20)
    curve = window_curve(result.curve)
    assert len(curve["step"]) == 5
    # The windows are equally wide, so their mean is the epoch's mean.
    assert curve["loss"].mean() == pytest.approx(result.loss, rel=1e-4)
    assert curve["accuracy"].mean() == pytest.approx(result.accuracy, rel=1e-4)


@pytest.mark.parametrize(
    "kwargs, name",
    [
        ({"batch_size": 2.5}, "batch_size"),
        ({"batch_size": 0}, "batch_size"),
        ({"epochs": 0}, "epochs"),
        ({"steps_per_execution": -1}, "steps_per_execution"),
    ],
)
def test_bad_arguments(kwargs, name, data):
    (X, y), _ = data
    with pytest.raises(ValueError, match=name):
        train(build_model(10, 4), X[:20], y[:20], **kwargs)


def test_data_of_the_wrong_length_is_refused(data):
    (X, y), _ = data
    with pytest.raises(ValueError, match="sequence length 12"):
        train(build_model(12, 4), X[:20], y[:20])
    with pytest.raises(ValueError, match="y must have shape"):
        train(build_model(10, 4), X[:20], y[:19])
