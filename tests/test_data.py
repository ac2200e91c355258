import subprocess
import sys

import numpy as np
import pytest

from bilstm.checks import check_x
from bilstm.data import (
    cumsum_labels,
    flip_step,
    get_sequence,
    get_sequences,
    limit_for,
    make_rng,
    squeeze_features,
)


def lesson_loop(values, limit):
    """The lesson's labelling rule, written as the plain loop it describes."""
    labels, total = [], 0.0
    for value in values:
        total += float(value)
        labels.append(0 if total < limit else 1)
    return labels


def test_lesson_worked_example(lesson_example):
    X, expected = lesson_example
    assert cumsum_labels(X).astype(int).tolist() == expected
    assert limit_for(10) == 2.5


@pytest.mark.parametrize("n_timesteps", [1, 2, 3, 10, 17, 40, 100])
def test_labels_equal_the_lessons_loop(n_timesteps):
    X, y = get_sequences(300, n_timesteps, rng=n_timesteps)
    for xs, ys in zip(X[..., 0], y[..., 0], strict=True):
        assert ys.astype(int).tolist() == lesson_loop(xs, n_timesteps / 4)


def test_labels_flip_once_and_never_back():
    _, y = get_sequences(2000, 12, rng=0)
    steps = np.diff(y[..., 0], axis=1)
    assert steps.min() >= 0
    assert steps.sum(axis=1).max() <= 1


def test_shapes_dtypes_and_range():
    X, y = get_sequences(7, 10, rng=1)
    assert X.shape == y.shape == (7, 10, 1)
    assert X.dtype == y.dtype == np.float32
    assert 0.0 <= X.min() and X.max() < 1.0
    assert set(np.unique(y)) <= {0.0, 1.0}
    x1, y1 = get_sequence(10, rng=1)
    assert x1.shape == y1.shape == (10,)


def test_seeded_runs_repeat_and_generators_are_accepted():
    a = get_sequences(5, 10, rng=42)
    b = get_sequences(5, 10, rng=42)
    c = get_sequences(5, 10, rng=np.random.default_rng(42))
    for left, right in [(a, b), (a, c)]:
        np.testing.assert_array_equal(left[0], right[0])
        np.testing.assert_array_equal(left[1], right[1])
    assert not np.array_equal(get_sequences(5, 10, rng=43)[0], a[0])
    gen = make_rng(3)
    assert make_rng(gen) is gen


def test_large_batches_are_vectorised():
    X, y = get_sequences(50_000, 10, rng=0)
    assert X.shape == (50_000, 10, 1)
    # About a quarter of the sequence length must accumulate before the flip,
    # so with mean 0.5 per step most sequences flip at step 4 or 5 (0-based 4).
    flip = np.argmax(y[..., 0] > 0, axis=1)
    assert 3.5 < np.median(flip) < 5.5


@pytest.mark.parametrize(
    "call, name",
    [
        (lambda: get_sequences(0, 10), "n_sequences"),
        (lambda: get_sequences(-3, 10), "n_sequences"),
        (lambda: get_sequences(5, 0), "n_timesteps"),
        (lambda: get_sequences(5, 2.5), "n_timesteps"),
        (lambda: get_sequences(5, "10"), "n_timesteps"),
        (lambda: get_sequences(True, 10), "n_sequences"),
        (lambda: get_sequence(0), "n_timesteps"),
        (lambda: get_sequence(10, rng="seed"), "rng"),
        (lambda: get_sequence(10, rng=-1), "rng"),
        (lambda: cumsum_labels([]), "X"),
    ],
)
def test_bad_arguments_name_the_argument(call, name):
    with pytest.raises(ValueError, match=name):
        call()


def test_bad_argument_message_says_what_is_allowed():
    with pytest.raises(ValueError) as err:
        get_sequences(5, 0)
    assert "whole number >= 1" in str(err.value) and "got 0" in str(err.value)


def test_data_layer_imports_no_keras():
    code = (
        "import sys, bilstm, bilstm.data;"
        "bilstm.get_sequences(3, 4, rng=0);"
        "assert 'keras' not in sys.modules and 'tensorflow' not in sys.modules"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_flip_step_finds_first_one_and_marks_never():
    y = np.array([[0, 0, 1, 1], [1, 1, 1, 1], [0, 0, 0, 0]], dtype=np.float32)
    assert flip_step(y).tolist() == [2, 0, 4]
    assert flip_step(y[..., None]).tolist() == [2, 0, 4]
    assert flip_step(y[0]).tolist() == [2]


def test_squeeze_features_gives_sequences_by_steps():
    X, _ = get_sequences(3, 5, rng=0)
    np.testing.assert_array_equal(squeeze_features(X), X[..., 0])
    assert squeeze_features(X[..., 0]).shape == (3, 5)
    assert squeeze_features(X[0, :, 0]).shape == (1, 5)
    assert squeeze_features(X).dtype == np.float64
    for bad in (np.float64(1.0), np.zeros((3, 5, 2)), np.zeros((2, 3, 5, 1))):
        with pytest.raises(ValueError, match="n_sequences, n_timesteps"):
            squeeze_features(bad)


class _Shaped:
    """Anything with a Keras-style ``input_shape``: all that check_x reads."""

    input_shape = (None, 6, 1)


def test_check_x_accepts_the_models_shape_as_float32():
    X, _ = get_sequences(2, 6, rng=0)
    checked = check_x(_Shaped(), X.astype(np.float64))
    assert checked.dtype == np.float32 and checked.shape == (2, 6, 1)


@pytest.mark.parametrize(
    "X, message",
    [
        (np.zeros((2, 5, 1)), "sequence length 6"),
        (np.zeros((2, 6)), r"\(n_sequences, 6, 1\)"),
        (np.zeros((0, 6, 1)), "at least one sequence"),
    ],
)
def test_check_x_says_what_shape_is_needed(X, message):
    with pytest.raises(ValueError, match=message):
        check_x(_Shaped(), X)
