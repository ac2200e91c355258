"""How long a reader waits: the training panel's Retrain, click to curve to results.

Measured with the panel's public API only (``TrainingPanel()``, ``retrain()``,
``wait()``, ``runs`` and ``view.curve_image``), each measurement in a
fresh Python process, for the panel's default run (the lesson's settings):

- **cold**: a new process with an empty compiled-program cache (as on a
  reader's first visit);
- **warm**: a new process whose cache already holds the programs (every later
  visit: a new kernel, a restarted notebook);
- and inside each process, after the default run, **merge mode sum** (a new
  model shape) and then **length 20** (another), as a reader changes a control.

For each run: click -> first point of the live curve, and click -> results on
the screen. The cache folder is a fresh temporary one per cold/warm pair, so
nothing of an earlier run of this script (or of the book) is reused. Cold and
warm processes alternate (cold, warm, cold, warm, ...); the report gives the
median with the lowest and highest of the repeats.

    python benchmarks/latency.py             # 3 pairs of processes, ~5 min
    python benchmarks/latency.py --repeats 5

Writes ``benchmarks/results/latency.json`` and ``latency.md`` and refreshes the
table in the README between ``<!-- latency:start -->`` and ``<!-- latency:end -->``.
Run it on an otherwise idle machine.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time

from provenance import provenance, sentence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
README = ROOT / "README.md"
STEPS = [
    ("default", {}),
    ("merge mode sum", {"merge_mode": "sum"}),
    ("length 20", {"merge_mode": "concat", "n_timesteps": 20}),
]


def one_process() -> dict:
    """Run in a child: build a panel, retrain through STEPS, report times."""
    started = time.perf_counter()
    import bilstm

    bilstm.setup(verbose=False)  # as a notebook's first cell does
    from bilstm.widgets import TrainingPanel

    panel = TrainingPanel()
    ready = time.perf_counter() - started
    out = {"panel_ready_s": ready, "runs": []}
    for name, changes in STEPS:
        for key, value in changes.items():
            panel.controls[key].value = value
        first = []
        panel.view.curve_image.observe(
            lambda _change, first=first: (
                first.append(time.perf_counter()) if not first else None
            ),
            names="value",
        )
        click = time.perf_counter()
        panel.retrain_button.click()
        if not panel.wait(timeout=600):
            raise RuntimeError(f"{name}: the run did not finish in 10 minutes")
        done = time.perf_counter()
        run = panel.runs[-1]
        if run["status"] != "finished":
            raise RuntimeError(f"{name}: run ended {run['status']}: {run['error']}")
        out["runs"].append(
            {
                "name": name,
                "first_point_s": (first[0] - click) if first else None,
                "results_s": done - click,
                "train_seconds": run["seconds"],
                "accuracy": run["accuracy"],
            }
        )
    return out


def _child(cache: Path) -> dict:
    env = dict(os.environ, BILSTM_XLA_CACHE=str(cache))
    env.pop("TF_XLA_FLAGS", None)
    proc = subprocess.run(
        [sys.executable, __file__, "--child"],
        env=env,
        capture_output=True,
        text=True,
        timeout=1800,
        cwd=ROOT,
    )
    if proc.returncode != 0:
        raise RuntimeError(proc.stderr[-3000:])
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _spread(values):
    values = [v for v in values if v is not None]
    return {
        "median": statistics.median(values),
        "min": min(values),
        "max": max(values),
        "all": values,
    }


def summarize(processes: dict) -> dict:
    table = {}
    for state, runs in processes.items():
        table[state] = {"panel_ready_s": _spread([p["panel_ready_s"] for p in runs])}
        for i, (name, _) in enumerate(STEPS):
            rows = [p["runs"][i] for p in runs]
            table[state][name] = {
                "first_point_s": _spread([r["first_point_s"] for r in rows]),
                "results_s": _spread([r["results_s"] for r in rows]),
            }
    return table


def markdown(report: dict) -> str:
    t = report["table"]
    lines = [
        f"The training panel's default run (the lesson's settings), "
        f"{report['repeats']} fresh processes each, median (lowest–highest); "
        f"{report['machine']}. " + sentence(report["provenance"]),
        "",
        "| Process | Run | Click → first curve point (s) | Click → results (s) |",
        "|:--|:--|--:|--:|",
    ]

    def cell(s):
        return f"{s['median']:.1f} ({s['min']:.1f}–{s['max']:.1f})"

    for state, label in (("cold", "new, empty cache"), ("warm", "new, warm cache")):
        for name, _ in STEPS:
            r = t[state][name]
            run = name if name == "default" else f"then {name}"
            lines.append(
                f"| {label} | {run} | {cell(r['first_point_s'])} | "
                f"{cell(r['results_s'])} |"
            )
    lines += [
        "",
        f"Building the panel in a new process (importing TensorFlow included): "
        f"{cell(t['cold']['panel_ready_s'])} s cold, "
        f"{cell(t['warm']['panel_ready_s'])} s warm.",
    ]
    return "\n".join(lines) + "\n"


def _update_readme(md: str) -> None:
    text = README.read_text()
    start, end = "<!-- latency:start -->", "<!-- latency:end -->"
    if start in text and end in text:
        head, rest = text.split(start, 1)
        _, tail = rest.split(end, 1)
        README.write_text(f"{head}{start}\n{md}{end}{tail}")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=3, help="pairs of processes")
    parser.add_argument("--out", type=Path, default=RESULTS, help="results folder")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(one_process()))
        return 0
    if args.repeats < 1:
        parser.error(f"--repeats must be >= 1, got {args.repeats}")
    processes = {"cold": [], "warm": []}
    with tempfile.TemporaryDirectory(prefix="bilstm-latency-") as tmp:
        for i in range(args.repeats):
            cache = Path(tmp) / f"cache-{i}"
            for state in ("cold", "warm"):  # the cold process fills the cache
                result = _child(cache)
                processes[state].append(result)
                default = result["runs"][0]
                print(
                    f"{state} {i + 1}: click -> curve "
                    f"{default['first_point_s']:.1f} s, -> results "
                    f"{default['results_s']:.1f} s",
                    flush=True,
                )
    import bilstm

    bilstm.setup(verbose=False)
    import tensorflow as tf

    report = {
        "repeats": args.repeats,
        "machine": (
            f"TensorFlow {tf.__version__}, {os.cpu_count()} CPU cores, "
            f"{platform.machine()}"
        ),
        "provenance": provenance(),
        "processes": processes,
        "table": summarize(processes),
    }
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "latency.json").write_text(json.dumps(report, indent=1) + "\n")
    md = markdown(report)
    (args.out / "latency.md").write_text(md)
    if args.out.resolve() == RESULTS.resolve():
        _update_readme(md)
    print(md)
    return 0


if __name__ == "__main__":
    sys.exit(main())
