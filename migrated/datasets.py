"""tf.data input for the migrated model, built on the very batches the legacy model is fed."""

from __future__ import annotations

import keras
import numpy as np
import tensorflow as tf

from tf2rec.interactions import BatchSampler, EvalSet


def batch_signature(history_length: int, negatives: int) -> dict[str, tf.TensorSpec]:
    return {
        "user": tf.TensorSpec([None], tf.int32),
        "history": tf.TensorSpec([None, history_length], tf.int32),
        "pos": tf.TensorSpec([None], tf.int32),
        "neg": tf.TensorSpec([None, negatives], tf.int32),
    }


class EpochTracker(keras.callbacks.Callback):
    """Tells the input pipeline which epoch `fit` is in, so that a resumed run (which starts
    at a later epoch) is fed exactly the batches an uninterrupted run would have seen."""

    def __init__(self) -> None:
        super().__init__()
        self.epoch = 0

    def on_epoch_begin(self, epoch: int, logs=None) -> None:
        self.epoch = epoch


def training_dataset(
    sampler: BatchSampler, tracker: EpochTracker, steps: int | None = None
) -> tf.data.Dataset:
    """One pass = the sampler's epoch that `tracker` names, prefetched.

    With `steps`, one pass is the first `steps` batches instead, across epoch boundaries
    (a single fixed-length run, as `legacy-train --steps` does).
    """
    if steps is None:
        count = sampler.steps_per_epoch

        def batches():
            return sampler.epoch(tracker.epoch)
    else:
        count = steps

        def batches():
            return sampler.take(steps)

    signature = batch_signature(sampler.history_length, sampler.negatives)
    dataset = tf.data.Dataset.from_generator(batches, output_signature=signature)
    return dataset.apply(tf.data.experimental.assert_cardinality(count)).prefetch(tf.data.AUTOTUNE)


def eval_dataset(
    eval_set: EvalSet,
    history_length: int,
    batch_size: int = 1024,
    candidates: np.ndarray | None = None,
) -> tf.data.Dataset:
    """Held-out targets with the user's history and the items not to rank (`seen`).

    With `candidates` (`[n, 1 + N]`, target first) the NCF sampled protocol is used instead.
    """
    features = {
        "user": eval_set.user.astype(np.int32),
        "history": eval_set.history(history_length),
        "target": eval_set.target.astype(np.int32),
    }
    if candidates is None:
        features["seen"] = eval_set.seen.padded_rows(eval_set.user)
    else:
        features["candidates"] = candidates.astype(np.int32)
    return tf.data.Dataset.from_tensor_slices(features).batch(batch_size).prefetch(tf.data.AUTOTUNE)
