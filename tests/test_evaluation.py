import numpy as np
import pytest
from _stand_ins import Fixed

from bilstm.data import get_sequences
from bilstm.evaluation import (
    error_rate_by_distance,
    evaluate,
    evaluate_fresh,
    predict_classes,
    predict_proba,
    wilson_interval,
)
from bilstm.model import build_model
from bilstm.seeding import set_seed
from bilstm.training import train


def test_evaluate_takes_sequences_without_their_feature_axis():
    """(n, T) inputs and labels, as predict_proba takes X: the same scores."""
    y = np.array([[0, 0, 1, 1], [0, 1, 1, 1]], np.float32)[..., None]
    model = Fixed([[0.1, 0.2, 0.9, 0.8], [0.1, 0.4, 0.7, 0.9]])
    full = evaluate(model, np.zeros_like(y), y)
    flat = evaluate(model, np.zeros_like(y)[..., 0], y[..., 0])
    assert flat["accuracy"] == full["accuracy"] and flat["loss"] == full["loss"]


def test_per_step_and_whole_sequence_accuracy_by_hand():
    y = np.array([[0, 0, 1, 1], [0, 1, 1, 1], [0, 0, 0, 1]], np.float32)[..., None]
    proba = [[0.1, 0.2, 0.9, 0.8], [0.1, 0.4, 0.7, 0.9], [0.2, 0.6, 0.3, 0.9]]
    scores = evaluate(Fixed(proba), np.zeros_like(y), y)
    assert scores["accuracy"] == pytest.approx(10 / 12)
    assert scores["sequence_accuracy"] == pytest.approx(1 / 3)
    assert (
        scores["wrong"].sum() == 2 and scores["wrong"][1, 1] and scores["wrong"][2, 1]
    )
    p = np.array(proba)
    truth = y[..., 0]
    bce = -np.mean(truth * np.log(p) + (1 - truth) * np.log(1 - p))
    assert scores["loss"] == pytest.approx(bce, rel=1e-6)


def test_predict_classes_thresholds_at_one_half():
    model = Fixed([[0.49, 0.51, 0.5, 0.99]])
    assert predict_classes(model, np.zeros((1, 4, 1))).ravel().tolist() == [0, 1, 0, 1]
    with pytest.raises(ValueError, match="threshold"):
        predict_classes(model, np.zeros((1, 4, 1)), threshold=1.5)


def test_wilson_interval_known_values():
    assert wilson_interval(0, 10) == pytest.approx((0.0, 0.2775), abs=1e-4)
    assert wilson_interval(5, 10) == pytest.approx((0.2366, 0.7634), abs=1e-4)
    low, high = wilson_interval(100, 100)
    assert high == 1.0 and 0.96 < low < 0.97
    with pytest.raises(ValueError):
        wilson_interval(11, 10)


@pytest.mark.parametrize("trials", [1, 4, 69, 1000])
def test_wilson_interval_is_exact_at_the_ends(trials):
    assert wilson_interval(0, trials)[0] == 0.0
    assert wilson_interval(trials, trials)[1] == 1.0


@pytest.mark.slow
def test_agrees_with_keras_evaluate():
    set_seed(0)
    model = build_model(10, 8)
    X, y = get_sequences(2000, 10, rng=0)
    train(model, X, y, batch_size=20)
    Xt, yt = get_sequences(500, 10, rng=1)
    ours = evaluate(model, Xt, yt)
    keras_loss, keras_accuracy = model.evaluate(Xt, yt, verbose=0)
    assert ours["loss"] == pytest.approx(keras_loss, rel=1e-3)
    assert ours["accuracy"] == pytest.approx(keras_accuracy, abs=1e-6)
    np.testing.assert_allclose(
        predict_proba(model, Xt), model.predict(Xt, verbose=0), rtol=1e-5, atol=1e-6
    )


def test_evaluate_fresh_uses_the_models_length_and_is_seeded():
    set_seed(0)
    model = build_model(7, 4)
    a = evaluate_fresh(model, 30, rng=5)
    b = evaluate_fresh(model, 30, rng=5)
    assert a["X"].shape == (30, 7) and a["n_steps"] == 210
    assert a["accuracy"] == b["accuracy"] and a["loss"] == b["loss"]
    with pytest.raises(ValueError, match="n_sequences"):
        evaluate_fresh(model, 0)


def test_wrong_sequence_length_is_refused():
    model = build_model(7, 4)
    with pytest.raises(ValueError, match="sequence length 7"):
        predict_proba(model, np.zeros((2, 5, 1)))


def test_predict_proba_takes_sequences_without_the_feature_axis():
    model = Fixed([[0.1, 0.2, 0.9, 0.8]])
    np.testing.assert_allclose(
        predict_proba(model, np.zeros((1, 4))), [[[0.1], [0.2], [0.9], [0.8]]]
    )
    with pytest.raises(ValueError, match="at least one sequence"):
        predict_proba(model, np.zeros((0, 4, 1)))


def test_error_rate_by_distance_counts_steps_per_bin():
    # limit 1.0 for 4 steps; running sums 0.5, 0.95, 1.45, 2.45 -> distances
    # 0.5, 0.05, 0.45, 1.45
    X = np.array([[0.5, 0.45, 0.5, 1.0]])
    wrong = np.array([[False, True, False, False]])
    table = error_rate_by_distance(X, wrong, edges=(0, 0.1, 0.5, np.inf))
    np.testing.assert_array_equal(table["steps"], [1, 1, 2])
    np.testing.assert_array_equal(table["errors"], [1, 0, 0])
    np.testing.assert_allclose(table["rate"], [1.0, 0.0, 0.0])


def test_error_rate_by_distance_accepts_keras_shapes_and_marks_empty_bins():
    X, _ = get_sequences(50, 8, rng=0)
    wrong = np.zeros((50, 8, 1), bool)
    table = error_rate_by_distance(X, wrong[..., 0], edges=(0, 100, 200))
    assert table["steps"].tolist() == [400, 0]
    assert table["rate"][0] == 0 and np.isnan(table["rate"][1])
    with pytest.raises(ValueError, match="increasing"):
        error_rate_by_distance(X, wrong[..., 0], edges=(1, 0))
