"""``python -m bilstm train``: the lesson's complete example as a program."""

from __future__ import annotations

from . import _env  # noqa: F401

import argparse
import json
import sys
import time

LIMITS = {
    "timesteps": (1, 1000),
    "cells": (1, 2048),
    "samples": (1, 10_000_000),
    "batch_size": (1, 100_000),
    "epochs": (1, 1000),
    "eval_sequences": (1, 1_000_000),
    "seed": (0, 2**32 - 1),
}
MAX_VALUES = 50_000_000  # samples x timesteps held in memory at once


class _Parser(argparse.ArgumentParser):
    """An argparse parser whose errors are one line, exit status 2."""

    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message} (see --help)\n")


def _whole(name):
    low, high = LIMITS[name]

    def parse(text):
        try:
            value = int(text)
        except ValueError:
            value = None
        if value is None or not low <= value <= high:
            raise argparse.ArgumentTypeError(
                f"must be a whole number from {low:,} to {high:,}, got {text!r}"
            )
        return value

    parse.__name__ = name
    return parse


def make_parser() -> argparse.ArgumentParser:
    from .model import DIRECTIONS, MERGE_MODES

    parser = _Parser(prog="bilstm", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    p = sub.add_parser(
        "train",
        help="define, fit, evaluate and use the lesson's model",
        description="Train a bidirectional LSTM on the cumulative sum problem, "
        "evaluate it on fresh sequences and print ten predictions.",
    )
    p.add_argument(
        "--timesteps",
        type=_whole("timesteps"),
        default=10,
        help="sequence length (default 10)",
    )
    p.add_argument(
        "--cells",
        type=_whole("cells"),
        default=50,
        help="memory cells per direction (default 50)",
    )
    p.add_argument(
        "--merge-mode",
        choices=MERGE_MODES,
        default="concat",
        help="how the two directions are combined (default concat)",
    )
    p.add_argument(
        "--direction",
        choices=DIRECTIONS,
        default="bidirectional",
        help="which way(s) the LSTM reads (default bidirectional)",
    )
    p.add_argument(
        "--samples",
        type=_whole("samples"),
        default=50_000,
        help="training sequences (default 50000)",
    )
    p.add_argument(
        "--batch-size",
        type=_whole("batch_size"),
        default=10,
        help="sequences per gradient step (default 10)",
    )
    p.add_argument(
        "--epochs",
        type=_whole("epochs"),
        default=1,
        help="passes over the training sequences (default 1)",
    )
    p.add_argument(
        "--eval-sequences",
        type=_whole("eval_sequences"),
        default=100,
        help="fresh sequences to evaluate on (default 100)",
    )
    p.add_argument(
        "--seed",
        type=_whole("seed"),
        default=1,
        help="seed for weights and data (default 1)",
    )
    p.add_argument(
        "--save",
        metavar="PATH",
        help="write the trained model to PATH (must end in .keras)",
    )
    p.add_argument(
        "--json",
        action="store_true",
        help="print a JSON summary of the run as the last line",
    )
    return parser


def run_lesson(
    timesteps=10,
    cells=50,
    merge_mode="concat",
    direction="bidirectional",
    samples=50_000,
    batch_size=10,
    epochs=1,
    eval_sequences=100,
    seed=1,
    save=None,
    verbose=1,
    out=print,
) -> dict:
    """The complete example: build, fit, evaluate, predict. Returns a summary."""
    from . import build_model, evaluate_fresh, get_sequences, predict_classes
    from . import set_seed, train

    set_seed(seed)
    model = build_model(timesteps, cells, merge_mode, direction)
    model.summary(print_fn=lambda line, **_: out(line))

    X, y = get_sequences(samples, timesteps, rng=seed)
    result = train(model, X, y, batch_size=batch_size, epochs=epochs, verbose=verbose)

    scores = evaluate_fresh(model, eval_sequences, rng=seed + 1)
    out(
        f"Loss: {scores['loss']:.4f}, accuracy: {scores['accuracy']:.2%}, "
        f"whole sequences right: {scores['sequence_accuracy']:.2%}"
    )

    X_new, y_new = get_sequences(10, timesteps, rng=seed + 2)
    yhat = predict_classes(model, X_new)
    for expected, predicted in zip(y_new[..., 0].astype(int), yhat[..., 0]):
        right = bool((expected == predicted).all())
        out(f"Expected: {expected} Predicted: {predicted} Correct: {right}")

    if save:
        model.save(save)
        out(f"Saved the trained model to {save}")
    return {
        "timesteps": timesteps,
        "cells": cells,
        "merge_mode": merge_mode,
        "direction": direction,
        "samples": samples,
        "batch_size": batch_size,
        "epochs": epochs,
        "eval_sequences": eval_sequences,
        "seed": seed,
        "params": int(model.count_params()),
        "fit_seconds": round(result.seconds, 3),
        "train_loss": result.loss,
        "train_accuracy": result.accuracy,
        "loss": scores["loss"],
        "accuracy": scores["accuracy"],
        "sequence_accuracy": scores["sequence_accuracy"],
        "predictions_correct": int(
            sum((e == p).all() for e, p in zip(y_new[..., 0], yhat[..., 0]))
        ),
    }


def main(argv=None) -> int:
    parser = make_parser()
    args = parser.parse_args(argv)
    sub = parser._subparsers._group_actions[0].choices[args.command]
    if args.save is not None and not args.save.endswith(".keras"):
        sub.error(
            f"argument --save: the file name must end in .keras, got {args.save!r}"
        )
    if args.samples * args.timesteps > MAX_VALUES:
        sub.error(
            f"--samples x --timesteps is {args.samples * args.timesteps:,} values; "
            f"at most {MAX_VALUES:,} fit in memory at once"
        )
    start = time.perf_counter()
    try:
        summary = run_lesson(
            timesteps=args.timesteps,
            cells=args.cells,
            merge_mode=args.merge_mode,
            direction=args.direction,
            samples=args.samples,
            batch_size=args.batch_size,
            epochs=args.epochs,
            eval_sequences=args.eval_sequences,
            seed=args.seed,
            save=args.save,
        )
    except (ValueError, OSError) as err:
        sub.error(str(err).splitlines()[0])
    summary["total_seconds"] = round(time.perf_counter() - start, 3)
    if args.json:
        print(json.dumps(summary))
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
