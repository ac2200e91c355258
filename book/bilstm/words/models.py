"""The word taggers and the whole-word classifier: build them, predict, score.

:func:`build_tagger` labels every phoneme (``return_sequences=True``);
:func:`build_classifier` gives one probability per word. Both start with an
``Embedding(mask_zero=True)``, so padding never reaches the recurrent layer.
:func:`predict_words`, :func:`evaluate_words` and :func:`evaluate_classifier`
take records, as :mod:`bilstm.words.dictionary` makes them.
"""

from __future__ import annotations

import weakref

import keras
import numpy as np
import tensorflow as tf
from keras import layers

from ..checks import check_positive_int
from ..settings import check_choice
from ..evaluation import PREDICT_BATCH
from ..summaries import wilson_interval
from ..model import (
    DIRECTIONS,
    MERGE_MODES,
    TimeReverse,
    check_learning_rate,
    initializers,
)
from .dictionary import PHONEMES, check_records, encode, first_syllable_labels

__all__ = [
    "CELL_TYPES",
    "build_classifier",
    "build_tagger",
    "evaluate_classifier",
    "evaluate_words",
    "predict_words",
]

#: The recurrent cells :func:`build_tagger` and :func:`build_classifier` offer.
CELL_TYPES = {"lstm": layers.LSTM, "gru": layers.GRU}


def _recurrent(cell_type, units, direction, merge_mode, return_sequences, name, init):
    def rnn(name, go_backwards=False):
        return CELL_TYPES[cell_type](
            units,
            return_sequences=return_sequences,
            go_backwards=go_backwards,
            name=name,
            **init("recurrent"),
        )

    if direction == "bidirectional":
        # seeded (init gives keywords), the backward copy gets its own seeds
        backward = rnn(f"backward_{cell_type}", True) if init.seeded else None
        return [
            layers.Bidirectional(
                rnn(cell_type),
                merge_mode=merge_mode,
                backward_layer=backward,
                name=f"bi{name}",
            )
        ]
    if direction == "forward":
        return [rnn(f"forward_{name}")]
    backward = rnn(f"backward_{name}", go_backwards=True)
    if not return_sequences:
        return [backward]
    return [backward, TimeReverse(name=f"time_reverse{name[len(cell_type) :]}")]


def _check_architecture(
    units, direction, merge_mode, embedding_dim, cell_type, n_layers
):
    check_positive_int("units", units)
    check_choice("direction", direction, DIRECTIONS)
    check_choice("merge_mode", merge_mode, MERGE_MODES)
    check_positive_int("embedding_dim", embedding_dim)
    check_choice("cell_type", cell_type, tuple(CELL_TYPES))
    check_positive_int("layers", n_layers)


def _embedded(embedding_dim, init):
    inputs = keras.Input((None,), dtype="int32", name="phonemes")
    x = layers.Embedding(
        len(PHONEMES) + 1,
        embedding_dim,
        mask_zero=True,
        name="embedding",
        **init("embedding"),
    )(inputs)
    return inputs, x


def _compile(model, learning_rate):
    model.compile(
        loss="binary_crossentropy",
        optimizer=keras.optimizers.Adam(check_learning_rate(learning_rate)),
        metrics=["accuracy"],
    )
    return model


def build_tagger(
    units=32,
    direction="bidirectional",
    merge_mode="concat",
    embedding_dim=16,
    *,
    cell_type="lstm",
    layers=1,
    learning_rate=0.001,
    seed=None,
) -> keras.Model:
    """The per-phoneme stress tagger, compiled; its input shape is ``(None,)``.

    ``Embedding(mask_zero=True)`` turns each phoneme index into
    ``embedding_dim`` numbers and marks index 0 as padding, so the recurrent
    layers skip padded steps; then ``layers`` recurrent layers (``cell_type``
    ``"lstm"`` or ``"gru"``, ``units`` units per direction, each returning a
    sequence; ``direction`` as in :func:`bilstm.build_model`, ``merge_mode``
    for the bidirectional one), then ``TimeDistributed(Dense(1, sigmoid))``.
    Binary cross-entropy and Adam at ``learning_rate``. Because of the mask,
    the predictions on a word's real steps do not depend on how much padding
    follows it. ``seed`` seeds every initial weight, as in
    :func:`bilstm.build_model`.
    """
    _check_architecture(units, direction, merge_mode, embedding_dim, cell_type, layers)
    init = initializers(seed)
    inputs, x = _embedded(embedding_dim, init)
    for i in range(layers):
        name = cell_type if i == 0 else f"{cell_type}_{i + 1}"
        for layer in _recurrent(
            cell_type, units, direction, merge_mode, True, name, init
        ):
            x = layer(x)
    dense = keras.layers.Dense(1, activation="sigmoid", name="dense", **init("dense"))
    outputs = keras.layers.TimeDistributed(dense, name="per_step")(x)
    stack = f"{layers}x" if layers > 1 else ""
    model = keras.Model(inputs, outputs, name=f"{direction}_{stack}{cell_type}_tagger")
    return _compile(model, learning_rate)


def build_classifier(
    units=32,
    direction="bidirectional",
    merge_mode="concat",
    embedding_dim=16,
    *,
    cell_type="lstm",
    learning_rate=0.001,
    seed=None,
) -> keras.Model:
    """A whole-word classifier: one probability per word, input shape ``(None,)``.

    Like :func:`build_tagger` but the recurrent layer returns only its final
    output (``return_sequences=False``): for the forward reader its state after
    the word's last real phoneme, for the backward reader its state after
    reading back to the first, and for the bidirectional one the two merged
    by ``merge_mode``. A ``Dense(1, sigmoid)`` turns that into one probability.
    """
    _check_architecture(units, direction, merge_mode, embedding_dim, cell_type, 1)
    init = initializers(seed)
    inputs, x = _embedded(embedding_dim, init)
    for layer in _recurrent(
        cell_type, units, direction, merge_mode, False, cell_type, init
    ):
        x = layer(x)
    dense = keras.layers.Dense(1, activation="sigmoid", name="dense", **init("dense"))
    outputs = dense(x)
    model = keras.Model(inputs, outputs, name=f"{direction}_{cell_type}_classifier")
    return _compile(model, learning_rate)


_EAGER_WORDS = 64  # fewer words than this: call the model directly, no tracing


def _predictor(model, n_timesteps):
    """The model as a graph function for inputs ``(n, n_timesteps)``, kept per model.

    A traced graph predicts the test words about twice as fast as calling the
    model eagerly; it holds only a weak reference to the model.
    """
    functions = _PREDICTORS.setdefault(model, {})
    if n_timesteps not in functions:
        ref = weakref.ref(model)
        functions[n_timesteps] = tf.function(
            lambda x: ref()(x, training=False),
            input_signature=[tf.TensorSpec((None, n_timesteps), tf.int32)],
        )
    return functions[n_timesteps]


_PREDICTORS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _predict(model, records):
    """The model's outputs for the records, encoded to the longest of them."""
    records = check_records(records)
    if not records:
        raise ValueError("records must hold at least one word")
    X, _, _ = encode(records, max(len(r[1]) for r in records))
    if len(X) < _EAGER_WORDS:
        return records, np.asarray(model(X, training=False)).astype(np.float64)
    predict = _predictor(model, X.shape[1])
    proba = np.concatenate(
        [
            np.asarray(predict(X[i : i + PREDICT_BATCH]))
            for i in range(0, len(X), PREDICT_BATCH)
        ]
    )
    return records, proba.astype(np.float64)


def predict_words(model, records) -> list:
    """Each word's per-phoneme probabilities of stress, as a list of arrays.

    Words are encoded to the longest of them and padded; only the real steps'
    probabilities come back.
    """
    records, proba = _predict(model, records)
    return [proba[i, : len(r[1]), 0] for i, r in enumerate(records)]


def evaluate_words(model, records) -> dict:
    """Score a tagger on records: per phoneme on real steps, and per word.

    Returns ``phoneme_accuracy`` (real steps whose thresholded probability
    matches the label; padding never counts), ``word_accuracy`` (words whose
    most probable phoneme is the stressed one), their 95% intervals, the
    counts ``n_words`` and ``n_phonemes``, and per word ``predicted`` (the most
    probable phoneme's index), ``right`` (booleans) and ``proba`` (the list of
    :func:`predict_words`).
    """
    records = check_records(records)
    proba = predict_words(model, records)
    stress = np.array([r[2] for r in records])
    predicted = np.array([int(np.argmax(p)) for p in proba])
    right = predicted == stress
    steps_right = sum(
        int(((p > 0.5) == (np.arange(len(p)) == s)).sum())
        for p, s in zip(proba, stress, strict=True)
    )
    n_phonemes = sum(len(p) for p in proba)
    words_right = int(right.sum())
    return {
        "phoneme_accuracy": steps_right / n_phonemes,
        "word_accuracy": words_right / len(records),
        "phoneme_accuracy_interval": wilson_interval(steps_right, n_phonemes),
        "word_accuracy_interval": wilson_interval(words_right, len(records)),
        "n_words": len(records),
        "n_phonemes": n_phonemes,
        "predicted": predicted,
        "right": right,
        "proba": proba,
    }


def evaluate_classifier(model, records) -> dict:
    """Score a whole-word classifier on "is the stress on the first syllable?".

    Returns ``accuracy`` (words whose thresholded probability matches
    :func:`first_syllable_labels`), its 95% ``interval``, ``n_words``, and per
    word ``proba`` and ``right``.
    """
    records, proba = _predict(model, records)
    if proba.shape != (len(records), 1):
        raise ValueError(
            f"expected one probability per word, shape ({len(records)}, 1), got "
            f"{proba.shape}: is this a classifier from build_classifier?"
        )
    truth = first_syllable_labels(records)[:, 0] > 0.5
    right = (proba[:, 0] > 0.5) == truth
    n_right = int(right.sum())
    return {
        "accuracy": n_right / len(records),
        "interval": wilson_interval(n_right, len(records)),
        "n_words": len(records),
        "proba": proba[:, 0],
        "right": right,
    }
