"""Next-item batches for a sequential recommender (the self-attention pair): each row is
one user's most recent items, left-padded with 0, the item that follows each position, and
a sampled item the user never interacted with at each position."""

from __future__ import annotations

import numpy as np

from tf2rec.interactions.split import UserSequences


def next_item_batches(
    sequences: UserSequences,
    n_items: int,
    *,
    max_len: int,
    batch_size: int,
    steps: int,
    seed: int = 0,
) -> dict[str, np.ndarray]:
    """`{"input_seq", "pos", "neg"}`, each int32 `[steps, batch_size, max_len]`: for a
    user's items i_1..i_n, the input is i_1..i_(n-1) and the target of each position the
    next item, the last `max_len` of them; `neg` holds items 1..n_items - 1 outside the
    user's items. Users with at least two items are drawn uniformly."""
    rng = np.random.default_rng(seed)
    users = np.flatnonzero(sequences.lengths >= 2)
    if users.size == 0:
        raise ValueError("no user has two or more items to build next-item batches from")
    shape = (steps, batch_size, max_len)
    batches = {key: np.zeros(shape, np.int32) for key in ("input_seq", "pos", "neg")}
    for step in range(steps):
        for row, user in enumerate(rng.choice(users, batch_size)):
            items = sequences.row(int(user))[-(max_len + 1) :]
            n = items.size - 1
            batches["input_seq"][step, row, max_len - n :] = items[:-1]
            batches["pos"][step, row, max_len - n :] = items[1:]
            seen = set(items.tolist())
            batches["neg"][step, row, max_len - n :] = [
                _unseen(rng, n_items, seen) for _ in range(n)
            ]
    return batches


def _unseen(rng, n_items: int, seen: set[int]) -> int:
    while True:
        item = int(rng.integers(1, n_items))
        if item not in seen:
            return item
