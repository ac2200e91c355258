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

import keras
import numpy as np

from .. import settings as _settings
from ..checks import check_positive_int
from ..data import Sequences
from ..runs import learning_rate_for, run
from ..settings import check_choice
from ..training import TrainResult
from .dictionary import check_records, encode, first_syllable_labels, fitting
from .models import build_classifier, build_tagger, evaluate_classifier, evaluate_words

__all__ = [
    "LABELS",
    "WORD_DEFAULTS",
    "WordRun",
    "task",
    "train_classifier",
    "train_tagger",
    "train_words",
]

#: What a word's labels are: ``"stress"``, one per phoneme (1 on the stressed
#: one, with weights 1 on real steps); ``"first syllable"``, one per word
#: (:func:`first_syllable_labels`), for :func:`build_classifier`.
LABELS = ("stress", "first syllable")
#: The settings of :mod:`bilstm.settings` that :func:`task`'s ``build`` passes
#: on to the model function; other architecture keywords are fixed per task.
_MODEL_SETTINGS = ("units", "direction", "merge_mode")


@dataclass
class WordRun:
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
    """``draw(n, n_timesteps, rng)``: ``n`` of the records that fit, as Sequences."""

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
            return Sequences(X, first_syllable_labels(chosen))
        return Sequences(X, y, w)

    return draw


def task(train_records, test_records, *, labels="stress", build=None, **architecture):
    """The stress task as keyword arguments for :func:`bilstm.run`.

    Returns ``{"build": ..., "data": ..., "test_data": ...}``, so that
    ``bilstm.run(settings, **task(train, test))`` and
    ``TrainingPanel(**task(train, test), ...)`` train on words. The settings'
    ``n_timesteps`` is then the longest word allowed (in phonemes), ``n_train``
    and ``n_test`` are how many words ``data`` and ``test_data`` draw from
    ``train_records`` and ``test_records`` (among those that fit, without
    replacement, in dictionary order), and ``units``, ``direction``,
    ``merge_mode``, ``learning_rate`` and ``seed`` (its initial weights) go
    to the model. ``labels`` is one of
    :data:`LABELS`; ``build`` (default :func:`build_tagger`, or
    :func:`build_classifier` for ``"first syllable"``) is called with those
    settings and ``architecture`` (for example ``embedding_dim``, ``cell_type``,
    ``layers``).
    """
    train_records = check_records(train_records, "train_records")
    test_records = check_records(test_records, "test_records")
    check_choice("labels", labels, LABELS)
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
            **chosen,
            learning_rate=learning_rate_for(settings),
            seed=settings["seed"],
            **architecture,
        )

    return {
        "build": build_model,
        "data": _drawer(train_records, "n_train", labels),
        "test_data": _drawer(test_records, "n_test", labels),
    }


#: The word runs' settings where they differ from the lesson's
#: (:data:`bilstm.DEFAULTS`): 32 units, words of up to 16 phonemes, two epochs
#: of batches of 64, seed 0.
WORD_DEFAULTS = {
    "units": 32,
    "n_timesteps": 16,
    "epochs": 2,
    "batch_size": 64,
    "seed": 0,
}


def train_words(
    train_records,
    test_records,
    *,
    labels="stress",
    build=None,
    n_train=None,
    callbacks=(),
    **keywords,
) -> WordRun:
    """Train one word model on the fast path and score it on ``test_records``.

    :func:`bilstm.run` on :func:`task`, with ``score`` the test words' own
    scoring (:func:`evaluate_words` for ``labels="stress"``,
    :func:`evaluate_classifier` for ``"first syllable"``), so no other test
    set is drawn. ``keywords`` that are settings (:mod:`bilstm.settings`:
    ``seed``, ``n_timesteps``, ``units``, ``direction``, ``epochs``, ...)
    override :data:`WORD_DEFAULTS`; the others (``embedding_dim``,
    ``cell_type``, ``layers``) go to ``build``. ``seed`` seeds the initial
    weights, the choice of ``n_train`` training words among
    ``train_records`` (all of them if ``None``; words longer than
    ``n_timesteps`` phonemes are left out first) from the run's ``"train"``
    stream, and each epoch's batch order from its ``"shuffle"`` stream.
    Training is :func:`bilstm.train` with per-step weights, so padded steps
    never count.
    """
    given = {k: keywords.pop(k) for k in list(keywords) if k in _settings.SETTINGS}
    for name in ("n_train", "n_test"):
        if name in given:
            raise ValueError(f"{name} is not a keyword here: give n_train=, and "
                             "every test word is scored")  # fmt: skip
    settings = {**WORD_DEFAULTS, **given}
    n_timesteps = check_positive_int("n_timesteps", settings["n_timesteps"])
    train_records = fitting(check_records(train_records, "train_records"), n_timesteps)
    test_records = check_records(test_records, "test_records")
    settings["n_train"] = len(train_records) if n_train is None else n_train
    check_choice("labels", labels, LABELS)
    score = evaluate_words if labels == "stress" else evaluate_classifier
    problem = task(train_records, test_records, labels=labels, build=build,
                   **keywords)  # fmt: skip
    result = run(settings, callbacks=list(callbacks),
                 score=lambda model: score(model, test_records), **problem)  # fmt: skip
    recorded = {key: result.settings[key] for key in
                ("seed", "n_train", "n_timesteps", "epochs", "batch_size")}  # fmt: skip
    recorded.update(given, **keywords)
    return WordRun(
        recorded, result.model, result.training, result.scores, result.seconds
    )


def train_tagger(train_records, test_records, **keywords) -> WordRun:
    """:func:`train_words` with one stress label per phoneme (:func:`build_tagger`)."""
    return train_words(train_records, test_records, labels="stress", **keywords)


def train_classifier(train_records, test_records, **keywords) -> WordRun:
    """:func:`train_words` with one label per word, :func:`first_syllable_labels`.

    The model is :func:`build_classifier`'s, scored by
    :func:`evaluate_classifier`; :func:`bilstm.train` takes the one label per
    word as it takes per-step labels, on the same fast path.
    """
    return train_words(train_records, test_records, labels="first syllable", **keywords)
