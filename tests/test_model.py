import keras
import numpy as np
import pytest
from keras import layers

from bilstm.model import (
    DIRECTIONS,
    MERGE_MODES,
    build_model,
    lstm_param_count,
    model_param_counts,
)
from bilstm.scratch import merge

EXPECTED_PARAMS = {
    ("bidirectional", "concat"): 20_901,
    ("bidirectional", "sum"): 20_851,
    ("bidirectional", "mul"): 20_851,
    ("bidirectional", "ave"): 20_851,
    ("forward", "concat"): 10_451,
    ("backward", "concat"): 10_451,
}
WIDTH = {"concat": 100, "sum": 50, "mul": 50, "ave": 50}


@pytest.mark.parametrize("direction, merge_mode", sorted(EXPECTED_PARAMS))
def test_parameter_counts_and_shapes(direction, merge_mode):
    model = build_model(10, 50, merge_mode, direction)
    assert model.count_params() == EXPECTED_PARAMS[direction, merge_mode]
    assert model.input_shape == (None, 10, 1)
    assert model.output_shape == (None, 10, 1)
    recurrent = model.layers[1]
    width = WIDTH[merge_mode] if direction == "bidirectional" else 50
    assert recurrent.output.shape == (None, 10, width)


def test_lesson_model_layers_and_compile_settings():
    model = build_model()
    names = [layer.name for layer in model.layers]
    assert names == ["sequence", "bilstm", "per_step"]
    assert model.get_layer("bilstm").count_params() == 20_800
    assert model.get_layer("per_step").count_params() == 101
    assert model.loss == "binary_crossentropy"
    assert isinstance(model.optimizer, keras.optimizers.Adam)
    assert model.get_layer("per_step").layer.activation.__name__ == "sigmoid"


def _reference_lstm(source, go_backwards):
    """A standalone LSTM with ``source``'s weights."""
    lstm = layers.LSTM(source.units, return_sequences=True, go_backwards=go_backwards)
    lstm.build((None, None, 1))
    lstm.set_weights(source.get_weights())
    return lstm


@pytest.mark.parametrize("merge_mode", MERGE_MODES)
def test_bidirectional_equals_forward_merged_with_flipped_backward(merge_mode):
    model = build_model(12, 8, merge_mode)
    bi = model.get_layer("bilstm")
    X = np.random.default_rng(0).random((4, 12, 1)).astype("float32")
    forward = np.asarray(_reference_lstm(bi.forward_layer, False)(X))
    backward = np.asarray(_reference_lstm(bi.backward_layer, True)(X))[:, ::-1]
    expected = merge(forward, backward, merge_mode)
    np.testing.assert_allclose(np.asarray(bi(X)), expected, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("merge_mode", MERGE_MODES)
def test_merge_matches_keras_bidirectional(merge_mode):
    """bilstm.scratch.merge, the NumPy merge the chapters call, is Keras's."""
    inputs = keras.Input((7, 2))
    lstm = layers.LSTM(3, return_sequences=True)
    split = layers.Bidirectional(lstm, merge_mode=None)
    merged = layers.Bidirectional(lstm, merge_mode=merge_mode)
    split(inputs), merged(inputs)
    merged.set_weights(split.get_weights())
    X = np.random.default_rng(1).random((5, 7, 2)).astype("float32")
    forward, backward = (np.asarray(t) for t in split(X))
    out = merge(forward, backward, merge_mode)
    assert out.shape == tuple(merged(X).shape)
    np.testing.assert_allclose(np.asarray(merged(X)), out, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("units, input_dim", [(1, 1), (50, 1), (7, 3)])
def test_lstm_param_count_matches_keras(units, input_dim):
    lstm = layers.LSTM(units)
    lstm.build((None, 4, input_dim))
    assert lstm_param_count(units, input_dim) == lstm.count_params()


@pytest.mark.parametrize("direction, merge_mode", sorted(EXPECTED_PARAMS))
@pytest.mark.parametrize("units", [1, 8, 50])
def test_model_param_counts_match_keras(direction, merge_mode, units):
    model = build_model(10, units, merge_mode, direction)
    counts = model_param_counts(units, merge_mode, direction)
    assert counts["total"] == model.count_params()
    assert counts["recurrent"] == model.layers[1].count_params()
    assert counts["output"] == model.get_layer("per_step").count_params()


def test_param_counts_refuse_bad_arguments():
    with pytest.raises(ValueError, match="units"):
        lstm_param_count(0)
    with pytest.raises(ValueError, match="input_dim"):
        lstm_param_count(3, 1.5)
    with pytest.raises(ValueError, match="direction"):
        model_param_counts(3, direction="sideways")


def test_go_backwards_lstm_returns_reversed_time_order():
    model = build_model(6, 4, direction="backward")
    source = model.get_layer("backward_lstm")
    X = np.random.default_rng(1).random((2, 6, 1)).astype("float32")
    raw = np.asarray(_reference_lstm(source, True)(X))
    on_flipped = np.asarray(_reference_lstm(source, False)(X[:, ::-1]))
    np.testing.assert_allclose(raw, on_flipped, rtol=1e-5, atol=1e-6)


def _changes_per_step(model, X, t):
    """Which output steps move when inputs at steps < t (or == t) are perturbed."""
    base = np.asarray(model(X))[..., 0]
    earlier = X.copy()
    earlier[:, :t] += 0.5
    at_t = X.copy()
    at_t[:, t] += 0.5
    moved_earlier = np.abs(np.asarray(model(earlier))[..., 0] - base).max(axis=0) > 1e-6
    moved_at_t = np.abs(np.asarray(model(at_t))[..., 0] - base).max(axis=0) > 1e-6
    return moved_earlier, moved_at_t


@pytest.mark.parametrize("t", [1, 4, 8])
def test_backward_output_at_t_sees_only_inputs_t_onwards(t):
    keras.utils.set_random_seed(0)
    model = build_model(10, 6, direction="backward")
    X = np.random.default_rng(2).random((3, 10, 1)).astype("float32")
    moved_earlier, moved_at_t = _changes_per_step(model, X, t)
    assert not moved_earlier[t:].any()  # steps t..n-1 ignore inputs before t
    assert moved_earlier[:t].all()
    assert moved_at_t[: t + 1].all() and not moved_at_t[t + 1 :].any()


@pytest.mark.parametrize("t", [1, 4, 8])
def test_forward_output_at_t_sees_only_inputs_up_to_t(t):
    keras.utils.set_random_seed(0)
    model = build_model(10, 6, direction="forward")
    X = np.random.default_rng(3).random((3, 10, 1)).astype("float32")
    _, moved_at_t = _changes_per_step(model, X, t)
    assert not moved_at_t[:t].any() and moved_at_t[t:].all()


def test_bidirectional_output_at_t_sees_the_whole_sequence():
    keras.utils.set_random_seed(0)
    model = build_model(10, 6)
    X = np.random.default_rng(4).random((3, 10, 1)).astype("float32")
    _, moved_at_t = _changes_per_step(model, X, 5)
    assert moved_at_t.all()


@pytest.mark.parametrize("direction", DIRECTIONS)
def test_saved_model_loads_with_plain_keras(tmp_path, direction):
    model = build_model(5, 3, direction=direction)
    model.optimizer.build(model.trainable_variables)  # saved as after training
    path = tmp_path / "model.keras"
    model.save(path)
    loaded = keras.models.load_model(path)
    X = np.random.default_rng(5).random((2, 5, 1)).astype("float32")
    np.testing.assert_allclose(np.asarray(loaded(X)), np.asarray(model(X)), rtol=1e-6)


@pytest.mark.parametrize(
    "kwargs, name, allowed",
    [
        ({"n_timesteps": 0}, "n_timesteps", ">= 1"),
        ({"units": -1}, "units", ">= 1"),
        ({"units": 2.5}, "units", "whole number"),
        ({"merge_mode": "max"}, "merge_mode", "'concat', 'sum', 'mul', 'ave'"),
        ({"merge_mode": None}, "merge_mode", "'concat'"),
        ({"direction": "sideways"}, "direction", "'bidirectional', 'forward'"),
        ({"learning_rate": 0}, "learning_rate", "positive number"),
        ({"learning_rate": float("nan")}, "learning_rate", "LearningRateSchedule"),
        ({"learning_rate": "fast"}, "learning_rate", "positive number"),
    ],
)
def test_bad_arguments_raise_value_error(kwargs, name, allowed):
    with pytest.raises(ValueError) as err:
        build_model(**kwargs)
    message = str(err.value)
    assert name in message and allowed in message


def test_learning_rate_reaches_adam_as_number_or_schedule():
    assert float(build_model(5, 3).optimizer.learning_rate) == pytest.approx(0.001)
    assert float(
        build_model(5, 3, learning_rate=0.02).optimizer.learning_rate
    ) == pytest.approx(0.02)
    schedule = keras.optimizers.schedules.CosineDecay(0.02, 100, alpha=0.01)
    model = build_model(5, 3, learning_rate=schedule)
    model.optimizer.build(model.trainable_variables)
    assert float(model.optimizer.learning_rate) == pytest.approx(0.02)
    model.optimizer.iterations.assign(100)
    assert float(model.optimizer.learning_rate) == pytest.approx(0.0002)
