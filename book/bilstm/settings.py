"""Every setting of a run, defined once: name, the lesson's default, bounds, help.

The command line's flags, the training panel's controls and labels, the
experiment runner's defaults and checks, and :func:`bilstm.run` all derive from
:data:`SETTINGS`, so a setting has one name everywhere and one set of bounds.
A setting's CLI flag is its name with dashes (``n_timesteps`` is
``--n-timesteps``).

The names the package uses for each thing are in the glossary of the package's
docstring (``bilstm/__init__.py``).

To add a setting: add a :class:`Setting` here, then use it in
:func:`bilstm.runs.run`. The CLI gets a flag and :func:`check` checks it with
no other change; give it a ``label`` to make it a control of the panel.
"""

from __future__ import annotations

import numbers
from dataclasses import dataclass

__all__ = [
    "SETTINGS",
    "DEFAULTS",
    "Setting",
    "check",
    "check_choice",
    "defaults",
    "total_steps",
    "MAX_VALUES",
    "STEPS_PER_EXECUTION",
]

#: Training sequences x their length held in memory at once (float32 inputs and
#: labels: about 400 MB at this many values).
MAX_VALUES = 50_000_000

#: Optimizer steps per call of a compiled training program (the fast path of
#: :func:`bilstm.train`), and per callback call.
STEPS_PER_EXECUTION = 200


def check_choice(name: str, value, allowed):
    """Return ``value`` if it is one of ``allowed``, else raise ``ValueError``."""
    if value not in allowed:
        options = ", ".join(repr(a) for a in allowed)
        raise ValueError(f"{name} must be one of {options}; got {value!r}")
    return value


@dataclass(frozen=True)
class Setting:
    """One setting: ``kind`` is ``"int"``, ``"float"`` or ``"choice"``.

    ``low``/``high`` bound numbers (inclusive), ``choices`` lists a choice's
    values. ``label`` is the panel control's text (``None``: not a control).
    Every setting is an option of the command line, :attr:`flag`.
    """

    name: str
    default: object
    help: str
    kind: str = "int"
    low: float | None = None
    high: float | None = None
    choices: tuple = ()
    label: str | None = None

    @property
    def flag(self) -> str:
        """The command line's option: ``--`` and the name, with dashes."""
        return "--" + self.name.replace("_", "-")

    def check(self, value):
        """Return ``value`` (an int or float made plain) or raise ``ValueError``."""
        if self.kind == "choice":
            return check_choice(self.name, value, self.choices)
        if self.kind == "int":
            if isinstance(value, bool) or not isinstance(value, numbers.Integral):
                raise ValueError(
                    f"{self.name} must be a whole number from {self.low:,} to "
                    f"{self.high:,}, got {value!r} ({type(value).__name__})"
                )
            value = int(value)
        else:
            if isinstance(value, bool) or not isinstance(value, numbers.Real):
                raise ValueError(
                    f"{self.name} must be a number in ({self.low}, {self.high}], "
                    f"got {value!r} ({type(value).__name__})"
                )
            value = float(value)
            if not self.low < value <= self.high:
                raise ValueError(
                    f"{self.name} must be a number in ({self.low}, {self.high}], "
                    f"got {value!r}"
                )
            return value
        if not self.low <= value <= self.high:
            raise ValueError(
                f"{self.name} must be a whole number from {self.low:,} to "
                f"{self.high:,}, got {value:,}"
            )
        return value

    @property
    def bounds(self) -> str:
        """The allowed values, as the error messages say them."""
        if self.kind == "choice":
            return ", ".join(self.choices)
        if self.kind == "int":
            return f"{self.low:,} to {self.high:,}"
        return f"({self.low}, {self.high}]"


_ALL = (
    Setting(
        "n_timesteps",
        10,
        "sequence length: time steps per sequence",
        low=1,
        high=1000,
        label="Sequence length",
    ),
    Setting(
        "merge_mode",
        "concat",
        "how the two directions' outputs are combined",
        kind="choice",
        choices=("concat", "sum", "mul", "ave"),
        label="Merge mode",
    ),
    Setting(
        "batch_size",
        10,
        "sequences per gradient step",
        low=1,
        high=100_000,
        label="Batch size",
    ),
    Setting(
        "units",
        50,
        "units (memory cells) per direction",
        low=1,
        high=1024,
        label="Units per direction",
    ),
    Setting(
        "n_train",
        50_000,
        "training sequences",
        low=1,
        high=10_000_000,
        label="Training sequences",
    ),
    Setting(
        "direction",
        "bidirectional",
        "which way(s) the LSTM reads",
        kind="choice",
        choices=("bidirectional", "forward", "backward"),
        label="Direction",
    ),
    Setting(
        "seed",
        1,
        "seed for the weights, the data and the shuffling",
        low=0,
        high=2**32 - 1,
        label="Seed",
    ),
    Setting(
        "epochs",
        1,
        "passes over the training sequences",
        low=1,
        high=1000,
    ),
    Setting(
        "n_test",
        100,
        "fresh test sequences to evaluate on",
        low=1,
        high=1_000_000,
    ),
    Setting(
        "learning_rate",
        0.001,
        "Adam's learning rate (its start, with the cosine schedule)",
        kind="float",
        low=0.0,
        high=10.0,
    ),
    Setting(
        "schedule",
        "constant",
        "constant: Adam's rate stays fixed (the lesson); cosine: it falls along "
        "half a cosine over the run's steps to 1% of its start",
        kind="choice",
        choices=("constant", "cosine"),
    ),
)

#: Every setting by name, in the order the panel and ``--help`` show them.
SETTINGS: dict[str, Setting] = {s.name: s for s in _ALL}

#: The lesson's run: 50,000 sequences of 10 steps, 50 units a direction,
#: concatenated, batches of 10, one epoch, scored on 100 fresh sequences.
DEFAULTS: dict = {s.name: s.default for s in _ALL}


def total_steps(settings) -> int:
    """The optimizer steps of a run: ``epochs x ceil(n_train / batch_size)``."""
    s = check(settings)
    return s["epochs"] * -(-s["n_train"] // s["batch_size"])


def defaults(**changes) -> dict:
    """:data:`DEFAULTS` with ``changes``, checked (for example a runner's own)."""
    return check(changes)


def check(settings=None, *, allowed_extra=()) -> dict:
    """Fill in :data:`DEFAULTS` and check every value; return the full settings.

    Unknown names are a ``ValueError`` that lists the allowed ones, unless
    they are in ``allowed_extra`` (passed through unchecked). The training set
    must also fit in memory: ``n_train x n_timesteps <= MAX_VALUES``.

    Every public function that takes settings (:func:`bilstm.run`,
    ``build_for``, ``learning_rate_for``, ``test_sequences``,
    :func:`total_steps`, the panel) calls this itself, on purpose: each may be
    called alone, and checking a checked dict again costs microseconds and
    returns it unchanged, so there is no separate "already checked" type.
    """
    settings = {} if settings is None else settings
    if not hasattr(settings, "keys"):
        raise ValueError(
            f"settings must be a dict of setting names, got {type(settings).__name__}"
        )
    unknown = set(settings) - set(SETTINGS) - set(allowed_extra)
    if unknown:
        raise ValueError(
            f"unknown settings {sorted(unknown)}; allowed: "
            f"{sorted(set(SETTINGS) | set(allowed_extra))}"
        )
    full = {**DEFAULTS, **settings}
    for name, setting in SETTINGS.items():
        full[name] = setting.check(full[name])
    values = full["n_train"] * full["n_timesteps"]
    if values > MAX_VALUES:
        raise ValueError(
            f"n_train x n_timesteps is {values:,} values; at most {MAX_VALUES:,} "
            "fit in memory at once"
        )
    return full
