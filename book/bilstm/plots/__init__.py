"""The book's figures, in matplotlib only, one module per family.

- :mod:`bilstm.plots.style` — the Okabe-Ito palette and the figure/axes helper
- :mod:`bilstm.plots.diagram` — chapter 1's drawing of the unrolled network
- :mod:`bilstm.plots.inspect` — what the trained network computes: states over
  time, probe scores, gates at the flip
- :mod:`bilstm.plots.cell` — inside the LSTM cell: its diagram, Keras's weight
  blocks, and how gradients shrink with the distance in time
- :mod:`bilstm.plots.lesson` — chapters 2-7: the problem, one run's learning
  curve, its errors and predictions
- :mod:`bilstm.plots.results` — the extension chapters: repeated runs, spread,
  frontiers, searches, and the performance appendix's timing chart
- :mod:`bilstm.plots.panel` — the training panel's figures (no pyplot) and
  :func:`figure_png`
- :mod:`bilstm.plots.sequences` — sequences of different lengths: padded
  batches, and scores grouped by reading direction and padding
- :mod:`bilstm.plots.words` — the real-words chapters: the dictionary,
  accuracy by group of words, one word's per-phoneme probabilities

Every function returns its :class:`matplotlib.figure.Figure`, so a notebook
shows it (or renders it to PNG for a widget) and a test inspects its artists.
Everything is re-exported here: ``from bilstm import plots; plots.plot_x(...)``.
A new figure goes in the module of its family and in the list below.
"""

from .cell import GATE_COLORS, plot_gradient_by_lag, plot_lstm_cell, plot_weight_blocks
from .diagram import plot_unrolled_bilstm
from .inspect import (
    plot_cell_against_sum,
    plot_gates_at_flip,
    plot_probe_scores,
    plot_states_over_time,
)
from .lesson import (
    plot_class_balance,
    plot_cumsum_sequences,
    plot_error_by_distance,
    plot_flip_positions,
    plot_learning_curve,
    plot_step_predictions,
)
from .panel import figure_png, plot_live_curve, plot_panel_runs, plot_prediction_strip
from .results import (
    plot_final_scores,
    plot_frontier,
    plot_pass_grid,
    plot_run_curves,
    plot_step_accuracy,
    plot_training_needed,
    plot_training_speed,
)
from .sequences import plot_grouped_scores, plot_padded_sequences
from .style import LINE_COLORS, OKABE_ITO
from .words import plot_accuracy_by, plot_word_data, plot_word_stress

__all__ = [
    "plot_cell_against_sum",
    "plot_gates_at_flip",
    "plot_probe_scores",
    "plot_states_over_time",
    "GATE_COLORS",
    "LINE_COLORS",
    "plot_gradient_by_lag",
    "plot_lstm_cell",
    "plot_weight_blocks",
    "OKABE_ITO",
    "figure_png",
    "plot_accuracy_by",
    "plot_class_balance",
    "plot_cumsum_sequences",
    "plot_error_by_distance",
    "plot_final_scores",
    "plot_flip_positions",
    "plot_frontier",
    "plot_grouped_scores",
    "plot_learning_curve",
    "plot_live_curve",
    "plot_padded_sequences",
    "plot_panel_runs",
    "plot_pass_grid",
    "plot_prediction_strip",
    "plot_run_curves",
    "plot_step_accuracy",
    "plot_step_predictions",
    "plot_training_needed",
    "plot_training_speed",
    "plot_unrolled_bilstm",
    "plot_word_data",
    "plot_word_stress",
]
