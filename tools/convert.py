"""Checkpoint conversion between the legacy TF1 model and the migrated Keras model.

Legacy Saver checkpoints name variables by scope (`user_tower/mlp/hidden/kernel`); Keras
weights have paths (`two_tower_recommender/user_tower/mlp/hidden/kernel`). The name map
between the two is derived where names line up (the model's own name and Keras' trailing
`/embeddings` dropped) and can be overridden by a JSON file `{"keras path": "tf1 name"}`.
Every shape and dtype is checked; a variable on either side that nothing maps to is an
error naming it. Optimizer slots convert too (Adam m/v, Adagrad accumulators, the step), so
training continues where the legacy model stopped. The reverse direction writes a
TF1-named Saver checkpoint that the legacy code restores (for rollbacks).
"""

from __future__ import annotations

import json
import os
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf

from tf2rec.atomic import ensure_room, write_atomically
from tf2rec.errors import UsageError
from tf2rec.interactions import OPTIMIZER_KINDS, DataError, ModelSpec, optimizer_kind
from tf2rec.interactions.model_files import (
    CHECKPOINT_PREFIX,
    CONFIG_FILE,
    HPARAMS_FILE,
    MODEL_FILE,
    USER_ITEMS_FILE,
    VOCAB_FILE,
    WEIGHTS_FILE,
)
from tf2rec.interactions.user_items import user_items_path
from tf2rec.tools import model_dir
from tf2rec.tools.user_json import read_json

# TF1 Adam's running beta powers <-> TF1Adam's variables of the same meaning
BETA_POWERS = {"beta1_power": "beta_1_power", "beta2_power": "beta_2_power"}
STEP = "global_step"


class ConversionError(DataError):
    """A variable that cannot be mapped, or whose shape or dtype differs."""


@dataclass
class NameMap:
    """Keras weight path -> TF1 variable name, for the model's weights."""

    entries: dict[str, str]
    overridden: set[str] = field(default_factory=set)

    def describe(self) -> str:
        width = max((len(k) for k in self.entries), default=0)
        return "\n".join(
            f"{k:<{width}}  <->  {v}" + ("   (from map file)" if k in self.overridden else "")
            for k, v in self.entries.items()
        )


def derive_name_map(
    model: keras.Model, legacy_names=None, overrides: dict[str, str] | None = None
) -> NameMap:
    """Match each Keras weight to a TF1 name; `overrides` wins where given. Without
    `legacy_names` (writing a TF1 checkpoint) the derived TF1 name is taken as is."""
    overrides = dict(overrides or {})
    known = {w.path for w in model.weights}
    for path in overrides:
        if path not in known:
            raise ConversionError(
                f"map file names Keras weight {path!r}, which the model does "
                f"not have; its weights are: {', '.join(sorted(known))}"
            )
    entries, missing = {}, []
    for weight in model.weights:
        if weight.path in overrides:
            entries[weight.path] = overrides[weight.path]
            continue
        candidates = _candidates(weight.path, model.name)
        match = next((c for c in candidates if legacy_names is None or c in legacy_names), None)
        if match is None:
            missing.append(weight.path)
        else:
            entries[weight.path] = match
    if missing:
        raise ConversionError(
            "no TF1 variable for Keras weight(s) "
            + ", ".join(missing)
            + " (tried "
            + ", ".join(_candidates(missing[0], model.name))
            + "); add them to a map file "
            '(--map) as {"keras path": "tf1 name"}'
        )
    return NameMap(entries, set(overrides))


def _candidates(path: str, model_name: str) -> list[str]:
    inner = path[len(model_name) + 1 :] if path.startswith(model_name + "/") else path
    out = [inner, path]
    if inner.endswith("/embeddings"):
        out.insert(0, inner[: -len("/embeddings")])
    return out


def read_checkpoint(path: str | Path) -> dict[str, np.ndarray]:
    """Every variable of a TF1 Saver checkpoint (a prefix, or a directory: its latest)."""
    path = Path(path)
    prefix = tf.train.latest_checkpoint(str(path)) if path.is_dir() else str(path)
    if prefix is None:
        raise DataError(f"{path}: no checkpoint in this directory")
    try:
        reader = tf.train.load_checkpoint(prefix)
        return {name: reader.get_tensor(name) for name in reader.get_variable_to_shape_map()}
    except (tf.errors.OpError, ValueError, IndexError) as err:  # IndexError: a short shard
        raise DataError(
            f"{prefix}: cannot read the checkpoint ({str(err).splitlines()[0]}); is it "
            "complete? Restore it, or retrain the legacy model"
        ) from None


def slot_variable(optimizer, weight, slot: str):
    """The Keras optimizer variable holding `slot` (momentum, velocity, ...) for `weight`."""
    name = f"{weight.path.replace('/', '_')}_{slot}"
    for variable in optimizer.variables:
        if variable.path.endswith("/" + name):
            return variable
    raise ConversionError(f"optimizer {optimizer.name} has no slot {slot!r} for {weight.path}")


def _assign(target, value: np.ndarray, keras_name: str, tf1_name: str) -> None:
    if tuple(target.shape) != value.shape:
        raise ConversionError(
            f"shape mismatch: Keras {keras_name} is {tuple(target.shape)}, "
            f"TF1 {tf1_name} is {value.shape}"
        )
    if np.dtype(target.dtype).kind == value.dtype.kind == "i":
        value = value.astype(target.dtype)  # a step counts the same in int32 and int64
    if np.dtype(target.dtype) != value.dtype:
        raise ConversionError(
            f"dtype mismatch: Keras {keras_name} is {target.dtype}, TF1 {tf1_name} is {value.dtype}"
        )
    target.assign(value)


@dataclass(frozen=True)
class StateEntry:
    """One TF1 variable of a Keras model's state and the Keras variable that holds it."""

    tf1_name: str
    variable: object  # a Keras variable
    label: str  # the Keras side, for messages
    error_if_absent: str | None  # the error when a checkpoint lacks it; None: it may be absent


def tf1_state(model: keras.Model, name_map: NameMap, optimizer: str | None) -> list[StateEntry]:
    """A Keras model's TF1 state, in checkpoint order: every weight; with `optimizer` (the
    legacy optimizer's name), each trainable weight's slots, Adam's beta powers and the step.

    Converting either way and parity's comparison are loops over this one list.
    """
    entries = []
    for weight in model.weights:
        name = name_map.entries[weight.path]
        absent = f"TF1 checkpoint has no {name!r} (for Keras {weight.path})"
        entries.append(StateEntry(name, weight, weight.path, absent))
    if optimizer is None:
        return entries
    slots = optimizer_kind(optimizer).slots
    model.optimizer.build(model.trainable_variables)
    for weight in model.trainable_variables:
        for suffix, slot in slots.items():
            name = f"{name_map.entries[weight.path]}/{suffix}"
            absent = (
                f"TF1 checkpoint has no optimizer slot {name!r}; was the legacy model "
                f"trained with {optimizer}?"
            )
            variable = slot_variable(model.optimizer, weight, slot)
            entries.append(StateEntry(name, variable, f"{weight.path} ({slot})", absent))
    if optimizer == "adam" and hasattr(model.optimizer, "beta_1_power"):
        # TF1Adam keeps TF1's beta powers; Keras' own Adam computes them from the step
        for name, attribute in BETA_POWERS.items():
            entries.append(StateEntry(name, getattr(model.optimizer, attribute), attribute, None))
    entries.append(StateEntry(STEP, model.optimizer.iterations, "iterations", None))
    return entries


def legacy_to_migrated(
    checkpoint: dict[str, np.ndarray],
    model: keras.Model,
    name_map: NameMap,
    optimizer: str | None = None,
) -> list[str]:
    """Load TF1 values into `model` (and its compiled optimizer's slots when `optimizer`
    names the legacy optimizer). Returns the TF1 variables used, in order."""
    used = []
    for entry in tf1_state(model, name_map, optimizer):
        if entry.tf1_name not in checkpoint:
            if entry.error_if_absent:
                raise ConversionError(entry.error_if_absent)
            continue
        _assign(entry.variable, checkpoint[entry.tf1_name], entry.label, entry.tf1_name)
        used.append(entry.tf1_name)
    unused = sorted(set(checkpoint) - set(used) - {STEP, *BETA_POWERS})
    if unused:
        raise ConversionError(
            "TF1 variable(s) not mapped to any Keras weight: "
            + ", ".join(unused)
            + "; map them (--map) or remove them"
        )
    return used


def migrated_to_legacy(
    model: keras.Model, name_map: NameMap, prefix: str | Path, optimizer: str | None = None
) -> str:
    """Write the model's weights (and optimizer state) under their TF1 names; returns the
    checkpoint prefix, which `tf.compat.v1.train.Saver.restore` accepts."""
    if model.optimizer is None:
        optimizer = None
    values = {e.tf1_name: e.variable.numpy() for e in tf1_state(model, name_map, optimizer)}
    variables = {
        name: tf.Variable(value, name=name.replace("/", "_")) for name, value in values.items()
    }
    saver = tf.compat.v1.train.Saver(var_list=variables, save_relative_paths=True)
    return saver.save(None, str(prefix), global_step=int(values.get(STEP, 0)))


def load_map_file(path: str | Path | None) -> dict[str, str]:
    if path is None:
        return {}
    data = read_json(path, "map file")
    if not isinstance(data, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in data.items()
    ):
        raise DataError(f'{path}: a map file is a JSON object {{"keras path": "tf1 name"}}')
    return data


def legacy_hparams(legacy_dir: str | Path) -> dict:
    """The settings `tf2rec legacy-train` recorded in a legacy model directory."""
    path = Path(legacy_dir) / HPARAMS_FILE
    if not path.is_file():
        raise DataError(
            f"{legacy_dir}: not a legacy model directory (no {HPARAMS_FILE}); "
            "train one with `tf2rec legacy-train`"
        )
    hparams = read_json(path, "legacy model's settings file")
    needed = ("n_users", "n_items", "optimizer", "lr")
    missing = [key for key in needed if not isinstance(hparams, dict) or key not in hparams]
    if missing:
        raise DataError(f"{path}: no {', '.join(missing)} in it; is it a legacy-train file?")
    return hparams


def optimizer_of(model: keras.Model) -> str | None:
    """The name of the optimizer whose slots the model's Keras optimizer holds (None: an
    optimizer the legacy model does not offer)."""
    return next(
        (
            kind.name
            for kind in OPTIMIZER_KINDS.values()
            if isinstance(model.optimizer, getattr(keras.optimizers, kind.keras_class))
        ),
        None,
    )


@dataclass(frozen=True)
class Conversion:
    """What a conversion wrote: the name map it used and the main file (or prefix)."""

    name_map: NameMap
    written: Path


def convert_legacy(
    legacy_dir: str | Path,
    out: str | Path,
    *,
    overwrite: bool = False,
    map_file: str | Path | None = None,
) -> Conversion:
    """A `tf2rec legacy-train` directory -> a model directory holding the migrated model
    (`model.keras`, its weights, optimizer slots and step) and the vocabulary. The checkpoint
    is checked against the model its settings describe (every variable's name and shape)
    before anything is written."""
    legacy_dir, out = Path(legacy_dir), Path(out)
    from tf2rec.migrated.train import compiled_model

    def write(folder: Path) -> tuple[NameMap, Path]:
        overrides = load_map_file(map_file)
        hparams = legacy_hparams(legacy_dir)
        refuse_overlap(legacy_dir, out, "--legacy-dir")  # the input is replaced only at the end
        checkpoint = read_checkpoint(legacy_dir)
        model = compiled_model(ModelSpec.from_dict(hparams), hparams["optimizer"], hparams["lr"])
        name_map = derive_name_map(model, checkpoint, overrides)
        legacy_to_migrated(checkpoint, model, name_map, hparams["optimizer"])
        _ensure_room(model, folder, out, legacy_dir)
        model.save_weights(folder / WEIGHTS_FILE)
        model.save(folder / MODEL_FILE)
        _copy_vocab(legacy_dir, folder)
        return name_map, out / MODEL_FILE

    return Conversion(*_write_converted(out, legacy_dir, False, overwrite, write))


def convert_to_legacy(
    model_file: str | Path,
    out: str | Path,
    *,
    overwrite: bool = False,
    map_file: str | Path | None = None,
) -> Conversion:
    """A migrated `.keras` model -> a TF1 checkpoint the legacy code restores, with its
    `hparams.json` and the vocabulary (a rollback)."""
    from tf2rec.migrated.serving import load_keras_model

    model_file, out = Path(model_file), Path(out)
    refuse_overlap(model_file, out, "--model")

    def write(folder: Path) -> tuple[NameMap, Path]:
        overrides = load_map_file(map_file)
        model = load_keras_model(model_file)
        name_map = derive_name_map(model, None, overrides)
        optimizer = optimizer_of(model)
        hparams = _rollback_hparams(model, model_file.parent / CONFIG_FILE, optimizer)
        _ensure_room(model, folder, out, model_file.parent)
        prefix = migrated_to_legacy(model, name_map, folder / CHECKPOINT_PREFIX, optimizer)
        write_atomically(folder / HPARAMS_FILE, json.dumps(hparams, indent=2))
        _copy_vocab(model_file.parent, folder)
        return name_map, out / Path(prefix).name

    return Conversion(*_write_converted(out, model_file, True, overwrite, write))


def _rollback_hparams(model: keras.Model, config: Path, optimizer: str | None) -> dict:
    """The legacy model's settings for a migrated model (its training settings from
    `config`, the file `tf2rec train` wrote beside it, where there is one)."""
    extra = read_json(config, "model's settings file") if config.is_file() else {}
    if not isinstance(extra, dict):
        raise DataError(f"{config}: not a JSON object; is it the file `tf2rec train` wrote?")
    spec = ModelSpec.from_dict({**model.get_config(), "negatives": extra.get("negatives", 8)})
    return dict(
        spec.as_dict(),
        optimizer=optimizer or "adam",
        lr=extra.get("lr", 0.01),
        seed=extra.get("seed", 0),
    )


def refuse_overlap(source: Path, out: Path, option: str) -> None:
    """Raise unless `out` is apart from `source` (a directory, or a model file and the
    directory holding it): writing a model directory over its own input, into it or around
    it would delete what is converted."""
    read = Path(os.path.realpath(source))
    folders = [read] if read.is_dir() else [read, read.parent]
    written = Path(os.path.realpath(out))
    for folder in folders:
        # inside the folder of a model file: refused where that folder is a model directory
        inside = folder in written.parents and (folder == read or model_dir.is_owned(folder))
        if written == folder or inside:
            where = "is the same directory as" if written == folder else "is inside"
        elif written in folder.parents:
            where = "holds"
        else:
            continue
        raise UsageError(
            f"--out {out} {where} {'the directory of ' if folder != read else ''}{option} "
            f"{source}; writing there would delete what is converted: choose another directory"
        )


def _write_converted(out: Path, source: Path, reverse: bool, overwrite: bool, write):
    """Run `write(folder)` into a model directory swapped in at `out` when complete. On any
    error nothing is left: not the new directory, not a partial one; the old one stays."""
    settings = {"source": str(source.resolve()), "reverse": reverse}
    try:
        with model_dir.writing(
            out, kind="converted", settings=settings, overwrite=overwrite, resume=False,
            option="--out",
        ) as run:  # fmt: skip
            try:
                return write(run.partial)
            except BaseException:
                shutil.rmtree(run.partial, ignore_errors=True)
                raise
    except (OSError, RuntimeError, tf.errors.OpError) as err:  # h5py, TF's writers: disk full
        shutil.rmtree(model_dir.partial_of(out), ignore_errors=True)
        raise UsageError(
            f"cannot write --out {out}: {_reason(err)}; nothing was written there (free some "
            "space, or fix its permissions, and run again)"
        ) from None


def _ensure_room(model: keras.Model, folder: Path, out: Path, source: Path) -> None:
    """Room for the converted files, checked before writing them (h5py crashes the process
    when a write fails): each file holds every variable once, with a few KiB of its own per
    variable; two such files (the weights and the model, or the checkpoint's data and its
    index), and the vocabulary files copied."""
    variables = [*model.weights, *(model.optimizer.variables if model.optimizer else [])]
    largest = sum(int(np.prod(v.shape)) * np.dtype(v.dtype).itemsize for v in variables)
    largest += 4096 * len(variables) + 65536
    copied = sum(
        path.stat().st_size
        for path in (source / VOCAB_FILE, user_items_path(source))
        if path is not None and path.is_file()
    )
    ensure_room(folder, 2 * largest + copied, largest, f"--out {out}")


def _reason(err: BaseException) -> str:
    """An OS or writer error in a few words (TensorFlow's without its op's names)."""
    if isinstance(err, OSError) and err.strerror:
        return err.strerror
    text = str(getattr(err, "message", "") or err).strip().splitlines()
    text = re.sub(r"\{\{[^}]*\}\}\s*|\s*\[Op:\w+\]", "", text[0]) if text else ""
    return text or type(err).__name__


def _copy_vocab(source: Path, target: Path) -> None:
    """The vocabularies and the users' items: the converted directory serves `recommend`."""
    if (source / VOCAB_FILE).is_file():
        shutil.copy(source / VOCAB_FILE, target / VOCAB_FILE)
    user_items = user_items_path(source)
    if user_items is not None:
        shutil.copy(user_items, target / USER_ITEMS_FILE)


def latest_checkpoint(legacy_dir: str | Path) -> str | None:
    """The prefix of the newest checkpoint the TF1 Saver wrote in `legacy_dir`."""
    return tf.train.latest_checkpoint(str(legacy_dir))
