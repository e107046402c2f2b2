"""Top-K ranking metrics as `keras.metrics.Metric` objects.

Two protocols:

- `"full"` (default): `y_pred` holds scores for the whole catalogue `[B, n_items]` and
  `y_true` the target item id per row. The padding item 0 and the ids passed as `exclude`
  (`[B, S]`, 0-padded: what the user has already seen) are not ranked, except the target.
  Ties are broken by item id, lower first, as `interactions.ranking` does.
- `"sampled"` (the NCF protocol): `y_pred` `[B, 1 + N]` holds the target's score in column 0
  and N sampled negatives' after it; `y_true` is ignored. Ties count against the target.
"""

from __future__ import annotations

import keras
from keras import ops

from tf2rec.migrated.layers import PACKAGE

PROTOCOLS = ("full", "sampled")


def target_ranks(y_true, y_pred, exclude=None, protocol: str = "full"):
    """0-based rank of each row's target; see the module docstring for the two protocols."""
    if protocol == "sampled":
        return ops.sum(ops.cast(y_pred[:, 1:] >= y_pred[:, :1], "int32"), axis=1)
    y_pred = ops.convert_to_tensor(y_pred)
    target = ops.cast(ops.reshape(y_true, (-1,)), "int32")
    n_items = ops.shape(y_pred)[1]
    columns = ops.arange(n_items, dtype="int32")[None, :]
    excluded = ops.equal(columns, 0)
    if exclude is not None:
        excluded = ops.logical_or(excluded, exclusion_mask(exclude, n_items))
    excluded = ops.logical_and(excluded, ops.not_equal(columns, target[:, None]))
    target_score = ops.take_along_axis(y_pred, target[:, None], axis=1)
    before = ops.logical_or(
        y_pred > target_score,
        ops.logical_and(ops.equal(y_pred, target_score), columns < target[:, None]),
    )
    return ops.sum(ops.cast(ops.logical_and(before, ops.logical_not(excluded)), "int32"), axis=1)


def exclusion_mask(exclude, n_items):
    """`[B, n_items]` bool, True at the ids listed in each row of `exclude` `[B, S]`."""
    exclude = ops.cast(exclude, "int32")
    rows = ops.broadcast_to(
        ops.arange(ops.shape(exclude)[0], dtype="int32")[:, None], ops.shape(exclude)
    )
    indices = ops.reshape(ops.stack([rows, exclude], axis=-1), (-1, 2))
    counts = ops.scatter(
        indices, ops.ones((ops.shape(indices)[0],), "int32"), (ops.shape(exclude)[0], n_items)
    )
    return counts > 0


class _TopKMetric(keras.metrics.Metric):
    """Mean over rows of a per-row value computed from the target's rank."""

    def __init__(
        self, k: int = 10, protocol: str = "full", name: str | None = None, **kwargs
    ) -> None:
        if protocol not in PROTOCOLS:
            raise ValueError(f"unknown protocol {protocol!r}; choose one of {PROTOCOLS}")
        super().__init__(name=name or f"{self.base_name}_at_{k}", **kwargs)
        self.k = k
        self.protocol = protocol
        self.total = self.add_variable(shape=(), initializer="zeros", name="total")
        self.count = self.add_variable(shape=(), initializer="zeros", name="count")

    def update_state(self, y_true, y_pred, sample_weight=None, exclude=None):
        ranks = target_ranks(y_true, y_pred, exclude, self.protocol)
        values = self.from_ranks(ranks)
        if sample_weight is None:
            sample_weight = ops.ones_like(values)
        sample_weight = ops.cast(sample_weight, "float32")
        self.total.assign_add(ops.sum(values * sample_weight))
        self.count.assign_add(ops.sum(sample_weight))

    def result(self):
        return ops.divide_no_nan(self.total, self.count)

    def reset_state(self) -> None:
        self.total.assign(0.0)
        self.count.assign(0.0)

    def get_config(self) -> dict:
        return {**super().get_config(), "k": self.k, "protocol": self.protocol}


@keras.saving.register_keras_serializable(package=PACKAGE)
class HitRateAtK(_TopKMetric):
    """Share of rows whose target is among the top `k`."""

    base_name = "hit_rate"

    def from_ranks(self, ranks):
        return ops.cast(ranks < self.k, "float32")


@keras.saving.register_keras_serializable(package=PACKAGE)
class RecallAtK(HitRateAtK):
    """Relevant items found in the top `k` over relevant items; with one held-out target per
    user (leave-last-out) it equals the hit rate."""

    base_name = "recall"


@keras.saving.register_keras_serializable(package=PACKAGE)
class NDCGAtK(_TopKMetric):
    """1 / log2(rank + 2) when the target is in the top `k`, else 0 (one relevant item)."""

    base_name = "ndcg"

    def from_ranks(self, ranks):
        ranks = ops.cast(ranks, "float32")
        gain = 1.0 / (ops.log(ranks + 2.0) / ops.log(2.0))
        return ops.where(ranks < self.k, gain, 0.0)
