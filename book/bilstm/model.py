"""The lesson's model: a (bi)directional LSTM with one sigmoid output per step."""

from __future__ import annotations

import math
import numbers

import keras
from keras import layers

import numpy as np

from .checks import check_positive_int
from .settings import SETTINGS, check_choice

__all__ = [
    "DIRECTIONS",
    "MERGE_MODES",
    "TimeReverse",
    "build_model",
    "check_choice",
    "check_learning_rate",
    "initializers",
    "lstm_param_count",
    "model_param_counts",
]

#: The merge modes and directions: the choices of those settings.
MERGE_MODES = SETTINGS["merge_mode"].choices
DIRECTIONS = SETTINGS["direction"].choices


#: The seeds of a model's initial weights come from this random stream of the
#: run's seed: ``numpy.random.default_rng((seed, WEIGHTS_STREAM))`` (the data's
#: streams are 1 to 4, :data:`bilstm.seeding.STREAMS`).
WEIGHTS_STREAM = 5


class initializers:  # noqa: N801  (used like a function)
    """Each new layer's weight initializers, seeded from ``seed``.

    ``init = initializers(seed)``; ``init("recurrent")`` returns the keywords
    of an LSTM or GRU layer (``kernel_initializer`` Glorot uniform and
    ``recurrent_initializer`` orthogonal, Keras's defaults, each with a seed
    of its own), ``init("dense")`` a ``Dense`` layer's, ``init("embedding")``
    an ``Embedding``'s. The seeds are drawn in order from the
    ``WEIGHTS_STREAM`` stream of ``seed``, so a model built twice with one
    seed starts from the same weights whatever else the process is doing
    (another thread building or training a model, or drawing from Python's
    ``random``), and the two directions of a bidirectional layer get
    different ones. ``initializers(None)`` gives no keywords
    (``init.seeded`` is False): Keras then seeds each initializer from
    Python's global ``random`` (repeatable after :func:`bilstm.set_seed`).
    """

    def __init__(self, seed: int | None):
        self.seeded = seed is not None
        if self.seeded:
            seed = check_positive_int("seed", seed, minimum=0)
            self._draws = np.random.default_rng((seed, WEIGHTS_STREAM))

    def _seed(self) -> int:
        return int(self._draws.integers(1, 2**31 - 1))

    def __call__(self, kind: str) -> dict:
        check_choice("kind", kind, ("recurrent", "dense", "embedding"))
        if not self.seeded:
            return {}
        if kind == "recurrent":
            return {
                "kernel_initializer": keras.initializers.GlorotUniform(self._seed()),
                "recurrent_initializer": keras.initializers.Orthogonal(
                    seed=self._seed()
                ),
            }
        if kind == "dense":
            return {
                "kernel_initializer": keras.initializers.GlorotUniform(self._seed())
            }
        return {
            "embeddings_initializer": keras.initializers.RandomUniform(
                -0.05, 0.05, seed=self._seed()
            )
        }


@keras.saving.register_keras_serializable(package="bilstm")
class TimeReverse(layers.Layer):
    """Reverse a batch of sequences along the time axis (axis 1).

    An ``LSTM(go_backwards=True, return_sequences=True)`` reads the input from
    the last step to the first and returns its outputs in that reversed order.
    This layer flips them back, so that output ``t`` lines up with target ``t``.

    A mask passes through unchanged. That is right where this layer is used,
    after such an LSTM: Keras's LSTM hands on its input's mask in time order
    even with ``go_backwards=True`` (it does not reverse the mask with its
    outputs), so once the outputs are flipped back, mask and outputs line up
    again.
    """

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True

    def call(self, inputs):
        return keras.ops.flip(inputs, axis=1)

    def compute_output_shape(self, input_shape):
        return input_shape


def check_learning_rate(learning_rate):
    """Return ``learning_rate`` if it is a positive number or a Keras schedule."""
    if isinstance(learning_rate, keras.optimizers.schedules.LearningRateSchedule):
        return learning_rate
    if (
        isinstance(learning_rate, numbers.Real)
        and not isinstance(learning_rate, bool)
        and math.isfinite(learning_rate)
        and learning_rate > 0
    ):
        return float(learning_rate)
    raise ValueError(
        "learning_rate must be a positive number or a "
        f"keras.optimizers.schedules.LearningRateSchedule, got {learning_rate!r}"
    )


def build_model(
    n_timesteps: int | None = SETTINGS["n_timesteps"].default,
    units: int = SETTINGS["units"].default,
    merge_mode: str = SETTINGS["merge_mode"].default,
    direction: str = SETTINGS["direction"].default,
    *,
    learning_rate=SETTINGS["learning_rate"].default,
    mask: bool = False,
    seed: int | None = None,
) -> keras.Model:
    """Build and compile the lesson's sequence-labelling model.

    ``direction`` chooses the recurrent reader: ``"bidirectional"`` (a forward
    and a backward LSTM of ``units`` units each, merged per step by
    ``merge_mode``), ``"forward"`` or ``"backward"`` (one LSTM; the backward one
    has its outputs flipped back into time order). ``merge_mode`` is only used
    by the bidirectional reader. A ``TimeDistributed`` sigmoid unit turns every
    step's features into the probability that the label is 1. The model is
    compiled with binary cross-entropy and Adam at ``learning_rate`` (the
    lesson's default 0.001, or a Keras learning-rate schedule).

    ``n_timesteps=None`` builds a model that reads sequences of any length
    (each batch still has one length); the weights are the same as for a
    fixed length, since every step shares them.

    ``mask=True`` puts a ``keras.layers.Masking(mask_value=0.0)`` layer (named
    ``"mask"``) in front, for zero-padded sequences of different lengths
    (:func:`bilstm.data.get_padded_sequences`): every step whose input is 0
    is skipped by both directions, which carry their state across it, so the
    predictions on the real steps do not depend on how much padding there is
    or where. Keras then also leaves the masked steps out of the loss and the
    accuracy. (A real input of exactly 0.0 would be masked too; the problem's
    values are drawn from [0, 1), where that has probability 2**-53 per
    step.)

    ``seed`` seeds the initial weights explicitly (see :func:`initializers`);
    :func:`bilstm.run` passes the run's seed. Without it Keras draws them
    from its global random state (seed it with :func:`bilstm.set_seed`).
    """
    if n_timesteps is not None:
        n_timesteps = check_positive_int("n_timesteps", n_timesteps)
    units = check_positive_int("units", units)
    check_choice("merge_mode", merge_mode, MERGE_MODES)
    check_choice("direction", direction, DIRECTIONS)
    learning_rate = check_learning_rate(learning_rate)
    if not isinstance(mask, bool):
        raise ValueError(f"mask must be True or False, got {mask!r}")
    init = initializers(seed)

    def lstm(name, go_backwards=False):
        return layers.LSTM(
            units,
            return_sequences=True,
            go_backwards=go_backwards,
            name=name,
            **init("recurrent"),
        )

    inputs = keras.Input((n_timesteps, 1), name="sequence")
    x = layers.Masking(mask_value=0.0, name="mask")(inputs) if mask else inputs
    if direction == "bidirectional":
        # Seeded, the backward copy is made here, with seeds of its own (the
        # wrapper would copy the forward layer's); unseeded, the wrapper makes
        # it, as Keras does by default.
        backward = None if not init.seeded else lstm("backward_lstm", go_backwards=True)
        x = layers.Bidirectional(
            lstm("lstm"), merge_mode=merge_mode, backward_layer=backward, name="bilstm"
        )(x)
    elif direction == "forward":
        x = lstm("forward_lstm")(x)
    else:
        x = TimeReverse(name="time_reverse")(
            lstm("backward_lstm", go_backwards=True)(x)
        )
    dense = layers.Dense(1, activation="sigmoid", name="dense", **init("dense"))
    outputs = layers.TimeDistributed(dense, name="per_step")(x)

    model = keras.Model(inputs, outputs, name=f"{direction}_lstm")
    model.compile(
        loss="binary_crossentropy",
        optimizer=keras.optimizers.Adam(learning_rate),
        metrics=["accuracy"],
    )
    return model


def lstm_param_count(units: int, input_dim: int = 1) -> int:
    """Weights of one LSTM layer with ``units`` cells reading ``input_dim`` features.

    Each of the four blocks (three gates and the candidate cell value) has
    ``input_dim * units`` input weights, ``units * units`` recurrent weights and
    ``units`` biases: ``4 * units * (input_dim + units + 1)`` in all.
    """
    units = check_positive_int("units", units)
    input_dim = check_positive_int("input_dim", input_dim)
    return 4 * units * (input_dim + units + 1)


def model_param_counts(
    units: int, merge_mode: str = "concat", direction: str = "bidirectional"
) -> dict:
    """Parameters of :func:`build_model`'s model, counted by hand.

    Returns ``recurrent`` (the LSTM, or both directions' LSTMs), ``output``
    (the per-step sigmoid unit: one weight per feature it sees plus a bias) and
    their ``total``. The sequence length does not matter: every step shares
    the same weights.
    """
    units = check_positive_int("units", units)
    check_choice("merge_mode", merge_mode, MERGE_MODES)
    check_choice("direction", direction, DIRECTIONS)
    if direction == "bidirectional":
        recurrent = 2 * lstm_param_count(units)
        width = 2 * units if merge_mode == "concat" else units
    else:
        recurrent, width = lstm_param_count(units), units
    output = width + 1
    return {"recurrent": recurrent, "output": output, "total": recurrent + output}
