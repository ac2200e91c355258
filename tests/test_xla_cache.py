"""The persistent XLA cache: on by default, a speed cache only, never in the way.

Each case runs a fresh Python, since TensorFlow reads ``TF_XLA_FLAGS`` once,
when it is imported.
"""

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

TRAIN = """
import hashlib, os, shutil, sys
import bilstm
bilstm.setup(verbose=False)
from bilstm import build_model, get_sequences, set_seed, train
if sys.argv[1:] == ["break"]:  # the cache folder goes away after start-up
    flag = [f for f in os.environ["TF_XLA_FLAGS"].split() if "persistent" in f][0]
    folder = flag.split("=", 1)[1]
    shutil.rmtree(folder)
    open(folder, "w").write("not a folder any more")
set_seed(0)
model = build_model(5, units=4)
X, y = get_sequences(300, 5, rng=0)
train(model, X, y, batch_size=10)
print(hashlib.sha256(b"".join(w.tobytes() for w in model.get_weights())).hexdigest())
"""

SHOW = (
    "import os, bilstm; bilstm.setup(verbose=False); "
    "print(os.environ.get('TF_XLA_FLAGS'))"
)


def _python(code, *args, **env):
    # each case sets the XLA variables it needs (CI exports XLA_FLAGS for all)
    clean = {
        k: v for k, v in os.environ.items() if k not in ("TF_XLA_FLAGS", "XLA_FLAGS")
    }
    clean.update(env)
    proc = subprocess.run(
        [sys.executable, "-c", code, *args],
        env=clean,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc


def _programs(folder):
    return sorted(p.name for p in folder.rglob("*.pb"))


@pytest.mark.slow
def test_a_warm_cache_trains_the_same_weights_as_a_cold_one(tmp_path):
    cold = _python(TRAIN, BILSTM_XLA_CACHE=str(tmp_path)).stdout.split()[-1]
    written = _programs(tmp_path)
    assert len(written) >= 1  # the first process compiled and stored its program
    warm = _python(TRAIN, BILSTM_XLA_CACHE=str(tmp_path)).stdout.split()[-1]
    assert warm == cold  # bit-identical trained weights
    assert _programs(tmp_path) == written  # loaded, not compiled again
    off = _python(TRAIN, BILSTM_XLA_CACHE="off").stdout.split()[-1]
    assert off == cold  # the cache changes nothing but time


def test_the_cache_is_kept_apart_per_xla_setting(tmp_path):
    native = _python(SHOW, BILSTM_XLA_CACHE=str(tmp_path)).stdout.strip()
    avx = _python(
        SHOW, BILSTM_XLA_CACHE=str(tmp_path), XLA_FLAGS="--xla_cpu_max_isa=AVX"
    ).stdout.strip()
    assert native.startswith("--tf_xla_persistent_cache_directory=" + str(tmp_path))
    assert avx.startswith("--tf_xla_persistent_cache_directory=" + str(tmp_path))
    assert native != avx


@pytest.mark.parametrize(
    "env, expected",
    [
        ({"BILSTM_XLA_CACHE": "off"}, "None"),
        ({"BILSTM_XLA_CACHE": "/proc/no-such-place/xla"}, "None"),  # cannot write
        (
            {"TF_XLA_FLAGS": "--tf_xla_persistent_cache_directory=/mine"},
            "--tf_xla_persistent_cache_directory=/mine",
        ),
    ],
    ids=["turned-off", "unwritable", "user-choice-kept"],
)
def test_the_cache_setting_is_respected(env, expected):
    assert _python(SHOW, **env).stdout.strip() == expected


def test_other_tf_xla_flags_of_the_user_are_kept(tmp_path):
    flags = _python(
        SHOW, BILSTM_XLA_CACHE=str(tmp_path), TF_XLA_FLAGS="--tf_xla_auto_jit=0"
    ).stdout.strip()
    assert flags.startswith("--tf_xla_auto_jit=0 --tf_xla_persistent_cache_directory=")


@pytest.mark.slow
def test_a_cache_that_breaks_mid_run_does_not_break_training(tmp_path):
    proc = _python(TRAIN, "break", BILSTM_XLA_CACHE=str(tmp_path))
    assert len(proc.stdout.split()[-1]) == 64  # trained and printed its weights
    assert "training goes on without XLA" in proc.stderr


SAYS = "import bilstm; print(bilstm.setup(verbose=False)['cache'])"


def test_a_child_of_a_set_up_process_reports_the_cache_on_disk(tmp_path):
    """A kernel or worker inherits TF_XLA_FLAGS from a process that ran setup().

    When the folder it names is the child's own, the child says what a reader's
    kernel says; a folder the user chose is reported as the user's choice.
    """
    parent = _python(SHOW, BILSTM_XLA_CACHE=str(tmp_path)).stdout.strip()
    assert parent.startswith("--tf_xla_persistent_cache_directory=" + str(tmp_path))
    child = _python(SAYS, BILSTM_XLA_CACHE=str(tmp_path), TF_XLA_FLAGS=parent)
    assert child.stdout.strip() == "compiled programs cached on disk"
    other = f"--tf_xla_persistent_cache_directory={tmp_path / 'mine'}"
    chosen = _python(SAYS, BILSTM_XLA_CACHE=str(tmp_path), TF_XLA_FLAGS=other)
    assert chosen.stdout.strip() == "compiled programs cached where TF_XLA_FLAGS says"


def test_tensorflow_warnings_stay_off_after_get_logger_resets_the_level():
    """In an interactive kernel TensorFlow's get_logger() sets INFO again."""
    code = (
        "import sys; sys.ps1 = '>>> '\n"  # what makes TensorFlow think interactive
        "import bilstm; bilstm.setup(verbose=False)\n"
        "import tensorflow as tf\n"
        "tf.get_logger().warning('a retracing warning')\n"
        "tf.get_logger().error('an error')\n"
    )
    proc = _python(code, BILSTM_XLA_CACHE="off")
    assert "a retracing warning" not in proc.stdout + proc.stderr
    assert "an error" in proc.stdout + proc.stderr


def test_the_cache_keeps_the_programs_read_most_recently(tmp_path):
    """Over its limit, the cache drops the least recently used, not the oldest."""
    env = {"BILSTM_XLA_CACHE": str(tmp_path), "BILSTM_XLA_CACHE_MB": "2"}
    flag = _python(SHOW, **env).stdout.strip()
    folder = Path(flag.split("=", 1)[1])  # the folder setup() made and named
    now, day = time.time(), 86400
    # (name, last read, last written), in seconds before now
    for name, read, written in [
        ("used-by-every-run.pb", 10, 3 * day),  # compiled long ago, read today
        ("written-yesterday.pb", day, day),
        ("never-read-again.pb", 2 * day, 2 * day),
    ]:
        (folder / name).write_bytes(b"x" * 2**20)
        os.utime(folder / name, (now - read, now - written))
    _python(SHOW, **env)  # a new process sets up, and prunes to 2 MiB
    assert _programs(folder) == ["used-by-every-run.pb", "written-yesterday.pb"]


def test_a_bad_cache_limit_is_a_clear_error(tmp_path):
    code = "import bilstm; bilstm.setup(verbose=False)"
    env = {
        k: v for k, v in os.environ.items() if k not in ("TF_XLA_FLAGS", "XLA_FLAGS")
    }
    env.update(BILSTM_XLA_CACHE=str(tmp_path), BILSTM_XLA_CACHE_MB="lots")
    proc = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True
    )
    assert proc.returncode != 0
    assert "BILSTM_XLA_CACHE_MB must be a whole number of MiB >= 1" in proc.stderr
