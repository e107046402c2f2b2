"""Full-catalogue ranking metrics in plain numpy, and the popularity baseline.

The legacy model is evaluated with these, and the Keras metrics are tested against them.
Ranks are 0-based; ties are broken by item index (lower index first), exactly as a stable
sort of the negated scores orders them. Items the user has already seen are excluded, except
the target itself; the padding index 0 is never ranked.
"""

from __future__ import annotations

import numpy as np

from tf2rec.interactions.split import EvalSet, UserSequences


def target_ranks(
    scores: np.ndarray,
    target: np.ndarray,
    seen: UserSequences | None,
    users: np.ndarray | None = None,
) -> np.ndarray:
    """0-based rank of each row's target among the items not seen by that row's user.

    `scores` is [n, n_items]; `seen.row(users[r])` lists the items to exclude for row r.
    """
    scores = np.array(scores, dtype=np.float64, copy=True)
    n, n_items = scores.shape
    rows = np.arange(n)
    target = np.asarray(target)
    t = scores[rows, target]
    if seen is not None:
        lengths = seen.lengths[users]
        row_of = np.repeat(rows, lengths)
        flat = np.concatenate([seen.row(u) for u in users]) if n else np.empty(0, np.int32)
        scores[row_of, flat] = -np.inf
    scores[:, 0] = -np.inf
    scores[rows, target] = t
    greater = (scores > t[:, None]).sum(axis=1)
    ties = ((scores == t[:, None]) & (np.arange(n_items) < target[:, None])).sum(axis=1)
    return greater + ties


def metrics_from_ranks(ranks: np.ndarray, k: int = 10) -> dict[str, float]:
    """Recall@k, NDCG@k and HitRate@k for one target per user (Recall equals HitRate then)."""
    hit = ranks < k
    ndcg = np.where(hit, 1.0 / np.log2(ranks + 2.0), 0.0)
    return {
        f"recall@{k}": float(hit.mean()),
        f"ndcg@{k}": float(ndcg.mean()),
        f"hit_rate@{k}": float(hit.mean()),
    }


def evaluate_scores(
    score_fn, eval_set: EvalSet, k: int = 10, chunk: int = 1024
) -> dict[str, float]:
    """Metrics for `score_fn(rows) -> [len(rows), n_items]` scores, computed chunk by chunk."""
    ranks = []
    for start in range(0, len(eval_set), chunk):
        rows = np.arange(start, min(start + chunk, len(eval_set)))
        scores = score_fn(rows)
        ranks.append(
            target_ranks(scores, eval_set.target[rows], eval_set.seen, eval_set.user[rows])
        )
    return metrics_from_ranks(np.concatenate(ranks), k)


def sample_candidates(
    eval_set: EvalSet, n_items: int, negatives: int = 99, seed: int = 0
) -> np.ndarray:
    """[n, 1 + negatives] item ids for the NCF protocol: the target, then items drawn
    uniformly (with replacement) among those the user has not seen."""
    rng = np.random.default_rng(seed)
    seen = eval_set.seen
    rows = np.repeat(np.arange(len(eval_set)), seen.lengths[eval_set.user])
    seen_items = np.concatenate([seen.row(u) for u in eval_set.user]) if len(eval_set) else []
    forbidden = np.unique(
        np.concatenate(
            [
                rows.astype(np.int64) * n_items + seen_items,
                np.arange(len(eval_set), dtype=np.int64) * n_items + eval_set.target,
            ]
        )
    )
    per_row = np.bincount(forbidden // n_items, minlength=len(eval_set))
    if (per_row >= n_items - 1).any():
        raise ValueError(
            f"{int((per_row >= n_items - 1).sum())} user(s) have seen every item; "
            "the sampled protocol needs unseen items to draw"
        )
    draws = rng.integers(1, n_items, size=(len(eval_set), negatives))
    row_base = np.arange(len(eval_set), dtype=np.int64)[:, None] * n_items
    bad = np.isin(row_base + draws, forbidden)
    while bad.any():
        draws[bad] = rng.integers(1, n_items, size=int(bad.sum()))
        bad = np.isin(row_base + draws, forbidden)
    return np.concatenate([eval_set.target[:, None], draws], axis=1).astype(np.int32)


def popularity_scores(train: UserSequences, n_items: int) -> np.ndarray:
    """Training-set counts: the score every user gets from the popularity baseline."""
    return train.item_counts(n_items).astype(np.float64)


def evaluate_popularity(
    train: UserSequences, eval_set: EvalSet, n_items: int, k: int = 10
) -> dict[str, float]:
    counts = popularity_scores(train, n_items)
    return evaluate_scores(lambda rows: np.broadcast_to(counts, (rows.size, n_items)), eval_set, k)
