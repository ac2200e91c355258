"""The persistent XLA cache: on by default, a speed cache only, never in the way.

Each case runs a fresh Python, since TensorFlow reads ``TF_XLA_FLAGS`` once,
when it is imported.
"""

import os
import subprocess
import sys

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
