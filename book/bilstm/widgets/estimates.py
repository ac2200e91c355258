"""How long a run will take: rough step and compile times, and the panel's chunk size.

Pure functions of the settings (no TensorFlow), so the panel can show an
estimate before a run and :func:`chunk_steps` gives the same chunk for the
same shape every time.
"""

from __future__ import annotations


from ..settings import DEFAULTS, STEPS_PER_EXECUTION, total_steps

__all__ = [
    "chunk_steps",
    "compile_seconds",
    "estimate_seconds",
    "format_seconds",
    "shape_key",
    "step_seconds",
]

CHUNK_SECONDS = 0.3  # aim: a chunk of batches, hence Stop, takes under 0.3 s


def step_seconds(batch_size, n_timesteps, units, direction="bidirectional"):
    """A rough guess of one optimizer step's time on a 2-core CPU (seconds).

    An LSTM step is sequential in time; each time step costs a fixed overhead
    plus work proportional to batch x cells x (units + 2) per direction.
    Fitted to steps timed here (one TensorFlow thread per operation, see
    ``bilstm._env``): about 0.65 ms for the lesson's batch of 10 sequences of
    10 steps, 1.4 ms at 20 steps or batches of 32, 2.8 ms with 128 cells.
    """
    readers = 2 if direction == "bidirectional" else 1
    work = batch_size * 4 * units * (units + 2)
    return 1e-4 + n_timesteps * readers * (1e-5 + 1.7e-10 * work)


def chunk_steps(batch_size, n_timesteps, units, direction="bidirectional"):
    """Batches per compiled chunk for this shape.

    The chapters' chunk, ``settings.STEPS_PER_EXECUTION``, when a chunk of it
    takes under ``CHUNK_SECONDS`` by the guess of :func:`step_seconds` (the
    lesson's shape: about 0.2 s): the panel then runs the very program the
    chapters compiled, from memory or from the persistent XLA cache. For
    slower shapes, the largest power of two that does, so Stop is always felt
    well within a second. A pure function of the shape, so a shape that was
    compiled once is never compiled again.
    """
    per_step = step_seconds(batch_size, n_timesteps, units, direction)
    if STEPS_PER_EXECUTION * per_step <= CHUNK_SECONDS:
        return STEPS_PER_EXECUTION
    steps = max(1, int(CHUNK_SECONDS / per_step))
    return 1 << (steps.bit_length() - 1)


def compile_seconds(n_timesteps):
    """A rough guess of the time to trace and compile a new shape (seconds).

    Measured here with an empty compiled-program cache: about 3 s at 10 steps,
    4.5 s at 20, 7 s at 40. A program found in the persistent cache (see
    ``bilstm._env``) takes about a second instead.
    """
    return 1.6 + 0.14 * n_timesteps


def estimate_seconds(settings, compiled=False, per_step=None):
    """Estimated wall time of a run with ``settings`` (see ``bilstm.settings``).

    ``per_step`` (seconds per batch measured on an earlier run of this shape)
    replaces the rough model; ``compiled`` drops the compile cost.
    """
    s = {**DEFAULTS, **settings}
    steps = total_steps(s)
    if per_step is None:
        per_step = step_seconds(
            s["batch_size"], s["n_timesteps"], s["units"], s["direction"]
        )
    compiling = 0.0 if compiled else compile_seconds(s["n_timesteps"])
    return steps * per_step + compiling + 0.5


def shape_key(settings):
    """What decides a run's compiled program: runs with one key share it."""
    s = settings
    merge = s["merge_mode"] if s["direction"] == "bidirectional" else None
    return (s["n_timesteps"], s["units"], merge, s["direction"], s["batch_size"])


def format_seconds(seconds):
    """``"4.2 s"``, ``"12 s"``, ``"2 min 05 s"``."""
    if seconds < 60:
        return f"{seconds:.0f} s" if seconds >= 10 else f"{seconds:.1f} s"
    return f"{seconds // 60:.0f} min {seconds % 60:02.0f} s"
