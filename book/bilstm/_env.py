"""The book's TensorFlow set-up, made by one explicit call: :func:`setup`.

Importing :mod:`bilstm` changes nothing outside the package: no environment
variable, no logger, no file. The book's notebooks, its command line
(``python -m bilstm train``), its app, benchmarks and tests call
:func:`setup` once, before TensorFlow is imported, and it does three things,
each of which it says:

Quiet: TensorFlow's C++ runtime writes log lines (with timestamps and process
ids) to stderr when it is imported and when the first model is built. Inside a
notebook those lines end up in cell outputs, so they would show in the book and
differ on every run. ``TF_CPP_MIN_LOG_LEVEL=3`` and ``TF_ENABLE_ONEDNN_OPTS=0``
silence them (the second also turns off oneDNN's custom kernels, whose
rounding depends on the CPU), and TensorFlow's Python logger is set to
``ERROR`` (it would otherwise print warnings such as "triggered tf.function
retracing" when a reader tries many shapes).

One thread per operation: the book's models are tiny (a batch of 10 sequences
of 10 steps is a few thousand multiply-adds per operation), so handing each
operation to a pool of threads costs more than it saves. With
``TF_NUM_INTRAOP_THREADS=1`` the lesson's 5,000 training steps took 3.2 s
instead of 4.5 s on 2 cores, with bit-identical weights; a 128-unit model on
batches of 100 sequences of 40 steps was 5% slower. ``setup(threads=None)``
leaves TensorFlow's own choice. Every speed the book reports was measured
with this setting.

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
left alone (when it names this process's own folder, as in a kernel started
by a process that ran :func:`setup`, it is reported as cached on disk). A
folder that cannot be written, or a disk with less than ``MIN_FREE_BYTES``
free, turns the cache off; if writing fails later,
:func:`bilstm.training.train` carries on without XLA (see
:class:`bilstm.programs.Program`). :func:`setup` deletes the least recently
used programs once the folder holds more than ``MAX_BYTES`` (1 GiB;
``BILSTM_XLA_CACHE_MB`` sets another limit, in MiB).
"""

import hashlib
import logging
import os
import platform
import shutil
import sys
import warnings
from importlib import metadata
from pathlib import Path

__all__ = ["setup", "xla_cache_dir", "cache_is_writable"]

CACHE_FLAG = "--tf_xla_persistent_cache_directory"
MIN_FREE_BYTES = 256 * 2**20
MAX_BYTES = 1024 * 2**20  # about 700 compiled programs of the lesson's size
#: Overrides ``MAX_BYTES``, in MiB (the test run raises it: the whole suite
#: compiles more than ``MAX_BYTES`` of programs, and a cache smaller than what
#: a run uses misses on every run).
MAX_MB_VARIABLE = "BILSTM_XLA_CACHE_MB"


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
    except OSError:
        return None
    return folder if cache_is_writable(folder) else None


def cache_is_writable(folder) -> bool:
    """Whether compiled programs can be written to ``folder`` now.

    It must be a folder that takes a new file, on a disk with at least
    ``MIN_FREE_BYTES`` free. :class:`bilstm.programs.Program` asks again when
    a compile fails, to tell a broken cache from any other error.
    """
    folder = Path(folder)
    try:
        probe = folder / f".write-test-{os.getpid()}"
        probe.write_bytes(b"")
        probe.unlink()
        return shutil.disk_usage(folder).free >= MIN_FREE_BYTES
    except OSError:
        return False


def _max_bytes() -> int:
    value = os.environ.get(MAX_MB_VARIABLE)
    if value is None:
        return MAX_BYTES
    try:
        megabytes = int(value)
    except ValueError:
        megabytes = 0
    if megabytes < 1:
        raise ValueError(
            f"{MAX_MB_VARIABLE} must be a whole number of MiB >= 1, got {value!r}"
        )
    return megabytes * 2**20


def _prune(folder: Path) -> None:
    """Delete the least recently used programs beyond the cache's size limit.

    "Used" is the later of a file's last read and last write: a program that
    every run loads is kept, however long ago it was compiled (file systems
    mounted ``relatime``, the usual default, record a read at least daily).
    The limit is ``MAX_BYTES``, or ``$BILSTM_XLA_CACHE_MB`` MiB. Another
    process may delete a program while this one looks: such a file is
    skipped. Any other error is a warning, and the cache stays as it is.
    """
    limit = _max_bytes()
    entries = []
    for path in folder.glob("*.pb"):
        try:
            stat = path.stat()
        except FileNotFoundError:
            continue
        entries.append((max(stat.st_atime, stat.st_mtime), stat.st_size, path))
    total = sum(size for _, size, _ in entries)
    try:
        for _, size, path in sorted(entries):
            if total <= limit:
                break
            path.unlink(missing_ok=True)
            total -= size
    except OSError as error:
        warnings.warn(f"could not prune {folder}: {error}", RuntimeWarning, 2)


def cache_folder() -> str | None:
    """The compiled-program cache folder that ``TF_XLA_FLAGS`` names, if any."""
    for flag in os.environ.get("TF_XLA_FLAGS", "").split():
        if flag.startswith(CACHE_FLAG + "="):
            return flag.split("=", 1)[1] or None
    return None


def _enable_xla_cache() -> str:
    flags = os.environ.get("TF_XLA_FLAGS", "")
    if CACHE_FLAG in flags:
        named = cache_folder()
        own = xla_cache_dir() if named else None
        if own is not None and Path(named) == own:
            # set by setup() in a parent process (a test run, the app's server):
            # this process's own cache folder, so it is cached on disk as usual
            return "compiled programs cached on disk"
        # the user chose a cache (or "--...directory=" to turn it off)
        return "compiled programs cached where TF_XLA_FLAGS says"
    folder = xla_cache_dir()
    if folder is None:
        return "no compiled-program cache"
    _prune(folder)
    os.environ["TF_XLA_FLAGS"] = f"{flags} {CACHE_FLAG}={folder}".strip()
    return "compiled programs cached on disk"


_DONE: dict = {}


def _errors_only(record: logging.LogRecord) -> bool:
    return record.levelno >= logging.ERROR


def setup(*, threads: int | None = 1, verbose: bool = True) -> dict:
    """Set TensorFlow up as the book runs it: quiet, ``threads`` per op, cached.

    Call it once, before TensorFlow or Keras is imported (the first cell of
    every notebook does). It sets ``TF_CPP_MIN_LOG_LEVEL=3``,
    ``TF_ENABLE_ONEDNN_OPTS=0`` and ``KERAS_BACKEND=tensorflow`` unless they
    are set already, ``TF_NUM_INTRAOP_THREADS`` to ``threads`` (``None``
    leaves TensorFlow's default, one thread per core), TensorFlow's Python
    logger to ``ERROR``, and turns on the compiled-program cache (see the
    module's docstring). Returns what it did, and with ``verbose`` prints it
    on one line. A second call changes nothing and prints nothing.
    """
    if threads is not None and (
        isinstance(threads, bool) or not isinstance(threads, int) or threads < 1
    ):
        raise ValueError(
            f"threads must be a whole number >= 1 or None, got {threads!r}"
        )
    if _DONE:
        return dict(_DONE)
    if "tensorflow" in sys.modules:
        warnings.warn(
            "bilstm.setup() came after TensorFlow was imported, so its log, "
            "thread and cache settings may not apply: call it first",
            RuntimeWarning,
            stacklevel=2,
        )
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")
    os.environ.setdefault("KERAS_BACKEND", "tensorflow")
    if threads is not None:  # checked above
        os.environ["TF_NUM_INTRAOP_THREADS"] = str(threads)
    logger = logging.getLogger("tensorflow")
    logger.setLevel(logging.ERROR)
    # In an interactive kernel, TensorFlow's get_logger() later sets the level
    # back to INFO (and adds a stdout handler), which would put warnings such
    # as "triggered tf.function retracing" into cell outputs; a filter stays.
    logger.addFilter(_errors_only)
    cache = _enable_xla_cache()
    per_op = (
        "TensorFlow's own threads"
        if threads is None
        else (f"{threads} thread{'s' if threads > 1 else ''} per operation")
    )
    _DONE.update(
        quiet="TensorFlow's log lines off, oneDNN off",
        threads=per_op,
        cache=cache,
    )
    if verbose:
        print("bilstm.setup(): " + "; ".join(_DONE.values()))
    return dict(_DONE)
