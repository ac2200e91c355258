"""Search for the smallest and the fastest model that passes the lesson's test.

The lesson reports 100% accuracy on 100 fresh test sequences. This script asks
which settings of memory cells and batch size reproduce that, and how reliably.
Chapter 11 of the book shows its results and re-trains the winners.

- **The test** is the book's fixed stand-in for the lesson's test: 100 fresh
  sequences of length 10 drawn with seed 2 (``LESSON_TEST``), drawn as chapters
  5 and 7 draw theirs but not the same 100. A run
  *reaches* it when every one of its 1,000 steps is labelled right.
- **Training**: fresh sequences, one pass, Adam with a learning rate that starts
  at ``--learning-rate`` and falls along half a cosine to 1% of that over the
  budget (``schedule="cosine"`` in :func:`bilstm.experiments.run_experiment`).
  Every ``--check-every`` training sequences (rounded to whole batches) the run
  scores the test, and it stops at the first perfect score.
- **A setting passes** when at least 4 of its 5 seeds reach the test within
  the budget. Seeds run one at a time, and a setting is dropped as soon as two
  of them have missed, since it can no longer pass.
- Every run, passed or not, is then checked on the same 10,000 fresh sequences:
  a perfect 100 can hide errors that a larger test finds.

These rules, the settings, the closest call of the test and the winners are
:mod:`bilstm.search`'s (``setting_for``, ``try_setting``, ``summarize_setting``,
``closest_call``, ``winners``); this script runs the grid and writes the report.

Run it from the repository root on an otherwise idle machine (timings are
wall-clock seconds of the training call, including the checks)::

    python benchmarks/perfect_search.py           # the full grid, ~13 minutes
    python benchmarks/perfect_search.py --quick   # a tiny smoke run

**In parallel** (``--jobs N``, or ``--scheduler ADDRESS`` for a Dask cluster):
settings still go one after another, and what runs in parallel is the seeds
of one setting, in waves of N (``try_setting(..., n_jobs=N)``). The rule
above is then applied to each wave's runs in seed order, exactly as if they
had run one at a time: runs after the point where the setting was dropped are
thrown away (at most N - 1 wasted runs per dropped setting). So every
reached/tried count, sequence count and accuracy is the same as with
``--jobs 1``. The seconds are not: each run is timed while others share the
machine, so compare timings (and the *fastest* setting, picked on them) only
between searches with the same ``--jobs``; the committed results are serial.
``--scheduler`` connects to a running Dask scheduler and sends the runs to its
workers (through joblib's ``dask`` backend; ``--jobs`` then defaults to -1,
every worker).

Results go to ``benchmarks/results/perfect_search.json`` and ``.md``.
"""

from __future__ import annotations

from provenance import provenance

import bilstm

bilstm.setup(verbose=False)  # quiet, one thread per operation, cached (as the book)

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path

import joblib

from bilstm.data import get_sequences
from bilstm.search import (
    BIG_TEST,
    CHECK_EVERY,
    LESSON_TEST,
    N_TIMESTEPS,
    NEED,
    SEEDS,
    closest_call,
    score_big_test,
    setting_for,
    steps_between_checks,
    summarize_setting,
    try_setting,
    winners,
)

RESULTS = Path(__file__).resolve().parent / "results"


def run_setting(units, batch_size, args):
    """Try one setting by the stopping rule and summarize its runs for the report."""
    setting = setting_for(
        units, batch_size, n_train=args.budget, learning_rate=args.learning_rate
    )
    rows = try_setting(
        setting,
        args.seeds,
        need=args.need,
        n_jobs=args.jobs,
        track_test=True,
        keep_models=True,
        steps_per_execution=steps_between_checks(args.check_every, batch_size),
    )
    return summarize_setting(rows, score_big_test(rows), need=args.need)


def markdown(report):
    lines = [
        "| units | batch | weights | reached (of tried) | passed | median s | "
        "median sequences | whole sequences right, 10,000 (range) |",
        "|---:|---:|---:|---:|:---:|---:|---:|---:|",
    ]
    for r in report["results"]:
        big = [x["big_sequence_accuracy"] for x in r["runs"]]
        lines.append(
            f"| {r['units']} | {r['batch_size']} | {r['params']:,} | "
            f"{r['reached']} of {r['tried']} | {'yes' if r['passed'] else 'no'} | "
            f"{r['median_seconds']:.1f} | {r['median_sequences']:,.0f} | "
            f"{min(big):.1%} to {max(big):.1%} |"
        )
    return "\n".join(lines) + "\n"


def _unwritable(folder):
    """Why the report cannot be written into ``folder`` (made if missing), or ``""``."""
    folder = Path(folder).absolute()
    existing = next(p for p in (folder, *folder.parents) if p.exists())
    if not existing.is_dir():
        return f"{existing} is not a folder"
    if not os.access(existing, os.W_OK | os.X_OK):
        return f"cannot write in {existing}"
    return ""


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="tiny smoke run")
    parser.add_argument("--units", type=int, nargs="+", default=[1, 2, 3, 4, 8, 16, 50])
    parser.add_argument("--batches", type=int, nargs="+", default=[10, 32, 64, 128])
    parser.add_argument(
        "--budget", type=int, default=100_000, help="training sequences"
    )
    parser.add_argument("--learning-rate", type=float, default=0.02)
    parser.add_argument("--check-every", type=int, default=CHECK_EVERY)
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument(
        "--jobs",
        type=int,
        default=None,
        metavar="N",
        help="train N seeds of a setting at once, in worker processes (-1: one "
        "per core, or every Dask worker); settings still go one after another, "
        "and the early drop gives the same results as --jobs 1 (default 1, or -1 "
        "with --scheduler); timings are then measured on a shared machine",
    )
    parser.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        help="run the seeds on a Dask cluster: connect a distributed.Client to "
        "this scheduler (e.g. tcp://10.0.0.5:8786) and use joblib's dask backend",
    )
    args = parser.parse_args(argv)
    if args.jobs is None:
        args.jobs = -1 if args.scheduler else 1
    if args.jobs < 1 and args.jobs != -1:
        parser.error("--jobs must be a whole number >= 1, or -1 for all cores")
    for name in ("budget", "check_every"):
        if getattr(args, name) < 1:
            parser.error(f"--{name.replace('_', '-')} must be >= 1")
    if min(args.units) < 1 or min(args.batches) < 1:
        parser.error("--units and --batches must be whole numbers >= 1")
    if not 0 < args.learning_rate < 1:
        parser.error("--learning-rate must be between 0 and 1")
    problem = _unwritable(args.out)
    if problem:  # say so now, not after the whole search
        parser.error(f"--out {args.out}: {problem}")
    args.seeds, args.need = SEEDS, NEED
    if args.quick:
        args.units, args.batches, args.budget, args.check_every = [2], [50], 500, 100
        args.seeds, args.need = (0, 1), 1
    return args


def main(argv=None):
    args = parse_args(argv)
    if args.scheduler is None:
        return search(args)
    from distributed import Client

    try:
        client = Client(args.scheduler, timeout="30s")
    except (OSError, TimeoutError) as error:
        sys.exit(f"cannot reach the Dask scheduler at {args.scheduler}: {error}")
    with client, joblib.parallel_config(backend="dask"):
        return search(args)


def search(args):
    start = time.perf_counter()
    results = []
    for batch_size in args.batches:
        for units in args.units:
            result = run_setting(units, batch_size, args)
            results.append(result)
            print(
                f"{units:>3} cells, batch {batch_size:>3}: reached {result['reached']} "
                f"of {result['tried']}, median {result['median_seconds']:.1f} s",
                flush=True,
            )
    smallest, fastest = winners(results)
    lesson_test, _ = get_sequences(
        LESSON_TEST["n_test"], N_TIMESTEPS, rng=LESSON_TEST["test_seed"]
    )
    report = {
        "settings": {
            "n_timesteps": N_TIMESTEPS,
            "budget": args.budget,
            "learning_rate": args.learning_rate,
            "schedule": "cosine",
            "check_every": args.check_every,
            "seeds": list(args.seeds),
            "need": args.need,
            "test": LESSON_TEST,
            "big_test": BIG_TEST,
            "quick": args.quick,
            "jobs": args.jobs,
            "dask": args.scheduler is not None,
        },
        "provenance": provenance(),
        "environment": {
            "python": platform.python_version(),
            "machine": platform.machine(),
            "cpus": os.cpu_count(),
        },
        "closest_call": closest_call(lesson_test)["distance"],
        "search_seconds": round(time.perf_counter() - start, 1),
        "smallest": None
        if smallest is None
        else [smallest["units"], smallest["batch_size"]],
        "fastest": None
        if fastest is None
        else [fastest["units"], fastest["batch_size"]],
        "results": results,
    }
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "perfect_search.json").write_text(json.dumps(report, indent=1) + "\n")
    (args.out / "perfect_search.md").write_text(markdown(report))
    print(
        f"search took {report['search_seconds']:.0f} s; smallest {report['smallest']}, "
        f"fastest {report['fastest']}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
