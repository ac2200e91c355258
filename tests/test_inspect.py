"""bilstm.inspect (states, probes, ablation) and its figures in bilstm.plots."""

import keras
import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pytest

from bilstm import inspect
from bilstm import plots as inspect_plots
from bilstm.data import cumsum_labels, get_sequences
from bilstm.model import MERGE_MODES, build_model
from bilstm.seeding import set_seed


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def _random_bidirectional(merge_mode="concat", n_timesteps=6, units=3, seed=0):
    """A lesson-shaped model with weights large enough to make every gate move."""
    set_seed(seed)
    model = build_model(n_timesteps, units, merge_mode)
    gen = np.random.default_rng(seed)
    model.set_weights([gen.normal(0, 0.8, w.shape) for w in model.get_weights()])
    return model


@pytest.mark.parametrize("go_backwards", [False, True])
def test_lstm_steps_match_keras_outputs_and_final_cell_state(go_backwards):
    set_seed(1)
    lstm = keras.layers.LSTM(
        5, return_sequences=True, return_state=True, go_backwards=go_backwards
    )
    x = np.random.default_rng(1).normal(size=(4, 7, 3)).astype(np.float32)
    outputs, h, c = (np.asarray(a) for a in lstm(x))
    steps = inspect.lstm_steps(x, *lstm.get_weights(), go_backwards=go_backwards)
    in_time_order = outputs[:, ::-1] if go_backwards else outputs
    np.testing.assert_allclose(steps["h"], in_time_order, atol=1e-5)
    last = 0 if go_backwards else -1  # the last step read
    np.testing.assert_allclose(steps["h"][:, last], h, atol=1e-5)
    np.testing.assert_allclose(steps["c"][:, last], c, atol=1e-5)
    assert set(steps) == {"h", "c", "i", "f", "g", "o"}
    for gate in ("i", "f", "o"):
        assert np.all((steps[gate] > 0) & (steps[gate] < 1))


def test_lstm_steps_rejects_weights_that_do_not_fit():
    x = np.zeros((2, 4, 1))
    kernel, recurrent, bias = np.zeros((1, 8)), np.zeros((2, 8)), np.zeros(8)
    with pytest.raises(ValueError, match="kernel"):
        inspect.lstm_steps(np.zeros((2, 4, 3)), kernel, recurrent, bias)
    with pytest.raises(ValueError, match="recurrent_kernel"):
        inspect.lstm_steps(x, kernel, np.zeros((3, 8)), bias)
    with pytest.raises(ValueError, match="bias"):
        inspect.lstm_steps(x, kernel, recurrent, np.zeros(4))
    with pytest.raises(ValueError, match="sequences"):
        inspect.lstm_steps(np.zeros(4), kernel, recurrent, bias)


def test_bidirectional_states_are_the_two_halves_keras_merges():
    model = _random_bidirectional()
    X, _ = get_sequences(5, 6, rng=2)
    states = inspect.bidirectional_states(model, X)
    merged = np.asarray(model.get_layer("bilstm")(X))  # concat: forward | backward
    np.testing.assert_allclose(states["forward"]["h"], merged[..., :3], atol=1e-5)
    np.testing.assert_allclose(states["backward"]["h"], merged[..., 3:], atol=1e-5)
    # the forward state at step t depends only on x_1..x_t, the backward on x_t..x_T
    changed = X.copy()
    changed[:, 3] += 0.5
    again = inspect.bidirectional_states(model, changed)
    np.testing.assert_array_equal(
        again["forward"]["c"][:, :3], states["forward"]["c"][:, :3]
    )
    np.testing.assert_array_equal(
        again["backward"]["c"][:, 4:], states["backward"]["c"][:, 4:]
    )
    assert not np.allclose(again["forward"]["c"][:, 3], states["forward"]["c"][:, 3])


def test_bidirectional_states_need_one_bidirectional_lstm():
    set_seed(0)
    with pytest.raises(ValueError, match="Bidirectional"):
        inspect.bidirectional_states(
            build_model(6, 3, direction="forward"), np.zeros((1, 6))
        )
    inputs = keras.Input((6, 1))
    gru = keras.layers.Bidirectional(keras.layers.GRU(2, return_sequences=True))
    with pytest.raises(ValueError, match="LSTM"):
        inspect.bidirectional_states(keras.Model(inputs, gru(inputs)), np.zeros((1, 6)))


def test_quantities_of_the_lessons_example(lesson_example):
    X, y = lesson_example
    q = inspect.quantities(np.array([X]))
    np.testing.assert_allclose(q["running sum"][0], np.cumsum(X))
    np.testing.assert_allclose(q["remaining sum"][0], np.cumsum(X[::-1])[::-1])
    np.testing.assert_allclose(
        q["running sum"] + q["remaining sum"], sum(X) + np.array([X])
    )
    np.testing.assert_array_equal(q["label"][0], y)
    np.testing.assert_array_equal(q["label"], cumsum_labels(np.array([X])))
    np.testing.assert_allclose(
        q["distance to the limit"][0], np.abs(np.cumsum(X) - 2.5)
    )
    np.testing.assert_array_equal(q["position"][0], np.arange(1, 11))
    assert set(q) == set(inspect.QUANTITIES)


def test_baseline_features_are_position_and_the_current_input():
    X = np.array([[0.1, 0.2, 0.3]])
    features = inspect.baseline_features(X)
    assert features.shape == (1, 3, 4)
    np.testing.assert_array_equal(features[0, :, :3], np.eye(3))
    np.testing.assert_array_equal(features[0, :, 3], X[0])


def test_probe_recovers_a_linear_target_and_not_noise():
    gen = np.random.default_rng(0)
    fit, score = gen.normal(size=(200, 5, 4)), gen.normal(size=(300, 5, 4))
    w = np.array([1.5, -2.0, 0.0, 0.3])
    r2 = inspect.probe_r2(fit, fit @ w + 7.0, score, score @ w + 7.0)
    assert r2 == pytest.approx(1.0, abs=1e-10)
    noisy = inspect.probe_r2(
        fit,
        fit @ w + gen.normal(size=(200, 5)),
        score,
        score @ w + gen.normal(size=(300, 5)),
    )
    assert 0.7 < noisy < 0.95  # var(signal) 6.34, var(noise) 1: R² near 0.86
    unrelated = inspect.probe_r2(
        fit, gen.normal(size=(200, 5)), score, gen.normal(size=(300, 5))
    )
    assert -0.05 < unrelated < 0.02


def test_probe_rejects_bad_shapes_and_a_constant_target():
    features = np.zeros((10, 3)) + np.arange(10)[:, None]
    with pytest.raises(ValueError, match="shape"):
        inspect.probe_r2(features, np.zeros(9), features, np.arange(10.0))
    with pytest.raises(ValueError, match="constant"):
        inspect.probe_r2(features, np.arange(10.0), features, np.ones(10))
    with pytest.raises(ValueError, match="width"):
        inspect.probe_r2(features, np.arange(10.0), features[:, :2], np.arange(10.0))
    with pytest.raises(ValueError, match="finite"):
        inspect.probe_r2(features * np.nan, np.arange(10.0), features, np.arange(10.0))


def test_logistic_probe_separates_a_linear_boundary_and_not_coin_flips():
    gen = np.random.default_rng(1)
    fit, score = gen.normal(size=(2000, 3)), gen.normal(size=(2000, 3))
    boundary = np.array([1.0, 0.5, 0.0])
    labels_fit = (fit @ boundary > 0.2).astype(float)
    labels_score = (score @ boundary > 0.2).astype(float)
    assert inspect.probe_accuracy(fit, labels_fit, score, labels_score) > 0.99
    coins_fit = gen.integers(0, 2, 2000).astype(float)
    coins_score = gen.integers(0, 2, 2000).astype(float)
    assert 0.45 < inspect.probe_accuracy(fit, coins_fit, score, coins_score) < 0.55
    with pytest.raises(ValueError, match="0 or 1"):
        inspect.probe_accuracy(fit, labels_fit + 0.5, score, labels_score)
    with pytest.raises(ValueError, match="ridge"):
        inspect.probe_accuracy(fit, labels_fit, score, labels_score, ridge=0)


def test_probe_all_scores_every_feature_set_and_quantity():
    model = _random_bidirectional()
    X_fit, _ = get_sequences(300, 6, rng=3)
    X_score, _ = get_sequences(300, 6, rng=4)
    scores = inspect.probe_all(model, X_fit, X_score)
    assert list(scores) == list(inspect.FEATURE_SETS)
    for by_quantity in scores.values():
        assert list(by_quantity) == list(inspect.QUANTITIES)
        assert all(v <= 1.0 for v in by_quantity.values())
    # position and x_t determine the position exactly
    assert scores["position and x_t"]["position"] == pytest.approx(1.0)
    # the forward reader has read x_1..x_t: with both directions' states the
    # probe does at least as well on the running sum as with the forward ones
    assert scores["both"]["running sum"] >= scores["forward"]["running sum"] - 0.01


@pytest.mark.parametrize("merge_mode", MERGE_MODES)
def test_ablate_nothing_gives_the_models_own_output(merge_mode):
    model = _random_bidirectional(merge_mode)
    X, y = get_sequences(20, 6, rng=5)
    result = inspect.ablate(model, X, y)
    proba = np.asarray(model(X))[..., 0]
    np.testing.assert_allclose(result["proba"], proba, atol=1e-5)
    right = (proba > 0.5) == (y[..., 0] > 0.5)
    assert result["accuracy"] == pytest.approx(right.mean())
    np.testing.assert_allclose(result["step_accuracy"], right.mean(axis=0))


def test_ablating_a_direction_whose_output_never_varies_changes_nothing():
    model = _random_bidirectional()
    layer = model.get_layer("bilstm")
    kernel, recurrent, bias = layer.backward_layer.get_weights()
    # no input and no recurrence: the backward output depends on the step only
    layer.backward_layer.set_weights([0 * kernel, 0 * recurrent, bias])
    X, y = get_sequences(30, 6, rng=6)
    intact = inspect.ablate(model, X, y)
    ablated = inspect.ablate(model, X, y, "backward", reference=X[:3])
    np.testing.assert_allclose(ablated["proba"], intact["proba"], atol=1e-6)
    # ablating the forward direction, which does vary, changes the output
    forward = inspect.ablate(model, X, y, "forward")
    assert np.abs(forward["proba"] - intact["proba"]).max() > 1e-3
    # replaced by one mean over all steps, the step-dependent output is lost
    overall = inspect.ablate(model, X, y, "backward", per_step=False)
    assert np.abs(overall["proba"] - intact["proba"]).max() > 1e-3


def test_ablated_output_does_not_depend_on_the_ablated_directions_inputs():
    model = _random_bidirectional()
    X, y = get_sequences(10, 6, rng=7)
    reference, _ = get_sequences(50, 6, rng=8)
    a = inspect.ablate(model, X, y, "forward", reference=reference)
    # change only the first steps: the backward reader sees them at step t <= 2 only
    changed = X.copy()
    changed[:, :2] = 1.0 - changed[:, :2]
    b = inspect.ablate(model, changed, y, "forward", reference=reference)
    np.testing.assert_allclose(a["proba"][:, 2:], b["proba"][:, 2:], atol=1e-6)


def test_ablate_rejects_bad_input():
    model = _random_bidirectional()
    X, y = get_sequences(4, 6, rng=9)
    with pytest.raises(ValueError, match="direction"):
        inspect.ablate(model, X, y, "sideways")
    with pytest.raises(ValueError, match="y must have shape"):
        inspect.ablate(model, X, y[:2])
    with pytest.raises(ValueError, match="reference"):
        inspect.ablate(model, X, y, "forward", reference=np.zeros((3, 5)))


def test_align_steps_by_hand():
    values = np.arange(2 * 5, dtype=float).reshape(2, 5)  # rows 0..4 and 5..9
    offsets, aligned = inspect.align_steps(values, np.array([1, 5]), before=2, after=1)
    np.testing.assert_array_equal(offsets, [-2, -1, 0, 1])
    np.testing.assert_array_equal(aligned[0], [np.nan, 0, 1, 2])
    assert np.isnan(aligned[1]).all()  # a sequence whose label never flips
    _, with_units = inspect.align_steps(
        values[..., None] * [1, -1], np.array([4, 0]), 1, 1
    )
    np.testing.assert_array_equal(with_units[0, :, 1], [-3, -4, np.nan])
    np.testing.assert_array_equal(with_units[1, :, 0], [np.nan, 5, 6])
    with pytest.raises(ValueError, match="at"):
        inspect.align_steps(values, np.array([1.0, 2.0]))
    with pytest.raises(ValueError, match="at"):
        inspect.align_steps(values, np.array([1]))


def test_best_units_find_the_unit_that_follows_the_target():
    gen = np.random.default_rng(0)
    target = gen.random((50, 4))
    values = gen.normal(size=(50, 4, 3))
    values[..., 2] = 3 - 2 * target
    values[..., 0] = 1.0  # a unit that never changes
    units, corr = inspect.best_units(values, target, k=2)
    assert units[0] == 2 and corr[0] == pytest.approx(-1.0)
    assert units[1] == 1
    with pytest.raises(ValueError, match="k"):
        inspect.best_units(values, target, k=4)


def test_backward_ceiling():
    ceiling = inspect.backward_ceiling(10, n_samples=20_000)
    assert ceiling.shape == (10,)
    assert ceiling[0] == 1.0 and ceiling[1] == 1.0  # two values below 1 never reach 2.5
    assert np.all((ceiling >= 0.5) & (ceiling <= 1.0))
    assert ceiling.argmin() == 4  # step 5: the flip is likeliest there
    with pytest.raises(ValueError):
        inspect.backward_ceiling(0)


def test_states_figure_has_a_row_per_state_and_a_column_per_sequence():
    model = _random_bidirectional()
    X, _ = get_sequences(2, 6, rng=10)
    states = inspect.bidirectional_states(model, X)
    fig = inspect_plots.plot_states_over_time(
        X, states, {"forward": [0, 1], "backward": [2]}
    )
    assert len(fig.axes) == 10
    labels = [line.get_label() for line in fig.axes[0].get_lines()]
    assert "running sum" in labels and "remaining sum" in labels
    with pytest.raises(ValueError, match="units"):
        inspect_plots.plot_states_over_time(X, states, {"forward": [0]})
    with pytest.raises(ValueError, match="match X"):
        inspect_plots.plot_states_over_time(
            X[:1], states, {"forward": [0], "backward": [0]}
        )


def test_probe_figure_draws_a_bar_per_feature_set_and_quantity():
    scores = {
        "forward": {"running sum": [1.0, 0.99], "label": [0.9, 0.92]},
        "backward": {"running sum": [0.85, 0.85], "label": [0.7, 0.72]},
        "baseline": {"running sum": [0.85, 0.85], "label": [0.71, 0.71]},
    }
    fig = inspect_plots.plot_probe_scores(scores)
    (ax,) = fig.axes
    assert len(ax.patches) == 6
    heights = sorted(round(p.get_height(), 3) for p in ax.patches)
    assert heights[-1] == 0.995
    with pytest.raises(ValueError, match="same quantities"):
        inspect_plots.plot_probe_scores({"a": {"x": [1]}, "b": {"y": [1]}})


def test_gate_and_cell_figures():
    offsets = np.arange(-2, 3)
    gates = {
        d: {g: {"step 4": np.linspace(0, 1, 5), "step 5": np.ones(5)} for g in "if"}
        for d in ("forward", "backward")
    }
    fig = inspect_plots.plot_gates_at_flip(offsets, gates)
    assert len(fig.axes) == 4 and len(fig.axes[0].get_lines()) == 3  # two groups + flip
    gates["forward"]["i"]["step 4"] = np.ones(3)
    with pytest.raises(ValueError, match="one value per offset"):
        inspect_plots.plot_gates_at_flip(offsets, gates)
    s = np.arange(6.0).reshape(2, 3)
    fig = inspect_plots.plot_cell_against_sum(
        {"a": (s, 2 * s, s), "b": (s, s, s)}, limit=2.5
    )
    assert len(fig.axes) == 3  # two panels and the colour bar
    with pytest.raises(ValueError, match="match in shape"):
        inspect_plots.plot_cell_against_sum({"a": (s, s[:1], s)})
