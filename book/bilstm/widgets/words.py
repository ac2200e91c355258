"""The word explorer: type a dictionary word, see where each model puts the stress.

:class:`WordExplorer` is a thin shell over :mod:`bilstm.words`: it looks the
word up (:func:`~bilstm.words.lookup`), asks every model for its per-phoneme
probabilities (:func:`~bilstm.words.predict_words`) and draws them
(:func:`bilstm.plots.plot_word_stress`). Its Retrain button trains a forward
and a bidirectional tagger again with :func:`~bilstm.words.train_tagger`, the
chapter's own run on the fast training path, with the words, epochs and seed
chosen in its controls, and scores both on the held-out words.

Drive it from code, as the tests do::

    explorer = WordExplorer({"forward": fw, "bidirectional": bi},
                            train_records=train, test_records=test)
    explorer.word.value = "electricity"     # redraws; unknown words: a message
    explorer.retrain()                      # or explorer.retrain_button.click()
    explorer.runs[-1]["word_accuracy"]
"""

from __future__ import annotations

import html

import ipywidgets as widgets

from .. import plots
from .. import words as _words
from .views import message_html, percent, table_html

__all__ = ["WordExplorer", "RETRAINED"]

#: The two readers the Retrain button trains again, by model name.
RETRAINED = {"forward": "forward", "bidirectional": "bidirectional"}
_STYLE = {"description_width": "initial"}


def scores_html(runs):
    """The retrained runs as a table: model, words, epochs, seed, accuracies."""
    if not runs:
        return ""
    head = ["Model", "Training words", "Epochs", "Seed", "Words right", "Phonemes"]
    rows = [
        (
            html.escape(r["model"]),
            f"{r['n_train']:,}",
            r["epochs"],
            r["seed"],
            percent(r["word_accuracy"]),
            percent(r["phoneme_accuracy"]),
        )
        for r in runs
    ]
    return table_html(head, rows, font_size="0.9em")


class WordExplorer:
    """Per-phoneme stress probabilities of several taggers for a typed word.

    ``models`` maps a name to a trained tagger (:func:`bilstm.words.
    build_tagger`); ``word`` is the first word shown. With ``train_records``
    and ``test_records`` the explorer also offers Retrain: it trains the
    models named in :data:`RETRAINED` again with ``retrain`` settings of
    :func:`bilstm.words.train_tagger` (``n_train``, ``epochs`` and ``seed``
    have controls; ``fixed`` settings such as ``learning_rate`` hold for every
    run), replaces them, and scores them on ``test_records``.

    Attributes: ``models``, ``word`` (the text box), ``image``, ``message``,
    ``controls``, ``retrain_button``, ``status``, ``runs`` (one dict per
    retrained model) and ``widget``.
    """

    def __init__(
        self,
        models,
        *,
        word="nation",
        train_records=None,
        test_records=None,
        n_train=5_000,
        epochs=1,
        seed=0,
        notebook="book/real_words.ipynb",
        **fixed,
    ):
        if not models:
            raise ValueError("models must map at least one name to a tagger")
        if (train_records is None) != (test_records is None):
            raise ValueError("give both train_records and test_records, or neither")
        self.models = dict(models)
        self.train_records, self.test_records = train_records, test_records
        self.fixed = fixed
        self.runs: list[dict] = []
        self.word = widgets.Text(
            value=word,
            description="Word",
            continuous_update=False,
            style=_STYLE,
            placeholder="a word from the dictionary, e.g. nation",
        )
        self.image = widgets.Image(
            format="png", layout=widgets.Layout(max_width="100%")
        )
        self.message = widgets.HTML()
        self.word.observe(lambda change: self.show(change["new"]), names="value")
        self.controls = _training_controls(n_train, epochs, seed)
        self.retrain_button = widgets.Button(
            description="Retrain forward and bidirectional",
            button_style="primary",
            icon="play",
            layout=widgets.Layout(width="auto"),
            disabled=train_records is None,
        )
        self.retrain_button.on_click(lambda _: self.retrain())
        self.status = widgets.HTML()
        self.scores = widgets.HTML()
        parts = [widgets.HBox([self.word]), self.message, self.image]
        if train_records is not None:
            parts += [
                widgets.HBox(list(self.controls.values())),
                widgets.HBox([self.retrain_button, self.status]),
                self.scores,
                widgets.HTML(_retrain_note(notebook)),
            ]
        self.widget = widgets.VBox(parts, layout=widgets.Layout(max_width="900px"))
        self.widget.add_class("bilstm-word-explorer")
        self.show(word)

    def _repr_mimebundle_(self, **kwargs):
        bundle = self.widget._repr_mimebundle_(**kwargs)
        bundle["text/plain"] = "WordExplorer (open the notebook to type a word)"
        return bundle

    def show(self, word=None) -> bool:
        """Draw ``word`` (default: the text box's); if unknown, say so, return False."""
        word = self.word.value if word is None else word
        try:
            record = _words.lookup(word)
        except ValueError as error:
            self.message.value = message_html(str(error), warn=True)
            self.image.layout.display = "none"
            return False
        spelling, phonemes, stress = record
        probas = {
            name: _words.predict_words(model, [record])[0]
            for name, model in self.models.items()
        }
        fig = plots.plot_word_stress(spelling, phonemes, stress, probas)
        self.image.value = plots.figure_png(fig)
        self.image.layout.display = None
        picks = ", ".join(
            f"{name}: {phonemes[int(p.argmax())]}" for name, p in probas.items()
        )
        self.message.value = message_html(
            f"/{' '.join(phonemes)}/ — stressed: {phonemes[stress]}. "
            f"Most probable phoneme per model: {picks}."
        )
        return True

    def retrain(self) -> list:
        """Train the :data:`RETRAINED` models again; return their run dicts."""
        if self.train_records is None:
            raise ValueError("this explorer was made without training words")
        settings = {k: c.value for k, c in self.controls.items()}
        self.retrain_button.disabled = True
        new = []
        try:
            for name, direction in RETRAINED.items():
                self.status.value = f"training the {name} reader…"
                run = _words.train_tagger(
                    self.train_records,
                    self.test_records,
                    direction=direction,
                    **self.fixed,
                    **settings,
                )
                self.models[name] = run.model
                new.append(
                    {
                        "model": name,
                        **settings,
                        "seconds": run.seconds,
                        "word_accuracy": run.scores["word_accuracy"],
                        "phoneme_accuracy": run.scores["phoneme_accuracy"],
                    }
                )
        except ValueError as error:
            self.status.value = message_html(str(error), warn=True)
            return new
        finally:
            self.retrain_button.disabled = False
        self.runs.extend(new)
        self.status.value = (
            f"done: both readers retrained on {settings['n_train']:,} words."
        )
        self.scores.value = scores_html(self.runs)
        self.show()
        return new


def _training_controls(n_train, epochs, seed) -> dict:
    return {
        "n_train": widgets.BoundedIntText(
            value=n_train, min=100, max=100_000, step=1000,
            description="Training words", style=_STYLE,
        ),
        "epochs": widgets.BoundedIntText(
            value=epochs, min=1, max=20, description="Epochs", style=_STYLE
        ),
        "seed": widgets.BoundedIntText(
            value=seed, min=0, max=2**31 - 1, description="Seed", style=_STYLE
        ),
    }  # fmt: skip


def _retrain_note(notebook) -> str:
    return (
        "<div style='font-size:0.9em;color:#444'>To retrain live, open "
        f"<code>{html.escape(notebook)}</code> in JupyterLab and run all "
        "cells; each press trains both readers again (a few seconds "
        "per 5,000 words and epoch) and scores them on the held-out "
        "words.</div>"
    )
