"""bilstm — the package behind the book *Bidirectional LSTMs, hands on*.

Layers, bottom up (each imports only those below it):

- :mod:`bilstm.data` — the cumulative sum problem (NumPy only)
- :mod:`bilstm.model` — ``build_model`` (Keras)
- :mod:`bilstm.seeding` — ``set_seed``
- :mod:`bilstm.training` — ``train``, the fast fitting loop
- :mod:`bilstm.evaluation` — accuracy, loss and predictions on fresh sequences
- :mod:`bilstm.experiments` — settings x seeds -> tidy results
- :mod:`bilstm.plots` — the book's figures (matplotlib)
- :mod:`bilstm.widgets` — the live training panel (ipywidgets)
- :mod:`bilstm.cli` — ``python -m bilstm train``

Importing the package sets the environment variables that keep TensorFlow's
C++ log lines out of notebooks, so import ``bilstm`` before ``keras``.
Everything above the data layer is loaded on first use, so
``from bilstm import get_sequences`` does not pull in TensorFlow.
"""

from . import _env  # noqa: F401
from .data import cumsum_labels, get_sequence, get_sequences, limit_for, make_rng

__version__ = "1.0.0"

_LAZY = {
    "build_model": "model",
    "MERGE_MODES": "model",
    "DIRECTIONS": "model",
    "TimeReverse": "model",
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
    "wilson_interval": "evaluation",
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
