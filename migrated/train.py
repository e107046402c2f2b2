"""The main job: train the migrated recommender with `model.fit` and write a servable model dir.

The model dir holds `model.keras` (Keras format, loads in safe mode), `saved_model/` (TF
Serving), `vocab.json`, `config.json` (settings and final metrics), `history.npz` (each
user's items, for `tf2rec recommend`), TensorBoard logs under `logs/`, and while a run is in
progress `backup/` (`BackupAndRestore`): a killed run started again with the same command
resumes at the epoch it was in.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import keras
import numpy as np

from tf2rec.interactions import OPTIMIZERS, BatchSampler, ModelSpec, Split, save_vocabs
from tf2rec.interactions.ranking import evaluate_popularity
from tf2rec.migrated.data import EpochTracker, eval_dataset, training_dataset
from tf2rec.migrated.export import export_saved_model
from tf2rec.migrated.losses import NegativeSamplingLoss, SampledSoftmaxLoss
from tf2rec.migrated.model import TwoTowerRecommender
from tf2rec.migrated.optimizers import TF1SGD, TF1Adagrad, TF1Adam

CONFIG_FILE = "config.json"
MODEL_FILE = "model.keras"
HISTORY_FILE = "history.npz"
BACKUP_DIR = "backup"
LOSSES = ("ns", "sampled_softmax")
MONITOR = "val_recall_at_10"
# Training steps per call into TensorFlow: fewer Python round trips (the README has the
# measurement); callbacks then see every 10th batch.
STEPS_PER_EXECUTION = 10


def make_optimizer(name: str, lr: float) -> keras.optimizers.Optimizer:
    """Keras optimizers that update as TF1's `tf.train` ones (migrated/optimizers.py):
    TF1's arithmetic, and only the embedding rows a batch touches for SGD and Adagrad."""
    if name == "sgd":
        return TF1SGD(lr)
    if name == "adagrad":
        return TF1Adagrad(lr)
    if name == "adam":
        return TF1Adam(lr)
    raise ValueError(f"unknown optimizer {name!r}; choose one of {', '.join(OPTIMIZERS)}")


def compiled_model(
    spec: ModelSpec, optimizer: str, lr: float, loss: keras.losses.Loss | None = None
) -> TwoTowerRecommender:
    """The migrated model of `spec`, built (so that weights can be loaded into it) and
    compiled as `tf2rec train` trains it (the negative-sampling loss unless `loss`)."""
    model = TwoTowerRecommender(
        spec.n_users, spec.n_items, spec.embedding_dim, spec.hidden_units, spec.history_length
    )
    model.build()
    model.compile(
        optimizer=make_optimizer(optimizer, lr),
        loss=loss or NegativeSamplingLoss(),
        steps_per_execution=STEPS_PER_EXECUTION,
    )
    return model


def make_loss(name: str, sampler: BatchSampler) -> keras.losses.Loss:
    if name == "ns":
        return NegativeSamplingLoss()
    if name == "sampled_softmax":
        return SampledSoftmaxLoss(sampler.negative_probabilities(), sampler.negatives)
    raise ValueError(f"unknown loss {name!r}; choose one of {', '.join(LOSSES)}")


def train(
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
    verbose: int | str = "auto",
    callbacks=(),
) -> dict:
    """Fit on `split`, keep the best epoch by validation Recall@10, write the model dir.

    Returns a dict: `test` (the model's test metrics), `popularity` (the baseline's),
    `history` (Keras' per-epoch logs), `resumed_from_epoch` and `seconds`.
    """
    model_dir = Path(model_dir)
    started = time.time()
    keras.utils.set_random_seed(seed)
    batches = BatchSampler(
        split.train,
        split.n_items,
        batch_size=batch_size,
        negatives=negatives,
        history_length=history_length,
        sampler=sampler,
        seed=seed,
    )
    spec = ModelSpec(
        split.n_users, split.n_items, embedding_dim, hidden_units, history_length, negatives
    )
    # built: BackupAndRestore loads into existing weights
    model = compiled_model(spec, optimizer, lr, make_loss(loss, batches))

    tracker = EpochTracker()
    backup = keras.callbacks.BackupAndRestore(str(model_dir / BACKUP_DIR))
    fit_callbacks = [
        tracker,
        backup,
        keras.callbacks.TerminateOnNaN(),
        keras.callbacks.EarlyStopping(
            monitor=MONITOR, mode="max", patience=patience, restore_best_weights=True
        ),
        keras.callbacks.TensorBoard(str(model_dir / "logs")),
        *callbacks,
    ]
    fit = model.fit(
        training_dataset(batches, tracker, steps),
        epochs=1 if steps else epochs,
        validation_data=eval_dataset(split.validation, history_length),
        callbacks=fit_callbacks,
        shuffle=False,  # the sampler already shuffles, by seed
        verbose=verbose,
    )
    if not fit.history or any(not np.isfinite(v) for v in fit.history.get("loss", [])):
        raise FloatingPointError("training diverged (loss is NaN); lower --lr")
    resumed_from = int(fit.epoch[0]) if fit.epoch else 0

    test = model.evaluate(eval_dataset(split.test, history_length), return_dict=True, verbose=0)
    test = {name.replace("_at_", "@"): float(value) for name, value in test.items()}
    popularity = evaluate_popularity(split.train, split.test, split.n_items)

    model.save(model_dir / MODEL_FILE)
    export_saved_model(model, model_dir / "saved_model")
    save_vocabs(model_dir, split.users, split.items)
    np.savez(
        model_dir / HISTORY_FILE,
        indptr=split.sequences.indptr,
        items=split.sequences.items,
        popularity=split.train.item_counts(split.n_items),
    )
    config = {
        "model": model.get_config(),
        "optimizer": optimizer,
        "lr": lr,
        "loss": loss,
        "batch_size": batch_size,
        "negatives": negatives,
        "sampler": sampler,
        "seed": seed,
        "epochs_run": len(fit.epoch) + resumed_from,
        "test": test,
        "popularity": popularity,
    }
    (model_dir / CONFIG_FILE).write_text(json.dumps(config, indent=2))
    return {
        "test": test,
        "popularity": popularity,
        "history": fit.history,
        "resumed_from_epoch": resumed_from,
        "seconds": time.time() - started,
    }
