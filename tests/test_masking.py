"""Padded sequences of different lengths: the data, the mask, weighted training
and scoring, and models that read integer tokens through an ``Embedding``."""

import keras
import numpy as np
import pytest
from _stand_ins import Fixed
from keras import layers

from bilstm.checks import check_x
from bilstm.data import (
    PADDINGS,
    cumsum_labels,
    extend_padding,
    get_padded_sequences,
)
from bilstm.evaluation import evaluate, predict_proba
from bilstm.model import DIRECTIONS, build_model
from bilstm.seeding import seeded, set_seed
from bilstm import training
from bilstm.training import train

# --- the data ---------------------------------------------------------------


@pytest.mark.parametrize("padding", PADDINGS)
def test_padded_sequences_have_their_own_lengths_and_limits(padding):
    X, y, w = get_padded_sequences(300, 12, 5, padding, rng=0)
    assert X.shape == y.shape == (300, 12, 1) and w.shape == (300, 12)
    assert X.dtype == y.dtype == w.dtype == np.float32
    lengths = w.sum(axis=1).astype(int)
    assert lengths.min() == 5 and lengths.max() == 12
    for i in range(300):
        n = lengths[i]
        real = slice(0, n) if padding == "post" else slice(12 - n, 12)
        pad = slice(n, 12) if padding == "post" else slice(0, 12 - n)
        assert np.all(w[i, real] == 1) and np.all(w[i, pad] == 0)
        assert np.all(X[i, pad] == 0) and np.all(y[i, pad] == 0)
        assert np.all(X[i, real, 0] > 0)  # no real step looks like padding here
        # each sequence's own limit: a quarter of its own length
        expected = cumsum_labels(X[i, real, 0], limit=n / 4)
        np.testing.assert_array_equal(y[i, real, 0], expected)


def test_the_same_rng_gives_the_same_sequences_with_either_padding():
    post = get_padded_sequences(50, 9, rng=3, padding="post")
    pre = get_padded_sequences(50, 9, rng=3, padding="pre")
    again = get_padded_sequences(50, 9, rng=3, padding="post")
    for a, b in zip(post, again, strict=True):
        np.testing.assert_array_equal(a, b)
    for i in range(50):
        keep_post, keep_pre = post[2][i] > 0, pre[2][i] > 0
        for a, b in zip(post[:2], pre[:2], strict=True):
            np.testing.assert_array_equal(a[i][keep_post], b[i][keep_pre])


def test_default_shortest_length_is_half_the_longest():
    _, _, w = get_padded_sequences(2000, 9, rng=1)
    lengths = w.sum(axis=1)
    assert lengths.min() == 5 and lengths.max() == 9


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"padding": "middle"}, "padding must be one of 'post', 'pre'"),
        ({"padding": None}, "padding must be one of"),
        ({"min_timesteps": 11}, "min_timesteps must be at most max_timesteps"),
        ({"min_timesteps": 0}, "min_timesteps"),
        ({"max_timesteps": 0}, "max_timesteps"),
        ({"n_sequences": 2.0}, "n_sequences"),
    ],
)
def test_bad_arguments_say_what_is_allowed(kwargs, message):
    args = {"n_sequences": 4, "max_timesteps": 10, **kwargs}
    with pytest.raises(ValueError, match=message):
        get_padded_sequences(**args)


# --- the mask ----------------------------------------------------------------


@pytest.mark.parametrize("direction", DIRECTIONS)
def test_masked_predictions_on_real_steps_do_not_depend_on_padding(direction):
    """The same weights read sequences of length 10 and, with 4 zero steps
    more, of length 14: on the real steps the predictions agree."""
    set_seed(0)
    short = build_model(10, 6, direction=direction, mask=True)
    long = build_model(14, 6, direction=direction, mask=True)
    long.set_weights(short.get_weights())
    for padding in PADDINGS:
        X, y, w = get_padded_sequences(40, 10, 3, padding, rng=1)
        X14 = extend_padding(X, y, w, 14, padding)[0]
        real = slice(0, 10) if padding == "post" else slice(4, 14)
        p10 = predict_proba(short, X)[..., 0]
        p14 = predict_proba(long, X14)[:, real, 0]
        np.testing.assert_allclose(p10[w > 0], p14[w > 0], atol=1e-6)


@pytest.mark.parametrize("direction", DIRECTIONS)
def test_masked_predictions_agree_between_post_and_pre_padding(direction):
    set_seed(1)
    model = build_model(10, 6, direction=direction, mask=True)
    post = get_padded_sequences(30, 10, 2, "post", rng=2)
    pre = get_padded_sequences(30, 10, 2, "pre", rng=2)
    p_post = predict_proba(model, post[0])[..., 0]
    p_pre = predict_proba(model, pre[0])[..., 0]
    np.testing.assert_allclose(p_post[post[2] > 0], p_pre[pre[2] > 0], atol=1e-6)


@pytest.mark.parametrize("direction", DIRECTIONS)
def test_without_a_mask_padding_changes_the_predictions(direction):
    """The control: the property above is the mask's doing.

    A freshly built LSTM would not show it: with zero biases for the candidate
    value its state stays exactly 0 on zero inputs, so random weights stand in
    for trained ones here.
    """
    short = build_model(10, 6, direction=direction)
    long = build_model(14, 6, direction=direction)
    gen = np.random.default_rng(0)
    weights = [gen.normal(0, 0.5, a.shape).astype("float32") for a in short.weights]
    short.set_weights(weights)
    long.set_weights(weights)
    # padding where the reader starts: before the sequence for the forward
    # LSTM, after it for the backward one (bidirectional: either)
    padding = "post" if direction == "backward" else "pre"
    X, y, w = get_padded_sequences(40, 10, 3, padding, rng=1)
    X14 = extend_padding(X, y, w, 14, padding)[0]
    real = slice(0, 10) if padding == "post" else slice(4, 14)
    gap = np.abs(predict_proba(short, X) - predict_proba(long, X14)[:, real])
    assert gap[..., 0][w > 0].max() > 1e-4


def test_mask_layer_and_lesson_model_unchanged():
    masked = build_model(10, 5, mask=True)
    plain = build_model(10, 5)
    assert [layer.name for layer in masked.layers] == [
        "sequence",
        "mask",
        "bilstm",
        "per_step",
    ]
    assert isinstance(masked.get_layer("mask"), layers.Masking)
    assert masked.count_params() == plain.count_params()
    assert [layer.name for layer in plain.layers] == ["sequence", "bilstm", "per_step"]
    with pytest.raises(ValueError, match="mask must be True or False"):
        build_model(10, 5, mask="yes")


# --- weights in training and scoring -------------------------------------------


@pytest.fixture(scope="module")
def padded():
    return get_padded_sequences(200, 10, 4, "post", rng=5)


@pytest.mark.slow
@pytest.mark.parametrize("fast", [True, False])
@pytest.mark.parametrize("masked", [False, True])
def test_zero_weight_steps_do_not_change_training(padded, fast, masked):
    """Labels on zero-weight steps may be anything: the weights come out the same."""
    X, y, w = padded
    scrambled = y.copy()
    scrambled[w == 0] = 1.0 - scrambled[w == 0]
    assert not np.array_equal(scrambled, y)
    trained = []
    for labels in (y, scrambled):
        set_seed(3)
        model = build_model(10, 4, mask=masked)
        train(model, X, labels, w, batch_size=40, epochs=2, rng=1, fast=fast)
        trained.append(model.get_weights())
    for a, b in zip(*trained, strict=True):
        np.testing.assert_array_equal(a, b)


def test_without_weights_the_padding_labels_do_change_an_unmasked_model(padded):
    """The control for the test above."""
    X, y, w = padded
    scrambled = y.copy()
    scrambled[w == 0] = 1.0
    trained = []
    for labels in (y, scrambled):
        set_seed(3)
        model = build_model(10, 4)
        train(model, X, labels, batch_size=40, rng=1)
        trained.append(model.get_weights())
    assert any(not np.array_equal(a, b) for a, b in zip(*trained, strict=True))


def test_weighted_fast_and_plain_paths_train_the_same_weights(padded):
    X, y, w = padded
    weights = {}
    for fast in (True, False):
        set_seed(4)
        model = build_model(10, 4)
        train(model, X, y, w, batch_size=40, epochs=2, rng=2, fast=fast)
        weights[fast] = model.get_weights()
    gap = max(
        np.max(np.abs(a - b))
        for a, b in zip(weights[True], weights[False], strict=True)
    )
    assert gap < 1e-5


def test_masked_models_accuracy_in_training_counts_real_steps_only(padded):
    """Keras leaves masked steps out of the reported accuracy, in both paths."""
    X, y, w = padded
    logged = {}
    for fast in (True, False):
        set_seed(5)
        model = build_model(10, 4, mask=True)
        result = train(model, X, y, batch_size=40, rng=2, fast=fast)
        logged[fast] = result.accuracy
    # the same batches: the paths differ by rounding, which may tip a step or
    # two over 0.5 (one step is 1/1,400 of the epoch's real steps)
    assert logged[True] == pytest.approx(logged[False], abs=2e-3)
    # labels on the padding that the model cannot get right leave the
    # reported accuracy exactly as it was: padded steps are not counted
    set_seed(5)
    model = build_model(10, 4, mask=True)
    flipped = y.copy()
    flipped[w == 0] = 1.0
    result = train(model, X, flipped, batch_size=40, rng=2)
    assert result.accuracy == pytest.approx(logged[True], abs=1e-6)


def test_sample_weight_of_the_wrong_shape_or_sign_is_refused(padded):
    X, y, w = padded
    model = build_model(10, 4)
    with pytest.raises(ValueError, match=r"sample_weight must have shape \(200, 10\)"):
        train(model, X, y, w[:, :9])
    with pytest.raises(ValueError, match=">= 0"):
        train(model, X, y, -w)
    with pytest.raises(ValueError, match="0s and 1s"):
        evaluate(model, X, y, 0.5 * w)
    with pytest.raises(ValueError, match="no step counts"):
        evaluate(model, X, y, 0 * w)


def test_evaluate_counts_only_weighted_steps_by_hand():
    y = np.array([[0, 1, 1, 0], [0, 0, 1, 1], [1, 0, 0, 0]], np.float32)[..., None]
    w = np.array([[1, 1, 1, 0], [1, 1, 1, 1], [0, 0, 0, 0]], np.float32)
    proba = [[0.1, 0.8, 0.9, 0.9], [0.2, 0.7, 0.9, 0.9], [0.2, 0.9, 0.9, 0.9]]
    scores = evaluate(Fixed(proba), np.zeros_like(y), y, w)
    # 7 steps count, 1 of them wrong (row 1, step 1); the wrong padded step
    # (row 0, step 3) and the empty row 2 do not count
    assert scores["n_steps"] == 7 and scores["accuracy"] == pytest.approx(6 / 7)
    assert scores["n_sequences"] == 2 and scores["sequence_accuracy"] == 0.5
    assert scores["wrong"].sum() == 1 and scores["wrong"][1, 1]
    p, t = np.array(proba), y[..., 0]
    losses = -(t * np.log(p) + (1 - t) * np.log(1 - p))
    assert scores["loss"] == pytest.approx(losses[w > 0].mean(), rel=1e-6)
    every = evaluate(Fixed(proba), np.zeros_like(y), y)
    assert every["n_steps"] == 12 and every["accuracy"] == pytest.approx(6 / 12)


def test_evaluate_uses_a_masking_models_mask_without_weights(padded):
    X, y, w = padded
    set_seed(6)
    model = build_model(10, 4, mask=True)
    train(model, X, y, batch_size=40, rng=0)
    by_mask = evaluate(model, X, y)
    by_weight = evaluate(model, X, y, w)
    assert by_mask["n_steps"] == int(w.sum())
    for key in ("loss", "accuracy", "sequence_accuracy"):
        assert by_mask[key] == by_weight[key]
    np.testing.assert_array_equal(by_mask["weights"], w)
    # the same model scored on every step, padding included, differs
    every = evaluate(model, X, y, np.ones_like(w))
    assert every["n_steps"] == w.size and every["accuracy"] != by_mask["accuracy"]


# --- integer tokens through an Embedding ----------------------------------------


def tiny_tagger(vocabulary=6, direction="bidirectional"):
    tokens = keras.Input((None,), dtype="int32", name="tokens")
    x = layers.Embedding(vocabulary, 3, mask_zero=True, name="embed")(tokens)
    lstm = layers.LSTM(4, return_sequences=True, name="lstm")
    x = layers.Bidirectional(lstm, name="bilstm")(x)
    dense = layers.Dense(1, activation="sigmoid", name="dense")
    out = layers.TimeDistributed(dense, name="per_step")(x)
    model = keras.Model(tokens, out, name="tagger")
    model.compile(
        loss="binary_crossentropy",
        optimizer=keras.optimizers.Adam(0.02),
        metrics=["accuracy"],
    )
    return model


def token_data(n=200, n_timesteps=7, seed=0):
    """Token 1..5 sequences, 0-padded after; label 1 where the token is 3."""
    gen = np.random.default_rng(seed)
    lengths = gen.integers(2, n_timesteps + 1, size=n)
    X = gen.integers(1, 6, size=(n, n_timesteps)).astype(np.int32)
    X[np.arange(n_timesteps) >= lengths[:, None]] = 0
    y = (X == 3).astype(np.float32)[..., None]
    return X, y, (X > 0).astype(np.float32)


def test_check_x_accepts_token_indices_of_any_length():
    model = tiny_tagger()
    assert model.input_shape == (None, None)
    X, _, _ = token_data()
    checked = check_x(model, X.astype(np.int64))
    assert checked.dtype == np.int32 and checked.shape == X.shape
    assert check_x(model, X[:, :3]).shape == (200, 3)
    with pytest.raises(ValueError, match=r"\(n_sequences, n_timesteps\)"):
        check_x(model, X[..., None])


@pytest.mark.parametrize("fast", [True, False])
def test_an_embedding_tagger_trains_on_integer_tokens(fast):
    X, y, w = token_data()
    set_seed(7)
    model = tiny_tagger()
    before = evaluate(model, X, y)
    result = train(model, X, y, batch_size=16, epochs=15, rng=0, fast=fast)
    after = evaluate(model, X, y)
    assert result.steps == 15 * 13 and np.isfinite(result.loss)
    # the mask from mask_zero: only the real tokens are scored
    assert after["n_steps"] == int(w.sum())
    assert after["accuracy"] > max(before["accuracy"], 0.9)


@pytest.mark.slow
def test_the_tagger_trains_the_same_on_both_paths_and_padding_is_invisible():
    X, y, _ = token_data()
    weights = {}
    for fast in (True, False):
        set_seed(8)
        model = tiny_tagger()
        train(model, X, y, batch_size=20, epochs=2, rng=1, fast=fast)
        weights[fast] = model.get_weights()
    gap = max(
        np.max(np.abs(a - b))
        for a, b in zip(weights[True], weights[False], strict=True)
    )
    assert gap < 1e-5
    longer = np.concatenate([X, np.zeros((len(X), 5), np.int32)], axis=1)
    real = X > 0
    p = predict_proba(model, X)[..., 0]
    p_longer = predict_proba(model, longer)[:, : X.shape[1], 0]
    np.testing.assert_allclose(p[real], p_longer[real], atol=1e-6)


def test_a_second_masked_model_reuses_the_compiled_program(padded):
    """Masking adds auto-numbered operations (not_equal_1, ...) to each model's
    config; they must not make every masked model compile its own program."""
    X, y, w = padded
    set_seed(9)
    train(build_model(10, 3, mask=True), X, y, w, batch_size=40)
    before = training.compiled_programs()
    set_seed(10)
    train(build_model(10, 3, mask=True), X, y, w, batch_size=40)
    assert training.compiled_programs() == before


@pytest.mark.parametrize("padding", PADDINGS)
def test_extend_padding_adds_zero_steps_where_asked(padding):
    X, y, w = get_padded_sequences(20, 8, 3, padding, rng=4)
    X12, y12, w12 = extend_padding(X, y, w, 12, padding)
    assert X12.shape == y12.shape == (20, 12, 1) and w12.shape == (20, 12)
    old = slice(0, 8) if padding == "post" else slice(4, 12)
    new = slice(8, 12) if padding == "post" else slice(0, 4)
    for a, b in ((X12, X), (y12, y), (w12, w)):
        np.testing.assert_array_equal(a[:, old], b)
        assert np.all(a[:, new] == 0)
    with pytest.raises(ValueError, match="at least the sequences' length 8"):
        extend_padding(X, y, w, 7)
    with pytest.raises(ValueError, match="padding must be one of"):
        extend_padding(X, y, w, 12, "both")


@pytest.mark.parametrize("direction", DIRECTIONS)
def test_a_model_of_any_length_reads_every_padding_alike(direction):
    set_seed(11)
    model = build_model(None, 5, direction=direction, mask=True)
    assert model.input_shape == (None, None, 1)
    fixed = build_model(10, 5, direction=direction, mask=True)
    assert model.count_params() == fixed.count_params()
    X, y, w = get_padded_sequences(30, 10, 3, "post", rng=6)
    p10 = predict_proba(model, X)[..., 0]
    for padding in PADDINGS:
        more = extend_padding(X, y, w, 16, padding)
        real = slice(0, 10) if padding == "post" else slice(6, 16)
        p16 = predict_proba(model, more[0])[:, real, 0]
        np.testing.assert_allclose(p10[w > 0], p16[w > 0], atol=1e-6)
    with pytest.raises(ValueError, match="n_timesteps"):
        build_model(0, 5)


@pytest.mark.slow
@pytest.mark.parametrize("mask", [True, False])
def test_a_partial_last_batch_does_not_depend_on_the_chunk_length(mask):
    # 1,000 sequences in batches of 64 end each epoch with a batch of 40. The
    # fast path pads it with zero rows, never with the previous chunk's
    # sequences, so every chunk length trains the same weights; a masking
    # model then also takes fit's own step (its padding rows are masked whole).
    X, y, w = get_padded_sequences(1000, 12, 4, "post", rng=0)
    trained = {}
    for chunk in (200, 16, 7):
        with seeded(3):
            model = build_model(None, 8, mask=mask)
        train(model, X, y, w, batch_size=64, epochs=2, rng=1, steps_per_execution=chunk)
        trained[chunk] = model.get_weights()
    for chunk in (16, 7):
        for a, b in zip(trained[200], trained[chunk], strict=True):
            np.testing.assert_array_equal(a, b)
    with seeded(3):
        model = build_model(None, 8, mask=mask)
    train(model, X, y, w, batch_size=64, epochs=2, rng=1, fast=False)
    gap = max(
        np.abs(a - b).max()
        for a, b in zip(trained[200], model.get_weights(), strict=True)
    )
    if mask:
        assert gap < 1e-6  # measured 4e-8: rounding only
    else:
        assert gap > 1e-5  # the documented smaller last step (measured 4e-4)
