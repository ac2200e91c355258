import json
import os
import subprocess
import sys

import keras
import numpy as np
import pytest

from bilstm.cli import main


@pytest.mark.slow
def test_short_run_prints_the_lesson_and_json(tmp_path):
    path = tmp_path / "model.keras"
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "bilstm",
            "train",
            "--n-train",
            "600",
            "--batch-size",
            "20",
            "--n-test",
            "50",
            "--seed",
            "3",
            "--save",
            str(path),
            "--json",
        ],
        capture_output=True,
        text=True,
        check=True,
        cwd=tmp_path,
    )
    lines = run.stdout.strip().splitlines()
    summary = json.loads(lines[-1])
    assert summary["params"] == 20_901
    assert summary["n_train"] == 600 and summary["batch_size"] == 20
    for key in ("loss", "accuracy", "sequence_accuracy", "fit_seconds"):
        assert np.isfinite(summary[key])
    assert 0.5 < summary["accuracy"] <= 1 and 0 <= summary["sequence_accuracy"] <= 1
    assert sum(line.startswith("Expected: [") for line in lines) == 10
    assert "Total params: 20,901" in run.stdout
    assert "Traceback" not in run.stderr and "I0000" not in run.stderr
    loaded = keras.models.load_model(path)
    assert loaded.count_params() == 20_901


@pytest.mark.parametrize(
    "argv, fragment",
    [
        (["--batch-size", "0"], "--batch-size: must be a whole number from 1"),
        (["--batch-size", "2.5"], "--batch-size: must be a whole number"),
        (["--n-timesteps", "0"], "--n-timesteps"),
        (["--n-train", "-5"], "--n-train"),
        (["--merge-mode", "max"], "--merge-mode: invalid choice: 'max'"),
        (["--direction", "up"], "--direction: invalid choice"),
        (["--save", "model.h5"], "must end in .keras"),
        (["--n-train", "10000000", "--n-timesteps", "1000"], "fit in memory"),
        (["--bogus"], "unrecognized arguments: --bogus"),
        (["--learning-rate", "0"], "--learning-rate: must be a number in"),
        (["--schedule", "step"], "--schedule: invalid choice"),
        (["--save", "no/such/folder/m.keras"], "does not exist"),
        (["--save", "."], "must end in .keras"),
    ],
)
def test_bad_options_exit_2_with_one_line(argv, fragment, capsys):
    with pytest.raises(SystemExit) as stop:
        main(["train", *argv])
    assert stop.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and fragment in err and "Traceback" not in err


def test_a_command_is_required(capsys):
    with pytest.raises(SystemExit) as stop:
        main([])
    assert stop.value.code == 2
    assert "required" in capsys.readouterr().err


def test_an_unwritable_save_path_fails_before_training(tmp_path, capsys, monkeypatch):
    # This machine's tests may run as root, who can write anywhere; so the
    # folder is made unwritable by the answer of os.access, which the check asks.
    monkeypatch.setattr(os, "access", lambda path, mode: False)
    with pytest.raises(SystemExit) as stop:
        main(["train", "--save", str(tmp_path / "m.keras")])
    assert stop.value.code == 2
    out = capsys.readouterr()
    assert "cannot be written to" in out.err and "Total params" not in out.out


def test_flags_are_the_settings(capsys):
    from bilstm.settings import SETTINGS

    with pytest.raises(SystemExit):
        main(["train", "--help"])
    text = capsys.readouterr().out
    for setting in SETTINGS.values():
        assert setting.flag in text
