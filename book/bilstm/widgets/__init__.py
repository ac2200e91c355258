"""The live training panel: change the settings, press Retrain, watch it learn.

The package's parts, bottom up:

- :mod:`~bilstm.widgets.estimates` — how long a run will take, and the chunk
  of batches per compiled call (pure functions of the settings);
- :mod:`~bilstm.widgets.views` — the labels, tables and messages the panel
  shows, as pure functions of run dicts;
- :mod:`~bilstm.widgets.layout` — the widgets as a
  :class:`~bilstm.widgets.layout.PanelView`, with one control per setting
  that has a ``label`` in :mod:`bilstm.settings`, and methods that show plain
  run data in them;
- :mod:`~bilstm.widgets.panel` — :class:`TrainingPanel`: a run of
  :func:`bilstm.run` in a background thread, progress, Stop; it holds its
  view as ``panel.view``.

Embed it in a chapter (the cell's last line displays the panel)::

    from bilstm.widgets import TrainingPanel

    panel = TrainingPanel.with_default_run(notebook="book/04_fit.ipynb")
    panel

``with_default_run`` trains once with the starting settings *before*
returning, in the calling thread, so the saved notebook (and the HTML book
built from it) shows a real learning curve and real results even without a
kernel. Any setting works there too, for example
``TrainingPanel.with_default_run(n_train=20_000, notebook=...)``.

Drive it from code, as the tests and the playground do::

    panel.controls["merge_mode"].value = "sum"
    panel.controls["n_timesteps"].value = 20
    panel.retrain_button.click()
    panel.wait()                       # blocks until the run ends
    panel.runs[-1]["accuracy"]         # per-step accuracy on fresh sequences
    panel.model.input_shape            # (None, 20, 1)

or in one call, which checks the names and values, waits (``timeout``) and
returns the finished run (a failed or stopped run is an error)::

    finished = panel.retrain_with(merge_mode="sum", n_timesteps=20)

Each finished, stopped or failed run is a plain dict in ``panel.runs`` (its
``number``, settings, status and results) and a row in the panel's run
history table.

Training runs in a background thread. The compiled loop runs a chunk of
batches per call (:func:`chunk_steps` sizes it to a fraction of a second for
the shape) and the callback checks for Stop after each chunk, so Stop takes
effect within a second — except while a new shape is still compiling, and for
the very largest settings, where one batch alone can take longer. Runs seed
Python, NumPy and Keras globally (:func:`bilstm.seeding.set_seed`).
"""

from .estimates import chunk_steps, compile_seconds, estimate_seconds, step_seconds

# The panel needs ipywidgets, Keras and matplotlib: loaded on first use, so
# that the estimates and views (plain functions of settings and run data)
# import without them.
_LAZY = {"CONTROLS": "layout", "TrainingPanel": "panel"}

__all__ = [
    "CONTROLS",
    "TrainingPanel",
    "chunk_steps",
    "compile_seconds",
    "estimate_seconds",
    "step_seconds",
]


def __getattr__(name):
    if name in _LAZY:
        import importlib

        module = importlib.import_module(f".{_LAZY[name]}", __name__)
        return getattr(module, name)
    raise AttributeError(f"module 'bilstm.widgets' has no attribute {name!r}")
