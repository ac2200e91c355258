"""Stand-in models for tests that need fixed outputs, not training."""

import numpy as np


class Fixed:
    """A stand-in model that returns fixed probabilities."""

    input_shape = (None, 4, 1)
    output_shape = (None, 4, 1)

    def __init__(self, proba):
        self.proba = np.asarray(proba, dtype=np.float32)[..., np.newaxis]

    def __call__(self, X, training=False):
        return self.proba[: len(X)]
