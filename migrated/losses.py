"""Keras 3 losses for sampled training of a retrieval model.

All of them take logits `[B, 1 + K]` whose column 0 is the positive item and columns 1..K
the sampled negatives, and reduce through `keras.losses.Loss.__call__`, which also divides
by the number of replicas under a `tf.distribute` strategy (a hand-written mean would give
replica-count-times gradients there).
"""

from __future__ import annotations

import keras
from keras import ops

from tf2rec.migrated.layers import PACKAGE


def sigmoid_cross_entropy(labels, logits):
    """max(x, 0) - x * z + log(1 + exp(-|x|)), written op for op as
    `tf.nn.sigmoid_cross_entropy_with_logits` (which the legacy model uses), so that the loss
    and its gradient agree with TF1's to the last bit."""
    zeros = ops.zeros_like(logits)
    positive = ops.greater_equal(logits, zeros)
    relu_logits = ops.where(positive, logits, zeros)
    neg_abs_logits = ops.where(positive, ops.negative(logits), logits)
    return ops.add(relu_logits - logits * labels, ops.log1p(ops.exp(neg_abs_logits)))


def _check_logits(name: str, y_pred) -> None:
    if len(y_pred.shape) != 2 or (y_pred.shape[-1] is not None and y_pred.shape[-1] < 2):
        raise ValueError(
            f"{name}: expected logits [B, 1 + K] with K >= 1 (column 0 the "
            f"positive), received shape {tuple(y_pred.shape)}"
        )


@keras.saving.register_keras_serializable(package=PACKAGE)
class NegativeSamplingLoss(keras.losses.Loss):
    """`-log s(pos) - sum_k log s(-neg_k)` per row, the word2vec / SGNS objective.

    The labels are implied by the layout of the logits (column 0 positive), so `y_true` is
    ignored and `fit` needs no targets.

    >>> loss = NegativeSamplingLoss()
    >>> round(float(loss(None, ops.array([[2.0, -1.0, 0.5]]))), 4)
    1.4143
    """

    def __init__(
        self, name: str = "negative_sampling", reduction="sum_over_batch_size", **kwargs
    ) -> None:
        super().__init__(name=name, reduction=reduction, **kwargs)

    def __call__(self, y_true, y_pred, sample_weight=None):
        if y_true is None:  # labels are implied; Keras' reduction still wants a tensor
            y_true = ops.zeros_like(y_pred[:, :1])
        return super().__call__(y_true, y_pred, sample_weight)

    def call(self, y_true, y_pred):
        """Args: y_true ignored; y_pred logits `[B, 1 + K]`. Returns `[B]` losses."""
        _check_logits(self.name, y_pred)
        pos = sigmoid_cross_entropy(ops.ones_like(y_pred[:, 0]), y_pred[:, 0])
        neg = sigmoid_cross_entropy(ops.zeros_like(y_pred[:, 1:]), y_pred[:, 1:])
        return pos + ops.sum(neg, axis=1)


@keras.saving.register_keras_serializable(package=PACKAGE)
class PackedNegativeSamplingLoss(keras.losses.Loss):
    """The same loss with explicit targets: `y_true` `[B, 1 + K]` holds 1 for the positive
    and 0 for each negative, and `call` slices the two parts apart.

    Kept for code written that way (targets fed through `fit(x, y)`); it equals
    `NegativeSamplingLoss` whenever `y_true` is `[1, 0, ..., 0]` per row.
    """

    def __init__(
        self, name: str = "packed_negative_sampling", reduction="sum_over_batch_size", **kwargs
    ) -> None:
        super().__init__(name=name, reduction=reduction, **kwargs)

    def call(self, y_true, y_pred):
        _check_logits(self.name, y_pred)
        y_true = ops.cast(y_true, y_pred.dtype)
        pos = sigmoid_cross_entropy(y_true[:, 0], y_pred[:, 0])
        neg = sigmoid_cross_entropy(y_true[:, 1:], y_pred[:, 1:])
        return pos + ops.sum(neg, axis=1)


@keras.saving.register_keras_serializable(package=PACKAGE)
class SampledSoftmaxLoss(keras.losses.Loss):
    """Softmax cross-entropy over the positive and its sampled negatives, with the
    sampling-bias (logQ) correction and accidental hits removed.

    `y_true` `[B, 1 + K]` holds the item id of each logit column (the positive first). Each
    logit has `log(num_sampled * q(item))` subtracted, `q` being the negative sampler's
    probabilities given as `sampling_probabilities` (one per item id); a negative equal to
    the row's positive is masked out. This is what `tf.nn.sampled_softmax_loss` computes for
    the same sampled candidates.
    """

    def __init__(
        self,
        sampling_probabilities,
        num_sampled: int | None = None,
        remove_accidental_hits: bool = True,
        name: str = "sampled_softmax",
        reduction="sum_over_batch_size",
        **kwargs,
    ) -> None:
        super().__init__(name=name, reduction=reduction, **kwargs)
        self.sampling_probabilities = [float(p) for p in sampling_probabilities]
        self.num_sampled = num_sampled
        self.remove_accidental_hits = remove_accidental_hits
        self._log_q = ops.log(ops.maximum(ops.array(self.sampling_probabilities, "float32"), 1e-30))

    def call(self, y_true, y_pred):
        """Args: y_true item ids `[B, 1 + K]`; y_pred logits `[B, 1 + K]`. Returns `[B]`."""
        _check_logits(self.name, y_pred)
        ids = ops.cast(y_true, "int32")
        num_sampled = self.num_sampled or y_pred.shape[-1] - 1
        log_expected = ops.take(self._log_q, ids, axis=0) + ops.log(float(num_sampled))
        return sampled_softmax_from_expected_counts(
            y_pred, ids, log_expected, self.remove_accidental_hits
        )

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "sampling_probabilities": self.sampling_probabilities,
            "num_sampled": self.num_sampled,
            "remove_accidental_hits": self.remove_accidental_hits,
        }


def sampled_softmax_from_expected_counts(
    logits, ids, log_expected_counts, remove_accidental_hits: bool = True
):
    """Per-row sampled softmax loss given each candidate's log expected count.

    Args:
        logits: `[B, 1 + K]`, column 0 the positive.
        ids: `[B, 1 + K]` item ids of the columns.
        log_expected_counts: `[B, 1 + K]` log of how often each candidate is expected to be
            drawn (the logQ correction).
        remove_accidental_hits: mask negatives whose id equals the row's positive.

    Returns: `[B]` losses.
    """
    corrected = logits - log_expected_counts
    if remove_accidental_hits:
        hit = ops.equal(ids[:, 1:], ids[:, :1])
        lowest = ops.cast(-3.4028234663852886e38, corrected.dtype)  # -FLOAT_MAX, as TF uses
        negatives = ops.where(hit, corrected[:, 1:] + lowest, corrected[:, 1:])
        corrected = ops.concatenate([corrected[:, :1], negatives], axis=1)
    return -ops.log_softmax(corrected, axis=-1)[:, 0]
