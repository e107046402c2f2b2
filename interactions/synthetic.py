"""Seeded synthetic interaction logs with planted taste, the kit's built-in default dataset.

Users and items get latent factors; each user picks items with probability proportional to
exp(strength * <u, v> + popularity), popularity falling off like Zipf's law. A model that learns
the factors therefore beats the popularity baseline clearly, and one that does not, does not.
"""

from __future__ import annotations

import numpy as np

from tf2rec.interactions.interaction_log import Interactions


def synthetic(
    n_users: int = 5_000,
    n_items: int = 2_000,
    n_interactions: int = 200_000,
    *,
    dim: int = 8,
    strength: float = 6.0,
    zipf_exponent: float = 0.8,
    min_per_user: int = 5,
    seed: int = 0,
) -> Interactions:
    """Generate `n_interactions` distinct (user, item) events with increasing timestamps.

    Raw ids start at 1 (users) and 1 (items) as in MovieLens; activity per user is skewed
    (log-normal) with at least `min_per_user` interactions, so every user has a test, a
    validation and some training interactions under leave-last-out.
    """
    if min(n_users, n_items) < 1 or n_interactions < n_users * min_per_user:
        raise ValueError(
            f"need n_interactions >= n_users * min_per_user "
            f"({n_users} * {min_per_user}), got {n_interactions}"
        )
    if n_interactions > n_users * n_items:
        raise ValueError(f"n_interactions {n_interactions} exceeds n_users * n_items")
    rng = np.random.default_rng(seed)
    user_factors = rng.standard_normal((n_users, dim)) / np.sqrt(dim)
    item_factors = rng.standard_normal((n_items, dim)) / np.sqrt(dim)
    popularity = -zipf_exponent * np.log(rng.permutation(n_items) + 1.0)

    counts = _activity(rng, n_users, n_items, n_interactions, min_per_user)
    users, items = [], []
    chunk = max(1, 4_000_000 // n_items)  # bound memory of the [users, items] logits
    for start in range(0, n_users, chunk):
        stop = min(start + chunk, n_users)
        logits = strength * user_factors[start:stop] @ item_factors.T + popularity
        # Gumbel top-k: the first c keys of argsort are a sample without replacement.
        keys = logits + rng.gumbel(size=logits.shape)
        order = np.argsort(-keys, axis=1)
        for row, user in enumerate(range(start, stop)):
            # Time order is independent of preference, so the held-out last item is not
            # systematically the least liked one.
            picked = rng.permutation(order[row, : counts[user]])
            users.append(np.full(picked.size, user + 1, dtype=np.int64))
            items.append(picked.astype(np.int64) + 1)
    user = np.concatenate(users)
    item = np.concatenate(items)
    timestamp = _timestamps(rng, counts)
    return Interactions(user=user, item=item, timestamp=timestamp, source=f"synthetic(seed={seed})")


def _activity(
    rng: np.random.Generator, n_users: int, n_items: int, total: int, minimum: int
) -> np.ndarray:
    """Interactions per user: `minimum` each, the rest spread by log-normal weights."""
    weights = rng.lognormal(sigma=1.0, size=n_users)
    counts = np.full(n_users, minimum, dtype=np.int64)
    extra = rng.multinomial(total - minimum * n_users, weights / weights.sum())
    counts += extra
    # Nobody can rate more items than exist: move the overflow to users with room left.
    overflow = int(np.maximum(counts - n_items, 0).sum())
    counts = np.minimum(counts, n_items)
    while overflow:
        room = np.flatnonzero(counts < n_items)
        take = rng.choice(room, size=min(overflow, room.size), replace=False)
        counts[take] += 1
        overflow -= take.size
    return counts


def _timestamps(rng: np.random.Generator, counts: np.ndarray) -> np.ndarray:
    """Strictly increasing per user, starting at a random point in 2018."""
    start = 1_514_764_800 + rng.integers(0, 365 * 86_400, size=counts.size)
    gaps = rng.integers(60, 3 * 86_400, size=int(counts.sum()))
    owner = np.repeat(np.arange(counts.size), counts)
    offsets = np.cumsum(gaps)
    first = np.concatenate([[0], np.cumsum(counts)[:-1]])
    offsets -= np.repeat(offsets[first] - gaps[first], counts)
    return start[owner] + offsets
