"""Quiet TensorFlow before it is imported.

TensorFlow's C++ runtime writes log lines (with timestamps and process ids)
to stderr when it is imported and when the first model is built. Inside a
notebook those lines end up in cell outputs, so they would show in the book
and differ on every run. Setting these variables *before* the first
``import tensorflow`` silences them; every module of the package that touches
Keras imports this one first.
"""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")
