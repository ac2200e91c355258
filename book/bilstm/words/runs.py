"""One seeded training run of a tagger or classifier on the fast path, and its scores.

:func:`train_tagger` and :func:`train_classifier` pick the training words,
seed the weights, train with :func:`bilstm.train` and score on held-out
words, in one way for every chapter, the explorer and the tests.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import keras
import numpy as np

from ..data import check_positive_int
from ..seeding import seeded, stream
from ..training import TrainResult, train
from .dictionary import encode, first_syllable_labels, fitting
from .models import build_classifier, build_tagger, evaluate_classifier, evaluate_words

__all__ = ["TaggerRun", "train_classifier", "train_tagger"]


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
        result = train(
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
    :func:`evaluate_classifier`. :func:`bilstm.train` takes the one label
    per word as it takes per-step labels, on the same fast path.
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
