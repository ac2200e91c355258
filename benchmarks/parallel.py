"""How much faster is ``run_experiment`` with ``n_jobs=2`` than with ``n_jobs=1``?

One run of this script times :func:`bilstm.experiments.run_experiment` on the
same experiment (4 settings x 2 seeds, each run 20,000 training sequences of 10
steps) serially and with ``--jobs`` worker processes (joblib's loky backend),
in interleaved repeats (serial, parallel, serial, parallel, ...) so that a
change in the machine's load hits both alike. Before the timed repeats, one
untimed call of each warms up what a long session would have warm: the
compiled XLA programs (on disk and in each process) and the worker processes,
which joblib keeps alive between calls. Those first calls are reported too
(``first_call_seconds``), as a fresh session would see them. Every call must
return the same rows (all fields but ``train_seconds``); the script fails if
they differ.

Run it from the repository root on an otherwise idle machine; it refuses to
time anything while the load average is above ``--max-load`` (0.5)::

    python benchmarks/parallel.py             # 3 repeats of each
    python benchmarks/parallel.py --quick     # a tiny smoke run (not data)

Times are wall-clock seconds of the whole ``run_experiment`` call. Results go
to ``benchmarks/results/parallel.json``.
"""

from __future__ import annotations

import bilstm

bilstm.setup(verbose=False)  # quiet, one thread per operation, cached (as the book)

import argparse
import json
import os
import platform
import statistics
import sys
import time
from importlib import metadata
from pathlib import Path

import numpy as np

from bilstm.experiments import run_experiment

RESULTS = Path(__file__).resolve().parent / "results"
BASE = {"n_timesteps": 10, "n_train": 20_000, "batch_size": 10, "n_test": 1_000}
SETTINGS = [
    {**BASE, "name": "4 units", "units": 4},
    {**BASE, "name": "8 units", "units": 8},
    {**BASE, "name": "16 units", "units": 16},
    {**BASE, "name": "16 units, forward", "units": 16, "direction": "forward"},
]
SEEDS = [0, 1]
QUICK = {"n_timesteps": 5, "n_train": 200, "batch_size": 10, "n_test": 20}


def same_rows(a, b):
    """True if two lists of rows agree in every field but the wall time."""
    if len(a) != len(b):
        return False
    for x, y in zip(a, b, strict=True):
        if x.keys() != y.keys():
            return False
        for key in x.keys() - {"train_seconds"}:
            u, v = x[key], y[key]
            if isinstance(u, np.ndarray):
                if not (u.dtype == v.dtype and np.array_equal(u, v)):
                    return False
            elif u != v:
                return False
    return True


def timed(settings, seeds, n_jobs, steps):
    start = time.perf_counter()
    rows = run_experiment(settings, seeds, n_jobs=n_jobs, steps_per_execution=steps)
    return time.perf_counter() - start, rows


def spread(times):
    return {
        "median": round(statistics.median(times), 3),
        "min": round(min(times), 3),
        "max": round(max(times), 3),
        "all": [round(t, 3) for t in times],
    }


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="tiny smoke run")
    parser.add_argument(
        "--repeats", type=int, default=3, help="timed calls of each (default 3)"
    )
    parser.add_argument(
        "--jobs", type=int, default=2, help="worker processes (default 2)"
    )
    parser.add_argument(
        "--max-load",
        type=float,
        default=0.5,
        help="refuse to time while the 1-minute load average is above this",
    )
    parser.add_argument(
        "--force", action="store_true", help="time even on a busy machine"
    )
    parser.add_argument(
        "--out", type=Path, default=RESULTS, help="folder for parallel.json"
    )
    args = parser.parse_args(argv)
    if args.repeats < 1:
        parser.error("--repeats must be >= 1")
    if args.jobs < 2:
        parser.error("--jobs must be >= 2 (1 is the serial run it is compared to)")
    return args


def main(argv=None):
    args = parse_args(argv)
    settings, steps = SETTINGS, 200
    if args.quick:
        settings = [{**s, **QUICK} for s in SETTINGS]
        steps, args.repeats = 5, 1
    load = os.getloadavg()
    print(f"load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}", flush=True)
    if load[0] > args.max_load and not (args.force or args.quick):
        print(
            f"the machine is busy (load {load[0]:.2f} > {args.max_load}); "
            "not timing anything (--force to time anyway)",
            file=sys.stderr,
        )
        return 1

    first = {}
    first[1], reference = timed(settings, SEEDS, 1, steps)
    first[args.jobs], rows = timed(settings, SEEDS, args.jobs, steps)
    identical = same_rows(reference, rows)
    times = {1: [], args.jobs: []}
    loads = [list(load)]
    for repeat in range(args.repeats):
        for n_jobs in (1, args.jobs):  # interleaved: A B A B ...
            seconds, rows = timed(settings, SEEDS, n_jobs, steps)
            identical = identical and same_rows(reference, rows)
            times[n_jobs].append(seconds)
            print(f"repeat {repeat + 1}, n_jobs={n_jobs}: {seconds:.2f} s", flush=True)
        loads.append(list(os.getloadavg()))
    serial, parallel = spread(times[1]), spread(times[args.jobs])
    report = {
        "settings": {
            "experiment": settings,
            "seeds": SEEDS,
            "steps_per_execution": steps,
            "jobs": args.jobs,
            "repeats": args.repeats,
            "order": "interleaved, after one untimed call of each",
            "quick": args.quick,
        },
        "environment": {
            "python": platform.python_version(),
            "machine": platform.machine(),
            "cpus": os.cpu_count(),
            "tensorflow": _version("tensorflow-cpu") or _version("tensorflow"),
            "keras": _version("keras"),
            "joblib": _version("joblib"),
            "load_average": loads,  # 1, 5, 15 minutes: at start, after each repeat
        },
        "identical_rows": identical,
        "first_call_seconds": {
            "n_jobs=1": round(first[1], 3),
            f"n_jobs={args.jobs}": round(first[args.jobs], 3),
        },
        "seconds": {"n_jobs=1": serial, f"n_jobs={args.jobs}": parallel},
        "speedup_of_medians": round(serial["median"] / parallel["median"], 3),
    }
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "parallel.json").write_text(json.dumps(report, indent=1) + "\n")
    print(
        f"n_jobs=1: median {serial['median']:.2f} s ({serial['min']:.2f} to "
        f"{serial['max']:.2f}); n_jobs={args.jobs}: median {parallel['median']:.2f} s "
        f"({parallel['min']:.2f} to {parallel['max']:.2f}); speed-up "
        f"{report['speedup_of_medians']:.2f}x; rows identical: {identical}"
    )
    return 0 if identical else 1


def _version(name):
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


if __name__ == "__main__":
    sys.exit(main())
