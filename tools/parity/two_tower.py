"""The built-in pair: this project's two-tower recommender (`legacy/model.py`) and its Keras
3 rewrite (`migrated/model.py`), run through the same harness as any other pair, on
batches drawn by the shared input pipeline."""

from __future__ import annotations

import numpy as np

from tf2rec.interactions import BatchSampler, ModelSpec, Split
from tf2rec.tools.parity.compare import Comparison
from tf2rec.tools.parity.harness import run_pair

LEGACY = "tf2rec.legacy.model:build"
MIGRATED = "tf2rec.migrated.train:model_from_hparams"


def make_batches(
    split: Split, spec: ModelSpec, steps: int, batch_size: int, seed: int
) -> dict[str, np.ndarray]:
    """`steps` training batches, stacked on a leading step axis."""
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
    return {key: np.stack([b[key] for b in batches]) for key in batches[0]}


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
    jit_compile: bool = False,
    mode: str = "auto",
    progress=None,
) -> list[Comparison]:
    """The two-tower model of `spec`, legacy against migrated, on `split`'s batches (the
    migrated model compiled with `jit_compile`: see `harness`); `progress` as in `run_pair`."""
    hparams = {**spec.as_dict(), "seed": seed}  # as in a legacy hparams.json
    if jit_compile:
        hparams["jit_compile"] = True
    return run_pair(
        LEGACY,
        MIGRATED,
        make_batches(split, spec, steps, batch_size, seed),
        hparams,
        optimizers=optimizers,
        lr=lr,
        legacy_checkpoint=legacy_checkpoint,
        seed=seed,
        mode=mode,
        progress=progress,
    )
