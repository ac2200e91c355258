"""One run, done one way: seed, make the data, build, train and evaluate.

:func:`run` is what the command line (``python -m bilstm train``), the training
panel, the experiment runner and the chapters' complete example call. The same
settings and seed give the same trained weights from all of them, bit for bit,
also when several runs train at once in one process.

A run with seed ``s`` draws from named random streams (see
:func:`bilstm.seeding.stream`): the training sequences from ``"train"``, the
test sequences from ``"test"``, each epoch's batch order from ``"shuffle"``;
the initial weights of :func:`bilstm.build_model` from a stream of their own
(:func:`bilstm.model.initializers`).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import keras
import numpy as np

from . import settings as _settings
from .checks import check_positive_int
from .data import Sequences, get_sequences
from .evaluation import evaluate
from .model import build_model
from .seeding import seeded, stream
from .settings import STEPS_PER_EXECUTION
from .training import TrainResult, train

__all__ = [
    "build_for",
    "check_functions",
    "run",
    "RunResult",
    "learning_rate_for",
    "test_sequences",
    "COSINE_FLOOR",
]

#: The cosine schedule ends at this fraction of its starting rate.
COSINE_FLOOR = 0.01


@dataclass
class RunResult:
    """What :func:`run` made and measured.

    ``settings`` are the full, checked settings (seed included); ``test``
    the test :class:`~bilstm.data.Sequences` (drawn, or the one passed as
    ``score``) and ``scores``
    :func:`bilstm.evaluation.evaluate` on them (or what ``run``'s ``score``
    function returned, with ``test`` None; both None with ``score=False``);
    ``training`` is :func:`bilstm.training.train`'s result and ``seconds``
    the wall time of training alone.
    """

    settings: dict
    model: keras.Model
    training: TrainResult
    scores: dict | None
    test: Sequences | None
    seconds: float

    @property
    def seed(self) -> int:
        return self.settings["seed"]


def learning_rate_for(settings: dict):
    """Adam's learning rate for these settings: a number, or a cosine schedule.

    The cosine schedule falls along half a cosine over the run's optimizer
    steps (:func:`bilstm.settings.total_steps`) to ``COSINE_FLOOR`` of its
    start.
    """
    settings = _settings.check(settings)
    if settings["schedule"] == "constant":
        return settings["learning_rate"]
    return keras.optimizers.schedules.CosineDecay(
        settings["learning_rate"],
        decay_steps=_settings.total_steps(settings),
        alpha=COSINE_FLOOR,
    )


def build_for(settings: dict):
    """The lesson's model for these settings, compiled: what :func:`run` builds.

    :func:`bilstm.build_model` with the settings' length, units, merge mode,
    direction, learning rate (see :func:`learning_rate_for`) and seed, which
    seeds its initial weights.
    """
    s = _settings.check(settings)
    return build_model(
        s["n_timesteps"],
        s["units"],
        s["merge_mode"],
        s["direction"],
        learning_rate=learning_rate_for(s),
        seed=s["seed"],
    )


def _draw(make_data, n_sequences, n_timesteps, rng, name) -> Sequences:
    """``make_data``'s sequences, as :class:`~bilstm.data.Sequences`."""
    return Sequences.of(make_data(n_sequences, n_timesteps, rng=rng), name)


def test_sequences(
    settings: dict | None = None, *, data=None, test_data=None, test_seed=None
):
    """The test :class:`~bilstm.data.Sequences` that :func:`run` scores with.

    Their ``w`` holds per-step weights for a problem whose data come with
    them, and is None otherwise. A pure function of the settings (``n_test``,
    ``n_timesteps``, ``seed``), the problem (``test_data``, else ``data``)
    and ``test_seed``, so a caller can draw them again (for example to score
    the model while it trains) and get the same arrays.
    """
    s = _settings.check(settings)
    if test_seed is not None:
        check_positive_int("test_seed", test_seed, minimum=0)
    rng = (
        stream(s["seed"], "test")
        if test_seed is None
        else np.random.default_rng(test_seed)
    )
    make_data = test_data or data or get_sequences
    name = "test_data" if test_data is not None else "data"
    return _draw(make_data, s["n_test"], s["n_timesteps"], rng, name)


def check_functions(**functions):
    """Each of ``functions`` must be None or callable: a clear error if not.

    Checks the ``build``, ``data`` and ``test_data`` of :func:`run` (and of
    the training panel, which checks them when it is made).
    """
    for name, function in functions.items():
        if function is not None and not callable(function):
            raise ValueError(f"{name} must be a function, got {function!r}")


def run(
    settings: dict | None = None,
    *,
    build=None,
    data=None,
    test_data=None,
    test_seed: int | None = None,
    score=True,
    callbacks=(),
    steps_per_execution: int = STEPS_PER_EXECUTION,
    verbose: int = 0,
) -> RunResult:
    """Train and evaluate one model; ``settings`` override :data:`DEFAULTS`.

    The settings are those of :data:`bilstm.settings.SETTINGS` (``n_timesteps``,
    ``units``, ``merge_mode``, ``direction``, ``n_train``, ``batch_size``,
    ``epochs``, ``n_test``, ``learning_rate``, ``schedule`` and ``seed``);
    a bad value is a ``ValueError`` that says what is allowed.

    Another model or problem: ``build(settings)`` returns a compiled Keras
    model to use instead of :func:`bilstm.build_model` (it is called inside
    :func:`bilstm.seeding.seeded`; ``settings["seed"]`` may seed it
    explicitly), and ``data(n_sequences, n_timesteps, rng)`` returns
    ``(X, y)`` shaped like :func:`bilstm.get_sequences`, or ``(X, y,
    sample_weight)`` (or :class:`~bilstm.data.Sequences`) with per-step
    weights (padded sequences: see :func:`bilstm.data.get_padded_sequences`),
    which then weight training and choose the steps scored. ``test_data``,
    with the same signature, draws the test sequences when they must come
    from elsewhere (held-out words, for example); by default ``data`` does.
    ``test_seed`` draws the test sequences from
    ``numpy.random.default_rng(test_seed)`` instead of the run's own stream,
    so that runs of several seeds share one test set.

    ``score``: ``True`` draws the test sequences (:func:`test_sequences`)
    and scores the model on them with :func:`bilstm.evaluate`; a
    :class:`~bilstm.data.Sequences` is a fixed test set to score on instead
    (drawn once by the caller, for example to share it between runs or to
    track it while training); ``False`` only trains (no test draw); a
    function ``score(model)`` scores it another way, and its result is the
    run's ``scores``.

    ``callbacks`` are Keras callbacks for :func:`bilstm.train` (they see
    ``on_train_batch_end`` once every ``steps_per_execution`` batches); one
    may stop the run early by setting ``model.stop_training = True``, and the
    run is then evaluated as it stands.
    """
    s = _settings.check(settings)
    check_functions(build=build, data=data, test_data=test_data)
    if not isinstance(score, (bool, Sequences)) and not callable(score):
        raise ValueError(
            "score must be True, False, a Sequences test set or a function, "
            f"got {score!r}"
        )
    seed = s["seed"]
    with seeded(seed):  # building only: another run may train meanwhile
        model = (build_for if build is None else build)(dict(s))
    train_set = _draw(
        get_sequences if data is None else data,
        s["n_train"],
        s["n_timesteps"],
        stream(seed, "train"),
        "data",
    )
    start = time.perf_counter()
    result = train(
        model,
        *train_set,
        batch_size=s["batch_size"],
        epochs=s["epochs"],
        callbacks=list(callbacks),
        steps_per_execution=steps_per_execution,
        verbose=verbose,
        rng=stream(seed, "shuffle"),
    )
    seconds = time.perf_counter() - start
    del train_set
    test, scores = None, None
    if score is True:
        test = test_sequences(s, data=data, test_data=test_data, test_seed=test_seed)
    elif isinstance(score, Sequences):
        test = score
    if test is not None:
        scores = evaluate(model, *test)
    elif score:
        scores = score(model)
    return RunResult(s, model, result, scores, test, seconds)
