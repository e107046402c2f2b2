"""Training steps on a tf.distribute strategy, with the model's own `train_step`.

Under `MultiWorkerMirroredStrategy`, Keras 3's `fit` fails on TF 2.21 ("Attempt to convert a
value (PerReplica...)", keras-team/keras#20585), so the steps run in a loop of our own:
`strategy.run(model.train_step, ...)` inside a `tf.function`. The step is the same code
`fit` runs (the loss scaled by the replica count, the Keras optimizer applying the
all-reduced gradients), so a worker computes what one process computes on its share of
the batch. Each worker reads its own share of every global batch: the rows
`[i * B / W, (i + 1) * B / W)` of batch `B` on worker `i` of `W`.

The cluster comes from `TF_CONFIG` (`tf2rec cluster local` sets it on one machine).
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterable

import tensorflow as tf

STRATEGIES = ("one", "mirrored", "multi-worker")


class ClusterError(ValueError):
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
    local device), "multi-worker" (synchronous data parallelism over `TF_CONFIG`'s workers)."""
    if name == "one":
        return tf.distribute.get_strategy()
    if name == "mirrored":
        return tf.distribute.MirroredStrategy()
    if name == "multi-worker":
        workers = cluster_config().get("cluster", {}).get("worker")
        if not workers:
            raise ClusterError(
                "--strategy multi-worker needs TF_CONFIG with a cluster of workers; on one "
                "machine: tf2rec cluster local --workers 2 -- <this command>"
            )
        return tf.distribute.MultiWorkerMirroredStrategy()
    raise ClusterError(f"unknown strategy {name!r}; choose one of {', '.join(STRATEGIES)}")


def is_chief() -> bool:
    """Whether this process writes what the run produces: worker 0 (or the "chief" task) of
    the cluster, or the only process."""
    task = cluster_config().get("task", {})
    return task.get("type", "worker") == "chief" or (
        task.get("type", "worker") == "worker" and int(task.get("index", 0)) == 0
    )


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


def train_steps(model, strategy: tf.distribute.Strategy, dataset, steps: int) -> float:
    """Run `steps` of `model.train_step` on `dataset` (from `worker_batches`); returns the
    mean loss of those steps' global batches, as `fit` logs an epoch's (on every worker)."""
    for metric in model.metrics:
        metric.reset_state()
    iterator = iter(dataset)

    @tf.function
    def step(iterator):
        logs = strategy.run(model.train_step, args=(next(iterator),))
        return strategy.reduce(tf.distribute.ReduceOp.MEAN, logs["loss"], axis=None)

    loss = None
    for _ in range(steps):
        loss = step(iterator)
    return float(loss) if loss is not None else float("nan")
