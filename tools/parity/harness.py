"""Parity harness: the migrated model against the legacy one, same weights, same batches.

The legacy side runs in a subprocess (`legacy_side`), as TF1 code does; the migrated
side runs here, through the code path users train with (`model.fit`). Every check is one of
two kinds, and the table says which:

- **same computation**: both sides run the same operations in the same order on the same
  shapes and dtypes, with the same kernels wherever a result is not correctly rounded (sums,
  matrix products, exp, log). Then the results are bitwise equal (0 ULP), on any one
  machine, whatever its CPU: user vectors, the logits of every batch and the first batch's
  gradients (both sides traced, so that Grappler rewrites both graphs alike); every weight
  and optimizer slot after N steps (`TF1Adagrad` calls TF1's kernels, `TF1Adam` and
  `TF1SGD` do TF1's element-wise operations in TF1's order, and the legacy process runs
  with op determinism, so that its scatter of repeated ids adds them in batch order, as
  `TF1SGD` does, instead of in whichever order its threads reach them).
- **different computation**: a per-element bound from floating-point error analysis
  (`error_bounds`), never a constant; the table shows the largest error as a
  fraction of its bound. The catalogue scores (numpy, i.e. OpenBLAS, whose kernel depends
  on the CPU, against TensorFlow's MatMul): gamma_D sum|u_k t_k| for each side, plus
  |u - u'| |t| where the user vectors differ. The loss of every batch (TF1's `Mean` against
  Keras' sum and division): gamma_B sum|l_i| / B for each side. The top-10 lists: identical
  but for items whose scores lie within the scores' bound of each other, which may swap.

A check of the first kind that fails on some machine is not a rounding matter: something
differs in the operations. On a GPU, TensorFloat-32 is switched off for both sides, so that
a float32 matrix product is one (TF32 rounds its inputs to 10 bits).
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf

from tf2rec.interactions import BatchSampler, ModelSpec, Split
from tf2rec.migrated.train import compiled_model
from tf2rec.tools.convert import (
    derive_name_map,
    legacy_to_migrated,
    read_checkpoint,
    tf1_state,
)
from tf2rec.tools.errors import CommandFailed, last_line
from tf2rec.tools.parity.error_bounds import input_error_term, matmul_bound, mean_bound, top_k_ratio

SAME = "same computation"
DIFFERENT = "different computation"
TOP_K = 10

WHY_FORWARD = "the legacy graph's TensorFlow ops, traced as fit and serving run them"
WHY_COPY = "the legacy checkpoint's values, converted without arithmetic"
WHY_GRADIENTS = "the same gradient kernels, traced as train_step runs them"
WHY_LOSS = "TF1 reduces with Mean, Keras with a sum and a division: bound 2 gamma_B sum|l_i| / B"
WHY_SCORES = (
    "numpy's matmul (OpenBLAS) against TensorFlow's: bound gamma_D sum|u_k t_k| per side "
    "+ |u - u'| |t|"
)
WHY_TOP_K = "ranked by the catalogue scores: only items within the scores' bound may swap"
WHY_STEPS = {
    "sgd": "TF1SGD subtracts repeated ids in batch order, as TF1's scatter does with op "
    "determinism on",
    "adagrad": "TF1Adagrad runs TF1's ApplyAdagrad kernels on ids summed as TF1 sums them",
    "adam": "TF1Adam does TF1's element-wise operations in TF1's order",
}


@dataclass
class Comparison:
    check: str
    tensor: str
    kind: str  # SAME (passes when bitwise equal) or DIFFERENT (passes within its bound)
    passed: bool
    why: str  # what makes both sides compute alike, or where they differ and the bound
    max_abs: float | None = None
    max_ulp: int | None = None
    bound: float | None = None  # DIFFERENT: the bound where error / bound is largest
    ratio: float | None = None  # DIFFERENT: the largest error / bound (passes at <= 1)
    note: str = ""


def ulp_distance(a: np.ndarray, b: np.ndarray) -> int:
    """Largest number of representable float32 values between paired elements."""

    def ordered(x):
        i = np.asarray(x, np.float32).view(np.int32).astype(np.int64)
        return np.where(i < 0, -(i & 0x7FFFFFFF), i)

    if a.size == 0:
        return 0
    return int(np.abs(ordered(a) - ordered(b)).max())


def _as_pair(check, tensor, kind, ours, theirs, why):
    """Both sides as float32 arrays, or a failed Comparison when their shapes differ."""
    ours = np.asarray(ours, np.float32)
    theirs = np.asarray(theirs, np.float32)
    if ours.shape != theirs.shape:
        note = f"shape {ours.shape} vs {theirs.shape}"
        return None, None, Comparison(check, tensor, kind, False, why, note=note)
    return ours, theirs, None


def compare_bitwise(check: str, tensor: str, ours, theirs, why: str) -> Comparison:
    """A check of the same computation: passes only when every bit is equal."""
    ours, theirs, failed = _as_pair(check, tensor, SAME, ours, theirs, why)
    if failed:
        return failed
    diff = np.abs(ours.astype(np.float64) - theirs)
    ulp = ulp_distance(ours, theirs)
    max_abs = float(np.nanmax(diff)) if diff.size else 0.0
    return Comparison(check, tensor, SAME, ulp == 0, why, max_abs=max_abs, max_ulp=ulp)


def compare_bounded(check: str, tensor: str, ours, theirs, bound, why: str) -> Comparison:
    """A check of a different computation: passes when |ours - theirs| <= bound everywhere
    (`bound` per element, broadcast against the tensors)."""
    ours, theirs, failed = _as_pair(check, tensor, DIFFERENT, ours, theirs, why)
    if failed:
        return failed
    if ours.size == 0:
        return Comparison(check, tensor, DIFFERENT, True, why, 0.0, 0, 0.0, 0.0)
    diff = np.abs(ours.astype(np.float64) - theirs)
    bound = np.broadcast_to(np.asarray(bound, np.float64), diff.shape)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratios = np.where(diff == 0, 0.0, diff / bound)
    ratios = np.where(np.isnan(ratios), np.inf, ratios)  # NaN on either side fails
    worst = np.unravel_index(np.argmax(ratios), ratios.shape)
    ratio = float(ratios[worst])
    return Comparison(
        check,
        tensor,
        DIFFERENT,
        ratio <= 1.0,
        why,
        max_abs=float(np.nanmax(diff)),
        max_ulp=ulp_distance(ours, theirs),
        bound=float(bound[worst]) if ratio > 0 else float(bound.max()),
        ratio=ratio,
    )


def top_k(scores: np.ndarray, k: int = TOP_K) -> np.ndarray:
    """Best k item ids per row (never the padding id 0); ties: lower id first."""
    scores = np.array(scores, np.float64)
    scores[:, 0] = -np.inf
    return np.argsort(-scores, axis=1, kind="stable")[:, :k]


def compare_top_k(check: str, ours, theirs, bound, why: str, k: int = TOP_K) -> Comparison:
    """Each side's top-k lists against the other side's scores: a list passes when some
    scores within the bound of those rank it so (`error_bounds.top_k_ratio`)."""
    ours = np.asarray(ours, np.float64)
    theirs = np.asarray(theirs, np.float64)
    excluded = np.zeros(ours.shape[1], bool)
    excluded[0] = True  # the padding id is never recommended
    our_lists, their_lists = top_k(ours, k), top_k(theirs, k)
    ratio = float(
        max(
            top_k_ratio(ours, bound, their_lists, excluded).max(),
            top_k_ratio(theirs, bound, our_lists, excluded).max(),
        )
    )
    differing = int((our_lists != their_lists).any(axis=1).sum())
    return Comparison(
        check,
        f"top-{k} lists",
        DIFFERENT,
        ratio <= 1.0,
        why,
        bound=float(np.max(bound)),
        ratio=ratio,
        note=f"{differing} of {len(our_lists)} lists differ" if differing else "",
    )


def make_batches(
    split: Split, spec: ModelSpec, steps: int, batch_size: int, seed: int
) -> dict[str, np.ndarray]:
    sampler = BatchSampler(
        split.train,
        split.n_items,
        batch_size=batch_size,
        negatives=spec.negatives,
        history_length=spec.history_length,
        seed=seed,
        drop_remainder=True,
    )
    batches = list(sampler.take(steps))
    stacked = {k: np.stack([b[k] for b in batches]) for k in batches[0]}
    probe = split.test.user[:256]
    stacked["probe_user"] = probe.astype(np.int32)
    stacked["probe_history"] = split.test.history(spec.history_length)[:256]
    stacked["steps"] = np.array(steps)
    return stacked


def run_legacy(workdir: Path) -> dict[str, np.ndarray]:
    env = {
        **os.environ,
        "TF_CPP_MIN_LOG_LEVEL": "2",
        # TF's CPU scatter splits repeated ids among threads, so their sum varies from run
        # to run in the last bits; deterministic ops add them in batch order, which is one
        # of the orders TF1's semantics allow and the one TF1SGD uses.
        "TF_DETERMINISTIC_OPS": "1",
        "NVIDIA_TF32_OVERRIDE": "0",  # on a GPU: float32 matrix products in float32
    }
    done = subprocess.run(
        [sys.executable, "-m", "tf2rec.tools.parity.legacy_side", str(workdir)],
        capture_output=True,
        text=True,
        env=env,
    )
    if done.returncode != 0:
        raise CommandFailed(
            f"the legacy model's process failed (exit {done.returncode}): " + last_line(done.stderr)
        )
    with np.load(workdir / "legacy.npz") as data:
        return dict(data)


@contextlib.contextmanager
def _float32_matmuls():
    """TensorFloat-32 off while the migrated side runs (it only matters on a GPU)."""
    enabled = tf.config.experimental.tensor_float_32_execution_enabled()
    tf.config.experimental.enable_tensor_float_32_execution(False)
    try:
        yield
    finally:
        tf.config.experimental.enable_tensor_float_32_execution(enabled)


def run_parity(
    split: Split,
    spec: ModelSpec,
    *,
    optimizers=("sgd", "adagrad", "adam"),
    steps: int = 50,
    lr: float = 0.01,
    batch_size: int = 256,
    seed: int = 0,
    legacy_checkpoint: str | None = None,
    workdir: Path | None = None,
) -> list[Comparison]:
    """Run both sides on the model of `spec` and compare."""
    with tempfile.TemporaryDirectory() as tmp, _float32_matmuls():
        work = Path(workdir or tmp)
        work.mkdir(parents=True, exist_ok=True)
        batches = make_batches(split, spec, steps, batch_size, seed)
        np.savez(work / "batches.npz", **batches)
        job = {
            "hparams": {**spec.as_dict(), "seed": seed},  # as in a legacy hparams.json
            "optimizers": list(optimizers),
            "lr": lr,
            "legacy_checkpoint": legacy_checkpoint,
        }
        (work / "spec.json").write_text(json.dumps(job))
        legacy = run_legacy(work)
        return _compare_all(work, legacy, batches, spec, optimizers, lr)


def _compare_all(
    work: Path, legacy: dict, batches: dict, spec: ModelSpec, optimizers, lr: float
) -> list[Comparison]:
    results: list[Comparison] = []
    steps = int(batches["steps"])
    batch_list = [
        {k: batches[k][i] for k in ("user", "history", "pos", "neg")} for i in range(steps)
    ]
    for index, optimizer in enumerate(optimizers):
        keras.utils.set_random_seed(0)
        model = compiled_model(spec, optimizer, lr)
        init = read_checkpoint(work / f"init-{optimizer}")
        name_map = derive_name_map(model, init)
        legacy_to_migrated(init, model, name_map, optimizer)
        if index == 0:
            results += _forward(model, legacy, batches, batch_list, name_map)
        data = tf.data.Dataset.from_tensor_slices(
            {k: batches[k] for k in ("user", "history", "pos", "neg")}
        )
        model.fit(data, epochs=1, verbose=0, shuffle=False)
        final = read_checkpoint(work / f"final-{optimizer}")
        check = f"after {steps} steps ({optimizer})"
        why = WHY_STEPS[optimizer]
        for entry in tf1_state(model, name_map, optimizer):
            ours = entry.variable.numpy()
            results.append(compare_bitwise(check, entry.tf1_name, ours, final[entry.tf1_name], why))
    return results


def _forward(model, legacy: dict, batches: dict, batch_list: list, name_map) -> list[Comparison]:
    check = "forward (start weights)"
    vectors = _user_vectors(model, batches["probe_user"], batches["probe_history"]).numpy()
    out = [compare_bitwise(check, "user vectors", vectors, legacy["user_vectors"], WHY_FORWARD)]

    outputs = [_logits_and_losses(model, batch) for batch in batch_list]
    logits = np.stack([o[0].numpy() for o in outputs])
    out.append(
        compare_bitwise(check, "logits of every batch", logits, legacy["logits"], WHY_FORWARD)
    )
    losses = np.array([float(o[1]) for o in outputs], np.float32)
    # each side's mean of the same per-row losses (equal, as the logits are), within
    # mean_bound of the exact mean
    loss_bound = np.array([2 * mean_bound(o[2].numpy()) for o in outputs])
    out.append(
        compare_bounded(
            check, "loss of every batch", losses, legacy["batch_loss"], loss_bound, WHY_LOSS
        )
    )

    table = model.item_tower.table
    items = legacy["item_table"]
    scores = _catalogue_scores(model, vectors).numpy()
    legacy_vectors = legacy["user_vectors"]
    # ours from our vectors, theirs from the legacy's, and what differs between the two;
    # both sides score the same item table (the check below)
    score_bound = (
        matmul_bound(vectors, items.T)
        + matmul_bound(legacy_vectors, items.T)
        + input_error_term(vectors, legacy_vectors, items.T)
    )
    out.append(compare_bitwise(check, "item table", table.numpy(), items, WHY_COPY))
    out.append(
        compare_bounded(
            check, "catalogue scores", scores, legacy["scores"], score_bound, WHY_SCORES
        )
    )
    out.append(compare_top_k(check, scores, legacy["scores"], score_bound, WHY_TOP_K))

    for weight, grad in zip(
        model.trainable_variables, _gradients(model, batch_list[0]), strict=True
    ):
        name = name_map.entries[weight.path]
        out.append(
            compare_bitwise(
                "gradients (batch 0)", name, grad.numpy(), legacy["grad/" + name], WHY_GRADIENTS
            )
        )
    return out


@tf.function
def _user_vectors(model, user, history):
    return model.user_vectors(user, history)


@tf.function
def _catalogue_scores(model, vectors):
    return model.catalogue_scores(vectors)


@tf.function
def _logits_and_losses(model, batch):
    """A batch's logits, its loss as training reduces it, and the per-row losses."""
    logits = model(batch)
    return logits, model.compute_loss(y_pred=logits), model.loss.call(None, logits)


@tf.function
def _gradients(model, batch):
    """As `train_step` computes them: traced, so Grappler optimizes the gradient graph as it
    does the legacy one (eager gradients differ from TF1's in the last bit)."""
    with tf.GradientTape() as tape:
        loss = model.compute_loss(y_pred=model(batch, training=True))
    return [tf.convert_to_tensor(g) for g in tape.gradient(loss, model.trainable_variables)]


def kernel_configuration() -> dict[str, str]:
    """What chooses the kernels on this machine, for the report: a parity failure that
    depends on it is a bug in a check, and this says where to reproduce it."""
    from threadpoolctl import threadpool_info

    blas = [
        f"{i.get('internal_api')} {i.get('architecture') or ''} ({i.get('num_threads')} threads)"
        for i in threadpool_info()
        if i.get("user_api") == "blas"
    ]
    environment = (
        "OPENBLAS_CORETYPE",
        "TF_ENABLE_ONEDNN_OPTS",
        "ONEDNN_MAX_CPU_ISA",
        "TF_NUM_INTRAOP_THREADS",
        "XLA_FLAGS",
    )
    return {
        "cpu": _cpu_name(),
        "numpy BLAS": ", ".join(blas) or "unknown",
        "TensorFlow": f"{tf.__version__} on "
        + ", ".join(sorted({d.device_type for d in tf.config.list_physical_devices()})),
        **{name: os.environ[name] for name in environment if name in os.environ},
    }


def _cpu_name() -> str:
    try:
        with open("/proc/cpuinfo") as info:
            for line in info:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    import platform

    return platform.processor() or platform.machine()


def _number(value: float | int | None) -> str:
    return "-" if value is None else f"{value:.3g}"


def table(results: list[Comparison], configuration: dict[str, str] | None = None) -> str:
    """The comparisons as a text table, why each check is of its kind, the kernel
    configuration, and a count."""
    reasons = list(dict.fromkeys(r.why for r in results))
    rows = [("check", "tensor", "kind", "max abs", "max ULP", "bound", "error/bound", "result")]
    rows += [
        (
            r.check,
            r.tensor,
            f"{'same' if r.kind == SAME else 'different'} [{reasons.index(r.why) + 1}]",
            _number(r.max_abs),
            _number(r.max_ulp),
            "bitwise" if r.kind == SAME else _number(r.bound),
            _number(r.ratio),
            ("pass" if r.passed else "FAIL") + (f" ({r.note})" if r.note else ""),
        )
        for r in results
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = [
        "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()
        for row in rows
    ]
    lines += [
        "",
        "same: the same operations and kernels on both sides, so bitwise equal (0 ULP).",
        "different: a bound per element from floating-point error analysis; error/bound is",
        "the largest |ours - theirs| / bound (bound: at that element) and must be <= 1.",
        *(f"[{i}] {why}" for i, why in enumerate(reasons, 1)),
    ]
    if configuration:
        lines.append("kernels: " + "; ".join(f"{k} {v}" for k, v in configuration.items()))
    failed = sum(not r.passed for r in results)
    lines.append(f"{len(results) - failed} passed, {failed} failed")
    return "\n".join(lines)


def _finite_or_text(value):
    """JSON has no inf or NaN: such a number is written as the string "inf" or "nan"."""
    if isinstance(value, float) and not np.isfinite(value):
        return str(value)
    return value


def as_json(results: list[Comparison], configuration: dict[str, str] | None = None) -> str:
    return json.dumps(
        {
            "passed": all(r.passed for r in results),
            "configuration": configuration or {},
            "comparisons": [{k: _finite_or_text(v) for k, v in asdict(r).items()} for r in results],
        },
        indent=2,
        allow_nan=False,
    )
