"""bilstm — the package behind the book *Bidirectional LSTMs, hands on*.

Layers, bottom up (each imports only those above it in this list)::

    settings     every setting once: name, the lesson's default, bounds, help
    checks       the shared argument checks: whole numbers, shapes, lists, seeds
    palette      the book's colours (Okabe-Ito), for figures and HTML
    data         the cumulative sum problem: sequences and labels (NumPy only)
    curves       learning curves as arrays (NumPy only)
    summaries    rows -> groups, values, spread, stacked curves (NumPy only)
    seeding      set_seed, seeded(seed), the named random streams of a run
    model        build_model: the lesson's Keras model, its variants
    programs     the compiled multi-step training programs and their cache
    training     train: the fast, compiled fitting loop (same steps as fit)
    evaluation   loss, accuracies, intervals and predictions on sequences
    runs         run(settings): seed, data, build, train, evaluate, one way
    parallel     independent runs in worker processes (joblib, or Dask via joblib)
    experiments  run_experiment: settings x seeds -> tidy rows (serial or parallel)
    search       settings that pass a test: stopping rule, closest call, winners
    scratch/     the lesson's model in NumPy, forward and backward (cell, network)
    inspect/     what a trained model computes, states to ablations (states, probes)
    words/       real words: the dictionary as data, taggers, their runs
    plots/       the book's figures, by family (lesson, results, panel, style)
    widgets/     the live training panel (estimates, views, layout, panel), words
    cli          python -m bilstm train: run() as a command

Glossary, one name per thing in the package, the CLI, the panel and the
notebooks:

- ``n_timesteps``: the length of a sequence, in time steps (``max_timesteps``
  only where it is a maximum, for sequences of different lengths);
- ``n_sequences``: how many sequences a data function draws; ``n_train`` and
  ``n_test`` are the ``n_sequences`` of a run's training and test sets;
- ``units``: the width of a recurrent layer, its units (the lesson's "memory
  cells") per direction; ``cell_type`` is ``"lstm"`` or ``"gru"``;
- ``steps``: optimizer steps, one per batch (a run's:
  :func:`bilstm.settings.total_steps`); a time step is always a *time step*;
- a *run* is one training of one model (:func:`bilstm.run`, its
  :class:`~bilstm.runs.RunResult`); :func:`bilstm.experiments.run_experiment`
  makes many, and a panel's run history numbers them;
- ``GATES`` (:mod:`bilstm.scratch`): ``i``, ``f``, ``g``, ``o``, the input,
  forget and output gates and the candidate ``g``; ``c`` is the cell state.

Where to add things:

- a new setting: a ``Setting`` in :mod:`bilstm.settings`, used in
  :func:`bilstm.runs.run`; the CLI gets a flag by itself, and giving it a
  ``label`` makes it a control of the panel;
- a new problem: a ``data(n_sequences, n_timesteps, rng)`` function shaped
  like :func:`bilstm.data.get_sequences`, passed to ``run``,
  ``run_experiment`` (a setting's ``"data"``) or ``TrainingPanel(data=...)``;
  a new model, likewise, a ``build(settings)`` function;
- a new real-data task: its records and encoding beside
  :mod:`bilstm.words.dictionary`, its models beside :mod:`bilstm.words.models`,
  trained by :func:`bilstm.train` (per-step or per-sequence labels, weights);
- a new figure: a function in the fitting module of :mod:`bilstm.plots`,
  re-exported by ``bilstm/plots/__init__.py``, using its ``style`` helpers.

Importing the package changes nothing outside it. :func:`setup` (in
``_env``) is the one call that sets TensorFlow up as the book runs it: its
C++ log lines off, one thread per operation, compiled programs cached on
disk. The notebooks' first cell, the command line, the app, the benchmarks
and the tests make it, before TensorFlow is imported. Everything above the
data layer is loaded on first use, so ``from bilstm import get_sequences``
does not pull in TensorFlow (a test checks each module's claim).
"""

from .data import cumsum_labels, get_sequence, get_sequences, limit_for, make_rng

__version__ = "1.0.0"

_LAZY = {
    "setup": "_env",
    "build_model": "model",
    "MERGE_MODES": "model",
    "DIRECTIONS": "model",
    "TimeReverse": "model",
    "lstm_param_count": "model",
    "model_param_counts": "model",
    "set_seed": "seeding",
    "train": "training",
    "TrainResult": "training",
    "window_curve": "curves",
    "run": "runs",
    "RunResult": "runs",
    "DEFAULTS": "settings",
    "SETTINGS": "settings",
    "evaluate": "evaluation",
    "evaluate_fresh": "evaluation",
    "predict_classes": "evaluation",
    "predict_proba": "evaluation",
    "wilson_interval": "summaries",
}

__all__ = [
    "cumsum_labels",
    "get_sequence",
    "get_sequences",
    "limit_for",
    "make_rng",
    *_LAZY,
]


def __getattr__(name):
    if name in _LAZY:
        import importlib

        module = importlib.import_module(f".{_LAZY[name]}", __name__)
        return getattr(module, name)
    raise AttributeError(f"module 'bilstm' has no attribute {name!r}")
