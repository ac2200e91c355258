"""Searching for settings that pass a test: stopping rule, closest call, winners.

A search tries settings one after another, each with several seeds. A run
*reaches* the target when ``reached(row)`` is true (by default: the run was
stopped by its setting's ``target``, see :func:`reached_target`), and a setting
**passes** when at least ``need`` of its seeds reach it. Seeds run in order,
and a setting is dropped as soon as so many have missed that it can no longer
pass (the *stopping rule*).

Chapter 10 searches for the smallest model at each sequence length with it;
``benchmarks/perfect_search.py`` searches units x batch size for the
smallest and the fastest model that pass the lesson's test, and chapter 11
reads that search and re-trains its :func:`winners`.

Only :func:`try_setting` (which trains) and :func:`score_big_test` (which
scores trained models) run TensorFlow; every other function is a pure
function of :func:`bilstm.experiments.run_experiment` rows, of the summaries
:func:`summarize_setting` makes of them, or of test sequences.
"""

from __future__ import annotations


import numpy as np

from .checks import check_dicts, check_positive_int, check_seeds
from .data import limit_for
from .settings import SETTINGS

__all__ = [
    "BIG_TEST",
    "CHECK_EVERY",
    "LESSON_TEST",
    "NEED",
    "N_TIMESTEPS",
    "SEEDS",
    "apply_stopping_rule",
    "cannot_pass",
    "closest_call",
    "distances_to_limit",
    "passed",
    "reached_target",
    "score_big_test",
    "setting_for",
    "steps_between_checks",
    "summarize_setting",
    "try_setting",
    "winners",
]

#: The lesson's sequence length.
N_TIMESTEPS = SETTINGS["n_timesteps"].default
#: The book's fixed stand-in for the lesson's test, as settings of the experiment
#: runner: 100 fresh sequences drawn with seed 2, drawn the way chapters 5 and 7
#: draw their 100 test sequences (not the same 100: those come after the training
#: sequences from the lesson's seed).
LESSON_TEST = {"n_test": 100, "test_seed": 2}
#: The large test every run of the perfect search is also scored on
#: (the arguments of :func:`bilstm.evaluation.evaluate_fresh`).
BIG_TEST = {"n_test": 10_000, "test_seed": 2024}
#: The seeds a setting is tried with, and how many of them must reach the target.
SEEDS = (0, 1, 2, 3, 4)
NEED = 4
#: Training sequences between two scores of the test in the perfect search.
CHECK_EVERY = 2_000


# --- the stopping rule -----------------------------------------------------------


def reached_target(row) -> bool:
    """Whether a run reached its setting's ``target``: it stopped there.

    Needs rows of ``run_experiment(..., track_test=True)`` for a setting with a
    ``target``; give the rule functions another ``reached`` for other rows.
    """
    if not isinstance(row, dict) or "sequences_to_target" not in row:
        raise ValueError(
            "reached_target needs rows of run_experiment(..., track_test=True) "
            "for a setting with a target (a field 'sequences_to_target'); for "
            "other rows pass reached=, a function of a row"
        )
    return row["sequences_to_target"] is not None


def _check_rows(rows):
    return check_dicts(rows, "rows", "row")


def _check_reached(reached):
    if not callable(reached):
        raise ValueError(f"reached must be a function of a row, got {reached!r}")
    return reached


def _check_need(need, n_seeds=None):
    need = check_positive_int("need", need)
    if n_seeds is not None:
        n_seeds = check_positive_int("n_seeds", n_seeds)
        if need > n_seeds:
            raise ValueError(
                f"need must be at most the number of seeds ({n_seeds}), got {need}"
            )
    return need


def cannot_pass(rows, *, n_seeds, need=NEED, reached=reached_target) -> bool:
    """Whether a setting tried with ``n_seeds`` seeds can no longer pass.

    True once more of ``rows`` have missed than ``n_seeds - need`` allows.
    """
    rows, reached = _check_rows(rows), _check_reached(reached)
    need = _check_need(need, n_seeds)
    return sum(not reached(row) for row in rows) > n_seeds - need


def apply_stopping_rule(rows, *, n_seeds, need=NEED, reached=reached_target):
    """The rows, in seed order, that seeds run one at a time would have run.

    That is every row up to and including the one after which the setting
    cannot pass; a setting that can still pass keeps all of ``rows``. Runs of
    a parallel wave after that point are the ones this drops.
    """
    rows = _check_rows(rows)
    for i in range(len(rows)):
        if cannot_pass(rows[: i + 1], n_seeds=n_seeds, need=need, reached=reached):
            return rows[: i + 1]
    return rows


def passed(rows, *, need=NEED, reached=reached_target) -> bool:
    """Whether a setting passed: at least ``need`` of its runs reached the target."""
    rows, reached = _check_rows(rows), _check_reached(reached)
    need = _check_need(need)
    return sum(bool(reached(row)) for row in rows) >= need


def _wave_size(n_jobs):
    """How many seeds run at once: ``n_jobs``, with -1 the cores (or Dask workers)."""
    if n_jobs == 1:
        return 1
    import joblib

    try:
        return max(1, int(joblib.effective_n_jobs(n_jobs)))
    except (TypeError, ValueError):
        return 1  # not a valid n_jobs: run_experiment says what is allowed


def try_setting(
    setting, seeds=SEEDS, *, need=NEED, reached=reached_target, n_jobs=1, **options
):
    """Run the seeds of one setting in order, and stop once it cannot pass.

    A setting that can still pass runs every seed. Returns the rows of the
    runs the rule ran, in seed order; :func:`passed` of them says whether the
    setting passed. ``options`` go to :func:`bilstm.experiments.run_experiment`
    (for example ``track_test=True``, ``keep_models=True``,
    ``steps_per_execution``).

    With ``n_jobs`` other than 1 the seeds run in parallel waves of that many
    (``-1``: one per core, or per Dask worker); runs of a wave after the one
    that dropped the setting are discarded (:func:`apply_stopping_rule`), so
    the rows are those of seeds run one at a time.
    """
    from .experiments import run_experiment

    seeds = check_seeds(seeds)
    rule = {"n_seeds": len(seeds), "need": _check_need(need, len(seeds))}
    rule["reached"] = _check_reached(reached)
    size = _wave_size(n_jobs)
    rows, pending = [], seeds
    while pending and not cannot_pass(rows, **rule):
        wave, pending = pending[:size], pending[size:]
        rows += run_experiment([setting], wave, n_jobs=n_jobs, **options)
        rows = apply_stopping_rule(rows, **rule)
    return rows


# --- the perfect search: its settings, its summaries and its winners -------------


def setting_for(units, batch_size, *, n_train, learning_rate):
    """The perfect search's setting for ``units`` and ``batch_size``.

    Sequences of the lesson's length, Adam from ``learning_rate`` down a cosine
    over ``n_train`` fresh sequences, scored on :data:`LESSON_TEST`, and
    stopped at the first perfect score (``target`` 1.0).
    """
    return {
        "name": f"{units} units, batch {batch_size}",
        "n_timesteps": N_TIMESTEPS,
        "units": units,
        "batch_size": batch_size,
        "n_train": n_train,
        "learning_rate": learning_rate,
        "schedule": "cosine",
        "target": 1.0,
        **LESSON_TEST,
    }


def steps_between_checks(check_every, batch_size) -> int:
    """Batches between two scores of the test: ``check_every`` sequences, rounded."""
    check_every = check_positive_int("check_every", check_every)
    batch_size = check_positive_int("batch_size", batch_size)
    return max(1, round(check_every / batch_size))


def score_big_test(rows):
    """Score each row's trained model on :data:`BIG_TEST` (10,000 fresh sequences).

    Needs rows of ``run_experiment(..., keep_models=True)``; returns one
    :func:`bilstm.evaluation.evaluate_fresh` dict per row.
    """
    from .evaluation import evaluate_fresh

    rows = _check_rows(rows)
    if any("model" not in row for row in rows):
        raise ValueError(
            "score_big_test needs the trained models: rows of "
            "run_experiment(..., keep_models=True)"
        )
    return [
        evaluate_fresh(row["model"], BIG_TEST["n_test"], rng=BIG_TEST["test_seed"])
        for row in rows
    ]


_ROW_FIELDS = (
    "name",
    "units",
    "batch_size",
    "seed",
    "params",
    "train_sequences",
    "train_steps",
    "train_seconds",
    "test_accuracy",
)


def summarize_setting(rows, big=None, *, need=NEED, reached=reached_target):
    """One setting's runs as the perfect search reports them.

    ``rows`` are the runs of one setting (as :func:`try_setting` returns
    them), ``big`` their :func:`score_big_test` scores, or ``None``. Returns
    ``{"units", "batch_size", "params", "passed", "reached", "tried",
    "median_seconds", "median_sequences", "runs"}``, with one dict per run in
    ``runs`` (``seed``, ``reached``, ``sequences``, ``steps``, ``seconds``
    rounded to milliseconds, ``test_accuracy``, and with ``big`` also
    ``big_accuracy`` and ``big_sequence_accuracy``).
    """
    rows, reached = _check_rows(rows), _check_reached(reached)
    if not rows:
        raise ValueError("summarize_setting needs at least one row")
    for i, row in enumerate(rows):
        missing = [field for field in _ROW_FIELDS if field not in row]
        if missing:
            raise ValueError(
                f"row {i} has no field(s) {missing}; give rows of run_experiment"
            )
    if len({row["name"] for row in rows}) != 1:
        raise ValueError("rows must all be runs of one setting (one name)")
    if big is not None and len(big) != len(rows):
        raise ValueError(
            f"big must hold one score per row ({len(rows)}), got {len(big)}"
        )
    runs = []
    for i, row in enumerate(rows):
        run = {
            "seed": row["seed"],
            "reached": bool(reached(row)),
            "sequences": row["train_sequences"],
            "steps": row["train_steps"],
            "seconds": round(row["train_seconds"], 3),
            "test_accuracy": row["test_accuracy"],
        }
        if big is not None:
            run["big_accuracy"] = big[i]["accuracy"]
            run["big_sequence_accuracy"] = big[i]["sequence_accuracy"]
        runs.append(run)
    return {
        "units": rows[0]["units"],
        "batch_size": rows[0]["batch_size"],
        "params": rows[-1]["params"],
        "passed": passed(rows, need=need, reached=reached),
        "reached": sum(run["reached"] for run in runs),
        "tried": len(runs),
        "median_seconds": float(np.median([run["seconds"] for run in runs])),
        "median_sequences": float(np.median([run["sequences"] for run in runs])),
        "runs": runs,
    }


def winners(results):
    """The smallest passing setting (fewest weights) and the fastest one.

    ``results`` are :func:`summarize_setting` dicts (or anything with
    ``passed``, ``params`` and ``median_seconds``). Ties go to the faster, and
    to the smaller, setting; with no passing setting, ``(None, None)``.
    """
    results = check_dicts(results, "results", "result")
    for i, result in enumerate(results):
        missing = [
            key
            for key in ("passed", "params", "median_seconds")
            if not isinstance(result, dict) or key not in result
        ]
        if missing:
            raise ValueError(
                f"result {i} has no {missing}; give summarize_setting dicts"
            )
    passing = [r for r in results if r["passed"]]
    if not passing:
        return None, None
    smallest = min(passing, key=lambda r: (r["params"], r["median_seconds"]))
    fastest = min(passing, key=lambda r: (r["median_seconds"], r["params"]))
    return smallest, fastest


# --- the closest call of a test --------------------------------------------------


def _running_sums(X):
    X = np.asarray(X)
    if X.ndim == 3 and X.shape[-1] == 1:
        X = X[..., 0]
    if X.ndim != 2 or X.size == 0 or not np.issubdtype(X.dtype, np.number):
        raise ValueError(
            "X must be numbers shaped (n_sequences, n_timesteps, 1) or "
            f"(n_sequences, n_timesteps), with at least one step; got shape {X.shape}"
        )
    return np.cumsum(X, axis=1)


def distances_to_limit(X) -> np.ndarray:
    """How far each step's running sum lies from the limit, one per step.

    ``X`` is shaped like the inputs of :func:`bilstm.data.get_sequences`,
    ``(n_sequences, n_timesteps, 1)``, or ``(n_sequences, n_timesteps)``; the
    result is ``(n_sequences, n_timesteps)``, summed in the dtype of ``X``.
    """
    sums = _running_sums(X)
    return np.abs(sums - limit_for(sums.shape[1]))


def closest_call(X) -> dict:
    """The step of a test whose running sum comes nearest the limit.

    Returns ``{"sequence", "step", "running_sum", "distance"}``: where that step
    is, its running sum, and its distance to the limit. A model labels every
    step of the test right only if it tells that sum from the limit.
    """
    sums = _running_sums(X)
    gaps = np.abs(sums - limit_for(sums.shape[1]))
    sequence, step = np.unravel_index(int(gaps.argmin()), gaps.shape)
    return {
        "sequence": int(sequence),
        "step": int(step),
        "running_sum": float(sums[sequence, step]),
        "distance": float(gaps[sequence, step]),
    }
