"""``python -m bilstm train``: the lesson's complete example as a program.

Its options are the settings of :mod:`bilstm.settings`, each named as its
setting is (``--n-timesteps`` is ``n_timesteps``, ``--n-train`` is
``n_train``), with their defaults, bounds and help, and it trains with
:func:`bilstm.run`, so the same options and seed train the same model as the
panel and the experiment runner. It calls :func:`bilstm.setup` first, as the
book's notebooks do.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time

from .settings import MAX_VALUES, SETTINGS

__all__ = ["main", "make_parser", "run_lesson"]


class _Parser(argparse.ArgumentParser):
    """An argparse parser whose errors are one line, exit status 2."""

    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message} (see --help)\n")


def _parse(setting):
    """The argparse ``type`` of a number setting: the setting's own check."""
    number = int if setting.kind == "int" else float

    def parse(text):
        try:
            return setting.check(number(text))
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"must be a {'whole number' if number is int else 'number'} "
                f"{'from' if number is int else 'in'} {setting.bounds}, got {text!r}"
            ) from None

    parse.__name__ = setting.name
    return parse


def make_parser() -> argparse.ArgumentParser:
    """The ``bilstm`` parser, with its ``train`` subcommand."""
    return _make_parsers()[0]


def _make_parsers():
    """The ``bilstm`` parser and its ``train`` subcommand's parser."""
    parser = _Parser(prog="bilstm", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    train = sub.add_parser(
        "train",
        help="define, fit, evaluate and use the lesson's model",
        description="Train a bidirectional LSTM on the cumulative sum problem, "
        "evaluate it on fresh sequences and print ten predictions.",
    )
    for setting in SETTINGS.values():
        help_text = f"{setting.help} (default {setting.default})".replace("%", "%%")
        if setting.kind == "choice":
            train.add_argument(
                setting.flag,
                dest=setting.name,
                choices=setting.choices,
                default=setting.default,
                help=help_text,
            )
        else:
            train.add_argument(
                setting.flag,
                dest=setting.name,
                metavar=setting.flag[2:].replace("-", "_").upper(),
                type=_parse(setting),
                default=setting.default,
                help=help_text,
            )
    train.add_argument(
        "--save",
        metavar="PATH",
        help="write the trained model to PATH (must end in .keras)",
    )
    train.add_argument(
        "--json",
        action="store_true",
        help="print a JSON summary of the run as the last line",
    )
    return parser, train


def check_save_path(path: str) -> str:
    """Return ``path`` if a trained model can be saved there, else raise ValueError.

    Checked before training, so a bad path costs nothing.
    """
    if not path.endswith(".keras"):
        raise ValueError(f"the file name must end in .keras, got {path!r}")
    folder = os.path.dirname(os.path.abspath(path))
    if os.path.isdir(path):
        raise ValueError(f"{path!r} is a folder; give a file name ending in .keras")
    if not os.path.isdir(folder):
        raise ValueError(f"the folder {folder!r} does not exist")
    if not os.access(folder, os.W_OK):
        raise ValueError(f"the folder {folder!r} cannot be written to")
    return path


def run_lesson(settings=None, *, save=None, verbose=1, out=print) -> dict:
    """The complete example: build, fit, evaluate, predict. Returns a summary.

    ``settings`` are :func:`bilstm.run`'s (any left out are the lesson's);
    ``save`` is a ``.keras`` path for the trained model.
    """
    from .data import get_sequences
    from .evaluation import predict_classes
    from .runs import build_for, run
    from .seeding import stream

    if save is not None:
        check_save_path(save)

    def build(settings):  # the lesson's model, shown before it trains
        model = build_for(settings)
        model.summary(print_fn=lambda line, **_: out(line))
        return model

    result = run(settings, build=build, verbose=verbose)
    s, model, scores = result.settings, result.model, result.scores
    out(
        f"Loss: {scores['loss']:.4f}, accuracy: {scores['accuracy']:.2%}, "
        f"whole sequences right: {scores['sequence_accuracy']:.2%}"
    )
    X_new, y_new = get_sequences(
        10, s["n_timesteps"], rng=stream(s["seed"], "examples")
    )
    yhat = predict_classes(model, X_new)
    right = [
        bool((e == p).all())
        for e, p in zip(y_new[..., 0].astype(int), yhat[..., 0], strict=True)
    ]
    for expected, predicted, ok in zip(
        y_new[..., 0].astype(int), yhat[..., 0], right, strict=True
    ):
        out(f"Expected: {expected} Predicted: {predicted} Correct: {ok}")
    if save:
        model.save(save)
        out(f"Saved the trained model to {save}")
    return {
        **s,
        "params": int(model.count_params()),
        "fit_seconds": round(result.seconds, 3),
        "train_loss": result.training.loss,
        "train_accuracy": result.training.accuracy,
        "loss": scores["loss"],
        "accuracy": scores["accuracy"],
        "sequence_accuracy": scores["sequence_accuracy"],
        "predictions_correct": sum(right),
    }


def main(argv=None) -> int:
    """Parse the command line and run the lesson.

    Bad options are argparse errors (one line, exit status 2), checked
    before anything trains; an error during the run itself is not a usage
    error and comes with its traceback (exit status 1).
    """
    parser, train = _make_parsers()
    args = parser.parse_args(argv)
    settings = {name: getattr(args, name) for name in SETTINGS}
    if settings["n_train"] * settings["n_timesteps"] > MAX_VALUES:
        train.error(
            f"--n-train x --n-timesteps is "
            f"{settings['n_train'] * settings['n_timesteps']:,} values; "
            f"at most {MAX_VALUES:,} fit in memory at once"
        )
    if args.save is not None:
        try:
            check_save_path(args.save)
        except ValueError as err:
            train.error(f"argument --save: {err}")
    from ._env import setup

    setup()
    start = time.perf_counter()
    summary = run_lesson(settings, save=args.save)
    summary["total_seconds"] = round(time.perf_counter() - start, 3)
    if args.json:
        print(json.dumps(summary))
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
