"""The compiled training programs behind :func:`bilstm.train`, and their cache.

A :class:`Program` is a private *worker* copy of a model plus one XLA-compiled
loop that runs up to ``steps`` optimizer steps of ``batch_size`` sequences in a
single call. Compiling it costs a few seconds (tracing, then XLA; the
persistent cache that :func:`bilstm.setup` turns on saves the XLA part in a
later process), so
:func:`program_for` keeps up to ``MAX_PROGRAMS`` of them, keyed by what they
compute: the architecture (layer names left out), the compile settings, the
batch size and the chunk length. A second model of the same shape, another
seed or another press of the panel's Retrain, reuses the program: its weights
and optimizer state are copied in (:meth:`Program.load`) and back out
(:meth:`Program.store`).
"""

from __future__ import annotations

from . import _env

import copy
import json
import threading
import weakref
import warnings
from collections import OrderedDict

import keras
import numpy as np
import tensorflow as tf

from .seeding import building_lock

__all__ = ["Program", "program_for", "compiled_programs", "MAX_PROGRAMS"]

#: How many compiled programs a process keeps; the least recently used goes.
MAX_PROGRAMS = 16


class Program:
    """A worker copy of a model plus its XLA-compiled multi-step training loop."""

    def __init__(self, model, batch_size: int, steps: int):
        self.lock = threading.Lock()
        self.batch_size = batch_size
        self.steps = steps
        # Cloning makes layers, which draw Keras's default seeds from Python's
        # global random generator: under the building lock, so that a model
        # being built in another thread is not disturbed (the worker's own
        # initial weights never matter: load() overwrites them).
        with building_lock():
            worker = keras.models.clone_model(model)
        worker.compile_from_config(model.get_compile_config())
        worker.optimizer.build(worker.trainable_variables)
        self.worker = worker

        def loop(x, y, w, n):
            def body(i):
                worker.train_step((x[i], y[i], w[i]))
                return (i + 1,)

            tf.while_loop(lambda i: i < n, body, (tf.constant(0),))
            return worker.get_metrics_result()

        self._loop = loop
        self._metrics_built = False
        self._checked = weakref.WeakSet()
        self.jit = not _XLA_CACHE_BROKEN
        self._compile()

    def _build_metrics(self, x, y, w):
        """Make the compiled metrics' variables before the loop is first traced.

        Keras makes them in the first training step. A ``tf.function`` whose
        first trace creates variables is traced a second time, so without
        this every new program paid for its (slow) trace twice: about 0.7 s
        each for the lesson's model. One eager prediction on one sequence
        builds them; the state it leaves is reset at once.
        """
        first = x[0][:1], y[0][:1], w[0][:1]
        self.worker.compute_metrics(
            first[0], first[1], self.worker(first[0], training=False), first[2]
        )
        self.worker.reset_metrics()
        self._metrics_built = True

    def _compile(self):
        self._run = tf.function(
            self._loop, jit_compile=self.jit, reduce_retracing=True, autograph=False
        )

    def run(self, x, y, w, n):
        """Run ``n`` training steps on the staged batches; return the metrics.

        The XLA program is compiled (or loaded from the persistent cache that
        :func:`bilstm.setup` turns on) on the first call. If writing the cache
        fails (a full disk, a folder that went away), the error comes before
        any step runs: training then carries on, for the rest of the process,
        without XLA. An error is taken for a cache failure only if the cache
        folder, asked again, can no longer be written
        (:func:`bilstm._env.cache_is_writable`); any other error is raised.
        """
        if not self._metrics_built:
            self._build_metrics(x, y, w)
        try:
            return self._run(x, y, w, n)
        except tf.errors.OpError as error:
            folder = _env.cache_folder()
            if not (self.jit and folder and not _env.cache_is_writable(folder)):
                raise
            _give_up_xla_cache(folder, error)
            self.jit = False
            self._compile()
            return self._run(x, y, w, n)

    def check(self, model, x):
        """Raise ``ValueError`` if the worker, loaded with ``model``'s weights,
        computes other outputs than ``model`` on the staged inputs ``x``.

        The key (the config) should make that impossible; a custom layer
        whose config leaves out an argument that changes what it computes
        would not. Called once per model object: two eager forward passes of
        one batch.
        """
        if model in self._checked:
            return
        batch = x[0][:8]
        gap = float(
            np.max(
                np.abs(
                    np.asarray(model(batch, training=False))
                    - np.asarray(self.worker(batch, training=False))
                )
            )
        )
        if not gap <= 1e-5:
            raise ValueError(
                f"the compiled program for this model's config computes other "
                f"outputs (largest difference {gap:.3g}): its config does not "
                "say all that it computes (a custom layer's get_config?); train "
                "it with fast=False"
            )
        self._checked.add(model)

    def load(self, model):
        self.worker.set_weights(model.get_weights())
        for target, source in zip(
            self.worker.optimizer.variables, model.optimizer.variables, strict=True
        ):
            target.assign(source)

    def store(self, model):
        model.set_weights(self.worker.get_weights())
        for target, source in zip(
            model.optimizer.variables, self.worker.optimizer.variables, strict=True
        ):
            target.assign(source)


_XLA_CACHE_BROKEN = False


def _give_up_xla_cache(folder, error):
    global _XLA_CACHE_BROKEN
    if not _XLA_CACHE_BROKEN:
        warnings.warn(
            f"could not use the compiled-program cache in {folder} "
            f"({error.message.strip()[:200]}); training goes on without XLA, "
            "more slowly. Free disk space there, or set BILSTM_XLA_CACHE=off "
            "or to another folder before starting Python.",
            RuntimeWarning,
            stacklevel=3,
        )
    _XLA_CACHE_BROKEN = True


_PROGRAMS: OrderedDict = OrderedDict()
_PROGRAMS_LOCK = threading.Lock()


def compiled_programs() -> int:
    """How many compiled training programs this process keeps for reuse.

    One per architecture, compile settings, batch size and chunk length; the
    oldest is dropped beyond ``MAX_PROGRAMS``.
    """
    with _PROGRAMS_LOCK:
        return len(_PROGRAMS)


def _json(value) -> str:
    """``value`` as canonical JSON; anything JSON cannot hold is a TypeError.

    A key must tell two programs apart: ``str()`` of an object (an address,
    or a repr that hides a difference) would not.
    """
    try:
        return json.dumps(value, sort_keys=True)
    except TypeError as error:
        raise TypeError(
            f"the model's config holds a value that is not JSON ({error}); "
            "bilstm.train cannot key a compiled program by it"
        ) from None


def _architecture(model) -> str:
    """The model's config as JSON, with its layers named by their position.

    Names do not change what a model computes, and some are numbered by
    Keras as they are made: a ``Masking`` layer adds ``not_equal``, ``any``
    operations to a functional model, named ``not_equal_1``, ``not_equal_2``
    ... in each new model. Without renaming, every masked model would compile
    a training program of its own. Only the places where Keras writes a
    layer's name are renamed: each layer's ``name`` (and its config's), and
    the references to layers in ``inbound_nodes``, ``input_layers`` and
    ``output_layers``.
    """
    config = copy.deepcopy(model.get_config())
    layers = config.get("layers", ()) if isinstance(config, dict) else ()
    names = {}
    for i, layer in enumerate(layers):
        if isinstance(layer, dict) and isinstance(layer.get("name"), str):
            names.setdefault(layer["name"], f"layer_{i}")

    def rename_refs(value):  # [name, node index, tensor index] triples
        if isinstance(value, (list, tuple)):
            if len(value) == 3 and isinstance(value[0], str) and value[0] in names:
                return [names[value[0]], *value[1:]]
            return [rename_refs(v) for v in value]
        if isinstance(value, dict):
            if "keras_history" in value:
                history = list(value["keras_history"])
                history[0] = names.get(history[0], history[0])
                return {**value, "keras_history": history}
            return {k: rename_refs(v) for k, v in value.items()}
        return value

    for layer in layers:
        if isinstance(layer, dict) and layer.get("name") in names:
            new = names[layer["name"]]
            layer["name"] = new
            if isinstance(layer.get("config"), dict) and "name" in layer["config"]:
                layer["config"]["name"] = new
            layer["inbound_nodes"] = rename_refs(layer.get("inbound_nodes", []))
    if isinstance(config, dict):
        config.pop("name", None)
        for key in ("input_layers", "output_layers"):
            if key in config:
                config[key] = rename_refs(config[key])
    return _json(config)


def program_for(model, batch_size: int, steps: int) -> Program:
    compile_config = copy.deepcopy(model.get_compile_config())
    optimizer = compile_config.get("optimizer")
    if isinstance(optimizer, dict):
        optimizer.get("config", {}).pop("name", None)  # "adam", "adam_1", ...
    key = (
        _architecture(model),
        _json(compile_config),
        batch_size,
        steps,
    )
    with _PROGRAMS_LOCK:
        program = _PROGRAMS.pop(key, None)
        if program is None:
            program = Program(model, batch_size, steps)
        _PROGRAMS[key] = program
        while len(_PROGRAMS) > MAX_PROGRAMS:
            _PROGRAMS.popitem(last=False)
    return program
