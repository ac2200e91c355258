"""One run, done one way: seed, make the data, build, train and evaluate.

:func:`run` is what the command line (``python -m bilstm train``), the training
panel, the experiment runner and the chapters' complete example call. The same
settings and seed give the same trained weights from all of them, bit for bit.

A run with seed ``s`` draws from named random streams (see
:func:`bilstm.seeding.stream`): the training sequences from ``"train"``, the
test sequences from ``"test"``, each epoch's batch order from ``"shuffle"``;
the initial weights come from :func:`bilstm.seeding.seeded`.
"""

from __future__ import annotations

from . import _env  # noqa: F401

import time
from dataclasses import dataclass

import keras
import numpy as np

from . import settings as _settings
from .data import check_positive_int, get_sequences
from .evaluation import evaluate
from .model import build_model
from .seeding import seeded, stream
from .training import STEPS_PER_EXECUTION, TrainResult, train

__all__ = [
    "build_for",
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

    ``settings`` are the full, checked settings (seed included); ``scores`` is
    :func:`bilstm.evaluation.evaluate` on the test sequences ``X_test``,
    ``y_test`` (with per-step weights ``w_test`` when the problem has them);
    ``training`` is :func:`bilstm.training.train`'s result and
    ``seconds`` the wall time of training alone.
    """

    settings: dict
    model: keras.Model
    training: TrainResult
    scores: dict
    X_test: np.ndarray
    y_test: np.ndarray
    seconds: float
    w_test: np.ndarray | None = None

    @property
    def seed(self) -> int:
        return self.settings["seed"]


def learning_rate_for(settings: dict):
    """Adam's learning rate for these settings: a number, or a cosine schedule.

    The cosine schedule falls along half a cosine over the run's optimizer
    steps, ``epochs x ceil(n_train / batch_size)``, to ``COSINE_FLOOR`` of its
    start.
    """
    s = _settings.check(settings)
    if s["schedule"] == "constant":
        return s["learning_rate"]
    steps = s["epochs"] * -(-s["n_train"] // s["batch_size"])
    return keras.optimizers.schedules.CosineDecay(
        s["learning_rate"], decay_steps=steps, alpha=COSINE_FLOOR
    )


def build_for(settings: dict):
    """The lesson's model for these settings, compiled: what :func:`run` builds.

    :func:`bilstm.build_model` with the settings' length, cells, merge mode,
    direction and learning rate (see :func:`learning_rate_for`).
    """
    s = _settings.check(settings)
    return build_model(
        s["n_timesteps"],
        s["cells"],
        s["merge_mode"],
        s["direction"],
        learning_rate=learning_rate_for(s),
    )


def _draw(make_data, n_sequences, n_timesteps, rng, name):
    """``make_data``'s sequences as ``(X, y, w)``; ``w`` is None without weights."""
    drawn = make_data(n_sequences, n_timesteps, rng=rng)
    if not isinstance(drawn, tuple) or len(drawn) not in (2, 3):
        raise ValueError(
            f"{name}(n_sequences, n_timesteps, rng) must return (X, y) or "
            f"(X, y, sample_weight), got {type(drawn).__name__}"
        )
    return drawn if len(drawn) == 3 else (*drawn, None)


def test_sequences(
    settings: dict | None = None, *, data=None, test_data=None, test_seed=None
):
    """The test sequences ``(X_test, y_test)`` that :func:`run` scores with.

    ``(X_test, y_test, w_test)`` for a problem whose data come with per-step
    weights. A pure function of the settings (``n_test``, ``n_timesteps``,
    ``seed``), the problem (``test_data``, else ``data``) and ``test_seed``,
    so a caller can draw them again (for example to score the model while it
    trains) and get the same arrays.
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
    X, y, w = _draw(make_data, s["n_test"], s["n_timesteps"], rng, name)
    return (X, y) if w is None else (X, y, w)


def run(
    settings: dict | None = None,
    *,
    build=None,
    data=None,
    test_data=None,
    test_seed: int | None = None,
    callbacks=(),
    steps_per_execution: int = STEPS_PER_EXECUTION,
    verbose: int = 0,
) -> RunResult:
    """Train and evaluate one model; ``settings`` override :data:`DEFAULTS`.

    The settings are those of :data:`bilstm.settings.SETTINGS` (``n_timesteps``,
    ``cells``, ``merge_mode``, ``direction``, ``n_train``, ``batch_size``,
    ``epochs``, ``n_test``, ``learning_rate``, ``schedule`` and ``seed``);
    a bad value is a ``ValueError`` that says what is allowed.

    Another model or problem: ``build(settings)`` returns a compiled Keras
    model to use instead of :func:`bilstm.build_model`, and
    ``data(n_sequences, n_timesteps, rng)`` returns ``(X, y)`` shaped like
    :func:`bilstm.get_sequences`, or ``(X, y, sample_weight)`` with per-step
    weights (padded sequences: see :func:`bilstm.data.get_padded_sequences`),
    which then weight training and choose the steps scored. ``test_data``,
    with the same signature, draws the test sequences when they must come
    from elsewhere (held-out words, for example); by default ``data`` does.
    ``test_seed`` draws the test sequences from
    ``numpy.random.default_rng(test_seed)`` instead of the run's own stream,
    so that runs of several seeds share one test set.

    ``callbacks`` are Keras callbacks for :func:`bilstm.train` (they see
    ``on_train_batch_end`` once every ``steps_per_execution`` batches); one
    may stop the run early by setting ``model.stop_training = True``, and the
    run is then evaluated as it stands.
    """
    s = _settings.check(settings)
    for name, function in (("build", build), ("data", data), ("test_data", test_data)):
        if function is not None and not callable(function):
            raise ValueError(f"{name} must be a function, got {function!r}")
    seed, n_timesteps = s["seed"], s["n_timesteps"]
    make_data = get_sequences if data is None else data
    with seeded(seed):
        model = (build_for if build is None else build)(dict(s))
        X, y, w = _draw(
            make_data, s["n_train"], n_timesteps, stream(seed, "train"), "data"
        )
        X_test, y_test, *w_test = test_sequences(
            s, data=data, test_data=test_data, test_seed=test_seed
        )
        w_test = w_test[0] if w_test else None
        start = time.perf_counter()
        result = train(
            model,
            X,
            y,
            w,
            batch_size=s["batch_size"],
            epochs=s["epochs"],
            callbacks=list(callbacks),
            steps_per_execution=steps_per_execution,
            verbose=verbose,
            rng=stream(seed, "shuffle"),
        )
        seconds = time.perf_counter() - start
    del X, y, w
    scores = evaluate(model, X_test, y_test, w_test)
    return RunResult(
        settings=s,
        model=model,
        training=result,
        scores=scores,
        X_test=X_test,
        y_test=y_test,
        seconds=seconds,
        w_test=w_test,
    )
