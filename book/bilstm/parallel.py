"""Independent runs in worker processes: joblib, or a Dask cluster through it.

:func:`run_in_workers` is how :func:`bilstm.experiments.run_experiment`
spreads its (setting, seed) pairs when ``n_jobs`` is not 1. Each worker runs
TensorFlow on one thread, so N workers share N cores without oversubscribing
them; runs that share a process (a threaded Dask worker, joblib's threading
backend) take turns, because seeding is process-wide.
"""

from __future__ import annotations

import os
import pickle
import platform
import threading

import tensorflow as tf

__all__ = ["run_in_workers"]

_WORKER_THREADS = 1  # TensorFlow's intra- and inter-op threads in each worker
_RUN_LOCK = threading.Lock()


def _process_id():
    return platform.node(), os.getpid()


def run_in_workers(one_run, pairs, options, keep_models, n_jobs):
    """``one_run(setting, seed, *options)`` for each pair, in worker processes.

    Yields the rows in the order of ``pairs``, each as soon as it and those
    before it are done. ``one_run`` must be a module-level function (it is
    sent to the workers by reference) returning a row whose ``"_model"`` is
    the trained model; the model comes back pickled, and only with
    ``keep_models``, as the row's ``"model"``.
    """
    try:
        import joblib
    except ImportError as error:
        raise ImportError(
            "n_jobs other than 1 needs joblib: pip install joblib"
        ) from error

    for setting in {s["name"]: s for s, _ in pairs}.values():
        if "build" in setting or "data" in setting:
            _check_picklable(setting)
    parent = _process_id()
    jobs = (
        joblib.delayed(_worker_run)(
            one_run, (setting, seed, *options), keep_models, parent
        )
        for setting, seed in pairs
    )
    # In order, as each finishes, so that progress sees the rows as they come.
    results = joblib.Parallel(n_jobs=n_jobs, return_as="generator")(jobs)
    for row in results:
        if keep_models:
            row["model"] = _unpickle_model(row.pop("_model_pickle"), row)
        yield row


def _check_picklable(setting):
    import cloudpickle  # what joblib (loky) and Dask send functions with

    try:
        cloudpickle.dumps({k: setting[k] for k in ("build", "data") if k in setting})
    except Exception as error:
        raise ValueError(
            f"setting {setting['name']!r}: its build or data function cannot be "
            f"sent to worker processes ({type(error).__name__}: {error}); make it "
            "picklable or use n_jobs=1"
        ) from error


def _unpickle_model(blob, row):
    try:
        return pickle.loads(blob)
    except Exception as error:
        raise ValueError(
            f"run {row['name']!r} seed {row['seed']}: the trained model could not "
            f"be rebuilt from the worker ({type(error).__name__}: "
            f"{str(error)[:200]}); register "
            "its custom layers with keras.saving.register_keras_serializable, or "
            "use keep_models=True with n_jobs=1"
        ) from error


def _limit_threads():
    """Run TensorFlow on ``_WORKER_THREADS`` threads in this worker process.

    Possible only before TensorFlow starts its runtime (the first operation);
    a worker that already ran TensorFlow keeps the threads it has.
    """
    threading_config = tf.config.threading
    try:
        threading_config.set_intra_op_parallelism_threads(_WORKER_THREADS)
        threading_config.set_inter_op_parallelism_threads(_WORKER_THREADS)
    except RuntimeError:
        pass


def _worker_run(one_run, arguments, keep_model, parent):
    """One run in a worker; the model, if kept, comes back as pickled bytes."""
    if _process_id() != parent:  # not the caller's own process (threading backend)
        _limit_threads()
    # Seeds are process-wide: runs that share a process (a threaded Dask worker,
    # joblib's threading backend) take turns, so each run sees only its own.
    with _RUN_LOCK:
        row = one_run(*arguments)
        model = row.pop("_model")
        if keep_model:
            row["_model_pickle"] = pickle.dumps(model)
    return row
