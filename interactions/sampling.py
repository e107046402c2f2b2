"""Seeded training batches with sampled negatives, identical for the legacy and migrated model.

A batch is a dict of int32 arrays: `user[B]`, `history[B, L]` (the user's items before the
positive, most recent first, 0-padded), `pos[B]` and `neg[B, K]`. The same seed and arguments
give byte-identical batches; each epoch draws from its own generator seeded with
(seed, epoch), so any epoch can be reproduced on its own (e.g. after resuming).
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from tf2rec.interactions.split import UserSequences

SAMPLERS = ("uniform", "unigram")
Batch = dict[str, np.ndarray]


class BatchSampler:
    """Iterates over every training interaction once per epoch, in a seeded random order.

    Negatives are drawn from item indices 1..n_items-1 (never padding), either uniformly or
    in proportion to count**0.75 (word2vec's unigram distribution). With
    `reject_positive=True` a negative equal to the row's positive is drawn again.

    >>> from tf2rec.interactions import synthetic, leave_last_out
    >>> split = leave_last_out(synthetic(200, 100, 4_000, seed=1))
    >>> sampler = BatchSampler(split.train, split.n_items, batch_size=32, negatives=4,
    ...                        history_length=5, seed=7)
    >>> batch = next(sampler.epoch(0))
    >>> {k: v.shape for k, v in batch.items()}
    {'user': (32,), 'history': (32, 5), 'pos': (32,), 'neg': (32, 4)}
    """

    def __init__(
        self,
        train: UserSequences,
        n_items: int,
        *,
        batch_size: int = 1024,
        negatives: int = 8,
        history_length: int = 20,
        sampler: str = "uniform",
        reject_positive: bool = False,
        drop_remainder: bool = False,
        seed: int = 0,
    ) -> None:
        if sampler not in SAMPLERS:
            raise ValueError(f"unknown negative sampler {sampler!r}; choose one of {SAMPLERS}")
        for name, value in (("batch_size", batch_size), ("history_length", history_length)):
            if value < 1:
                raise ValueError(f"{name} must be at least 1, got {value}")
        if negatives < 0:
            raise ValueError(f"negatives must be at least 0, got {negatives}")
        if n_items < 2 or train.items.size == 0:
            raise ValueError("need at least one item and one training interaction")
        if reject_positive and n_items < 3:
            raise ValueError("reject_positive needs at least two items to choose from")
        self.train = train
        self.n_items = n_items
        self.batch_size = batch_size
        self.negatives = negatives
        self.history_length = history_length
        self.sampler = sampler
        self.reject_positive = reject_positive
        self.drop_remainder = drop_remainder
        self.seed = seed
        self._owners = train.owners()
        self._cdf = None
        if sampler == "unigram":
            weights = train.item_counts(n_items).astype(np.float64) ** 0.75
            weights[0] = 0.0
            self._cdf = np.cumsum(weights) / weights.sum()

    @property
    def steps_per_epoch(self) -> int:
        n = self.train.items.size
        return n // self.batch_size if self.drop_remainder else -(-n // self.batch_size)

    def negative_probabilities(self) -> np.ndarray:
        """P(item index) for one negative draw, before rejection of the positive."""
        if self._cdf is None:
            p = np.full(self.n_items, 1.0 / (self.n_items - 1))
            p[0] = 0.0
            return p
        return np.diff(self._cdf, prepend=0.0)

    def epoch(self, epoch: int) -> Iterator[Batch]:
        """The batches of one epoch."""
        rng = np.random.default_rng([self.seed, epoch])
        order = rng.permutation(self.train.items.size)
        for start in range(0, order.size, self.batch_size):
            positions = order[start : start + self.batch_size]
            if positions.size < self.batch_size and self.drop_remainder:
                return
            yield self._batch(positions, rng)

    def take(self, steps: int, first_epoch: int = 0) -> Iterator[Batch]:
        """Exactly `steps` batches, crossing epoch boundaries as needed."""
        epoch, left = first_epoch, steps
        while left > 0:
            for batch in self.epoch(epoch):
                yield batch
                left -= 1
                if left == 0:
                    return
            epoch += 1

    def _batch(self, positions: np.ndarray, rng: np.random.Generator) -> Batch:
        owners = self._owners[positions]
        pos = self.train.items[positions]
        return {
            "user": owners.astype(np.int32),
            "history": self.train.history_before(positions, owners, self.history_length),
            "pos": pos.astype(np.int32),
            "neg": self._negatives(rng, pos),
        }

    def _negatives(self, rng: np.random.Generator, pos: np.ndarray) -> np.ndarray:
        shape = (pos.size, self.negatives)
        neg = self._draw(rng, shape)
        if self.reject_positive:
            clash = neg == pos[:, None]
            while clash.any():
                neg[clash] = self._draw(rng, int(clash.sum()))
                clash = neg == pos[:, None]
        return neg

    def _draw(self, rng: np.random.Generator, shape) -> np.ndarray:
        if self._cdf is None:
            return rng.integers(1, self.n_items, size=shape, dtype=np.int32)
        u = rng.random(size=shape)
        return np.minimum(np.searchsorted(self._cdf, u, side="right"), self.n_items - 1).astype(
            np.int32
        )
