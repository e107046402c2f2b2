"""Training on a tf.distribute cluster, with the model's own `train_step`.

Under `MultiWorkerMirroredStrategy`, Keras 3's `fit` fails on TF 2.21 ("Attempt to convert a
value (PerReplica...)", keras-team/keras#20585), and it does not support
`ParameterServerStrategy`, so the steps run in loops of our own: `strategy.run(
model.train_step, ...)` inside a `tf.function`. The step is the same code `fit` runs (the
loss scaled by the replica count, the Keras optimizer applying the gradients), so a worker
computes what one process computes. Multi-worker: each worker reads its own share of every
global batch, the rows `[i * B / W, (i + 1) * B / W)` of batch `B` on worker `i` of `W`, and
the gradients are all-reduced. Parameter servers: the chief's `ClusterCoordinator` gives
each step to a worker, and the variables live on the parameter servers
(`CoordinatedTraining`). `fit_loop` adds the epochs, validation, early stopping and the
checkpoints a restarted cluster resumes from.

The cluster comes from `TF_CONFIG` (`tf2rec cluster local` sets it on one machine).
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import tensorflow as tf

from tf2rec.errors import UsageError
from tf2rec.migrated.early_stopping import StoppingRule, load_weights, save_weights

STRATEGIES = ("one", "mirrored", "multi-worker", "parameter-server")


class ClusterError(UsageError, ValueError):
    """A cluster that cannot run the requested strategy (one line, for the command line)."""


def cluster_config() -> dict:
    """`TF_CONFIG` as a dict (empty when it is not set)."""
    text = os.environ.get("TF_CONFIG", "").strip()
    if not text:
        return {}
    try:
        config = json.loads(text)
    except json.JSONDecodeError as err:
        raise ClusterError(f"TF_CONFIG is not JSON ({err.msg} at character {err.pos})") from None
    if not isinstance(config, dict) or not isinstance(config.get("cluster"), dict):
        raise ClusterError('TF_CONFIG has no "cluster" object')
    return config


def make_strategy(name: str) -> tf.distribute.Strategy:
    """The strategy `--strategy NAME` asks for: "one" (this process), "mirrored" (every
    local device), "multi-worker" (synchronous data parallelism over `TF_CONFIG`'s workers),
    "parameter-server" (variables on `TF_CONFIG`'s parameter servers, steps on its workers,
    coordinated by its chief)."""
    if name == "one":
        return tf.distribute.get_strategy()
    if name == "mirrored":
        return tf.distribute.MirroredStrategy()
    if name == "multi-worker":
        check_cluster(name)
        return tf.distribute.MultiWorkerMirroredStrategy()
    if name == "parameter-server":
        check_cluster(name)
        resolver = tf.distribute.cluster_resolver.TFConfigClusterResolver()
        return tf.distribute.ParameterServerStrategy(resolver)
    raise ClusterError(f"unknown strategy {name!r}; choose one of {', '.join(STRATEGIES)}")


def check_cluster(name: str) -> None:
    """Raise ClusterError unless `TF_CONFIG` describes the cluster strategy `name` needs."""
    cluster = cluster_config().get("cluster", {})
    if name == "multi-worker" and not cluster.get("worker"):
        raise ClusterError(
            "--strategy multi-worker needs TF_CONFIG with a cluster of workers; on one "
            "machine: tf2rec cluster local --workers 2 -- <this command>"
        )
    if name == "parameter-server" and not all(cluster.get(j) for j in ("chief", "worker", "ps")):
        raise ClusterError(
            "--strategy parameter-server needs TF_CONFIG with a chief, workers and parameter "
            "servers; on one machine: tf2rec cluster local --workers 2 --ps 2 -- <this command>"
        )


def is_chief() -> bool:
    """Whether this process writes what the run produces: the "chief" task where the
    cluster has one, else worker 0, or the only process."""
    config = cluster_config()
    task = config.get("task", {})
    kind, index = task.get("type", "worker"), int(task.get("index", 0))
    if "chief" in config.get("cluster", {}):
        return kind == "chief"
    return kind == "chief" or (kind == "worker" and index == 0)


def serve() -> None:
    """Be this process's task of a parameter-server cluster (a worker or a parameter
    server): serve the chief until the run ends and the launcher stops the process."""
    config = cluster_config()
    resolver = tf.distribute.cluster_resolver.TFConfigClusterResolver()
    server = tf.distribute.Server(
        resolver.cluster_spec(),
        job_name=config["task"]["type"],
        task_index=int(config["task"]["index"]),
        protocol="grpc",
        start=True,
    )
    server.join()


def parameter_servers() -> int:
    """How many parameter servers `TF_CONFIG` names (the embedding tables' shard count)."""
    return len(cluster_config().get("cluster", {}).get("ps", [])) or 1


class CoordinatedTraining:
    """Training on a `ParameterServerStrategy` cluster from its chief: each global batch is
    one step that the `ClusterCoordinator` gives to a free worker, and the next starts once
    it is applied, so the steps apply in order, as in one process (the workers take turns;
    what the cluster adds is the tables, sharded over the parameter servers)."""

    def __init__(self, model, strategy: tf.distribute.Strategy) -> None:
        self.model = model
        self.coordinator = tf.distribute.coordinator.ClusterCoordinator(strategy)

        @tf.function
        def step(batch):
            return strategy.run(model.train_step, args=(batch,))["loss"]

        self.step = step

    def epoch(self, batches: Iterable[dict]) -> float:
        """Train on `batches`; returns their mean loss."""
        for metric in self.model.metrics:
            metric.reset_state()
        loss = None
        for batch in batches:
            tensors = {name: tf.constant(values) for name, values in batch.items()}
            loss = self.coordinator.schedule(self.step, args=(tensors,))
            self.coordinator.join()
        return float(loss.fetch()) if loss is not None else float("nan")


def worker_batches(
    strategy: tf.distribute.Strategy,
    batches: Callable[[], Iterable[dict]],
    signature: dict[str, tf.TensorSpec],
) -> tf.distribute.DistributedDataset:
    """The global batches `batches()` yields, each worker reading only its share of rows.
    A global batch must split evenly: the replicas' mean losses then average to its mean."""

    def share(context: tf.distribute.InputContext) -> tf.data.Dataset:
        parts, part = context.num_input_pipelines, context.input_pipeline_id

        def rows():
            for batch in batches():
                size = len(next(iter(batch.values())))
                if size % parts:
                    raise ClusterError(
                        f"a batch of {size} rows does not split evenly over {parts} workers; "
                        "choose a batch size that is a multiple of the worker count"
                    )
                low, high = part * size // parts, (part + 1) * size // parts
                yield {name: values[low:high] for name, values in batch.items()}

        return tf.data.Dataset.from_generator(rows, output_signature=signature)

    return strategy.distribute_datasets_from_function(share)


def make_step(model, strategy: tf.distribute.Strategy) -> Callable:
    """One training step of the cluster as a `tf.function` of an iterator over
    `worker_batches`: every replica runs `model.train_step` on its share; returns the mean
    loss so far (the replicas' mean)."""

    @tf.function
    def step(iterator):
        logs = strategy.run(model.train_step, args=(next(iterator),))
        return strategy.reduce(tf.distribute.ReduceOp.MEAN, logs["loss"], axis=None)

    return step


def train_steps(model, strategy: tf.distribute.Strategy, dataset, steps: int) -> float:
    """Run `steps` of `model.train_step` on `dataset` (from `worker_batches`); returns the
    mean loss of those steps' global batches, as `fit` logs an epoch's (on every worker)."""
    for metric in model.metrics:
        metric.reset_state()
    iterator = iter(dataset)
    step = make_step(model, strategy)
    loss = None
    for _ in range(steps):
        loss = step(iterator)
    return float(loss) if loss is not None else float("nan")


@dataclass
class LoopResult:
    """What the training loop hands back to `train.fit`."""

    history: dict[str, list[float]]  # per epoch: loss, val_recall_at_10
    resumed_from_epoch: int
    epochs_run: int


class _EarlyStopping:
    """`early_stopping.StoppingRule` with its state in variables of the cluster's checkpoint
    (so a restarted cluster stops where an uninterrupted one does); the best weights are an
    .npz the chief writes beside it."""

    def __init__(self, folder: Path, patience: int) -> None:
        self.folder = folder
        self.patience = patience
        self.best = tf.Variable(-np.inf, dtype=tf.float64, trainable=False)  # -inf: none yet
        self.best_epoch = tf.Variable(-1, dtype=tf.int64, trainable=False)
        self.wait = tf.Variable(0, dtype=tf.int64, trainable=False)

    def update(self, epoch: int, score: float, model, chief: bool) -> bool:
        """Record `epoch`'s score; whether to stop."""
        best = float(self.best.numpy())
        rule = StoppingRule(
            self.patience,
            best=None if best == -np.inf else best,
            best_epoch=int(self.best_epoch.numpy()),
            wait=int(self.wait.numpy()),
        )
        if rule.update(epoch, score) and chief:
            save_weights(self.folder / "best.npz", [w.numpy() for w in model.weights])
        self.best.assign(rule.best)
        self.best_epoch.assign(rule.best_epoch)
        self.wait.assign(rule.wait)
        return rule.stop

    def restore_best(self, model) -> None:
        path = self.folder / "best.npz"
        if int(self.best_epoch.numpy()) >= 0 and path.is_file():
            model.set_weights(load_weights(path))


def fit_loop(
    model,
    train_epoch: Callable[[int], float],
    validation_score: Callable[[], float],
    backup: Path,
    *,
    epochs: int,
    patience: int,
) -> LoopResult:
    """Epochs of `train_epoch(epoch) -> mean loss`, validation after each (`validation_score`
    returns the score every process decides by), early stopping on Recall@10 with the best
    epoch's weights restored (on the chief), and a checkpoint per epoch in `backup/` that a
    restarted cluster resumes from (removed once the run completes). Every process that
    runs this saves (a multi-worker save needs them all), the chief into `backup/`, the
    others into a folder of their own, removed at the end; all restore from the chief's,
    which they must be able to read (one machine, or a shared file system)."""
    chief = is_chief()
    epoch = tf.Variable(0, dtype=tf.int64, trainable=False)
    stopping = _EarlyStopping(backup / "early_stopping", patience)
    checkpoint = tf.train.Checkpoint(
        model=model,
        optimizer=model.optimizer,
        epoch=epoch,
        best=stopping.best,
        best_epoch=stopping.best_epoch,
        wait=stopping.wait,
    )
    folder = backup / "checkpoints" if chief else Path(tempfile.mkdtemp(prefix="tf2rec-worker-"))
    manager = tf.train.CheckpointManager(checkpoint, str(folder), max_to_keep=1)
    latest = tf.train.latest_checkpoint(str(backup / "checkpoints"))  # the chief's, shared
    if latest:
        checkpoint.restore(latest).expect_partial()
    resumed_from = int(epoch.numpy())
    history: dict[str, list[float]] = {"loss": [], "val_recall_at_10": []}
    stop = resumed_from > 0 and int(stopping.wait.numpy()) >= patience
    try:
        while not stop and int(epoch.numpy()) < epochs:
            current = int(epoch.numpy())
            history["loss"].append(train_epoch(current))
            score = validation_score()
            history["val_recall_at_10"].append(score)
            stop = stopping.update(current, score, model, chief)
            epoch.assign(current + 1)
            manager.save()
    finally:
        if not chief:
            shutil.rmtree(folder, ignore_errors=True)
    if chief:  # the others' weights are not written anywhere
        stopping.restore_best(model)
        shutil.rmtree(backup, ignore_errors=True)  # the run is complete: nothing to resume
    return LoopResult(history, resumed_from, int(epoch.numpy()))


def from_chief(strategy: tf.distribute.Strategy, value: float) -> float:
    """The chief's `value` on every worker, so that all take the same decision (workers on
    other CPUs may round the validation scores differently)."""
    mine = tf.constant(value if is_chief() else 0.0, tf.float64)

    @tf.function
    def share(x):
        return strategy.reduce(tf.distribute.ReduceOp.SUM, strategy.run(lambda: x), axis=None)

    return float(share(mine))


def ranking_metrics(model, eval_set, history_length: int) -> dict[str, float]:
    """Full-catalogue Recall/NDCG/HitRate@10 of `model` on `eval_set`, scored in this
    process (Keras' `evaluate` shares `fit`'s trouble with multi-worker strategies); the
    numbers of `model.evaluate`, which the metric tests check against this code."""
    from tf2rec.interactions.ranking import evaluate_scores

    history = eval_set.history(history_length)

    def scores(rows):
        vectors = model.user_vectors(eval_set.user[rows].astype(np.int32), history[rows])
        return np.asarray(model.catalogue_scores(vectors))

    return evaluate_scores(scores, eval_set)
