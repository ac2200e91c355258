"""The lesson's complete example in plain Keras 3 and NumPy.

A bidirectional LSTM learns the cumulative sum problem: each step of a random
sequence is labelled 1 once the running sum of the inputs so far reaches a
quarter of the sequence length. The program follows the lesson (Brownlee,
*Long Short-Term Memory Networks with Python*, 2017, chapter 10) part by part:
make the data, define and compile the model, fit it on 50,000 fresh sequences
for one epoch in batches of 10, evaluate it on 100 new sequences, and print
ten predictions. It imports nothing from the book, so it runs anywhere Keras
runs:

    python complete_example.py

The book's chapter 7 runs this very file.
"""

import keras
import numpy as np

SEED = 1
N_TIMESTEPS = 10  # steps per sequence
N_TRAIN = 50_000  # training sequences: each is seen once
BATCH_SIZE = 10
UNITS = 50  # LSTM units ("memory cells") per direction

keras.utils.set_random_seed(SEED)  # the initial weights and fit's shuffling
rng = np.random.default_rng(SEED)  # the sequences


def make_sequences(n_sequences, n_timesteps):
    """Random inputs in [0, 1) and their labels, shaped (n, n_timesteps, 1)."""
    X = rng.random((n_sequences, n_timesteps))
    y = np.cumsum(X, axis=1) >= n_timesteps / 4
    shape = (n_sequences, n_timesteps, 1)  # one feature per step, as an LSTM reads
    return X.reshape(shape).astype("float32"), y.reshape(shape).astype("float32")


class LearningCurve(keras.callbacks.Callback):
    """The running loss and accuracy of the epoch, every 100 batches."""

    def __init__(self, every=100):
        super().__init__()
        self.every, self.rows = every, []

    def on_train_batch_end(self, batch, logs=None):
        if (batch + 1) % self.every == 0:
            self.rows.append((batch + 1, logs["loss"], logs["accuracy"]))


# Define and compile the model.
model = keras.Sequential(
    [
        keras.Input((N_TIMESTEPS, 1)),
        keras.layers.Bidirectional(keras.layers.LSTM(UNITS, return_sequences=True)),
        keras.layers.TimeDistributed(keras.layers.Dense(1, activation="sigmoid")),
    ]
)
model.compile(loss="binary_crossentropy", optimizer="adam", metrics=["accuracy"])
model.summary()

# Fit it: one pass over 50,000 fresh sequences.
X, y = make_sequences(N_TRAIN, N_TIMESTEPS)
curve = LearningCurve()
history = model.fit(X, y, epochs=1, batch_size=BATCH_SIZE, callbacks=[curve], verbose=0)
print(
    f"Training: loss {history.history['loss'][-1]:.4f}, "
    f"accuracy {history.history['accuracy'][-1]:.2%}"
)

# Evaluate it on 100 sequences it has never seen.
X_test, y_test = make_sequences(100, N_TIMESTEPS)
loss, accuracy = model.evaluate(X_test, y_test, verbose=0)
print(f"Test: loss {loss:.4f}, accuracy {accuracy:.2%}")

# Make predictions: threshold the probabilities at 0.5.
X_new, y_new = make_sequences(10, N_TIMESTEPS)
yhat = (model.predict(X_new, verbose=0) > 0.5).astype(int)
for expected, predicted in zip(y_new[..., 0].astype(int), yhat[..., 0], strict=True):
    right = bool((expected == predicted).all())
    print(f"Expected: {expected} Predicted: {predicted} Correct: {right}")
