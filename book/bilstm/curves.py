"""Learning curves as NumPy arrays: from Keras's running means to per-window means."""

from __future__ import annotations

import numpy as np

__all__ = ["window_curve"]


def window_curve(curve):
    """Turn running-mean rows into the mean loss and accuracy of each window.

    Keras reports the mean over the epoch so far; the mean over the batches
    between two rows is recovered from the two running means. Returns a dict of
    arrays ``step``, ``loss`` and ``accuracy`` (one entry per window).
    """
    steps, losses, accs = [], [], []
    prev_epoch, prev_batch, prev_loss, prev_acc = None, 0, 0.0, 0.0
    for row in curve:
        if row["epoch"] != prev_epoch:
            prev_epoch, prev_batch, prev_loss, prev_acc = row["epoch"], 0, 0.0, 0.0
        width = row["batch"] - prev_batch
        if width <= 0:
            continue
        losses.append((row["loss"] * row["batch"] - prev_loss * prev_batch) / width)
        accs.append((row["accuracy"] * row["batch"] - prev_acc * prev_batch) / width)
        steps.append(row["step"])
        prev_batch, prev_loss, prev_acc = row["batch"], row["loss"], row["accuracy"]
    return {
        "step": np.array(steps),
        "loss": np.array(losses),
        "accuracy": np.array(accs),
    }
