"""What the panel shows, as pure functions of plain data: labels, tables and messages.

Each function takes run dicts (``TrainingPanel.runs``), numbers, table rows or
an exception and returns text or HTML, so the panel's look can be tested
without widgets or threads. :func:`table_html` also draws the word
explorer's table (:mod:`bilstm.widgets.words`).
"""

from __future__ import annotations

import html

import numpy as np

from ..palette import OKABE_ITO
from ..settings import SETTINGS
from .estimates import compile_seconds, estimate_seconds, format_seconds, shape_key

__all__ = [
    "end_message",
    "error_line",
    "estimate_html",
    "history_html",
    "message_html",
    "note_html",
    "percent",
    "progress_text",
    "results_html",
    "run_label",
    "table_html",
]

#: The settings the run history shows, in its column order.
HISTORY_SETTINGS = (
    "direction",
    "merge_mode",
    "n_timesteps",
    "units",
    "batch_size",
    "n_train",
    "seed",
)
_CELL = "padding:2px 6px;border-bottom:1px solid #ddd;text-align:right"


def percent(value):
    """``"98.2%"``, or ``"–"`` for a missing or non-finite value."""
    return "–" if value is None or not np.isfinite(value) else f"{value:.1%}"


def _warn(text):
    return f"<span style='color:{OKABE_ITO['vermillion']}'>{text}</span>"


def run_label(run):
    """Every setting a control sets, so that two runs' labels differ.

    ``"run 2: bidirectional concat, length 10, batch 10, units 50, 50,000
    sequences, seed 1"``.
    """
    how = run["direction"] + (
        f" {run['merge_mode']}" if run["direction"] == "bidirectional" else ""
    )
    return (
        f"run {run['number']}: {how}, length {run['n_timesteps']}, "
        f"batch {run['batch_size']}, units {run['units']}, "
        f"{run['n_train']:,} sequences, seed {run['seed']}"
    )


def message_html(text, warn=False):
    """A line of text for the panel's message area (vermillion if ``warn``)."""
    text = html.escape(text)
    return _warn(text) if warn and text else text


def error_line(error):
    """``"MemoryError: out of memory"``: an exception's type and first line, short."""
    first = (str(error).strip().splitlines() or [""])[0]
    line = f"{type(error).__name__}: {first}" if first else type(error).__name__
    return line[:157] + "…" if len(line) > 160 else line


def end_message(run):
    """The message when ``run`` ends: ``(text, warn)``; no text if it finished."""
    if run["status"] == "failed":
        return (
            f"Run {run['number']} failed: {run['error']}. Earlier runs are kept; "
            "change the settings and press Retrain.",
            True,
        )
    if run["status"] == "stopped":
        return f"Run {run['number']} stopped early; its partial model is kept.", False
    return "", False


def note_html(notebook):
    """The note under the panel: how to retrain live from ``notebook``."""
    nb = html.escape(notebook)
    return (
        "<div style='font-size:0.9em;color:#444;border-left:3px solid #56B4E9;"
        "padding-left:8px;margin-top:6px'>"
        "What you see is a real run, saved with the page. To retrain live, open "
        f"<code>{nb}</code> in JupyterLab (run <code>pip install -r "
        f"requirements.txt</code>, then <code>jupyter lab {nb}</code> from the "
        "repository), choose "
        "<b>Run &rsaquo; Run All Cells</b>, change the settings and press "
        "<b>Retrain</b>.</div>"
    )


def estimate_html(settings, measured):
    """The estimate next to Retrain; ``measured`` maps shape keys to s/step."""
    key = shape_key(settings)
    seconds = estimate_seconds(
        settings, compiled=key in measured, per_step=measured.get(key)
    )
    text = f"Estimated time: about {format_seconds(seconds)}"
    if key not in measured:
        compiling = compile_seconds(settings["n_timesteps"])
        text += (
            f" (including up to {compiling:.0f} s to compile this new shape,"
            " less if it was compiled before)"
        )
    if seconds > 60:
        text = f"<b style='color:{OKABE_ITO['vermillion']}'>{text}: long</b>"
    return text


def progress_text(done, total, elapsed, seconds_per_step=None, waiting=None):
    """The line next to the progress bar.

    Before the first chunk has run, ``waiting`` says why (``"stopping"``,
    ``"compiling"`` or ``"starting"``); after it, ``seconds_per_step`` (or
    ``None`` while it is being measured) gives the time left.
    """
    head = f"step {done:,} of {total:,} · {format_seconds(elapsed)} elapsed · "
    if waiting is not None:
        return (
            head
            + {
                "stopping": "stopping once the first chunk is done…",
                "compiling": "compiling the training loop for this new shape…",
                "starting": "starting…",
            }[waiting]
        )
    if not seconds_per_step:
        return head + "measuring speed…"
    return head + f"about {format_seconds(seconds_per_step * (total - done))} left"


def table_html(head, rows, *, font_size, css_class=None):
    """A table of the panels' style: a header row ``head``, one row per ``rows``.

    The cells are right-aligned with a thin rule under each row; ``head``
    and the values of ``rows`` are put in as they are (escape text first).
    The run history and the word explorer's scores are such tables.
    """
    header = "".join(f"<th style='{_CELL}'>{h}</th>" for h in head)
    body = "".join(
        "<tr>" + "".join(f"<td style='{_CELL}'>{v}</td>" for v in row) + "</tr>"
        for row in rows
    )
    css = f"class='{css_class}' " if css_class else ""
    return (
        f"<table {css}style='border-collapse:collapse;font-size:{font_size};"
        f"margin:0'><thead><tr>{header}</tr></thead><tbody>{body}</tbody></table>"
    )


def results_html(run):
    """The results of a finished or stopped run: accuracies, intervals, loss."""
    lo, hi = run["accuracy_interval"]
    slo, shi = run["sequence_accuracy_interval"]
    stopped = " (stopped early)" if run["status"] == "stopped" else ""
    return (
        f"<table style='border-collapse:collapse;margin:0'>"
        f"<tr><td>Per-step accuracy</td><td><b>{percent(run['accuracy'])}</b></td>"
        f"<td>95% interval {percent(lo)}–{percent(hi)}</td></tr>"
        f"<tr><td>Whole sequences right&nbsp;</td>"
        f"<td><b>{percent(run['sequence_accuracy'])}</b></td>"
        f"<td>95% interval {percent(slo)}–{percent(shi)}</td></tr>"
        f"<tr><td>Loss</td><td>{run['loss']:.4f}</td><td></td></tr></table>"
        f"<div style='font-size:0.9em;color:#444'>{html.escape(run['label'])}, "
        f"scored on {run['n_test']:,} test sequences; trained on "
        f"{run['n_train']:,} sequences in {run['steps']:,} steps{stopped}.</div>"
    )


def _history_values(r):
    status = r["status"]
    if status == "failed":
        status = (
            f"<span title='{html.escape(r.get('error') or '')}' "
            f"style='color:{OKABE_ITO['vermillion']}'>failed</span>"
        )
    shown = {
        **{name: r[name] for name in HISTORY_SETTINGS},
        "merge_mode": r["merge_mode"] if r["direction"] == "bidirectional" else "–",
        "batch_size": f"{r['batch_size']:,}",
        "n_train": f"{r['n_train']:,}",
    }
    seconds, steps, loss = r.get("seconds"), r.get("steps"), r.get("loss")
    values = [
        r["number"],
        *shown.values(),
        status,
        f"{steps:,}" if steps is not None else "–",
        format_seconds(seconds) if seconds is not None else "–",
        percent(r.get("accuracy")),
        percent(r.get("sequence_accuracy")),
        f"{loss:.4f}" if loss is not None else "–",
    ]
    return values


def history_html(runs):
    """The run history: one row per run, its settings, status and results."""
    if not runs:
        return "<i>No runs yet.</i>"
    head = [
        "Run",
        *(SETTINGS[name].label for name in HISTORY_SETTINGS),
        "Status",
        "Steps",
        "Time",
        "Per-step accuracy",
        "Whole sequences",
        "Loss",
    ]
    rows = [_history_values(r) for r in runs]
    table = table_html(head, rows, font_size="0.85em", css_class="bilstm-run-history")
    return f"<div style='overflow-x:auto'>{table}</div>"
