"""The main job: train the migrated recommender with `model.fit` and write a servable model dir.

The model dir holds `model.keras` (Keras format, loads in safe mode), `saved_model/` (TF
Serving), `vocab.json`, `config.json` (settings and final metrics), `user_items.npz`
(each user's training items and the item counts, for `tf2rec recommend`), TensorBoard logs
under `logs/`, and while a run is in progress `backup/` (`backup.VerifiedBackup`): a killed
run started again with the same command resumes at the epoch it was in.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path

import keras
import numpy as np

from tf2rec.atomic import write_atomically
from tf2rec.interactions import BatchSampler, ModelSpec, Split, optimizer_kind, save_vocabs
from tf2rec.interactions.model_files import (
    BACKUP_DIR,
    CONFIG_FILE,
    LOGS_DIR,
    MODEL_FILE,
    SAVED_MODEL_DIR,
)
from tf2rec.interactions.ranking import evaluate_popularity
from tf2rec.interactions.user_items import save_user_items
from tf2rec.migrated import optimizers
from tf2rec.migrated.backup import VerifiedBackup
from tf2rec.migrated.datasets import EpochTracker, batch_signature, eval_dataset, training_dataset
from tf2rec.migrated.distributed import (
    ClusterError,
    CoordinatedTraining,
    fit_loop,
    from_chief,
    make_strategy,
    parameter_servers,
    ranking_metrics,
    train_steps,
    worker_batches,
)
from tf2rec.migrated.early_stopping import ResumableEarlyStopping
from tf2rec.migrated.export import export_saved_model
from tf2rec.migrated.losses import NegativeSamplingLoss, SampledSoftmaxLoss
from tf2rec.migrated.model import TwoTowerRecommender

LOSSES = ("ns", "sampled_softmax")
MONITOR = "val_recall_at_10"
# Training steps per call into TensorFlow: fewer Python round trips (the README has the
# measurement); callbacks then see every 10th batch.
STEPS_PER_EXECUTION = 10


def make_optimizer(name: str, lr: float) -> keras.optimizers.Optimizer:
    """Keras optimizers that update as TF1's `tf.train` ones (migrated/optimizers.py):
    TF1's arithmetic, and only the embedding rows a batch touches for SGD and Adagrad."""
    return getattr(optimizers, optimizer_kind(name).migrated_class)(lr)


# What trained a model, as config.json records it.
FAST, BITWISE = "fast", "bitwise"


def compiled_model(
    spec: ModelSpec,
    optimizer: str,
    lr: float,
    loss: keras.losses.Loss | None = None,
    shards: int = 1,
    jit_compile: bool = True,
) -> TwoTowerRecommender:
    """The migrated model of `spec`, built (so that weights can be loaded into it) and
    compiled as `tf2rec train` trains it (the negative-sampling loss unless `loss`), its
    embedding tables in `shards` parts.

    By default (the fast path) each step of `fit` runs as one XLA computation: XLA's
    kernels, fused and reordered, proven the legacy model's mathematics in float64 and
    rounded no worse in float32 (`tf2rec.tools.parity.fast_path`). `jit_compile=False`
    (the bitwise path) runs every operation on TensorFlow's own kernel in TF1's order, and
    the steps are the legacy model's to the bit.
    """
    model = TwoTowerRecommender(
        spec.n_users,
        spec.n_items,
        spec.embedding_dim,
        spec.hidden_units,
        spec.history_length,
        shards=shards,
    )
    model.build()
    model.compile(
        optimizer=make_optimizer(optimizer, lr),
        loss=loss or NegativeSamplingLoss(),
        steps_per_execution=STEPS_PER_EXECUTION,
        jit_compile=jit_compile,
    )
    return model


def model_from_hparams(hparams: dict) -> TwoTowerRecommender:
    """The parity harness's factory (`tf2rec parity`): the model of a legacy hparams dict,
    built and compiled with its optimizer and learning rate: the bitwise path, or the fast
    path where the dict sets `jit_compile`."""
    return compiled_model(
        ModelSpec.from_dict(hparams),
        hparams["optimizer"],
        hparams["lr"],
        jit_compile=hparams.get("jit_compile", False),
    )


def make_loss(name: str, sampler: BatchSampler) -> keras.losses.Loss:
    if name == "ns":
        return NegativeSamplingLoss()
    if name == "sampled_softmax":
        return SampledSoftmaxLoss(sampler.negative_probabilities(), sampler.negatives)
    raise ValueError(f"unknown loss {name!r}; choose one of {', '.join(LOSSES)}")


@dataclass
class TrainedModel:
    """A trained model with what `tf2rec train` reports and writes about it."""

    model: TwoTowerRecommender
    test: dict[str, float]  # the model's test metrics
    popularity: dict[str, float]  # the popularity baseline's
    history: dict[str, list[float]]  # Keras' per-epoch logs
    resumed_from_epoch: int
    epochs_run: int


def fit(
    split: Split,
    model_dir: str | Path,
    *,
    epochs: int = 10,
    steps: int | None = None,
    batch_size: int = 1024,
    negatives: int = 8,
    history_length: int = 20,
    optimizer: str = "adam",
    lr: float = 0.01,
    embedding_dim: int = 32,
    hidden_units: int = 64,
    sampler: str = "uniform",
    loss: str = "ns",
    seed: int = 0,
    patience: int = 3,
    strategy: str = "one",
    bitwise: bool = False,
    verbose: int | str = "auto",
    callbacks=(),
) -> TrainedModel:
    """Fit on `split`, keep the best epoch by validation Recall@10, evaluate on the test users.

    `strategy` (`distributed.STRATEGIES`): "one" and "mirrored" train with `model.fit`;
    "multi-worker" and "parameter-server" with `distributed.fit_loop` on the cluster
    `TF_CONFIG` names (multi-worker: global batch `batch_size`, an epoch's last, smaller
    batch dropped, as it must split evenly; parameter-server: the embedding tables in one
    shard per parameter server). The fast path unless `bitwise` (`compiled_model`), with
    strategies "one" and "mirrored" (`training_path`). Of the model directory, only
    `backup/` (to resume a killed run) and `logs/` are written here; `write_model_dir`
    writes the model itself."""
    model_dir = Path(model_dir)
    distribution = make_strategy(strategy)  # first: a cluster's workers meet here
    _check_batch_split(distribution, strategy, batch_size)
    keras.utils.set_random_seed(seed)
    batches = BatchSampler(
        split.train,
        split.n_items,
        batch_size=batch_size,
        negatives=negatives,
        history_length=history_length,
        sampler=sampler,
        seed=seed,
        drop_remainder=strategy == "multi-worker",
    )
    spec = ModelSpec(
        split.n_users, split.n_items, embedding_dim, hidden_units, history_length, negatives
    )
    # one shard of each embedding table per parameter server
    shards = parameter_servers() if strategy == "parameter-server" else 1
    jit = training_path(strategy, bitwise) == FAST
    with distribution.scope():  # built: the backup loads into existing weights
        model = compiled_model(spec, optimizer, lr, make_loss(loss, batches), shards, jit)
    run = FitRun(batches, split, model_dir, epochs, steps, patience)
    if strategy in ("multi-worker", "parameter-server"):
        return _fit_on_cluster(model, distribution, strategy, run)
    return _fit_in_process(model, run, verbose, callbacks)


@dataclass
class FitRun:
    """What a run trains on and how long: the same for every strategy."""

    batches: BatchSampler
    split: Split
    model_dir: Path
    epochs: int
    steps: int | None  # a fixed number of steps (one epoch of them) instead of epochs
    patience: int


def training_path(strategy: str, bitwise: bool) -> str:
    """`FAST` or `BITWISE`: the fast path unless `bitwise` or on a cluster, where XLA
    cannot compile the step (TF 2.21, CPU): a multi-worker step all-gathers the embedding
    gradients with `CollectiveGatherV2`, which has no XLA kernel, and a parameter-server
    step reads variables on other hosts, which one XLA computation cannot."""
    return BITWISE if bitwise or strategy in ("multi-worker", "parameter-server") else FAST


def _check_batch_split(distribution, strategy: str, batch_size: int) -> None:
    """A multi-worker global batch must split evenly over the workers."""
    workers = distribution.num_replicas_in_sync if strategy == "multi-worker" else 1
    if batch_size % workers:
        raise ClusterError(
            f"--batch-size {batch_size} does not split evenly over {workers} workers; "
            "choose a multiple of the worker count"
        )


def _fit_in_process(
    model: TwoTowerRecommender, run: FitRun, verbose: int | str, callbacks
) -> TrainedModel:
    """`fit` with strategy "one" or "mirrored": Keras' `model.fit`, resumable."""
    batches, split, model_dir, steps = run.batches, run.split, run.model_dir, run.steps
    epochs, patience = run.epochs, run.patience
    tracker = EpochTracker()
    fit_callbacks = [
        tracker,
        # before the backup: its state for an epoch is saved before the backup says the
        # epoch is done, so a resume always finds the state of the epoch before it
        ResumableEarlyStopping(model_dir / BACKUP_DIR / "early_stopping", MONITOR, patience),
        VerifiedBackup(model_dir / BACKUP_DIR),
        keras.callbacks.TerminateOnNaN(),
        keras.callbacks.TensorBoard(str(model_dir / LOGS_DIR)),
        *callbacks,
    ]
    history_length = batches.history_length
    history = model.fit(
        training_dataset(batches, tracker, steps),
        epochs=1 if steps else epochs,
        validation_data=eval_dataset(split.validation, history_length),
        callbacks=fit_callbacks,
        shuffle=False,  # the sampler already shuffles, by seed
        verbose=verbose,
    )
    if not history.history or any(not np.isfinite(v) for v in history.history.get("loss", [])):
        raise FloatingPointError("training diverged (loss is NaN); lower --lr")
    resumed_from = int(history.epoch[0]) if history.epoch else 0
    test = model.evaluate(eval_dataset(split.test, history_length), return_dict=True, verbose=0)
    return TrainedModel(
        model=model,
        test={name.replace("_at_", "@"): float(value) for name, value in test.items()},
        popularity=evaluate_popularity(split.train, split.test, split.n_items),
        history=history.history,
        resumed_from_epoch=resumed_from,
        epochs_run=len(history.epoch) + resumed_from,
    )


def write_model_dir(
    model_dir: str | Path, trained: TrainedModel, split: Split, settings: dict
) -> None:
    """Write the servable model directory (the files the module docstring lists).
    `settings` are the training settings recorded in `config.json`."""
    model_dir = Path(model_dir)
    popularity = split.train.item_counts(split.n_items)
    trained.model.save(model_dir / MODEL_FILE)
    export_saved_model(
        trained.model, model_dir / SAVED_MODEL_DIR, split.users, split.items, popularity
    )
    save_vocabs(model_dir, split.users, split.items)
    save_user_items(model_dir, split)
    config = {
        "model": trained.model.get_config(),
        **settings,
        "epochs_run": trained.epochs_run,
        "test": trained.test,
        "popularity": trained.popularity,
    }
    write_atomically(model_dir / CONFIG_FILE, json.dumps(config, indent=2))


def _fit_on_cluster(model: TwoTowerRecommender, strategy, name: str, run: FitRun) -> TrainedModel:
    """`fit` on a "multi-worker" or "parameter-server" cluster: `distributed.fit_loop`."""
    batches, split, model_dir, steps = run.batches, run.split, run.model_dir, run.steps
    epochs, patience = run.epochs, run.patience
    with strategy.scope():
        model.optimizer.build(model.trainable_variables)  # its slots, placed like the model
    history_length = batches.history_length

    def epoch_batches(epoch: int):
        return batches.take(steps) if steps else batches.epoch(epoch)

    if name == "multi-worker":
        signature = batch_signature(history_length, batches.negatives)

        def train_epoch(epoch: int) -> float:
            data = worker_batches(strategy, lambda: epoch_batches(epoch), signature)
            return train_steps(model, strategy, data, steps or batches.steps_per_epoch)

        def validation() -> float:  # the chief's score decides for every worker
            score = ranking_metrics(model, split.validation, history_length)["recall@10"]
            return from_chief(strategy, score)

    else:
        coordinated = CoordinatedTraining(model, strategy)

        def train_epoch(epoch: int) -> float:
            return coordinated.epoch(epoch_batches(epoch))

        def validation() -> float:
            return ranking_metrics(model, split.validation, history_length)["recall@10"]

    result = fit_loop(
        model,
        train_epoch,
        validation,
        model_dir / BACKUP_DIR,
        epochs=1 if steps else epochs,
        patience=patience,
    )
    return TrainedModel(
        model=model,
        test=ranking_metrics(model, split.test, history_length),
        popularity=evaluate_popularity(split.train, split.test, split.n_items),
        history=result.history,
        resumed_from_epoch=result.resumed_from_epoch,
        epochs_run=result.epochs_run,
    )


# The settings of `fit` that config.json records.
RECORDED_SETTINGS = (
    "optimizer",
    "lr",
    "loss",
    "batch_size",
    "negatives",
    "sampler",
    "seed",
    "strategy",
    "bitwise",
)


def train(split: Split, model_dir: str | Path, **options) -> dict:
    """`fit` with `options` (its keyword arguments), then `write_model_dir`.

    Returns a dict: `test` (the model's test metrics), `popularity` (the baseline's),
    `history` (Keras' per-epoch logs), `resumed_from_epoch` and `seconds`.
    """
    started = time.time()
    trained = fit(split, model_dir, **options)
    defaults = {name: fit.__kwdefaults__[name] for name in RECORDED_SETTINGS}
    settings = {name: options.get(name, defaults[name]) for name in RECORDED_SETTINGS}
    settings["training_path"] = training_path(settings["strategy"], settings["bitwise"])
    write_model_dir(model_dir, trained, split, settings)
    return {
        "test": trained.test,
        "popularity": trained.popularity,
        "history": trained.history,
        "resumed_from_epoch": trained.resumed_from_epoch,
        "seconds": time.time() - started,
    }
