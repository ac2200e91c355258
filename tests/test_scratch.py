"""bilstm.scratch (NumPy, float64) computes what Keras computes, and its gradients.

Also the chapter's figures, from bilstm.plots.cell.

Keras works in float32, so forward passes agree to 1e-5 and gradients to 1e-4
of the largest entry of each array; the finite-difference check runs in
float64 and is much tighter.
"""

import keras
import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pytest
import tensorflow as tf
from keras import layers

from bilstm import get_sequences
from bilstm import scratch
from bilstm.model import MERGE_MODES, build_model
from bilstm.plots import (
    plot_gradient_by_lag,
    plot_lstm_cell,
    plot_weight_blocks,
)
from bilstm.seeding import set_seed

MODELS = [("bidirectional", mode) for mode in MERGE_MODES] + [
    ("forward", "concat"),
    ("backward", "concat"),
]


def _random_weights(layer, rng, scale=0.5):
    """Give ``layer`` random weights, so every gate and bias matters."""
    layer.set_weights(
        [scale * rng.standard_normal(w.shape) for w in layer.get_weights()]
    )


def _lstm(units, features, go_backwards, rng):
    lstm = layers.LSTM(
        units, return_sequences=True, return_state=True, go_backwards=go_backwards
    )
    lstm.build((None, None, features))
    _random_weights(lstm, rng)
    return lstm


@pytest.mark.parametrize(
    "n, n_steps, features, units, go_backwards",
    [
        (3, 10, 1, 50, False),
        (4, 6, 3, 7, False),
        (4, 6, 3, 7, True),
        (2, 5, 2, 1, True),
    ],
)
def test_lstm_forward_matches_keras(n, n_steps, features, units, go_backwards):
    rng = np.random.default_rng(units)
    lstm = _lstm(units, features, go_backwards, rng)
    x = rng.random((n, n_steps, features)).astype("float32")
    expected = [np.asarray(a) for a in lstm(x)]
    got = scratch.lstm_forward(x, *lstm.get_weights(), go_backwards=go_backwards)
    assert [a.shape for a in got] == [a.shape for a in expected]
    for a, b in zip(got, expected, strict=True):
        np.testing.assert_allclose(a, b, atol=1e-5, rtol=0)


@pytest.mark.parametrize("merge_mode", MERGE_MODES)
def test_bidirectional_forward_matches_keras(merge_mode):
    rng = np.random.default_rng(1)
    bi = layers.Bidirectional(
        layers.LSTM(6, return_sequences=True), merge_mode=merge_mode
    )
    bi.build((None, None, 3))
    _random_weights(bi, rng)
    x = rng.random((4, 7, 3)).astype("float32")
    weights = bi.get_weights()
    got = scratch.bidirectional_forward(x, weights[:3], weights[3:], merge_mode)
    np.testing.assert_allclose(got, np.asarray(bi(x)), atol=1e-5, rtol=0)


@pytest.fixture(scope="module")
def small_models():
    """One small lesson model per direction and merge mode, random weights."""
    set_seed(3)
    rng = np.random.default_rng(3)
    models = {}
    for direction, merge_mode in MODELS:
        model = build_model(6, 5, merge_mode, direction)
        _random_weights(model, rng)
        models[direction, merge_mode] = model
    return models


@pytest.fixture(scope="module")
def batch():
    return get_sequences(4, 6, rng=5)


@pytest.mark.parametrize("direction, merge_mode", MODELS)
def test_model_forward_matches_the_keras_model(
    small_models, batch, direction, merge_mode
):
    model = small_models[direction, merge_mode]
    x, _ = batch
    got = scratch.model_forward(
        model.get_weights(), x, merge_mode=merge_mode, direction=direction
    )
    np.testing.assert_allclose(got, np.asarray(model(x)), atol=1e-5, rtol=0)


def test_model_forward_on_the_lesson_model():
    set_seed(0)
    model = build_model()
    x, _ = get_sequences(5, 10, rng=0)
    got = scratch.model_forward(model.get_weights(), x)
    assert got.shape == (5, 10, 1)
    np.testing.assert_allclose(got, np.asarray(model(x)), atol=1e-5, rtol=0)


def _tape(model, x, y):
    with tf.GradientTape() as tape:
        loss = keras.losses.BinaryCrossentropy()(y, model(x, training=True))
    grads = tape.gradient(loss, model.trainable_weights)
    return float(loss), [np.asarray(g) for g in grads]


@pytest.mark.parametrize("direction, merge_mode", MODELS)
def test_gradients_match_gradient_tape(small_models, batch, direction, merge_mode):
    model = small_models[direction, merge_mode]
    x, y = batch
    loss, grads = scratch.loss_and_gradients(
        model.get_weights(), x, y, merge_mode=merge_mode, direction=direction
    )
    expected_loss, expected = _tape(model, x, y)
    assert loss == pytest.approx(expected_loss, abs=1e-5)
    assert [g.shape for g in grads] == [w.shape for w in model.get_weights()]
    for got, ref in zip(grads, expected, strict=True):
        assert np.abs(got - ref).max() <= 1e-4 * np.abs(ref).max()


def test_loss_is_the_compiled_loss(small_models, batch):
    model = small_models["bidirectional", "concat"]
    x, y = batch
    loss, _ = scratch.loss_and_gradients(model.get_weights(), x, y)
    reported = model.evaluate(x, y, batch_size=len(x), verbose=0, return_dict=True)
    assert loss == pytest.approx(reported["loss"], abs=1e-5)


def test_clipped_probabilities_cost_what_keras_says_and_pass_no_gradient(batch):
    set_seed(4)
    model = build_model(6, 3, "sum")
    weights = model.get_weights()
    weights[-1] = np.array([40.0], dtype="float32")  # every probability is 1
    model.set_weights(weights)
    x, y = batch
    loss, grads = scratch.loss_and_gradients(weights, x, y, merge_mode="sum")
    expected_loss, expected = _tape(model, x, y)
    assert loss == pytest.approx(expected_loss, rel=1e-5)
    assert loss == pytest.approx(-np.log(1 - scratch.CLIP[1]) * (1 - y).mean())
    for got, ref in zip(grads, expected, strict=True):
        assert np.all(got == 0) and np.all(ref == 0)


def test_lstm_backward_input_gradient_matches_gradient_tape():
    rng = np.random.default_rng(2)
    lstm = _lstm(4, 2, True, rng)
    x = rng.random((3, 5, 2)).astype("float32")
    d_outputs = rng.standard_normal((3, 5, 4))
    x_var = tf.constant(x)
    with tf.GradientTape() as tape:
        tape.watch(x_var)
        total = tf.reduce_sum(lstm(x_var)[0] * d_outputs.astype("float32"))
    expected = np.asarray(tape.gradient(total, x_var))
    d_x = scratch.lstm_backward(x, *lstm.get_weights(), d_outputs, go_backwards=True)
    np.testing.assert_allclose(d_x[3], expected, atol=1e-5, rtol=0)


def _numpy_model(direction, merge_mode, units=3, features=1, rng=None):
    n_lstms = 2 if direction == "bidirectional" else 1
    weights = []
    for _ in range(n_lstms):
        weights += [
            0.5 * rng.standard_normal((features, 4 * units)),
            0.5 * rng.standard_normal((units, 4 * units)),
            0.5 * rng.standard_normal(4 * units),
        ]
    width = (
        2 * units if direction == "bidirectional" and merge_mode == "concat" else units
    )
    return weights + [rng.standard_normal((width, 1)), rng.standard_normal(1)]


@pytest.mark.parametrize("direction, merge_mode", MODELS)
def test_gradients_match_central_finite_differences(direction, merge_mode):
    rng = np.random.default_rng(7)
    weights = _numpy_model(direction, merge_mode, rng=rng)
    x, y = get_sequences(3, 5, rng=7)
    kwargs = {"merge_mode": merge_mode, "direction": direction}
    _, grads = scratch.loss_and_gradients(weights, x, y, **kwargs)
    step = 1e-6
    for k, w in enumerate(weights):
        for flat in rng.choice(w.size, size=min(3, w.size), replace=False):
            index = np.unravel_index(flat, w.shape)
            plus = [a.copy() for a in weights]
            minus = [a.copy() for a in weights]
            plus[k][index] += step
            minus[k][index] -= step
            numeric = (
                scratch.loss_and_gradients(plus, x, y, **kwargs)[0]
                - scratch.loss_and_gradients(minus, x, y, **kwargs)[0]
            ) / (2 * step)
            assert grads[k][index] == pytest.approx(numeric, rel=1e-5, abs=1e-8)


@pytest.fixture(scope="module")
def lesson_weights():
    return _numpy_model("bidirectional", "concat", rng=np.random.default_rng(0))


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda w, x, y: scratch.model_forward(w, x[0]), "3-D"),
        (lambda w, x, y: scratch.model_forward(w, np.full_like(x, np.nan)), "finite"),
        (lambda w, x, y: scratch.model_forward(w, x[:, :0]), "size >= 1"),
        (
            lambda w, x, y: scratch.model_forward(w, np.concatenate([x, x], 2)),
            "feature",
        ),
        (lambda w, x, y: scratch.model_forward(w[:5], x), "8 arrays"),
        (lambda w, x, y: scratch.model_forward(w, x, merge_mode="sum"), "concat"),
        (lambda w, x, y: scratch.model_forward(w, x, merge_mode=None), "unmerged"),
        (lambda w, x, y: scratch.model_forward(w, x, direction="both"), "direction"),
        (
            lambda w, x, y: scratch.model_forward(
                w[:3] + w[5:], x, direction="forward"
            ),
            "5 arrays",
        ),
        (
            lambda w, x, y: scratch.loss_and_gradients(w, x, y[:, :3]),
            "y must have shape",
        ),
        (lambda w, x, y: scratch.loss_and_gradients(w, x, 2 * y), "between 0 and 1"),
        (lambda w, x, y: scratch.lstm_forward(x, w[0].T, w[1], w[2]), "kernel"),
        (
            lambda w, x, y: scratch.lstm_forward(x, w[0], w[1][:2], w[2]),
            "recurrent_kernel",
        ),
        (lambda w, x, y: scratch.lstm_forward(x, w[0], w[1], w[2][:4]), "bias"),
        (lambda w, x, y: scratch.lstm_backward(x, *w[:3], y), "d_outputs"),
        (lambda w, x, y: scratch.bidirectional_forward(x, w[:3], w[3:5]), "list"),
        (lambda w, x, y: scratch.lstm_forward("abc", *w[:3]), "numbers"),
    ],
)
def test_bad_input_raises_value_error(lesson_weights, call, message):
    x, y = get_sequences(2, 4, rng=0)
    with pytest.raises(ValueError, match=message):
        call(lesson_weights, x, y)


# --- The chapter's figures (bilstm.plots.cell) ---------------------------


@pytest.fixture
def _close_figures():
    yield
    plt.close("all")


def test_cell_diagram_draws_the_four_gates_and_both_states(_close_figures):
    (ax,) = plot_lstm_cell().axes
    texts = [t.get_text() for t in ax.texts]
    assert texts.count("σ") == 3 and texts.count("tanh") == 2
    for label in ("$c_{t-1}$", "$c_t$", "$h_{t-1}$", "$x_t$", "f", "i", "g", "o"):
        assert label in texts, label


def test_weight_blocks_show_each_array_with_four_blocks(_close_figures):
    rng = np.random.default_rng(0)
    arrays = [rng.normal(size=(2, 12)), rng.normal(size=(3, 12)), rng.normal(size=12)]
    fig = plot_weight_blocks(*arrays, title="blocks")
    panels = fig.axes[:3]
    shapes = [ax.images[0].get_array().shape for ax in panels]
    assert shapes == [(2, 12), (3, 12), (1, 12)]
    assert [len(ax.lines) for ax in panels] == [4, 4, 4]  # a boundary per block
    assert {"i: input gate", "o: output gate"} <= {
        t.get_text() for t in panels[0].texts
    }


def test_gradient_by_lag_draws_one_curve_per_label_on_a_log_axis(_close_figures):
    panels = {"a": {"x": [1.0, 0.5, 0.25], "y": [1.0, 1.0, 1.0]}, "b": {"x": [2, 1]}}
    fig = plot_gradient_by_lag(panels)
    assert [ax.get_title() for ax in fig.axes] == ["a", "b"]
    assert [len(ax.lines) for ax in fig.axes] == [2, 1]
    assert all(ax.get_yscale() == "log" for ax in fig.axes)
    # the panels have their own y scales, so each names its axis
    assert [ax.get_ylabel() for ax in fig.axes] == ["mean ‖∂h_t / ∂x_s‖"] * 2
    np.testing.assert_array_equal(fig.axes[0].lines[0].get_ydata(), [1.0, 0.5, 0.25])
