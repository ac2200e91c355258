"""Look inside a trained bidirectional LSTM: its states, probes and ablations.

The chapter *What the network learned* asks what the lesson's model computes
on the cumulative sum problem. The tools here answer with plain NumPy, from
the weights Keras stores, in two parts:

- :mod:`bilstm.inspect.states` — every step's states and gates of both
  directions (:func:`lstm_steps`, :func:`bidirectional_states`,
  :func:`direction_features`) and what a reader might track
  (:func:`quantities`, :func:`baseline_features`, :func:`backward_ceiling`);
- :mod:`bilstm.inspect.probes` — what the states hold: linear and logistic
  probes (:func:`probe_r2`, :func:`probe_accuracy`, :func:`probe_all`),
  one direction ablated (:func:`ablate`), sequences lined up at a step
  (:func:`align_steps`) and the units that follow a quantity
  (:func:`best_units`).
"""

from .probes import (
    FEATURE_SETS,
    ablate,
    align_steps,
    best_units,
    probe_accuracy,
    probe_all,
    probe_r2,
)
from .states import (
    DIRECTION_NAMES,
    GATES,
    QUANTITIES,
    backward_ceiling,
    baseline_features,
    bidirectional_states,
    direction_features,
    lstm_steps,
    quantities,
)

__all__ = [
    "DIRECTION_NAMES",
    "FEATURE_SETS",
    "GATES",
    "QUANTITIES",
    "ablate",
    "align_steps",
    "backward_ceiling",
    "baseline_features",
    "best_units",
    "bidirectional_states",
    "direction_features",
    "lstm_steps",
    "probe_accuracy",
    "probe_all",
    "probe_r2",
    "quantities",
]
