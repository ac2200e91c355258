"""How fast does the lesson's model train, and which setting buys what?

One run of this script times, on the same training data and from the same
initial weights:

1. the lesson's plain recipe: ``model.fit`` with batch size 10 and Keras's
   defaults (no XLA on a CPU, one step per call);
2. the book's :func:`bilstm.training.train` with its compiled program already
   cached, and its first call in a fresh Python process (tracing and compiling
   included), next to ``model.fit``'s first call in a fresh process;
3. the levers one at a time, all with ``model.fit`` so they are Keras's own:
   XLA (``jit_compile``) off and on, crossed with ``steps_per_execution``
   1, 50 and 200;
4. batch sizes 10, 32 and 100 with ``train`` (first call and cached call).

How it times. Every configuration is timed ``--repeats`` times (default 5),
interleaved: one round runs every configuration once (A B C ...), then the
next round (A B C ...), so a slow spell of the machine spreads over all of
them instead of landing on one. The report gives the median with the lowest
and highest run; speed-ups are ratios of medians. Timings are wall-clock
seconds of the training call only (data generation, model building and
evaluation are outside the timer). What a timed call includes:

- ``model.fit`` (every row that uses it): each repeat builds a new model from
  the same seed in the benchmark's process, so each includes Keras tracing its
  training step, and with ``jit_compile=True`` compiling it with XLA.
- ``bilstm.train``, cached program: a new model from the same seed, trained by
  the program an untimed warm-up call compiled, so nothing is compiled.
- first and second calls in a fresh process (``train``, and ``model.fit`` to
  compare like with like): a first call can be measured only once per
  process, so each repeat is a new Python process that generates the same
  data, builds the same model and times that call, then a second epoch on the
  same model: the steady state, where ``fit`` reuses its traced step and
  ``train`` its compiled program. The headline ratios are these two.

The persistent cache of compiled programs (see ``bilstm/_env.py``) is off in
this process and in the fresh ones (``BILSTM_XLA_CACHE=off``), so no program
is ever loaded from disk and every first call really compiles. Before the
first round, untimed warm-up calls compile ``train``'s programs and run one
short ``model.fit``, so the first round's in-process timings are like the
later ones. ``model.fit`` with ``jit_compile=False, steps_per_execution=1`` is
the same computation as Keras's defaults on a CPU; its row shows the
run-to-run noise and gets no speed-up.

Every run is scored on the same fresh sequences (1,000 by default). Results go
to ``benchmarks/results/speed.json`` and a markdown table ``speed.md`` that the
book's performance appendix shows; a full run into that folder also copies the
tables into the README, between its ``speed:start`` and ``speed:end`` markers.

Run it on an otherwise idle machine, from the repository root::

    python benchmarks/speed.py            # the lesson's 50,000 sequences, ~20 min
    python benchmarks/speed.py --repeats 7
    python benchmarks/speed.py --quick    # a tiny smoke run (seconds, not data)

``speed.json`` holds::

    settings     n_train, n_timesteps, batch_size (the lesson's), n_test,
                 seed, steps_per_execution and batch_sizes (the levers tried),
                 repeats, xla_cache ("off"), and order: the configurations in
                 the order every round ran them
    environment  python, tensorflow, keras, numpy, cpus, machine, and
                 load_average: the 1-minute load at the start and the end
    lesson       plain_fit, train_cached (benchmark process), plain_fit_first,
                 train_first, plain_fit_steady, train_steady (fresh
                 processes; *_steady is the second call of the same
                 processes as *_first): one measurement each
    speedup      first_call = plain_fit_first / train_first, steady_state =
                 plain_fit_steady / train_steady (like for like: both in
                 fresh processes), cached_call = plain_fit / train_cached
                 (the benchmark's process); ratios of median seconds
    levers       xla_and_steps_per_execution: a list of measurements with
                 jit_compile, steps_per_execution and same_as_baseline (true
                 for the row that is Keras's defaults again);
                 batch_size: a list of measurements of the cached call with
                 batch_size, steps (optimizer steps), first_seconds (median)
                 and first_call (the fresh-process measurement)

and a measurement is::

    seconds          the median of repeats
    min, max         the lowest and highest of repeats
    repeats          seconds of every repeat, in the order they ran
    started          when every repeat started, in seconds after the first
                     round began (the rounds' interleaving can be read off)
    test_accuracies  accuracy on the fresh sequences after every repeat
    train_accuracy, test_accuracy   of the first repeat (every repeat trains
                                    from the same seed on the same data);
                                    None for a second call
    second_call      true for the second call of a fresh process
    fresh_process    true if every repeat ran in a new Python process
    compiles         true if the timed call traces (and, with XLA, compiles)
                     its training step
"""

from __future__ import annotations

import os

# No compiled program may come from the disk cache: set before bilstm.setup()
# (see bilstm/_env.py; a cache folder named in TF_XLA_FLAGS would win).
os.environ["BILSTM_XLA_CACHE"] = "off"
_XLA_FLAGS = [
    flag
    for flag in os.environ.get("TF_XLA_FLAGS", "").split()
    if not flag.startswith("--tf_xla_persistent_cache_directory")
]
if _XLA_FLAGS:
    os.environ["TF_XLA_FLAGS"] = " ".join(_XLA_FLAGS)
else:
    os.environ.pop("TF_XLA_FLAGS", None)

from provenance import provenance, sentence

import bilstm

bilstm.setup(verbose=False)  # quiet, one thread per operation, cached (as the book)

import argparse
import json
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf

from bilstm.data import get_sequences
from bilstm.evaluation import evaluate
from bilstm.model import build_model
from bilstm.seeding import set_seed
from bilstm.settings import SETTINGS
from bilstm.training import train

ROOT = Path(__file__).resolve().parents[1]
RESULTS = Path(__file__).resolve().parent / "results"
README = ROOT / "README.md"
README_START, README_END = "<!-- speed:start -->", "<!-- speed:end -->"
N_TIMESTEPS = SETTINGS["n_timesteps"].default
LESSON_BATCH = SETTINGS["batch_size"].default
CHUNKS_TRIED = (1, 50, 200)
BATCH_SIZES = (10, 32, 100)
REPEATS = 5
QUICK = {
    "n_train": 100,
    "n_test": 20,
    "steps_per_execution": (1, 5),
    "batch_sizes": (10,),
    "repeats": 2,
}
SAME_AS_BASELINE = "same as the baseline: run-to-run noise"


def fresh_model(seed: int, jit_compile="auto", steps_per_execution: int = 1):
    """The lesson's model with the same initial weights for every run."""
    set_seed(seed)
    model = build_model(N_TIMESTEPS)
    if jit_compile != "auto" or steps_per_execution != 1:
        model.compile(
            loss="binary_crossentropy",
            optimizer="adam",
            metrics=["accuracy"],
            jit_compile=jit_compile,
            steps_per_execution=steps_per_execution,
        )
    return model


def score(model, test) -> float:
    return float(evaluate(model, *test)["accuracy"])


def _timed(call) -> tuple[float, object]:
    start = time.perf_counter()
    result = call()
    return time.perf_counter() - start, result


def time_fit(data, test, seed, *, batch_size=LESSON_BATCH, again=False, **compile_kw):
    """Time one ``fit`` epoch of a new model; ``again``: then a second epoch.

    The second epoch reuses the training step the first traced (and, with
    XLA, compiled): the steady state of ``fit``. It is scored on nothing:
    the accuracies are the first epoch's.
    """
    model = fresh_model(seed, **compile_kw)
    X, y = data

    def epoch():
        return model.fit(X, y, batch_size=batch_size, epochs=1, verbose=0)

    seconds, history = _timed(epoch)
    result = {
        "seconds": seconds,
        "train_accuracy": float(history.history["accuracy"][-1]),
        "test_accuracy": score(model, test),
    }
    if again:
        result["steady_seconds"] = _timed(epoch)[0]
    return result


def time_train(data, test, seed, *, batch_size=LESSON_BATCH, again=False):
    """Time one ``train`` epoch of a new model; ``again``: then a second epoch.

    The second epoch runs the program the first compiled, held in memory:
    the steady state of ``train``, as ``time_fit``'s second epoch is fit's.
    """
    model = fresh_model(seed)
    X, y = data

    def epoch():
        return train(model, X, y, batch_size=batch_size, rng=seed)

    seconds, fitted = _timed(epoch)
    result = {
        "seconds": seconds,
        "train_accuracy": fitted.accuracy,
        "test_accuracy": score(model, test),
    }
    if again:
        result["steady_seconds"] = _timed(epoch)[0]
    return result


def time_in_fresh_process(kind, n_train, n_test, seed, batch_size):
    """Time the first and second ``fit`` or ``train`` call of a new process."""
    env = dict(os.environ, BILSTM_XLA_CACHE="off")
    command = [
        sys.executable,
        str(Path(__file__).resolve()),
        "--child",
        kind,
        "--n-train",
        str(n_train),
        "--n-test",
        str(n_test),
        "--seed",
        str(seed),
        "--batch-size",
        str(batch_size),
    ]
    proc = subprocess.run(
        command, env=env, cwd=ROOT, capture_output=True, text=True, timeout=3600
    )
    if proc.returncode != 0:
        raise RuntimeError(f"{kind} in a fresh process failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def child(kind, n_train, n_test, seed, batch_size) -> dict:
    """In a fresh process: the same data and model, a first and a second call."""
    data = get_sequences(n_train, N_TIMESTEPS, rng=seed)
    test = get_sequences(n_test, N_TIMESTEPS, rng=seed + 1000)
    timer = time_fit if kind == "fit" else time_train
    return timer(data, test, seed, batch_size=batch_size, again=True)


def summarize(runs, *, fresh_process: bool, compiles: bool, key="seconds") -> dict:
    """One measurement (see the module docstring) from its repeats.

    ``key="steady_seconds"`` summarizes the second calls of fresh processes;
    their accuracies are None (a second epoch is not the lesson's run).
    """
    seconds = [r[key] for r in runs]
    second = key == "steady_seconds"
    return {
        "seconds": statistics.median(seconds),
        "min": min(seconds),
        "max": max(seconds),
        "repeats": seconds,
        "started": [r["started"] for r in runs],
        "train_accuracy": None if second else runs[0]["train_accuracy"],
        "test_accuracy": None if second else runs[0]["test_accuracy"],
        "test_accuracies": None if second else [r["test_accuracy"] for r in runs],
        "fresh_process": fresh_process,
        "compiles": compiles,
        "second_call": second,
    }


def _load() -> float | None:
    try:
        return os.getloadavg()[0]
    except (AttributeError, OSError):
        return None


def run(
    n_train: int,
    n_test: int,
    seed: int,
    steps_per_execution=CHUNKS_TRIED,
    batch_sizes=BATCH_SIZES,
    repeats: int = REPEATS,
    log=print,
) -> dict:
    load_start = _load()
    data = get_sequences(n_train, N_TIMESTEPS, rng=seed)
    test = get_sequences(n_test, N_TIMESTEPS, rng=seed + 1000)
    batch_sizes = list(dict.fromkeys([LESSON_BATCH, *batch_sizes]))

    # Which lever row is Keras's defaults again ("auto" is no XLA on a CPU).
    defaults = fresh_model(seed)
    baseline = (bool(defaults.jit_compile), int(defaults.steps_per_execution))

    def fresh(kind, batch_size=LESSON_BATCH):
        return lambda: time_in_fresh_process(kind, n_train, n_test, seed, batch_size)

    # (key, what to time, fresh process?, compiles?), in the order of a round.
    configs = [("plain_fit", lambda: time_fit(data, test, seed), False, True)]
    for jit in (False, True):
        for spe in steps_per_execution:
            configs.append(
                (
                    f"fit jit_compile={jit} steps_per_execution={spe}",
                    lambda jit=jit, spe=spe: time_fit(
                        data, test, seed, jit_compile=jit, steps_per_execution=spe
                    ),
                    False,
                    True,
                )
            )
    for bs in batch_sizes:
        configs.append(
            (
                f"train_cached batch_size={bs}",
                lambda bs=bs: time_train(data, test, seed, batch_size=bs),
                False,
                False,
            )
        )
    configs.append(("plain_fit_first (fresh process)", fresh("fit"), True, True))
    for bs in batch_sizes:
        configs.append(
            (
                f"train_first batch_size={bs} (fresh process)",
                fresh("train", bs),
                True,
                True,
            )
        )

    log("warming up (untimed): compiling train's programs, one short fit ...")
    for bs in batch_sizes:
        time_train(data, test, seed, batch_size=bs)
    warm = min(n_train, 10 * LESSON_BATCH)
    time_fit((data[0][:warm], data[1][:warm]), test, seed)

    runs = {key: [] for key, *_ in configs}
    begin = time.perf_counter()
    for r in range(repeats):
        for key, measure, _, _ in configs:
            started = time.perf_counter() - begin
            result = dict(measure(), started=started)
            runs[key].append(result)
            log(f"round {r + 1}/{repeats}: {key}: {result['seconds']:.2f} s")

    rows = {
        key: summarize(runs[key], fresh_process=fp, compiles=c)
        for key, _, fp, c in configs
    }
    fit_key = "plain_fit_first (fresh process)"
    train_key = f"train_first batch_size={LESSON_BATCH} (fresh process)"
    lesson = {
        "plain_fit": rows["plain_fit"],
        "train_cached": rows[f"train_cached batch_size={LESSON_BATCH}"],
        "plain_fit_first": rows[fit_key],
        "train_first": rows[train_key],
        "plain_fit_steady": summarize(
            runs[fit_key], fresh_process=True, compiles=False, key="steady_seconds"
        ),
        "train_steady": summarize(
            runs[train_key], fresh_process=True, compiles=False, key="steady_seconds"
        ),
    }
    levers = []
    for jit in (False, True):
        for spe in steps_per_execution:
            row = dict(rows[f"fit jit_compile={jit} steps_per_execution={spe}"])
            row.update(
                jit_compile=jit,
                steps_per_execution=spe,
                same_as_baseline=(jit, spe) == baseline,
            )
            levers.append(row)
    batches = []
    for bs in batch_sizes:
        first = rows[f"train_first batch_size={bs} (fresh process)"]
        row = dict(rows[f"train_cached batch_size={bs}"])
        row.update(
            batch_size=bs,
            steps=-(-n_train // bs),
            first_seconds=first["seconds"],
            first_call=first,
        )
        batches.append(row)

    return {
        "settings": {
            "n_train": n_train,
            "n_timesteps": N_TIMESTEPS,
            "batch_size": LESSON_BATCH,
            "n_test": n_test,
            "seed": seed,
            "steps_per_execution": list(steps_per_execution),
            "batch_sizes": batch_sizes,
            "repeats": repeats,
            "xla_cache": "off",
            "order": [key for key, *_ in configs],
        },
        "provenance": provenance(),
        "environment": {
            "python": platform.python_version(),
            "tensorflow": tf.__version__,
            "keras": keras.__version__,
            "numpy": np.__version__,
            "cpus": os.cpu_count(),
            "machine": platform.machine(),
            "load_average": {"start": load_start, "end": _load()},
        },
        "lesson": lesson,
        "speedup": {
            "first_call": lesson["plain_fit_first"]["seconds"]
            / lesson["train_first"]["seconds"],
            "steady_state": lesson["plain_fit_steady"]["seconds"]
            / lesson["train_steady"]["seconds"],
            "cached_call": lesson["plain_fit"]["seconds"]
            / lesson["train_cached"]["seconds"],
        },
        "levers": {"xla_and_steps_per_execution": levers, "batch_size": batches},
    }


def spread(r: dict) -> str:
    """Median seconds with the lowest and highest run: ``19.2 (18.7–20.1)``."""
    return f"{r['seconds']:.1f} ({r['min']:.1f}–{r['max']:.1f})"


def markdown(results: dict) -> str:
    s = results["settings"]
    lesson, speed = results["lesson"], results["speedup"]
    env = results["environment"]
    lines = [
        f"Training on {s['n_train']:,} sequences of {s['n_timesteps']} steps, "
        f"accuracy on {s['n_test']:,} fresh sequences; "
        f"TensorFlow {env['tensorflow']}, Keras {env['keras']}, "
        f"{env['cpus']} CPU cores. Seconds are the median of {s['repeats']} "
        "interleaved runs (lowest–highest); speed-ups are ratios of medians. "
        + sentence(results["provenance"]),
        "",
        "**The lesson's run (batch size 10, one epoch)**",
        "",
        "| Method | Seconds | Speed-up | Training accuracy | Fresh accuracy |",
        "|:--|--:|--:|--:|--:|",
    ]
    rows = [
        (
            "`model.fit`, first call in a fresh process (traces)",
            lesson["plain_fit_first"],
            "1.0× (baseline for first calls)",
        ),
        (
            "`bilstm.train`, first call in a fresh process (compiles)",
            lesson["train_first"],
            f"{speed['first_call']:.1f}×",
        ),
        (
            "`model.fit`, second call in the same fresh process",
            lesson["plain_fit_steady"],
            "1.0× (baseline for second calls)",
        ),
        (
            "`bilstm.train`, second call in the same fresh process",
            lesson["train_steady"],
            f"{speed['steady_state']:.1f}×",
        ),
        (
            "`model.fit`, Keras defaults, in the benchmark's process (traces)",
            lesson["plain_fit"],
            "1.0× (baseline for the levers below)",
        ),
        (
            "`bilstm.train`, cached program, in the benchmark's process",
            lesson["train_cached"],
            f"{speed['cached_call']:.1f}×",
        ),
    ]
    for name, r, ratio in rows:
        if r["second_call"]:
            accuracy = "— | —"  # a second epoch: not the lesson's run
        else:
            accuracy = f"{r['train_accuracy']:.3f} | {r['test_accuracy']:.3f}"
        lines.append(f"| {name} | {spread(r)} | {ratio} | {accuracy} |")
    base = lesson["plain_fit"]["seconds"]
    lines += [
        "",
        "**XLA and `steps_per_execution` (`model.fit`, batch size 10)**",
        "",
        "| `jit_compile` | `steps_per_execution` | Seconds | Speed-up | "
        "Fresh accuracy |",
        "|:--|--:|--:|--:|--:|",
    ]
    for r in results["levers"]["xla_and_steps_per_execution"]:
        ratio = (
            SAME_AS_BASELINE if r["same_as_baseline"] else f"{base / r['seconds']:.1f}×"
        )
        lines.append(
            f"| {r['jit_compile']} | {r['steps_per_execution']} | "
            f"{spread(r)} | {ratio} | {r['test_accuracy']:.3f} |"
        )
    lines += [
        "",
        "**Batch size (`bilstm.train`; batch size 10 is the lesson's run above)**",
        "",
        "| Batch size | Optimizer steps | First call, fresh process (s) | "
        "Cached call (s) | Fresh accuracy |",
        "|--:|--:|--:|--:|--:|",
    ]
    for r in results["levers"]["batch_size"]:
        lines.append(
            f"| {r['batch_size']} | {r['steps']:,} | {spread(r['first_call'])} | "
            f"{spread(r)} | {r['test_accuracy']:.3f} |"
        )
    lines += [
        "",
        "Like for like: the first four rows time both methods in new Python "
        "processes, with the cache of compiled programs off. A first call "
        "includes tracing the training step (`fit`) or compiling it (`train`); "
        "the second call, a second epoch on the same model in the same "
        "process, reuses what the first prepared: the steady state. Every "
        "`model.fit` run in the benchmark's own process is a new model, so its "
        "time includes tracing the training step (and, with `jit_compile=True`, "
        "compiling it); its cached `train` reuses the program an untimed warm-up "
        "compiled. TensorFlow runs one thread per operation everywhere "
        "(`bilstm.setup()`, `TF_NUM_INTRAOP_THREADS=1`).",
    ]
    return "\n".join(lines) + "\n"


def update_readme(table: str, readme: Path = README) -> bool:
    """Put ``table`` between the speed markers in the README, if it has them."""
    if not readme.is_file():
        return False
    text = readme.read_text()
    start, end = text.find(README_START), text.find(README_END)
    if start < 0 or end < start:
        return False
    block = f"{README_START}\n{table}{README_END}"
    readme.write_text(text[:start] + block + text[end + len(README_END) :])
    return True


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--n-train",
        type=int,
        default=50_000,
        help="training sequences (default 50000, the lesson's)",
    )
    parser.add_argument(
        "--n-test",
        type=int,
        default=1_000,
        help="fresh sequences to score every run on (default 1000)",
    )
    parser.add_argument("--seed", type=int, default=1, help="seed (default 1)")
    parser.add_argument(
        "--repeats",
        type=int,
        default=None,
        help=f"timed runs of every configuration, interleaved (default {REPEATS}; "
        f"at least {REPEATS} unless --quick)",
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help=(
            f"tiny smoke run: {QUICK['n_train']} sequences, "
            f"{QUICK['n_test']} to score, steps_per_execution "
            f"{' and '.join(map(str, QUICK['steps_per_execution']))}, batch size"
            f"{'s' if len(QUICK['batch_sizes']) > 1 else ''} "
            f"{' and '.join(map(str, QUICK['batch_sizes']))}, "
            f"{QUICK['repeats']} repeats unless --repeats says otherwise"
        ),
    )
    parser.add_argument(
        "--out", type=Path, default=RESULTS, help="folder for speed.json and speed.md"
    )
    parser.add_argument("--child", choices=("fit", "train"), help=argparse.SUPPRESS)
    parser.add_argument(
        "--batch-size", type=int, default=LESSON_BATCH, help=argparse.SUPPRESS
    )
    args = parser.parse_args(argv)
    if args.child:
        result = child(
            args.child, args.n_train, args.n_test, args.seed, args.batch_size
        )
        print(json.dumps(result))
        return 0
    spe, batch_sizes = CHUNKS_TRIED, BATCH_SIZES
    if args.quick:
        args.n_train, args.n_test = QUICK["n_train"], QUICK["n_test"]
        spe, batch_sizes = QUICK["steps_per_execution"], QUICK["batch_sizes"]
        if args.repeats is None:
            args.repeats = QUICK["repeats"]
    elif args.repeats is None:
        args.repeats = REPEATS
    if args.n_train < 1 or args.n_test < 1:
        parser.error("--n-train and --n-test must be positive")
    if args.repeats < (1 if args.quick else REPEATS):
        parser.error(
            f"--repeats must be at least {REPEATS} (or at least 1 with --quick), "
            f"got {args.repeats}"
        )

    def log(message):
        print(message, file=sys.stderr, flush=True)

    results = run(
        args.n_train,
        args.n_test,
        args.seed,
        spe,
        batch_sizes,
        repeats=args.repeats,
        log=log,
    )
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "speed.json").write_text(json.dumps(results, indent=2) + "\n")
    table = markdown(results)
    (args.out / "speed.md").write_text(table)
    print(table)
    if not args.quick and args.out.resolve() == RESULTS and update_readme(table):
        log(f"updated the measurements in {README.name}")
    lesson = results["lesson"]
    print(
        "Speed ratio (fit / train, fresh processes): first call "
        f"{results['speedup']['first_call']:.1f}x, second call "
        f"{results['speedup']['steady_state']:.1f}x; fresh accuracy "
        f"{lesson['plain_fit']['test_accuracy']:.3f} (fit) vs "
        f"{lesson['train_cached']['test_accuracy']:.3f} (train)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
