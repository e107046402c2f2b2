"""A legacy / migrated pair, as the harness takes it from the user's code.

- The legacy side is a function `build(hparams)` in the user's TF1 code. The harness calls it
  in a process of its own, in a fresh `tf.compat.v1` graph, and it returns a dict:

      inputs       {batch key: placeholder}       what each batch array is fed to
      outputs      {name: tensor}                  compared, batch by batch, with the
                                                   migrated model's outputs of that name
      loss         a scalar tensor
      train_op     the op of one training step; or
      optimizer    a `tf.compat.v1.train.Optimizer`, whose `minimize(loss)` (after
                   UPDATE_OPS, with the global step) the harness builds
      train_feeds  {tensor: value} fed while training (keep probabilities, a training flag)
      eval_feeds   {tensor: value} fed for the forward checks
      variables    optional: the variables to compare (default: all global variables)

- The migrated side is a function `make(hparams)` returning a built, compiled Keras model.
  Its `call(x, training=False)` returns one tensor (compared with the legacy's only output)
  or a dict of tensors (compared by name).
- The batches are a dict of numpy arrays with a leading step axis, e.g. from an `.npz`:
  `{"features": [steps, B, F], "label": [steps, B]}`; the keys named as labels go to Keras
  as `y`, the others as the dict `x`; the legacy side is fed them all.

This module imports no TensorFlow: the legacy process and the CLI both use it.
"""

from __future__ import annotations

import importlib
import zipfile
from collections.abc import Iterable, Mapping
from pathlib import Path

import numpy as np

from tf2rec.interactions import DataError

DESCRIPTION_KEYS = {
    "inputs",
    "outputs",
    "loss",
    "train_op",
    "optimizer",
    "train_feeds",
    "eval_feeds",
    "variables",
}
REQUIRED_KEYS = {"inputs", "outputs", "loss"}


def load_object(reference: str, what: str):
    """`package.module:name` -> that object, or a DataError saying what is wrong."""
    module_name, _, name = reference.partition(":")
    if not module_name or not name:
        raise DataError(f"{what} {reference!r}: write it as package.module:function")
    try:
        module = importlib.import_module(module_name)
    except ImportError as err:
        raise DataError(
            f"{what} {reference!r}: cannot import {module_name} ({err}); is its folder on "
            "PYTHONPATH, or its package installed?"
        ) from None
    try:
        found = getattr(module, name)
    except AttributeError:
        raise DataError(f"{what} {reference!r}: {module_name} has no {name!r}") from None
    if not callable(found):
        raise DataError(f"{what} {reference!r}: {name} is not a function")
    return found


def check_description(description, reference: str) -> dict:
    """The legacy `build`'s return value, checked: a dict with the keys above."""
    if not isinstance(description, Mapping):
        raise DataError(
            f"{reference} returned {type(description).__name__}; it must return a dict with "
            f"{', '.join(sorted(REQUIRED_KEYS))} and a train_op or an optimizer"
        )
    unknown = sorted(set(description) - DESCRIPTION_KEYS)
    missing = sorted(REQUIRED_KEYS - set(description))
    problems = [f"unknown key(s) {', '.join(unknown)}"] if unknown else []
    problems += [f"missing {', '.join(missing)}"] if missing else []
    if problems:
        raise DataError(
            f"{reference}: {'; '.join(problems)} (keys: {', '.join(sorted(DESCRIPTION_KEYS))})"
        )
    if description.get("train_op") is None and description.get("optimizer") is None:
        raise DataError(f"{reference}: give a train_op, or an optimizer to build one with")
    if not description["outputs"]:
        raise DataError(f"{reference}: outputs is empty; name at least one tensor to compare")
    return dict(description)


def load_batches(source) -> dict[str, np.ndarray]:
    """Batches stacked on a leading step axis, from an `.npz` path, a dict of arrays, or an
    iterable of per-step dicts (a generator)."""
    if isinstance(source, str | Path):
        try:
            data = np.load(source)
            if not isinstance(data, np.lib.npyio.NpzFile):
                raise ValueError("a single array; save the batches with np.savez(PATH, key=array)")
            with data:
                batches = {key: data[key] for key in data.files}
        except (OSError, ValueError, EOFError, zipfile.BadZipFile) as err:
            detail = str(err) or "empty or truncated"
            raise DataError(f"{source}: cannot read the batches ({detail})") from None
    elif isinstance(source, Mapping):
        batches = {key: np.asarray(value) for key, value in source.items()}
    elif isinstance(source, Iterable):
        steps = list(source)
        if not steps:
            raise DataError("the batch generator gave no batches")
        batches = {key: np.stack([step[key] for step in steps]) for key in steps[0]}
    else:
        raise DataError(f"batches must be an .npz path, a dict or an iterable, not {source!r}")
    if not batches:
        raise DataError("the batches hold no arrays")
    counts = {key: value.shape[0] if value.ndim else None for key, value in batches.items()}
    if None in counts.values() or len(set(counts.values())) != 1:
        raise DataError(
            "every batch array needs the same leading step axis; got "
            + ", ".join(f"{key} {value.shape}" for key, value in batches.items())
        )
    return batches


def step_count(batches: Mapping[str, np.ndarray]) -> int:
    return int(next(iter(batches.values())).shape[0])
