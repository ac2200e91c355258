"""One definition of every setting: defaults, bounds and the names used everywhere."""

import pytest
from bilstm import settings
from bilstm.settings import DEFAULTS, SETTINGS, check, defaults


def test_the_defaults_are_the_lessons_run():
    assert DEFAULTS == {
        "n_timesteps": 10,
        "merge_mode": "concat",
        "batch_size": 10,
        "units": 50,
        "n_train": 50_000,
        "direction": "bidirectional",
        "seed": 1,
        "epochs": 1,
        "n_test": 100,
        "learning_rate": 0.001,
        "schedule": "constant",
    }
    assert check() == DEFAULTS and check(None) == DEFAULTS


def test_choices_are_the_models():
    from bilstm.model import DIRECTIONS, MERGE_MODES

    assert SETTINGS["merge_mode"].choices == MERGE_MODES
    assert SETTINGS["direction"].choices == DIRECTIONS


@pytest.mark.parametrize(
    "change, fragment",
    [
        ({"units": 0}, "units must be a whole number from 1 to 1,024, got 0"),
        ({"units": 2.5}, "units must be a whole number"),
        ({"units": True}, "units must be a whole number"),
        ({"seed": -1}, "seed must be a whole number from 0 to 4,294,967,295"),
        ({"seed": 2**32}, "seed must be a whole number from 0"),
        ({"merge_mode": "max"}, "merge_mode must be one of 'concat', 'sum'"),
        ({"learning_rate": 0}, "learning_rate must be a number in (0.0, 10.0]"),
        ({"learning_rate": "fast"}, "learning_rate must be a number"),
        ({"sequence_length": 10}, "unknown settings ['sequence_length']; allowed"),
        ({"n_train": 10_000_000, "n_timesteps": 1000}, "fit in memory"),
    ],
)
def test_bad_values_say_what_is_allowed(change, fragment):
    with pytest.raises(ValueError) as error:
        check(change)
    assert fragment in str(error.value)


def test_values_are_made_plain_and_extras_pass_through():
    import numpy as np

    full = check({"units": np.int64(16), "name": "x"}, allowed_extra={"name"})
    assert full["units"] == 16 and type(full["units"]) is int and full["name"] == "x"
    assert defaults(n_train=10)["n_train"] == 10
    assert settings.SETTINGS["n_train"].flag == "--n-train"


def test_every_setting_has_help_and_a_flag_and_only_some_a_control():
    for setting in SETTINGS.values():
        assert setting.help and setting.flag.startswith("--")
        setting.check(setting.default)  # every default is allowed
    labelled = [name for name, s in SETTINGS.items() if s.label]
    assert labelled == [
        "n_timesteps",
        "merge_mode",
        "batch_size",
        "units",
        "n_train",
        "direction",
        "seed",
    ]
