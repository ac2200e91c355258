"""Tidy rows of runs into groups, values, spread and stacked curves (NumPy only).

The rows are plain dicts, one per run, such as :func:`bilstm.experiments.
run_experiment` returns (which re-exports these functions); lists of them are
easy to filter, group and plot without pandas.
"""

from __future__ import annotations

import math

import numpy as np

#: Keras clips probabilities to [EPSILON, 1 - EPSILON] in its cross-entropy,
#: as float32 numbers: the upper bound is 1 - 1.19e-7, the float32 just below 1.
#: The book's losses (:func:`bilstm.evaluate`, :mod:`bilstm.scratch`) clip so too.
EPSILON = 1e-7
CLIP = (float(np.float32(EPSILON)), float(np.float32(1 - EPSILON)))

__all__ = ["curves", "first_reaching", "group", "summarize", "values"]


def group(rows, by="name"):
    """Split rows into a dict ``{value of by: [rows]}``, in first-seen order."""
    groups = {}
    for row in rows:
        if by not in row:
            raise ValueError(f"rows have no field {by!r}")
        groups.setdefault(row[by], []).append(row)
    return groups


def values(rows, field):
    """The values of one numeric field over rows, as a float array."""
    if not rows:
        raise ValueError("no rows")
    if any(field not in row for row in rows):
        raise ValueError(f"rows have no field {field!r}")
    return np.array(
        [np.nan if row[field] is None else row[field] for row in rows], dtype=float
    )


def summarize(rows, field, by="name"):
    """Mean and spread of ``field`` for each group of rows.

    Returns ``{group: {"n", "mean", "std", "min", "q1", "median", "q3", "max"}}``
    (``std`` is the sample standard deviation, 0 for a single run).
    """
    out = {}
    for key, members in group(rows, by).items():
        v = values(members, field)
        q1, median, q3 = np.percentile(v, [25, 50, 75])
        out[key] = {
            "n": len(v),
            "mean": float(np.mean(v)),
            "std": float(np.std(v, ddof=1)) if len(v) > 1 else 0.0,
            "min": float(np.min(v)),
            "q1": float(q1),
            "median": float(median),
            "q3": float(q3),
            "max": float(np.max(v)),
        }
    return out


def curves(rows, by="name", x="curve_sequences", y="curve_accuracy"):
    """Stack each group's learning curves: ``{group: (x, runs x points array)}``.

    Runs of one group may stop at different points; shorter curves are padded
    with their last value so every run contributes to every point.
    """
    out = {}
    for key, members in group(rows, by).items():
        longest = max(members, key=lambda r: len(r[x]))
        grid = np.asarray(longest[x])
        stack = np.empty((len(members), len(grid)))
        for i, row in enumerate(members):
            v = np.asarray(row[y], dtype=float)
            if len(v) == 0:
                raise ValueError(
                    f"run {row.get('name')!r} seed {row.get('seed')} has no curve"
                )
            stack[i, : len(v)] = v
            stack[i, len(v) :] = v[-1]
        out[key] = (grid, stack)
    return out


def first_reaching(curve_x, curve_y, target):
    """The first x at which ``curve_y >= target``, or ``None`` if it never does."""
    curve_y = np.asarray(curve_y, dtype=float)
    hits = np.flatnonzero(curve_y >= target)
    return None if len(hits) == 0 else float(np.asarray(curve_x)[hits[0]])


def wilson_interval(successes: int, trials: int, confidence: float = 0.95):
    """Wilson score interval for a proportion: (low, high)."""
    if trials <= 0:
        raise ValueError(f"trials must be >= 1, got {trials}")
    if not 0 <= successes <= trials:
        raise ValueError(f"successes must be between 0 and {trials}, got {successes}")
    z = {0.9: 1.6448536, 0.95: 1.959964, 0.99: 2.5758293}.get(confidence)
    if z is None:
        raise ValueError(f"confidence must be 0.9, 0.95 or 0.99, got {confidence!r}")
    p = successes / trials
    denom = 1 + z * z / trials
    centre = (p + z * z / (2 * trials)) / denom
    half = z * math.sqrt(p * (1 - p) / trials + z * z / (4 * trials * trials)) / denom
    # exact at the ends: rounding would otherwise leave e.g. 3e-18 for 0 of 69
    low = 0.0 if successes == 0 else max(0.0, centre - half)
    high = 1.0 if successes == trials else min(1.0, centre + half)
    return low, high
