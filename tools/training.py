"""Training jobs that write a model directory tf2rec owns (`model_dir.writing`): the migrated
model (`train`, the main job, on one process or a tf.distribute cluster) and the legacy TF1
model (`train_legacy`, the migration's reference). TensorFlow is imported only when one runs.
"""

from __future__ import annotations

import hashlib
import os
import shutil
from collections.abc import Callable
from pathlib import Path

from tf2rec.atomic import check_file_size_limit
from tf2rec.errors import UsageError
from tf2rec.interactions import Split
from tf2rec.malloc import reuse_freed_memory
from tf2rec.tools import model_dir

CLUSTER_STRATEGIES = ("multi-worker", "parameter-server")


def data_fingerprint(split: Split) -> str:
    """A short hash of the training interactions, so that a resumed run can tell it is fed
    the same data."""
    digest = hashlib.sha256()
    for array in (split.train.indptr, split.train.items, split.users.ids, split.items.ids):
        digest.update(array.tobytes())
    digest.update(f"{split.n_users},{split.n_items}".encode())
    return digest.hexdigest()[:16]


def train(
    split: Split,
    path: str | Path,
    *,
    overwrite: bool = False,
    strategy: str = "one",
    bitwise: bool = False,
    jit_compile: bool = False,
    verbose: int | str = "auto",
    announce: Callable[[str], None] = print,
    **options,
) -> dict | None:
    """Train the migrated recommender on `split` into the model directory `path` (options:
    `tf2rec.migrated.train.fit`'s). A killed run started again with the same settings resumes.

    On a cluster (`strategy` "multi-worker" or "parameter-server", the cluster from
    `TF_CONFIG`), every task calls this: worker 0 (the chief) writes `path` and returns the
    result; the other tasks train, or serve, and return None.

    The fast path (each step one XLA computation) unless `bitwise`; `jit_compile` asks
    for the fast path by name, and is refused where it cannot run. Sets glibc's allocator
    so that the steps' threads reuse each other's freed memory (`tf2rec.malloc`).
    """
    check_path(strategy, bitwise, jit_compile)
    reuse_freed_memory()  # before TensorFlow starts its threads
    check_sizes(split, options)
    check_free_space(path, bytes_needed(split, options), largest_file(split, options))
    options = {**options, "strategy": strategy, "bitwise": bitwise}
    role = _cluster_role(strategy) if strategy in CLUSTER_STRATEGIES else "chief"
    if role == "served":
        return None
    if role == "worker":
        from tf2rec.migrated.train import fit

        # reads the checkpoints the chief writes into the partial folder, to resume
        fit(split, model_dir.partial_of(path), **options, verbose=0)
        return None
    settings = {**options, "data": data_fingerprint(split)}
    with model_dir.writing(path, kind="migrated", settings=settings, overwrite=overwrite) as run:
        if run.resuming:
            announce(f"resuming the interrupted run into {path}")
        from tf2rec.migrated.train import train as train_migrated

        return train_migrated(split, run.partial, **options, verbose=verbose)


def check_path(strategy: str, bitwise: bool, jit_compile: bool) -> None:
    """Refuse a training path the strategy cannot run, or both paths at once."""
    if bitwise and jit_compile:
        raise UsageError("--bitwise and --jit-compile ask for two paths; choose one")
    if jit_compile and strategy in CLUSTER_STRATEGIES:
        raise UsageError(
            f"--jit-compile runs with --strategy one or mirrored, not {strategy} (XLA cannot "
            "compile its step); drop it: this strategy trains on the bitwise path"
        )


def check_sizes(split: Split, options: dict) -> None:
    """Refuse sizes the machine cannot hold before anything of that size is allocated."""
    from tf2rec.interactions.memory import check_batch, check_history_length

    length, batch = options.get("history_length", 20), options.get("batch_size", 1024)
    check_history_length(length, len(split.validation), int(split.train.lengths.max(initial=0)))
    check_batch(batch, options.get("negatives", 8), length, options.get("embedding_dim", 32))


# What a run writes into its model directory at its fullest, measured (peak bytes under the
# model directory and its partial folder, polled every 0.1 s; Adam, the optimizer with the
# most slots): the default run (7,000 ids, 32 wide: weights W = 994,304 bytes) peaked at
# 11,156,814 bytes, one of 70,000 ids 128 wide (W = 36,036,608 bytes) at 287,468,914; with
# their interactions taken off, 7.8 W + 2.6 MB: the model with its slots (3 W), the
# backup's two epochs, the export's variables. legacy-train peaked at 3.1 W. Hence 8 copies
# and 8 MiB for graphs and logs (tests/tools/test_disk_full.py measures a run against it).
WEIGHT_COPIES = 8
FIXED_BYTES = 8 * 2**20


def _weights(split: Split, options: dict) -> int:
    """The model's weights: both embedding tables and the towers' dense layers."""
    dim, hidden = options.get("embedding_dim", 32), options.get("hidden_units", 64)
    return (split.n_users + split.n_items) * dim + 4 * (dim + hidden) * hidden


def bytes_needed(split: Split, options: dict) -> int:
    """About how much a run writes into its model directory: checked before TensorFlow's
    writers run, since some of them crash (signal 11) on a full disk instead of raising."""
    interactions = split.sequences.items.nbytes + split.sequences.indptr.nbytes
    return (
        WEIGHT_COPIES * 4 * _weights(split, options)
        + interactions
        + 8 * split.n_items
        + FIXED_BYTES
    )


# The optimizer's slots saved with the weights (model.keras, a TF1 checkpoint's data file):
# measured, the large run's model.keras was 2.99 W with Adam, legacy's data file 2.99 W.
SLOTS = {"sgd": 0, "adagrad": 1, "adam": 2}
FILE_OVERHEAD = 2**20


def largest_file(split: Split, options: dict) -> int:
    """About the largest file a run writes: the weights with the optimizer's slots."""
    slots = SLOTS.get(options.get("optimizer", "adam"), 2)
    return 4 * _weights(split, options) * (1 + slots) + FILE_OVERHEAD


def check_free_space(path: str | Path, needed: int, largest: int = 0) -> None:
    """Refuse a run whose model directory's device has less than `needed` bytes free, or
    whose largest file (`largest` bytes) this process may not write (`ulimit -f`)."""
    folder = Path(os.path.realpath(path))
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    free = shutil.disk_usage(folder).free
    if free < needed:
        raise UsageError(
            f"--model-dir {path}: about {needed / 2**20:,.0f} MiB are needed and its device "
            f"has {free / 2**20:,.0f} MiB free; free some space there or choose another "
            "directory"
        )
    check_file_size_limit(largest, f"--model-dir {path}")


def _cluster_role(strategy: str) -> str:
    """This task's part in the cluster `TF_CONFIG` names, checked before any model directory
    is touched: "chief", "worker" (trains in step with the chief), or "served" (a parameter
    server, or a worker of the parameter-server strategy, served the chief until stopped)."""
    from tf2rec.migrated.distributed import check_cluster, is_chief, serve

    check_cluster(strategy)
    if is_chief():
        return "chief"
    if strategy == "parameter-server":
        serve()
        return "served"
    return "worker"


def train_legacy(split: Split, path: str | Path, *, overwrite: bool = False, **options) -> dict:
    """Train the legacy TF1 model on `split` into the model directory `path` (options:
    `tf2rec.legacy.train.train`'s). In a process of its own: importing the legacy package
    switches TF2 behaviour off for the whole process."""
    check_sizes(split, options)
    check_free_space(path, bytes_needed(split, options), largest_file(split, options))
    settings = {**options, "data": data_fingerprint(split)}
    with model_dir.writing(
        path, kind="legacy", settings=settings, overwrite=overwrite, resume=False
    ) as run:
        from tf2rec.legacy.train import train as train_tf1

        return train_tf1(split, str(run.partial), **options)
