"""Parity of any TF1 model and its Keras 3 rewrite: same weights, same batches, same steps.

`run_pair` runs the legacy `build` (see `pair`) in a process of its own (`legacy_side`) and
the migrated model here, through the code path users train with (`model.fit`), and
checks, in this order:

1. **forward**, at the starting weights, inference mode (eval feeds): every named output
   of every batch, bitwise; the loss of every batch, within a bound (TF1's `Mean` against
   Keras' sum and division: 2 gamma_B sum|l_i| / B, plus the rounding of adding
   `model.losses` where there are any);
2. **gradients** of the first batch, training mode (train feeds), bitwise, both taken by
   TensorFlow's graph algorithm (`tf.gradients`), which adds the contributions to a tensor
   used by several ops in one fixed order (`tf.GradientTape` uses another);
3. **after N steps**, per optimizer, through `model.fit`: every weight (moving averages
   included), optimizer slot, Adam's beta powers and the step, bitwise; or, for a model
   compiled with `jit_compile=True` (its steps run as one XLA computation: other kernels
   than TF1's, so not bitwise), each within the kernel envelope: no further from the
   legacy model than the legacy model ends from itself when rerun under another kernel
   configuration (`kernels.ENVELOPE`), per tensor, the larger of the two distances. In
   auto mode such a model is proven instead (`fast_path`): its float64 checks, and its
   float32 rounding against the legacy model's (`proven_fast_path`).

Bitwise checks hold where both sides run the same operations in the same order, so the
harness runs both as written: traced with the batch dimension unknown, as a placeholder has
it, and with Grappler's arithmetic optimizer off on both sides (it regroups a chain of
additions according to what it knows of the shapes, differently in each graph).

Both sides start from the legacy side's initial checkpoint, converted through the
converter's name map. Random ops in the legacy loss (dropout's uniform draws) are fed
values drawn once; the migrated model's `Dropout` layers, in the order they run, apply the
same values with the arithmetic of TensorFlow's dropout (x * 1/(1 - rate) where the draw
>= rate), so dropout is checked, not skipped. A check that fails carries its likely cause
(`causes`). On a GPU, TensorFloat-32 is off for both sides (it rounds matmul inputs to 10
bits).
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf

from tf2rec.errors import CommandFailed, last_line
from tf2rec.interactions import DataError
from tf2rec.interactions.model_files import CHECKPOINT_PREFIX
from tf2rec.tools.convert import (
    derive_name_map,
    legacy_to_migrated,
    read_checkpoint,
    tf1_state,
)
from tf2rec.tools.parity.causes import SAME_MATH, annotate
from tf2rec.tools.parity.compare import (
    DIFFERENT,
    SAME,
    Comparison,
    compare_bitwise,
    compare_bounded,
    compare_float64,
)
from tf2rec.tools.parity.error_bounds import gamma, mean_bound
from tf2rec.tools.parity.kernels import ENVELOPE, configured_environment, describe
from tf2rec.tools.parity.pair import load_batches, load_object, step_count

MODES = ("auto", "bitwise", "float64")

WHY_FORWARD = "the legacy graph's TensorFlow ops, traced as fit and serving run them"
WHY_LOSS = (
    "TF1 reduces with Mean, Keras with a sum and a division: bound 2 gamma_B sum|l_i| / B "
    "(+ the sum with model.losses)"
)
WHY_GRADIENTS = "the same gradient kernels, contributions added in tf.gradients' order"
WHY_STEPS = (
    "the same update arithmetic (tf2rec.migrated.optimizers: TF1's formulas, repeated ids "
    "summed in TF1's order; the legacy process runs with op determinism)"
)
WHY_FLOAT64 = (
    "both sides in float64 from the same float32 start (the legacy graph rewritten to "
    "float64, the Keras model under the float64 dtype policy): passes when "
    "max|a - b| <= 2^-24 max(max|a|, max|b|), or no more than the legacy model's own "
    "float32 result is from its float64 one"
)
WHY_XLA_STEPS = (
    "the steps run as one XLA computation (jit_compile): bound: the legacy model's own "
    "largest distance from itself after the same steps under {configurations}"
)


def run_legacy(workdir: Path, base_env: dict[str, str] | None = None) -> dict[str, np.ndarray]:
    """The legacy side's job in `workdir`, in a process with `base_env` (this one's)."""
    env = {
        **(os.environ if base_env is None else base_env),
        # the user's modules: whatever this process can import, the legacy one can
        "PYTHONPATH": os.pathsep.join(p for p in sys.path if p and Path(p).is_dir()),
        "TF_CPP_MIN_LOG_LEVEL": "2",
        # TF's CPU scatter splits repeated ids among threads, so their sum varies from run
        # to run in the last bits; deterministic ops add them in batch order, which is one
        # of the orders TF1's semantics allow and the one the TF1-compatible optimizers use.
        "TF_DETERMINISTIC_OPS": "1",
        "NVIDIA_TF32_OVERRIDE": "0",  # on a GPU: float32 matrix products in float32
    }
    done = subprocess.run(
        [sys.executable, "-m", "tf2rec.tools.parity.legacy_side", str(workdir)],
        capture_output=True,
        text=True,
        env=env,
    )
    if done.returncode == 2:  # the pair or the batches are wrong: its one line says how
        raise DataError(last_line(done.stderr))
    if done.returncode != 0:
        raise CommandFailed(
            f"the legacy model's process failed (exit {done.returncode}): " + last_line(done.stderr)
        )
    with np.load(workdir / "legacy.npz") as data:
        return dict(data)


@contextlib.contextmanager
def _computations_as_written():
    """While the migrated side runs: TensorFloat-32 off (it only matters on a GPU), and
    Grappler off, as on the legacy side: its constant folding, arithmetic optimizer,
    remapper fusions, layout, loop and dependency optimizers rewrite arithmetic according to
    how each graph happens to be built (the same model traced by TF1 and by Keras passed at
    hidden size 32 and failed at 40, 48 and 50 with them on)."""
    enabled = tf.config.experimental.tensor_float_32_execution_enabled()
    options = tf.config.optimizer.get_experimental_options()
    tf.config.experimental.enable_tensor_float_32_execution(False)
    tf.config.optimizer.set_experimental_options({"disable_meta_optimizer": True})
    try:
        yield
    finally:
        tf.config.experimental.enable_tensor_float_32_execution(enabled)
        tf.config.optimizer.set_experimental_options(
            {"disable_meta_optimizer": options.get("disable_meta_optimizer", False)}
        )


def run_pair(
    legacy: str,
    migrated: str | Callable[[dict], keras.Model],
    batches,
    hparams: dict | None = None,
    *,
    optimizers: Sequence[str] = ("sgd", "adagrad", "adam"),
    steps: int | None = None,
    lr: float = 0.01,
    labels: Sequence[str] = (),
    name_map: dict[str, str] | None = None,
    legacy_checkpoint: str | None = None,
    seed: int = 0,
    workdir: Path | None = None,
    mode: str = "auto",
    progress: Callable[[str], None] | None = None,
) -> list[Comparison]:
    """Check that `migrated` (a Keras factory, or "pkg.module:make") computes what `legacy`
    ("pkg.module:build", run in its own process) does, on `batches` (see `pair`).

    `hparams` go to both functions, with "optimizer" and "lr" set per optimizer; `labels`
    are the batch keys the Keras model gets as `y`; `name_map` overrides the derived
    {Keras weight path: TF1 name}; `legacy_checkpoint` starts both sides from those weights
    instead of the legacy model's initializers; `seed` draws the random ops' values.
    `mode` (`MODES`): "bitwise" runs both sides in float32 and holds the checks of the same
    computation to bitwise equality, the others to their float32 bounds; "float64" runs
    both in float64 and holds every check to float64 equivalence; "auto" runs "bitwise"
    and judges in float64 every check that is not bitwise equal. `progress`, if given, is
    called with a short description of each stage as it starts (a run takes minutes).
    """
    if mode not in MODES:
        raise DataError(f"parity mode {mode!r}: choose one of {', '.join(MODES)}")
    make = load_object(migrated, "--migrated") if isinstance(migrated, str) else migrated
    batches = _checked_batches(batches, steps, labels)
    job = {
        "legacy": legacy,
        "hparams": dict(hparams or {}),
        "optimizers": list(optimizers),
        "lr": lr,
        "steps": step_count(batches),
        "legacy_checkpoint": legacy_checkpoint,
        "seed": seed,
    }
    pair = Pair(job, make, batches, tuple(labels), name_map, progress or _silent)
    with tempfile.TemporaryDirectory() as tmp, _computations_as_written():
        work = Path(workdir or tmp)
        if mode == "float64":
            results = pair.run(work / "float64", "float64").results
        else:
            first = pair.run(work, "float32")
            results = first.results
            jit = pair.jit_compiled and mode == "auto"
            if mode != "bitwise" and (jit or not all(r.passed and r.kind == SAME for r in results)):
                results = rejudged(first, pair.run(work / "float64", "float64").results)
            elif not all(r.passed for r in results):  # bitwise: float64 names the cause
                diagnosed(first, pair.run(work / "float64", "float64").results)
            if jit:
                results += proven_fast_path(pair, work)
    return ParityResults(results, pair.notes)


class ParityResults(list):
    """The comparisons of a run (a list), with `notes`: what the harness did that the
    person should know (a graph seed it set where the legacy code set none)."""

    def __init__(self, results, notes=()) -> None:
        super().__init__(results)
        self.notes = list(notes)


def _checked_batches(batches, steps: int | None, labels: Sequence[str]) -> dict:
    """The batches (see `pair.load_batches`), cut to `steps`, with every label key present."""
    batches = load_batches(batches)
    steps = min(steps or step_count(batches), step_count(batches))
    missing = sorted(set(labels) - set(batches))
    if missing:
        raise DataError(
            f"label key(s) {', '.join(missing)} not in the batches ({', '.join(batches)})"
        )
    return {key: value[:steps] for key, value in batches.items()}


class PrecisionRun:
    """One run of both sides in one precision: the checks, and the op types of each
    side's forward pass (what a 'same math, different rounding' verdict names)."""

    def __init__(self, results: list[Comparison], legacy_ops: set[str], keras_ops: set[str]):
        self.results = results
        self.legacy_ops = legacy_ops
        self.keras_ops = keras_ops

    def _different_ops(self) -> tuple[set[str], set[str]]:
        ours = {op for op in self.keras_ops - self.legacy_ops if op not in PLUMBING}
        theirs = {op for op in self.legacy_ops - self.keras_ops if op not in PLUMBING}
        return ours, theirs

    def ops_that_differ(self) -> str:
        ours, theirs = self._different_ops()
        return (
            f"ops only the TF1 graph runs: {', '.join(sorted(theirs)) or 'none'}; "
            f"only the Keras graph: {', '.join(sorted(ours)) or 'none'}"
        )


# op types that move, read or hold values without computing with them
PLUMBING = {
    "Const",
    "Identity",
    "IdentityN",
    "NoOp",
    "Placeholder",
    "PlaceholderWithDefault",
    "ReadVariableOp",
    "VariableV2",
    "VarHandleOp",
    "Switch",
    "Merge",
    "StopGradient",
    "Shape",
    "Reshape",
    "StridedSlice",
    "Pack",
    "Unpack",
    "ConcatV2",
    "Squeeze",
    "ExpandDims",
    "Cast",
    "Fill",
    "Range",
    "Tile",
    "Transpose",
    "GatherV2",
    "ResourceGather",
    "Gather",
    # the random ops the harness feeds (their values reach the Keras side as constants)
    "RandomUniform",
    "RandomStandardNormal",
    "TruncatedNormal",
}


def looped_random_note(legacy: dict) -> str | None:
    """The note for random ops inside `tf.while_loop` bodies (dropout in a `dynamic_rnn`
    cell): they draw once per iteration, and one fed value per step cannot stand for their
    draws, so the harness lets them draw (seeded) and the Keras side draws its own."""
    found = [legacy[k] for k in sorted(legacy) if k.startswith("random_in_loop/")]
    if not found:
        return None
    loops = ", ".join(dict.fromkeys(f"'{loop}'" for _, loop in found))
    ops = ", ".join(str(op) for op, _ in found[:3]) + (" ..." if len(found) > 3 else "")
    return (
        f"random op(s) {ops} inside tf.while_loop {loops} draw once per iteration and are "
        "not fed: the two sides draw different values, so checks in training mode differ "
        "wherever they are used; check this model with that dropout off (keep probability "
        "1 in train_feeds)"
    )


def _silent(stage: str) -> None:
    pass


class Pair:
    """The legacy side's job and the migrated side's factory, run in a precision."""

    def __init__(self, job, make, batches, labels, name_map, progress):
        self.job, self.make, self.batches = job, make, batches
        self.labels, self.name_map = labels, name_map
        self.progress = progress
        self.notes: list[str] = []
        self.jit_compiled = False
        self.finals: dict[tuple[str, str], dict[str, np.ndarray]] = {}  # migrated, per run

    def run(self, work: Path, precision: str) -> PrecisionRun:
        work.mkdir(parents=True, exist_ok=True)
        batches = _in_precision(self.batches, precision)
        np.savez(work / "batches.npz", **batches)
        job = {**self.job, "precision": precision}
        (work / "job.json").write_text(json.dumps(job))
        steps = f"{job['steps']} step{'s' * (job['steps'] != 1)}"
        self.progress(f"{precision}: the TF1 model, {steps} per optimizer, in its own process")
        legacy = run_legacy(work)
        if "seed/graph" in legacy and not self.notes:
            self.notes.append(
                f"the legacy graph had no seed (tf.set_random_seed) and the legacy process "
                f"runs with op determinism, which needs one: the harness set graph seed "
                f"{int(legacy['seed/graph'])} (--seed); its random ops' values are fed anyway"
            )
        note = looped_random_note(legacy)
        if note and note not in self.notes:
            self.notes.append(note)
        rounding = Float32Rounding(work, legacy) if precision == "float64" else None
        data = _split(batches, self.labels)
        results, tables, envelope, keras_ops = [], set(), None, set()
        with _keras_precision(precision):
            for index, optimizer in enumerate(job["optimizers"]):
                model, names = self._model(work, optimizer, precision)
                randomness = FedRandomness(model, legacy)
                if index == 0:
                    self.progress(f"{precision}: the Keras model's forward pass and gradients")
                    keras_ops = _forward_op_types(model, data)
                    results += _forward(model, legacy, data, job["steps"], rounding)
                    results += _gradients(model, legacy, data, names, rounding)
                randomness.check_all_used()
                self.progress(f"{precision}: the Keras model, {steps} with {optimizer}")
                _fit(model, data)
                self.jit_compiled = bool(getattr(model, "jit_compile", False))
                self.finals[precision, optimizer] = _state(model, names, optimizer)
                if precision == "float32" and self.jit_compiled:
                    if envelope is None:
                        self.progress("float32: the TF1 model under other kernel configurations")
                        envelope = KernelEnvelope.measure(work, job)
                results += _after_steps(model, work, job, optimizer, names, rounding, envelope)
                tables = {names.entries[w.path] for w in model.weights if _is_table(w)}
        annotate(results, tables)
        legacy_ops = {str(op) for op in legacy.get("ops/forward", [])}
        return PrecisionRun(results, legacy_ops, keras_ops)

    def _model(self, work: Path, optimizer: str, precision: str):
        """The migrated model, made, checked and started from the legacy side's start."""
        keras.utils.set_random_seed(self.job["seed"])
        hparams = {**self.job["hparams"], "optimizer": optimizer, "lr": self.job["lr"]}
        model = _made(self.make, hparams)
        if precision == "float64":
            _check_float64(model)
        init = _in_precision(read_checkpoint(work / f"init-{optimizer}"), precision)
        names = derive_name_map(model, init, self.name_map)
        legacy_to_migrated(init, model, names, optimizer)
        return model, names


def _made(make, hparams: dict) -> keras.Model:
    """`make(hparams)`, or one line saying how it failed (it is the user's code)."""
    try:
        model = make(hparams)
    except (DataError, CommandFailed):
        raise
    except Exception as err:  # the user's factory: report it, whatever it raised
        name = getattr(make, "__qualname__", repr(make))
        raise DataError(
            f"the migrated side's {name}(hparams) failed: {type(err).__name__}: {_first_line(err)}"
        ) from None
    if not isinstance(model, keras.Model):
        raise DataError(
            f"the migrated side's make(hparams) returned {type(model).__name__}, "
            "not a built, compiled keras.Model"
        )
    return model


def _first_line(err: BaseException) -> str:
    """The line of an error's message that says what is wrong. A traced function's error
    starts with "in user code:" and a traceback; Keras wraps a layer's error as
    "XError: Exception encountered when calling L.call()." with the message on a line of its
    own after it."""
    lines = [
        re.sub(r"\x1b\[[0-9;]*m", "", line).strip()
        for line in str(err).strip().splitlines()
        if line.strip()
    ]
    if not lines:
        return "(no message)"
    if not lines[0].startswith("in user code"):
        return lines[0]
    named = [i for i, line in enumerate(lines) if re.match(r"[A-Z]\w*(Error|Exception)\b", line)]
    if not named:
        return lines[-1]
    at = named[-1]
    line = lines[at]
    if "Exception encountered when calling" in line and at + 1 < len(lines):
        layer = re.search(r"calling (\S+?)\.call", line)
        line = f"{layer.group(1) if layer else 'a layer'}: {lines[at + 1]}"
    return line


def rejudged(first: PrecisionRun, wide: list[Comparison]) -> list[Comparison]:
    """The float32 checks, each one that is not bitwise replaced by its float64 check (a
    check of a different computation, the loss say, is always): a pass there is the same
    mathematics rounded differently in float32; a failure there is a different
    computation, and its float64 ratio says by how much. The float32 result stays in the
    note."""
    by_check = {(r.check, r.tensor): r for r in wide}
    results = []
    for result in first.results:
        again = by_check.get((result.check, result.tensor))
        if (result.passed and result.kind == SAME) or again is None:
            results.append(result)
            continue
        float32 = f"float32 {_number(result.max_ulp)} ULP"
        if result.kind == DIFFERENT:
            float32 += f", {_number(result.ratio)} of its float32 bound"
        if again.passed and not result.passed:
            again.note = f"same math, different rounding; {float32}"
        else:
            again.note = float32
        if not result.passed:
            again.why = (
                f"{again.why}; judged in float64 because float32 was not bitwise "
                f"({first.ops_that_differ()})"
            )
        results.append(again)
    return results


def diagnosed(first: PrecisionRun, wide: list[Comparison]) -> None:
    """Bitwise mode's verdicts stay; a failed check that passes in float64 gets its real
    cause, "same math, different rounding", with the ops only one graph runs."""
    by_check = {(r.check, r.tensor): r for r in wide}
    for result in first.results:
        again = by_check.get((result.check, result.tensor))
        if not result.passed and again is not None and again.passed:
            result.cause = SAME_MATH.format(ratio=_number(again.ratio), ops=first.ops_that_differ())


def _number(value) -> str:
    return "-" if value is None else f"{value:.3g}"


def _in_precision(arrays: dict, precision: str) -> dict:
    """`arrays` with their float32 ones in float64 when `precision` is float64."""
    if precision != "float64":
        return arrays
    return {
        key: value.astype(np.float64) if value.dtype == np.float32 else value
        for key, value in arrays.items()
    }


@contextlib.contextmanager
def _keras_precision(precision: str):
    """Keras' dtype policy and floatx set to `precision` while the migrated side runs."""
    policy, floatx = keras.config.dtype_policy(), keras.config.floatx()
    if precision == "float64":
        keras.config.set_floatx("float64")
        keras.config.set_dtype_policy("float64")
    try:
        yield
    finally:
        keras.config.set_floatx(floatx)
        keras.config.set_dtype_policy(policy)


def _check_float64(model: keras.Model) -> None:
    """Float64 mode needs a model that computes in float64: one that fixes a layer's dtype
    to float32 is refused, naming the layer."""
    for layer in model._flatten_layers(include_self=True):
        compute = layer.dtype_policy.compute_dtype
        if compute != "float64":
            raise DataError(
                f"float64 mode: layer {layer.name!r} ({type(layer).__name__}) computes in "
                f"{compute}; create it without dtype= (it then follows the global policy), "
                "or run with --mode bitwise"
            )
    for weight in model.weights:
        if "float" in str(weight.dtype) and str(weight.dtype) != "float64":
            raise DataError(
                f"float64 mode: weight {weight.path} is {weight.dtype}; create it with the "
                "layer's dtype (the default), or run with --mode bitwise"
            )


class Float32Rounding:
    """How far the legacy model's float32 results are from its float64 ones, tensor by
    tensor (the legacy process runs both in a float64 job; the float32 run is in
    `float32/`): the size of a difference that is float32 rounding and nothing else."""

    def __init__(self, work: Path, wide: dict) -> None:
        self.work, self.wide, self.finals = work, wide, {}
        with np.load(work / "float32" / "legacy.npz") as data:
            self.narrow = dict(data)

    def of(self, key: str) -> float:
        if key not in self.narrow or key not in self.wide:
            return 0.0
        return _distance(self.narrow[key], self.wide[key])

    def of_final(self, optimizer: str, name: str, wide: np.ndarray) -> float:
        if optimizer not in self.finals:
            self.finals[optimizer] = read_checkpoint(self.work / "float32" / f"final-{optimizer}")
        narrow = self.finals[optimizer].get(name)
        return 0.0 if narrow is None else _distance(narrow, wide)


def _distance(a, b) -> float:
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    if a.shape != b.shape or a.size == 0:
        return 0.0
    return float(np.max(np.abs(a - b)))


def _fit(model, data) -> None:
    model.fit(_dataset(data), epochs=1, verbose=0, shuffle=False)


def _after_steps(model, work, job, optimizer, names, rounding, envelope) -> list[Comparison]:
    """Every weight, slot and counter after the steps against the legacy side's."""
    final = read_checkpoint(work / f"final-{optimizer}")
    check = f"after {job['steps']} steps ({optimizer})"
    results = []
    for entry in tf1_state(model, names, optimizer):
        ours, theirs = entry.variable.numpy(), final[entry.tf1_name]
        if rounding is not None:
            error = rounding.of_final(optimizer, entry.tf1_name, theirs)
            results.append(compare_float64(check, entry.tf1_name, ours, theirs, WHY_FLOAT64, error))
        elif envelope is None:
            results.append(compare_bitwise(check, entry.tf1_name, ours, theirs, WHY_STEPS))
        else:
            bound = envelope.distance(optimizer, entry.tf1_name)
            results.append(
                compare_bounded(check, entry.tf1_name, ours, theirs, bound, envelope.why)
            )
    return results


class KernelEnvelope:
    """How far the legacy model ends from itself after the job's steps when its process
    runs under another kernel configuration: per optimizer and tensor, the largest
    |other - this| over `kernels.ENVELOPE`. Both reruns start from this run's initial
    checkpoint, so only the kernels differ."""

    def __init__(self, distances: dict[tuple[str, str], float], why: str) -> None:
        self.distances = distances
        self.why = why

    @classmethod
    def measure(cls, work: Path, job: dict) -> KernelEnvelope:
        distances: dict[tuple[str, str], float] = {}
        for index, configuration in enumerate(ENVELOPE):
            rerun = work / f"kernels-{index}"
            rerun.mkdir(exist_ok=True)
            shutil.copyfile(work / "batches.npz", rerun / "batches.npz")
            first = work / f"init-{job['optimizers'][0]}" / CHECKPOINT_PREFIX
            start = job["legacy_checkpoint"] or str(first)
            (rerun / "job.json").write_text(json.dumps({**job, "legacy_checkpoint": start}))
            run_legacy(rerun, configured_environment(*configuration))
            for optimizer in job["optimizers"]:
                base = read_checkpoint(work / f"final-{optimizer}")
                other = read_checkpoint(rerun / f"final-{optimizer}")
                for name, value in base.items():
                    if not np.issubdtype(value.dtype, np.floating):
                        continue
                    distance = float(np.max(np.abs(other[name] - value), initial=0.0))
                    key = (optimizer, name)
                    distances[key] = max(distances.get(key, 0.0), distance)
        names = " or ".join(describe(*configuration) for configuration in ENVELOPE)
        return cls(distances, WHY_XLA_STEPS.format(configurations=names))

    def distance(self, optimizer: str, name: str) -> float:
        """0 for a tensor that is not a float (the step): equal on both, or failed."""
        return self.distances.get((optimizer, name), 0.0)


def _state(model, names, optimizer: str) -> dict[str, np.ndarray]:
    """The migrated model's weights, slots and counters, by TF1 name."""
    return {e.tf1_name: e.variable.numpy() for e in tf1_state(model, names, optimizer)}


def proven_fast_path(pair: Pair, work: Path) -> list[Comparison]:
    """Part 2 of a jit-compiled model's proof (`fast_path`; part 1 is the float64 checks):
    per optimizer, its float32 rounding against the legacy model's, this run's and the
    kernel envelope's reruns'."""
    from tf2rec.tools.parity.fast_path import rounding_check, rounding_factor

    pair.progress("float32 rounding: XLA's and TensorFlow's exp, log, log1p and rsqrt")
    factor, results = rounding_factor(), []
    runs = [work, *(work / f"kernels-{i}" for i in range(len(ENVELOPE)))]
    for optimizer in pair.job["optimizers"]:
        fast = (pair.finals["float32", optimizer], pair.finals["float64", optimizer])
        legacy32 = [read_checkpoint(run / f"final-{optimizer}") for run in runs]
        legacy64 = read_checkpoint(work / "float64" / f"final-{optimizer}")
        legacy = (legacy32, legacy64)
        results.append(rounding_check(optimizer, fast, legacy, factor, pair.job["steps"]))
    return results


def _is_table(weight) -> bool:
    """An embedding table: a Keras Embedding's weight (the lookup's sparse gradient)."""
    return weight.path.endswith("/embeddings")


def _split(batches: dict, labels: Sequence[str]) -> tuple[dict, object]:
    """(x, y) as Keras takes them: the non-label arrays as a dict, the label(s)."""
    x = {key: value for key, value in batches.items() if key not in labels}
    if not labels:
        return x, None
    if len(labels) == 1:
        return x, batches[labels[0]]
    return x, {key: batches[key] for key in labels}


def _dataset(data) -> tf.data.Dataset:
    """One element per batch, with the batch dimension unknown (None), as a placeholder
    has it: with a known batch size Grappler rewrites some graphs (a chain of adds becomes
    an AddN) and sums in another order than the legacy graph."""
    x, y = data
    rows = next(iter(x.values())).shape[1]
    slices = tf.data.Dataset.from_tensor_slices(x if y is None else (x, y))
    return slices.unbatch().batch(rows)


def _traced(function, model, data):
    """`function(model, x, y)` traced once for any batch size (see `_dataset`)."""
    x, y = data

    def spec(stacked):
        return tf.TensorSpec((None, *stacked.shape[2:]), tf.as_dtype(stacked.dtype))

    x_spec = {key: spec(value) for key, value in x.items()}
    if y is None:
        traced = tf.function(lambda x: function(model, x, None), input_signature=[x_spec])
        return lambda x, y: traced(x)
    y_spec = {k: spec(v) for k, v in y.items()} if isinstance(y, dict) else spec(y)
    return tf.function(lambda x, y: function(model, x, y), input_signature=[x_spec, y_spec])


def _at(data, step: int):
    x, y = data
    x = {key: value[step] for key, value in x.items()}
    if isinstance(y, dict):
        return x, {key: value[step] for key, value in y.items()}
    return x, None if y is None else y[step]


def _forward(model, legacy: dict, data, steps: int, rounding) -> list[Comparison]:
    check = "forward (start weights)"
    inference = _traced(_inference, model, data)
    outputs = [_called(inference, data, step) for step in range(steps)]
    theirs = {
        key[len("output/") :]: value for key, value in legacy.items() if key.startswith("output/")
    }
    ours = [o[0] if isinstance(o[0], dict) else {None: o[0]} for o in outputs]
    results = []
    for name, key in _output_keys(list(theirs), list(ours[0])).items():
        stacked = np.stack([np.asarray(o[key]) for o in ours])
        tensor = f"output {name!r}, every batch"
        if rounding is not None:
            _check_output_dtype(name, stacked)
            error = rounding.of("output/" + name)
            results.append(
                compare_float64(check, tensor, stacked, theirs[name], WHY_FLOAT64, error)
            )
        else:
            results.append(compare_bitwise(check, tensor, stacked, theirs[name], WHY_FORWARD))
    losses = np.array([float(o[1]) for o in outputs])
    if rounding is not None:
        error = rounding.of("loss")
        results.append(
            compare_float64(
                check, "loss of every batch", losses, legacy["loss"], WHY_FLOAT64, error
            )
        )
        return results
    bound = np.array([_loss_bound(o[2].numpy(), [float(r) for r in o[3]]) for o in outputs])
    results.append(
        compare_bounded(check, "loss of every batch", losses, legacy["loss"], bound, WHY_LOSS)
    )
    return results


def _called(function, data, step: int):
    """`function` on batch `step`, or one line naming the inputs the model failed on."""
    try:
        return function(*_at(data, step))
    except (DataError, CommandFailed):
        raise
    except Exception as err:  # the user's model: report it, whatever it raised
        x, _ = data
        given = ", ".join(
            f"{key} {value.dtype}[None, {', '.join(map(str, value.shape[2:]))}]".replace(", ]", "]")
            for key, value in x.items()
        )
        raise DataError(
            f"the Keras model fails on the batch's inputs ({given}): {type(err).__name__}: "
            f"{_first_line(err)}; its call(x) gets a dict of these arrays (the batch keys "
            "that are not --labels), as the legacy placeholders do"
        ) from None


def _check_output_dtype(name: str, values: np.ndarray) -> None:
    if values.dtype != np.float64:
        raise DataError(
            f"float64 mode: the Keras model's output {name!r} is {values.dtype}; something "
            "in its call casts to float32 (a dtype= on a layer, a tf.cast or a float32 "
            "constant); compute in the layers' dtype, or run with --mode bitwise"
        )


def _forward_op_types(model, data) -> set[str]:
    """The op types of the Keras model's forward pass, traced as `_forward` traces it."""
    x, _ = data
    spec = {
        key: tf.TensorSpec((None, *value.shape[2:]), tf.as_dtype(value.dtype))
        for key, value in x.items()
    }
    try:
        graph = tf.function(lambda x: model(x, training=False)).get_concrete_function(spec).graph
    except Exception:  # the forward check reports a model that fails on its inputs
        return set()
    return {op.type for op in graph.get_operations()}


def _output_keys(legacy_names: list[str], keras_keys: list) -> dict:
    """Legacy output name -> the key of the Keras output it is compared with (None: the one
    tensor `call` returns, which matches a legacy side with one output)."""
    if keras_keys == [None]:
        if len(legacy_names) != 1:
            raise DataError(
                f"the legacy side names {len(legacy_names)} outputs ({', '.join(legacy_names)})"
                " and the Keras model's call returns one tensor; return a dict keyed like them"
            )
        return {legacy_names[0]: None}
    missing = [name for name in legacy_names if name not in keras_keys]
    if missing:
        raise DataError(
            f"legacy output(s) {', '.join(missing)} not among the Keras model's outputs "
            f"({', '.join(map(str, keras_keys))})"
        )
    return {name: name for name in legacy_names}


def _loss_bound(rows: np.ndarray, regularization: list[float]) -> float:
    """Both sides' rounding of the mean of the same per-row losses, and of adding the
    regularization losses to it (a sum of 1 + m terms, in any order)."""
    bound = 2 * mean_bound(rows)
    if regularization:
        terms = abs(float(np.mean(rows, dtype=np.float64))) + sum(map(abs, regularization))
        bound += 2 * gamma(len(regularization) + 1) * terms
    return bound


def _gradients(model, legacy: dict, data, names, rounding) -> list[Comparison]:
    saved = [v.numpy() for v in model.variables]  # training mode updates moving averages
    try:
        grads = _called(_traced(_gradients_of, model, data), data, 0)
    finally:
        for variable, value in zip(model.variables, saved, strict=True):
            variable.assign(value)
    results = []
    for weight, grad in zip(model.trainable_variables, grads, strict=True):
        name = names.entries[weight.path]
        # a weight the loss does not use has no gradient: zero (TF1's too, if it has none)
        theirs = legacy.get("grad/" + name, np.zeros(weight.shape, grad.numpy().dtype))
        check = "gradients (batch 0)"
        if rounding is not None:
            error = rounding.of("grad/" + name)
            results.append(compare_float64(check, name, grad.numpy(), theirs, WHY_FLOAT64, error))
        else:
            results.append(compare_bitwise(check, name, grad.numpy(), theirs, WHY_GRADIENTS))
    return results


def _per_row_loss(model, y, y_pred):
    loss = model.loss
    if isinstance(loss, keras.losses.Loss):
        return loss.call(y, y_pred)
    return keras.losses.get(loss)(y, y_pred)


def _inference(model, x, y):
    """The outputs at inference, the loss as training reduces it, the per-row losses and
    the model's own losses (regularization)."""
    y_pred = model(x, training=False)
    loss = model.compute_loss(x=x, y=y, y_pred=y_pred, training=False)
    return y_pred, loss, _per_row_loss(model, y, y_pred), list(model.losses)


def _gradients_of(model, x, y):
    """The gradients of the training loss as TF1 took them (`tf.gradients`, in a graph)."""
    y_pred = model(x, training=True)
    loss = model.compute_loss(x=x, y=y, y_pred=y_pred, training=True)
    variables = model.trainable_variables
    gradients = tf.gradients(loss, variables)
    return [
        tf.zeros_like(v) if g is None else tf.convert_to_tensor(g)
        for v, g in zip(variables, gradients, strict=True)
    ]


def in_keras_layout(uniform, inputs):
    """The values drawn for a legacy random op, laid out as the Keras tensor they drop.
    Attention heads: 2018 TF1 code split them along the batch axis,
    `tf.concat(tf.split(x, h, axis=2), axis=0)`, so its attention weights are [h*B, T, T],
    head-major (row i * B + b is head i of example b), where Keras holds [B, h, T, T]; those
    are reordered. Any other layout holding the same elements in another shape (one head:
    [B, T, T] there, [B, 1, T, T] here) is reshaped."""
    heads = inputs.shape[1] if inputs.shape.rank and inputs.shape.rank > 2 else None
    split_heads = (
        isinstance(heads, int)
        and heads > 1
        and uniform.shape.rank == inputs.shape.rank - 1
        and uniform.shape[1:] == inputs.shape[2:]
    )
    if split_heads:
        rest = list(range(2, uniform.shape.rank + 1))
        uniform = tf.reshape(uniform, [heads, -1, *uniform.shape[1:]])
        return tf.transpose(uniform, [1, 0, *rest])
    return tf.reshape(uniform, tf.shape(inputs))


class FedRandomness:
    """Makes the model's Dropout layers use the values the legacy side fed its random ops:
    the i-th Dropout layer to run while training gets the i-th random op's values, and the
    step's own (the optimizer's step counter, from where conversion left it, picks them)."""

    def __init__(self, model: keras.Model, legacy: dict) -> None:
        count = sum(key.startswith("random/") for key in legacy)
        self.ops = [str(legacy[f"random_op/{i}"]) for i in range(count)]
        self.values = [tf.constant(legacy[f"random/{i}"]) for i in range(count)]
        self.order: dict[int, int] = {}
        self.model = model
        self.start = int(model.optimizer.iterations.numpy())
        self.layers = [
            layer
            for layer in model._flatten_layers(include_self=False)
            if isinstance(layer, keras.layers.Dropout) and layer.rate > 0
        ]
        for layer in self.layers:
            layer.call = self._dropout(layer)

    def _dropout(self, layer):
        def call(inputs, training=False):
            if not training:
                return inputs
            slot = self.order.setdefault(id(layer), len(self.order))
            if slot >= len(self.values):
                raise DataError(self._mismatch())
            step = tf.cast(self.model.optimizer.iterations - self.start, tf.int32)
            uniform = tf.cast(tf.gather(self.values[slot], step), inputs.dtype)
            uniform = in_keras_layout(uniform, inputs)
            # TensorFlow's dropout with a Python rate, op for op (nn_ops._dropout)
            kept = inputs * tf.constant(1 / (1 - layer.rate), inputs.dtype)
            keep = uniform >= tf.constant(layer.rate, inputs.dtype)
            return tf.where(keep, kept, tf.constant(0, inputs.dtype))

        return call

    def check_all_used(self) -> None:
        """After the first training-mode call: every random op's values went somewhere."""
        if self.order and len(self.order) != len(self.values):
            raise DataError(self._mismatch())
        if self.values and not self.layers:
            raise DataError(self._mismatch())

    def _mismatch(self) -> str:
        return (
            f"the legacy loss depends on {len(self.values)} random op(s) "
            f"({', '.join(self.ops) or 'none'}) and the Keras model runs {len(self.layers)} "
            "Dropout layer(s) while training; parity feeds both sides the same random values, "
            "one random op per Dropout layer, in the order they run"
        )
