"""How fast does the lesson's model train, and which setting buys what?

One run of this script times, on the same training data and from the same
initial weights:

1. the lesson's plain recipe: ``model.fit`` with batch size 10 and Keras's
   defaults (no XLA on a CPU, one step per call);
2. the book's :func:`bilstm.training.train` twice: the first call of a new
   shape includes tracing and compiling its XLA program, the second reuses it;
3. the levers one at a time, all with ``model.fit`` so they are Keras's own:
   XLA (``jit_compile``) off and on, crossed with ``steps_per_execution``
   1, 50 and 200;
4. batch sizes 10, 32 and 100 with ``train`` (first call and cached call).

Every run is scored on the same fresh sequences (1,000 by default). Results go
to ``benchmarks/results/speed.json`` and a markdown table ``speed.md`` that the
book's performance appendix shows; a full run into that folder also copies the
tables into the README, between its ``speed:start`` and ``speed:end`` markers.

Run it on an otherwise idle machine, from the repository root::

    python benchmarks/speed.py            # the lesson's 50,000 sequences
    python benchmarks/speed.py --quick    # a tiny smoke run (seconds, not data)

Timings are wall-clock seconds of the training call only (data generation and
evaluation are outside the timer).
"""

from __future__ import annotations

import bilstm  # noqa: F401  (quiet TensorFlow before it loads)

import argparse
import json
import os
import platform
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
from bilstm.training import train

RESULTS = Path(__file__).resolve().parent / "results"
README = Path(__file__).resolve().parents[1] / "README.md"
README_START, README_END = "<!-- speed:start -->", "<!-- speed:end -->"
N_TIMESTEPS = 10
LESSON_BATCH = 10
STEPS_PER_EXECUTION = (1, 50, 200)
BATCH_SIZES = (10, 32, 100)


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


def time_fit(data, test, seed, *, batch_size=LESSON_BATCH, **compile_kw):
    model = fresh_model(seed, **compile_kw)
    X, y = data
    start = time.perf_counter()
    history = model.fit(X, y, batch_size=batch_size, epochs=1, verbose=0)
    seconds = time.perf_counter() - start
    return {
        "seconds": seconds,
        "train_accuracy": float(history.history["accuracy"][-1]),
        "test_accuracy": score(model, test),
    }


def time_train(data, test, seed, *, batch_size=LESSON_BATCH):
    model = fresh_model(seed)
    X, y = data
    start = time.perf_counter()
    result = train(model, X, y, batch_size=batch_size, rng=seed)
    seconds = time.perf_counter() - start
    return {
        "seconds": seconds,
        "train_accuracy": result.accuracy,
        "test_accuracy": score(model, test),
    }


def run(
    samples: int,
    eval_sequences: int,
    seed: int,
    steps_per_execution=STEPS_PER_EXECUTION,
    batch_sizes=BATCH_SIZES,
    log=print,
) -> dict:
    data = get_sequences(samples, N_TIMESTEPS, rng=seed)
    test = get_sequences(eval_sequences, N_TIMESTEPS, rng=seed + 1000)

    log(f"plain model.fit, batch {LESSON_BATCH}, {samples} sequences ...")
    plain = time_fit(data, test, seed)
    log(f"  {plain['seconds']:.1f} s")
    log("bilstm.train, first call (includes compiling) ...")
    first = time_train(data, test, seed)
    log(f"  {first['seconds']:.1f} s")
    log("bilstm.train, second call (cached program) ...")
    cached = time_train(data, test, seed)
    log(f"  {cached['seconds']:.1f} s")

    levers = []
    for jit in (False, True):
        for spe in steps_per_execution:
            log(f"model.fit jit_compile={jit} steps_per_execution={spe} ...")
            row = time_fit(data, test, seed, jit_compile=jit, steps_per_execution=spe)
            row.update(jit_compile=jit, steps_per_execution=spe)
            levers.append(row)
            log(f"  {row['seconds']:.1f} s")

    batches = []
    for batch_size in batch_sizes:
        if batch_size == LESSON_BATCH:
            first_b, cached_b = first, cached  # measured above
        else:
            log(f"bilstm.train batch_size={batch_size} (first and cached call) ...")
            first_b = time_train(data, test, seed, batch_size=batch_size)
            cached_b = time_train(data, test, seed, batch_size=batch_size)
            log(f"  {first_b['seconds']:.1f} s, then {cached_b['seconds']:.1f} s")
        batches.append(
            {
                "batch_size": batch_size,
                "steps": -(-samples // batch_size),
                "first_seconds": first_b["seconds"],
                "seconds": cached_b["seconds"],
                "train_accuracy": cached_b["train_accuracy"],
                "test_accuracy": cached_b["test_accuracy"],
            }
        )

    return {
        "settings": {
            "samples": samples,
            "n_timesteps": N_TIMESTEPS,
            "batch_size": LESSON_BATCH,
            "eval_sequences": eval_sequences,
            "seed": seed,
            "steps_per_execution": list(steps_per_execution),
            "batch_sizes": list(batch_sizes),
        },
        "environment": {
            "python": platform.python_version(),
            "tensorflow": tf.__version__,
            "keras": keras.__version__,
            "numpy": np.__version__,
            "cpus": os.cpu_count(),
            "machine": platform.machine(),
        },
        "lesson": {"plain_fit": plain, "train_first": first, "train_cached": cached},
        "speedup": {
            "first_call": plain["seconds"] / first["seconds"],
            "cached_call": plain["seconds"] / cached["seconds"],
        },
        "levers": {"xla_and_steps_per_execution": levers, "batch_size": batches},
    }


def markdown(results: dict) -> str:
    s = results["settings"]
    lesson, speed = results["lesson"], results["speedup"]
    env = results["environment"]
    lines = [
        f"Training on {s['samples']:,} sequences of {s['n_timesteps']} steps, "
        f"accuracy on {s['eval_sequences']:,} fresh sequences; "
        f"TensorFlow {env['tensorflow']}, Keras {env['keras']}, "
        f"{env['cpus']} CPU cores.",
        "",
        "**The lesson's run (batch size 10, one epoch)**",
        "",
        "| Method | Seconds | Speed-up | Training accuracy | Fresh accuracy |",
        "|:--|--:|--:|--:|--:|",
    ]
    rows = [
        ("`model.fit`, Keras defaults", lesson["plain_fit"], 1.0),
        (
            "`bilstm.train`, first call (compiles)",
            lesson["train_first"],
            speed["first_call"],
        ),
        (
            "`bilstm.train`, cached program",
            lesson["train_cached"],
            speed["cached_call"],
        ),
    ]
    for name, r, ratio in rows:
        lines.append(
            f"| {name} | {r['seconds']:.1f} | {ratio:.1f}× | "
            f"{r['train_accuracy']:.3f} | {r['test_accuracy']:.3f} |"
        )
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
        lines.append(
            f"| {r['jit_compile']} | {r['steps_per_execution']} | "
            f"{r['seconds']:.1f} | {base / r['seconds']:.1f}× | "
            f"{r['test_accuracy']:.3f} |"
        )
    lines += [
        "",
        "**Batch size (`bilstm.train`; batch size 10 is the lesson's run above)**",
        "",
        "| Batch size | Optimizer steps | First call (s) | Cached call (s) | "
        "Fresh accuracy |",
        "|--:|--:|--:|--:|--:|",
    ]
    for r in results["levers"]["batch_size"]:
        lines.append(
            f"| {r['batch_size']} | {r['steps']:,} | {r['first_seconds']:.1f} | "
            f"{r['seconds']:.1f} | {r['test_accuracy']:.3f} |"
        )
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
        "--samples",
        type=int,
        default=50_000,
        help="training sequences (default 50000, the lesson's)",
    )
    parser.add_argument(
        "--eval-sequences",
        type=int,
        default=1_000,
        help="fresh sequences to score every run on (default 1000)",
    )
    parser.add_argument("--seed", type=int, default=1, help="seed (default 1)")
    parser.add_argument(
        "--quick",
        action="store_true",
        help="tiny smoke run: 200 sequences, 50 to score",
    )
    parser.add_argument(
        "--out", type=Path, default=RESULTS, help="folder for speed.json and speed.md"
    )
    args = parser.parse_args(argv)
    spe, batch_sizes = STEPS_PER_EXECUTION, BATCH_SIZES
    if args.quick:
        args.samples, args.eval_sequences = 100, 20
        spe, batch_sizes = (1, 5), (10, 20)
    if args.samples < 1 or args.eval_sequences < 1:
        parser.error("--samples and --eval-sequences must be positive")

    def log(message):
        print(message, file=sys.stderr, flush=True)

    results = run(
        args.samples, args.eval_sequences, args.seed, spe, batch_sizes, log=log
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
        "Speed ratio (plain fit / cached train): "
        f"{results['speedup']['cached_call']:.1f}x; fresh accuracy "
        f"{lesson['plain_fit']['test_accuracy']:.3f} (fit) vs "
        f"{lesson['train_cached']['test_accuracy']:.3f} (train)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
