"""The stress task as a problem for :func:`bilstm.run`, and one seeded run of it.

:func:`task` poses the task the way :func:`bilstm.run` and the training panel
take any problem: a ``build(settings)`` function and ``data`` / ``test_data``
functions that draw encoded words. :func:`train_tagger` and
:func:`train_classifier` are :func:`bilstm.run` on that task (seeded weights,
the training words drawn from the run's ``"train"`` stream, batches from its
``"shuffle"`` stream, the fast training path), scored on every held-out word.
"""

from __future__ import annotations

from dataclasses import dataclass
from inspect import signature

import keras
import numpy as np

from .. import settings as _settings
from ..data import check_positive_int
from ..runs import learning_rate_for, run
from ..training import TrainResult
from .dictionary import _check_records, encode, first_syllable_labels, fitting
from .models import build_classifier, build_tagger, evaluate_classifier, evaluate_words

__all__ = ["LABELS", "TaggerRun", "task", "train_classifier", "train_tagger"]

#: What a word's labels are: ``"stress"``, one per phoneme (1 on the stressed
#: one, with weights 1 on real steps); ``"first syllable"``, one per word
#: (:func:`first_syllable_labels`), for :func:`build_classifier`.
LABELS = ("stress", "first syllable")
#: The settings of :mod:`bilstm.settings` that :func:`task`'s ``build`` passes
#: on to the model function; other architecture keywords are fixed per task.
_MODEL_SETTINGS = ("cells", "direction", "merge_mode")


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


def _drawer(records, name, labels):
    """``draw(n, max_len, rng)``: ``n`` of the records that fit, encoded."""

    def draw(n_sequences, n_timesteps, rng):
        pool = fitting(records, n_timesteps)
        n = check_positive_int(name, n_sequences)
        if n > len(pool):
            kind = "training" if name == "n_train" else "test"
            raise ValueError(
                f"{name} is {n:,} but only {len(pool):,} {kind} words have at "
                f"most {n_timesteps} phonemes"
            )
        pick = np.sort(rng.choice(len(pool), n, replace=False))
        chosen = [pool[i] for i in pick]
        X, y, w = encode(chosen, n_timesteps)
        if labels == "first syllable":
            return X, first_syllable_labels(chosen)
        return X, y, w

    return draw


def task(train_records, test_records, *, labels="stress", build=None, **architecture):
    """The stress task as keyword arguments for :func:`bilstm.run`.

    Returns ``{"build": ..., "data": ..., "test_data": ...}``, so that
    ``bilstm.run(settings, **task(train, test))`` and
    ``TrainingPanel(**task(train, test), ...)`` train on words. The settings'
    ``n_timesteps`` is then the longest word allowed (in phonemes), ``n_train``
    and ``n_test`` are how many words ``data`` and ``test_data`` draw from
    ``train_records`` and ``test_records`` (among those that fit, without
    replacement, in dictionary order), and ``cells``, ``direction``,
    ``merge_mode`` and ``learning_rate`` go to the model. ``labels`` is one of
    :data:`LABELS`; ``build`` (default :func:`build_tagger`, or
    :func:`build_classifier` for ``"first syllable"``) is called with those
    settings and ``architecture`` (for example ``embedding_dim``, ``cell``,
    ``layers``).
    """
    train_records = _check_records(train_records, "train_records")
    test_records = _check_records(test_records, "test_records")
    if labels not in LABELS:
        raise ValueError(f"labels must be one of {LABELS}, got {labels!r}")
    if build is None:
        build = build_tagger if labels == "stress" else build_classifier
    if not callable(build):
        raise ValueError(f"build must be a function, got {build!r}")
    clash = sorted(set(architecture) & set(_settings.SETTINGS))
    if clash:
        raise ValueError(
            f"{clash} are settings: give them to run() or the panel, not to task()"
        )

    def build_model(settings):
        chosen = {k: settings[k] for k in _MODEL_SETTINGS}
        return build(
            **chosen, learning_rate=learning_rate_for(settings), **architecture
        )

    return {
        "build": build_model,
        "data": _drawer(train_records, "n_train", labels),
        "test_data": _drawer(test_records, "n_test", labels),
    }


def _run_and_score(train_records, test_records, labels, score, build, **given):
    """:func:`bilstm.run` on :func:`task`, then ``score`` on every test word."""
    max_len = check_positive_int("max_len", given.pop("max_len"))
    train_records = fitting(_check_records(train_records, "train_records"), max_len)
    test_records = _check_records(test_records, "test_records")
    if given["n_train"] is None:
        given["n_train"] = len(train_records)
    architecture = given.pop("architecture")
    as_given = dict(architecture)
    model_settings = {k: architecture.pop(k) for k in list(architecture)
                      if k in _settings.SETTINGS}  # fmt: skip
    # the model's own defaults (build_tagger: 32 cells, ...), not the lesson's
    defaults = {
        name: p.default
        for name, p in signature(build).parameters.items()
        if name in _MODEL_SETTINGS and p.default is not p.empty
    }
    settings = {**defaults, **model_settings, "n_timesteps": max_len}
    callbacks = given.pop("callbacks")
    settings.update(given)
    # run() scores a test draw of its own; the scores kept are score() on
    # every test word, so that draw is one word, not a second evaluation
    settings["n_test"] = 1
    problem = task(train_records, test_records, labels=labels, build=build,
                   **architecture)  # fmt: skip
    result = run(settings, callbacks=callbacks, **problem)
    recorded = {
        "seed": result.settings["seed"],
        "n_train": result.settings["n_train"],
        "max_len": max_len,
        "epochs": result.settings["epochs"],
        "batch_size": result.settings["batch_size"],
        **as_given,
    }
    return TaggerRun(
        recorded,
        result.model,
        result.training,
        score(result.model, test_records),
        result.seconds,
    )


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

    :func:`bilstm.run` on :func:`task`: ``seed`` seeds the initial weights
    (:func:`bilstm.seeding.seeded`), the choice of ``n_train`` training words
    among ``train_records`` (all of them if ``None``; words longer than
    ``max_len`` phonemes are left out first) from the run's ``"train"``
    stream, and each epoch's batch order from its ``"shuffle"`` stream.
    ``architecture`` holds the model's keywords: ``cells`` (32),
    ``direction``, ``merge_mode`` and ``learning_rate`` are settings of the
    run, the others (``embedding_dim``, ``cell``, ``layers``) go to ``build``
    (:func:`build_tagger` by default). Training is :func:`bilstm.train` with
    per-step weights, so padded steps never count; the scores are
    :func:`evaluate_words` on every test record.
    """
    return _run_and_score(
        train_records,
        test_records,
        "stress",
        evaluate_words,
        build,
        seed=seed,
        n_train=n_train,
        max_len=max_len,
        epochs=epochs,
        batch_size=batch_size,
        callbacks=list(callbacks),
        architecture=dict(architecture),
    )


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
    :func:`evaluate_classifier`. :func:`bilstm.train` takes the one label per
    word as it takes per-step labels, on the same fast path.
    """
    return _run_and_score(
        train_records,
        test_records,
        "first syllable",
        evaluate_classifier,
        build,
        seed=seed,
        n_train=n_train,
        max_len=max_len,
        epochs=epochs,
        batch_size=batch_size,
        callbacks=list(callbacks),
        architecture=dict(architecture),
    )
