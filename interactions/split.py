"""Leave-last-out split by timestamp: each user's last interaction is the test target, the one
before it the validation target, everything earlier is training data."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tf2rec.interactions.interaction_log import Interactions
from tf2rec.interactions.vocab import Vocab


@dataclass(frozen=True)
class UserSequences:
    """Each user's items in time order, stored CSR-style.

    The items of user index `u` are `items[indptr[u]:indptr[u + 1]]`; row 0 (padding) is empty.
    """

    indptr: np.ndarray
    items: np.ndarray

    @property
    def n_users(self) -> int:
        """Rows in the table, padding row included."""
        return self.indptr.size - 1

    @property
    def lengths(self) -> np.ndarray:
        return np.diff(self.indptr)

    def owners(self) -> np.ndarray:
        """The user index of every position in `items`."""
        return np.repeat(np.arange(self.n_users, dtype=np.int32), self.lengths)

    def row(self, user: int) -> np.ndarray:
        return self.items[self.indptr[user] : self.indptr[user + 1]]

    def history_before(self, positions: np.ndarray, owners: np.ndarray, length: int) -> np.ndarray:
        """[n, length] int32: the items before each position, most recent first, 0-padded."""
        offsets = positions[:, None] - 1 - np.arange(length)
        valid = offsets >= self.indptr[owners][:, None]
        return np.where(valid, self.items[np.maximum(offsets, 0)], 0).astype(np.int32)

    def recent(self, users: np.ndarray, length: int) -> np.ndarray:
        """[n, length] int32: each user's last `length` items, most recent first, 0-padded."""
        users = np.asarray(users)
        return self.history_before(self.indptr[users + 1], users, length)

    def padded_rows(self, users: np.ndarray) -> np.ndarray:
        """[n, longest] int32: each user's whole row, 0-padded on the right."""
        users = np.asarray(users)
        lengths = self.lengths[users]
        out = np.zeros((users.size, max(int(lengths.max(initial=0)), 1)), dtype=np.int32)
        columns = np.arange(out.shape[1])
        fill = columns[None, :] < lengths[:, None]
        source = self.indptr[users][:, None] + columns[None, :]
        out[fill] = self.items[source[fill]]
        return out

    def item_counts(self, n_items: int) -> np.ndarray:
        """How often each item index occurs, for popularity and unigram sampling."""
        return np.bincount(self.items, minlength=n_items).astype(np.int64)


@dataclass(frozen=True)
class EvalSet:
    """One held-out target per user, and what that user had seen before it."""

    user: np.ndarray
    target: np.ndarray
    seen: UserSequences

    def __len__(self) -> int:
        return self.user.size

    def history(self, length: int) -> np.ndarray:
        return self.seen.recent(self.user, length)


@dataclass(frozen=True)
class Split:
    """`sequences` holds every interaction of every user in time order (for serving)."""

    sequences: UserSequences
    train: UserSequences
    validation: EvalSet
    test: EvalSet
    users: Vocab
    items: Vocab

    @property
    def n_users(self) -> int:
        """User embedding rows, padding included."""
        return len(self.users)

    @property
    def n_items(self) -> int:
        """Item embedding rows, padding included."""
        return len(self.items)


def leave_last_out(
    interactions: Interactions, users: Vocab | None = None, items: Vocab | None = None
) -> Split:
    """Split by time per user. Users with fewer than 3 interactions stay in training only.

    Ties in timestamp keep the order of the source rows.
    """
    users = users or Vocab(interactions.user)
    items = items or Vocab(interactions.item)
    u = users.encode(interactions.user)
    i = items.encode(interactions.item)
    order = np.lexsort((np.arange(u.size), interactions.timestamp, u))
    u, i = u[order], i[order]
    known = u != 0
    u, i = u[known], i[known]
    counts = np.bincount(u, minlength=len(users))
    end = np.cumsum(counts)
    evaluated = counts >= 3
    rank_from_end = np.repeat(end, counts) - np.arange(u.size)  # 1 = the last one
    held = evaluated[u] & (rank_from_end <= 2)
    eval_users = np.flatnonzero(evaluated).astype(np.int32)

    train = _sequences(u[~held], i[~held], len(users))
    not_test = ~(evaluated[u] & (rank_from_end == 1))
    before_test = _sequences(u[not_test], i[not_test], len(users))
    last = end[eval_users] - 1
    return Split(
        sequences=_sequences(u, i, len(users)),
        train=train,
        validation=EvalSet(eval_users, i[last - 1].astype(np.int32), train),
        test=EvalSet(eval_users, i[last].astype(np.int32), before_test),
        users=users,
        items=items,
    )


def _sequences(user: np.ndarray, item: np.ndarray, n_users: int) -> UserSequences:
    indptr = np.zeros(n_users + 1, dtype=np.int64)
    indptr[1:] = np.cumsum(np.bincount(user, minlength=n_users))
    return UserSequences(indptr=indptr, items=item.astype(np.int32))
