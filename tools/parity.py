"""Parity harness: the migrated model against the legacy one, same weights, same batches.

The legacy side runs in a subprocess (`tools.parity_legacy`), as TF1 code does; the migrated
side runs here, through the code path users train with (`model.fit`). Compared per tensor
(max abs diff, max rel diff, max ULP distance):

- forward, at the starting weights: user vectors, the logits of a batch, the loss of every
  batch and the catalogue scores bitwise equal (0 ULP); top-10 lists identical;
- the gradients of the first batch, as `train_step` computes them: bitwise equal;
- after N training steps with each optimizer: every weight and optimizer slot within
  1e-4 absolute (Adam and Adagrad, with `TF1Adam` and `TF1Adagrad`, are bitwise equal
  too; SGD differs in the last bits: TensorFlow's scatter of repeated ids is not
  deterministic, so two runs of the legacy model differ as much from each other).
"""

from __future__ import annotations

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

from interactions import BatchSampler, Split
from migrated.losses import NegativeSamplingLoss
from tools.convert import (
    BETA_POWERS,
    SLOTS,
    derive_name_map,
    legacy_to_migrated,
    migrated_model,
    read_checkpoint,
    slot_variable,
)

WEIGHT_TOLERANCE = 1e-4


@dataclass
class Comparison:
    check: str
    tensor: str
    max_abs: float
    max_rel: float
    max_ulp: int
    tolerance: str  # "bitwise", "identical" or an absolute bound
    passed: bool


def ulp_distance(a: np.ndarray, b: np.ndarray) -> int:
    """Largest number of representable float32 values between paired elements."""

    def ordered(x):
        i = np.asarray(x, np.float32).view(np.int32).astype(np.int64)
        return np.where(i < 0, -(i & 0x7FFFFFFF), i)

    if a.size == 0:
        return 0
    return int(np.abs(ordered(a) - ordered(b)).max())


def compare(check: str, tensor: str, ours, theirs, tolerance: float | None) -> Comparison:
    """`tolerance` None means bitwise."""
    ours = np.asarray(ours, np.float32)
    theirs = np.asarray(theirs, np.float32)
    if ours.shape != theirs.shape:
        return Comparison(
            check,
            tensor,
            float("inf"),
            float("inf"),
            -1,
            f"shape {ours.shape} vs {theirs.shape}",
            False,
        )
    diff = np.abs(ours.astype(np.float64) - theirs)
    max_abs = float(diff.max()) if diff.size else 0.0
    scale = np.maximum(np.abs(theirs.astype(np.float64)), np.finfo(np.float32).tiny)
    max_rel = float((diff / scale).max()) if diff.size else 0.0
    ulp = ulp_distance(ours, theirs)
    passed = ulp == 0 if tolerance is None else max_abs <= tolerance
    return Comparison(
        check,
        tensor,
        max_abs,
        max_rel,
        ulp,
        "bitwise" if tolerance is None else f"{tolerance:g}",
        passed,
    )


def top_k(scores: np.ndarray, k: int = 10) -> np.ndarray:
    """Best k item ids per row (never the padding id 0); ties: lower id first."""
    scores = np.array(scores, np.float64)
    scores[:, 0] = -np.inf
    return np.argsort(-scores, axis=1, kind="stable")[:, :k]


def make_batches(
    split: Split, hparams: dict, steps: int, batch_size: int, seed: int
) -> dict[str, np.ndarray]:
    sampler = BatchSampler(
        split.train,
        split.n_items,
        batch_size=batch_size,
        negatives=hparams["negatives"],
        history_length=hparams["history_length"],
        seed=seed,
        drop_remainder=True,
    )
    batches = list(sampler.take(steps))
    stacked = {k: np.stack([b[k] for b in batches]) for k in batches[0]}
    probe = split.test.user[:256]
    stacked["probe_user"] = probe.astype(np.int32)
    stacked["probe_history"] = split.test.history(hparams["history_length"])[:256]
    stacked["steps"] = np.array(steps)
    return stacked


def run_legacy(workdir: Path) -> dict[str, np.ndarray]:
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"}
    done = subprocess.run(
        [sys.executable, "-m", "tools.parity_legacy", str(workdir)],
        capture_output=True,
        text=True,
        env=env,
    )
    if done.returncode != 0:
        raise RuntimeError("the legacy side failed:\n" + done.stderr[-3000:])
    with np.load(workdir / "legacy.npz") as data:
        return dict(data)


def run_parity(
    split: Split,
    hparams: dict,
    *,
    optimizers=("sgd", "adagrad", "adam"),
    steps: int = 50,
    lr: float = 0.01,
    batch_size: int = 256,
    seed: int = 0,
    legacy_checkpoint: str | None = None,
    workdir: Path | None = None,
) -> list[Comparison]:
    """Run both sides and compare. `hparams` as in a legacy `hparams.json`."""
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(workdir or tmp)
        work.mkdir(parents=True, exist_ok=True)
        batches = make_batches(split, hparams, steps, batch_size, seed)
        np.savez(work / "batches.npz", **batches)
        spec = {
            "hparams": {**hparams, "seed": seed},
            "optimizers": list(optimizers),
            "lr": lr,
            "legacy_checkpoint": legacy_checkpoint,
        }
        (work / "spec.json").write_text(json.dumps(spec))
        legacy = run_legacy(work)
        return _compare_all(work, legacy, batches, hparams, optimizers, lr)


def _compare_all(
    work: Path, legacy: dict, batches: dict, hparams: dict, optimizers, lr: float
) -> list[Comparison]:
    results: list[Comparison] = []
    steps = int(batches["steps"])
    batch_list = [
        {k: batches[k][i] for k in ("user", "history", "pos", "neg")} for i in range(steps)
    ]
    for index, optimizer in enumerate(optimizers):
        keras.utils.set_random_seed(0)
        model = migrated_model(hparams, optimizer, lr)
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
        for weight in model.weights:
            name = name_map.entries[weight.path]
            results.append(compare(check, name, weight.numpy(), final[name], WEIGHT_TOLERANCE))
        for weight in model.trainable_variables:
            for suffix, slot in SLOTS[optimizer].items():
                name = f"{name_map.entries[weight.path]}/{suffix}"
                variable = slot_variable(model.optimizer, weight, slot)
                results.append(
                    compare(check, name, variable.numpy(), final[name], WEIGHT_TOLERANCE)
                )
        for tf1_name, attribute in BETA_POWERS.items():
            if optimizer == "adam":
                results.append(
                    compare(
                        check,
                        tf1_name,
                        getattr(model.optimizer, attribute),
                        final[tf1_name],
                        WEIGHT_TOLERANCE,
                    )
                )
    return results


def _forward(model, legacy: dict, batches: dict, batch_list: list, name_map) -> list[Comparison]:
    check = "forward (start weights)"
    user = batches["probe_user"]
    history = batches["probe_history"]
    vectors = model.user_vectors(user, history).numpy()
    out = [
        compare(check, "user vectors", vectors, legacy["user_vectors"], None),
        compare(check, "logits of batch 0", model(batch_list[0]).numpy(), legacy["logits"], None),
    ]
    loss_fn = NegativeSamplingLoss()
    losses = np.array([float(loss_fn(None, model(b))) for b in batch_list], np.float32)
    out.append(compare(check, "loss of every batch", losses, legacy["batch_loss"], None))
    scores = model.catalogue_scores(vectors).numpy()
    out.append(compare(check, "catalogue scores", scores, legacy["scores"], None))
    same = np.array_equal(top_k(scores), top_k(legacy["scores"]))
    out.append(Comparison(check, "top-10 lists", 0.0 if same else 1.0, 0.0, 0, "identical", same))
    for weight, grad in zip(
        model.trainable_variables, _gradients(model, batch_list[0]), strict=True
    ):
        name = name_map.entries[weight.path]
        out.append(compare("gradients (batch 0)", name, grad.numpy(), legacy["grad/" + name], None))
    return out


@tf.function
def _gradients(model, batch):
    """As `train_step` computes them: traced, so Grappler optimizes the gradient graph as it
    does the legacy one (eager gradients differ from TF1's in the last bit)."""
    with tf.GradientTape() as tape:
        loss = model.compute_loss(y_pred=model(batch, training=True))
    return [tf.convert_to_tensor(g) for g in tape.gradient(loss, model.trainable_variables)]


def table(results: list[Comparison]) -> str:
    rows = [("check", "tensor", "max abs", "max rel", "max ULP", "tolerance", "result")]
    rows += [
        (
            r.check,
            r.tensor,
            f"{r.max_abs:.3g}",
            f"{r.max_rel:.3g}",
            str(r.max_ulp),
            r.tolerance,
            "pass" if r.passed else "FAIL",
        )
        for r in results
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = [
        "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()
        for row in rows
    ]
    failed = sum(not r.passed for r in results)
    lines.append(f"{len(results) - failed} passed, {failed} failed")
    return "\n".join(lines)


def as_json(results: list[Comparison]) -> str:
    return json.dumps(
        {"passed": all(r.passed for r in results), "comparisons": [asdict(r) for r in results]},
        indent=2,
    )
