"""Set up TensorFlow's environment before it is imported: quiet, and cached.

Every module of the package that touches Keras imports this one first.

Quiet: TensorFlow's C++ runtime writes log lines (with timestamps and process
ids) to stderr when it is imported and when the first model is built. Inside a
notebook those lines end up in cell outputs, so they would show in the book and
differ on every run. The variables below silence them.

One thread per operation: the book's models are tiny (a batch of 10 sequences
of 10 steps is a few thousand multiply-adds per operation), so handing each
operation to a pool of threads costs more than it saves. With
``TF_NUM_INTRAOP_THREADS=1`` the lesson's 5,000 training steps took 3.2 s
instead of 4.5 s on 2 cores, with bit-identical weights; a 128-cell model on
batches of 100 sequences of 40 steps was 5% slower. Set the variable yourself
to change it.

Cached: training compiles one XLA program per model shape (a few seconds).
TensorFlow can keep compiled programs on disk and load them in a later process
(``--tf_xla_persistent_cache_directory``), so a fresh kernel, a new test run or
the command line skip the compile they have done before. The cache is a speed
cache only: a program loaded from it is the one a compile would produce, and
nothing depends on a hit. It lives in ``~/.cache/bilstm/xla`` (or
``$XDG_CACHE_HOME/bilstm/xla``), in a sub-folder per TensorFlow version, CPU
and ``XLA_FLAGS`` (a program compiled for one instruction set must never run
under another). ``BILSTM_XLA_CACHE=DIR`` moves it, ``BILSTM_XLA_CACHE=off``
turns it off, and a ``TF_XLA_FLAGS`` that already names a cache directory is
left alone. A folder that cannot be written, or a disk with less than
``MIN_FREE_BYTES`` free, turns the cache off; if writing fails later,
:func:`bilstm.training.train` carries on without XLA (see
:class:`bilstm.programs.Program`). The oldest programs are deleted once the
folder holds more than ``MAX_BYTES``.
"""

import hashlib
import os
import platform
import shutil
from importlib import metadata
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_NUM_INTRAOP_THREADS", "1")

CACHE_FLAG = "--tf_xla_persistent_cache_directory"
MIN_FREE_BYTES = 256 * 2**20
MAX_BYTES = 1024 * 2**20  # about 700 compiled programs of the lesson's size


def _cpu_signature() -> str:
    """What a compiled program depends on: TensorFlow, the CPU and XLA_FLAGS."""
    try:
        tf_version = metadata.version("tensorflow-cpu")
    except metadata.PackageNotFoundError:
        try:
            tf_version = metadata.version("tensorflow")
        except metadata.PackageNotFoundError:
            tf_version = "unknown"
    cpu = platform.processor()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith(("flags", "Features", "model name")):
                cpu += line
    except OSError:
        pass
    text = "\n".join(
        [tf_version, platform.machine(), cpu, os.environ.get("XLA_FLAGS", "")]
    )
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def xla_cache_dir() -> Path | None:
    """The folder this process keeps compiled programs in, or None if off."""
    setting = os.environ.get("BILSTM_XLA_CACHE", "")
    if setting.lower() in ("off", "0", "false", "no", "none"):
        return None
    if setting:
        base = Path(setting).expanduser()
    else:
        root = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
        base = Path(root) / "bilstm" / "xla"
    folder = base / _cpu_signature()
    try:
        folder.mkdir(parents=True, exist_ok=True)
        probe = folder / f".write-test-{os.getpid()}"
        probe.write_bytes(b"")
        probe.unlink()
        if shutil.disk_usage(folder).free < MIN_FREE_BYTES:
            return None
        _prune(folder)
    except OSError:
        return None
    return folder


def _prune(folder: Path) -> None:
    """Delete the least recently written programs beyond ``MAX_BYTES``."""
    entries = sorted(
        (p.stat().st_mtime, p.stat().st_size, p) for p in folder.glob("*.pb")
    )
    total = sum(size for _, size, _ in entries)
    for _, size, path in entries:
        if total <= MAX_BYTES:
            break
        path.unlink(missing_ok=True)
        total -= size


def _enable_xla_cache() -> None:
    flags = os.environ.get("TF_XLA_FLAGS", "")
    if CACHE_FLAG in flags:
        return  # the user chose a cache (or "--...directory=" to turn it off)
    folder = xla_cache_dir()
    if folder is not None:
        os.environ["TF_XLA_FLAGS"] = f"{flags} {CACHE_FLAG}={folder}".strip()


_enable_xla_cache()
