"""The validated interaction log every other module consumes."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Interactions:
    """One row per (user, item, timestamp) event, ids as given in the source (raw ids).

    `skipped_rows` counts the malformed rows dropped when loading with `skip_bad_rows=True`.
    """

    user: np.ndarray
    item: np.ndarray
    timestamp: np.ndarray
    source: str = "<memory>"
    skipped_rows: int = 0

    def __post_init__(self) -> None:
        n = len(self.user)
        if len(self.item) != n or len(self.timestamp) != n:
            raise ValueError(
                f"user, item and timestamp must have the same length, got "
                f"{len(self.user)}, {len(self.item)}, {len(self.timestamp)}"
            )

    def __len__(self) -> int:
        return len(self.user)

    @property
    def n_users(self) -> int:
        return int(np.unique(self.user).size)

    @property
    def n_items(self) -> int:
        return int(np.unique(self.item).size)

    def describe(self) -> str:
        return (
            f"{len(self):,} interactions, {self.n_users:,} users, {self.n_items:,} items "
            f"from {self.source}"
            + (f" ({self.skipped_rows:,} bad rows skipped)" if self.skipped_rows else "")
        )
