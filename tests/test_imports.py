"""What importing the package does: nothing outside it, and no more than it says.

Each case runs a fresh Python, so that modules another test imported do not
count.
"""

import json
import os
import subprocess
import sys

import pytest

HEAVY = ("tensorflow", "keras", "matplotlib", "ipywidgets")

# module -> the heavy libraries importing it may load (its docstring's claim)
PURE = {
    "bilstm": (),
    "bilstm.settings": (),
    "bilstm.checks": (),
    "bilstm.data": (),
    "bilstm.curves": (),
    "bilstm.summaries": (),
    "bilstm.seeding": (),
    "bilstm.search": (),
    "bilstm.palette": (),
    "bilstm.scratch": (),
    "bilstm.words": (),
    "bilstm.words.dictionary": (),
    "bilstm.widgets": (),
    "bilstm.widgets.estimates": (),
    "bilstm.widgets.views": (),
    "bilstm.cli": (),
    "bilstm.model": ("tensorflow", "keras", "matplotlib"),  # Keras loads matplotlib
    "bilstm.plots": ("matplotlib",),
}

LOADED = """
import importlib, json, sys
importlib.import_module(sys.argv[1])
print(json.dumps([m for m in {heavy!r} if m in sys.modules]))
"""


def _python(code, *args, env=None):
    proc = subprocess.run(
        [sys.executable, "-c", code, *args],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    return proc


@pytest.mark.parametrize("module", sorted(PURE))
def test_a_module_loads_only_the_libraries_it_says(module):
    out = _python(LOADED.format(heavy=HEAVY), module).stdout
    loaded = set(json.loads(out.strip().splitlines()[-1]))
    assert loaded <= set(PURE[module]), f"{module} pulls in {sorted(loaded)}"


def test_importing_bilstm_changes_nothing_outside_it(tmp_path):
    code = """
import json, logging, os
before = dict(os.environ)
level = logging.getLogger("tensorflow").level
import bilstm
from bilstm import get_sequences
get_sequences(3, 5, rng=0)
changed = sorted(k for k in set(before) | set(os.environ)
                 if before.get(k) != os.environ.get(k))
print(json.dumps([changed, logging.getLogger("tensorflow").level == level]))
"""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TF_", "KERAS"))}
    env["XDG_CACHE_HOME"] = str(tmp_path)
    env.pop("BILSTM_XLA_CACHE", None)
    changed, same_level = json.loads(_python(code, env=env).stdout.splitlines()[-1])
    assert changed == [] and same_level
    assert list(tmp_path.iterdir()) == []  # no cache folder made
    interop = _python(
        "import bilstm, os; print(os.environ.get('TF_NUM_INTEROP_THREADS'), "
        "os.environ.get('TF_NUM_INTRAOP_THREADS'))",
        env=env,
    ).stdout.split()
    assert interop == ["None", "None"]


def test_setup_says_what_it_sets(tmp_path):
    code = """
import json, logging, os
import bilstm
done = bilstm.setup()
again = bilstm.setup()
env = os.environ
print(json.dumps([done == again, env["TF_NUM_INTRAOP_THREADS"],
                  env["TF_CPP_MIN_LOG_LEVEL"], env["TF_ENABLE_ONEDNN_OPTS"],
                  "persistent_cache_directory" in os.environ.get("TF_XLA_FLAGS", ""),
                  logging.getLogger("tensorflow").level == logging.ERROR]))
"""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TF_", "KERAS"))}
    env["BILSTM_XLA_CACHE"] = str(tmp_path)
    lines = _python(code, env=env).stdout.splitlines()
    assert lines[0] == (
        "bilstm.setup(): TensorFlow's log lines off, oneDNN off; "
        "1 thread per operation; compiled programs cached on disk"
    )
    assert len(lines) == 2  # the second call prints nothing
    assert json.loads(lines[1]) == [True, "1", "3", "0", True, True]


def test_setup_threads_none_leaves_tensorflow_its_own_choice(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TF_", "KERAS"))}
    env["BILSTM_XLA_CACHE"] = "off"
    out = _python(
        "import os, bilstm; bilstm.setup(threads=None, verbose=False); "
        "print(os.environ.get('TF_NUM_INTRAOP_THREADS'))",
        env=env,
    ).stdout.split()
    assert out == ["None"]


def test_setup_refuses_a_bad_thread_count():
    import bilstm

    for bad in (0, -1, 1.5, True, "2"):
        with pytest.raises(ValueError, match="threads must be a whole number"):
            bilstm.setup(threads=bad)
