"""Raw id <-> contiguous index maps. Index 0 is reserved for padding and out-of-vocabulary ids."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from tf2rec.atomic import write_atomically
from tf2rec.interactions.errors import DataError
from tf2rec.interactions.model_files import VOCAB_FILE

_FORMAT_VERSION = 1


class Vocab:
    """Maps raw integer ids to indices 1..n (sorted by raw id) and back; unknown ids map to 0.

    >>> v = Vocab([30, 10, 20, 10])
    >>> v.encode([10, 30, 99]).tolist()
    [1, 3, 0]
    >>> v.decode([3, 1]).tolist()
    [30, 10]
    """

    PAD = 0

    def __init__(self, raw_ids) -> None:
        self.ids = np.unique(np.asarray(raw_ids, dtype=np.int64))

    def __len__(self) -> int:
        """Table size including the padding row, i.e. the embedding input dimension."""
        return self.ids.size + 1

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Vocab) and np.array_equal(self.ids, other.ids)

    def __contains__(self, raw_id: int) -> bool:
        i = np.searchsorted(self.ids, raw_id)
        return bool(i < self.ids.size and self.ids[i] == raw_id)

    @property
    def size(self) -> int:
        """Number of known ids (excluding padding)."""
        return int(self.ids.size)

    def encode(self, raw_ids) -> np.ndarray:
        raw = np.asarray(raw_ids, dtype=np.int64)
        pos = np.searchsorted(self.ids, raw)
        pos_clipped = np.minimum(pos, self.ids.size - 1)
        known = (pos < self.ids.size) & (self.ids[pos_clipped] == raw)
        return np.where(known, pos + 1, self.PAD).astype(np.int32)

    def decode(self, indices) -> np.ndarray:
        idx = np.asarray(indices, dtype=np.int64)
        if idx.size and (idx.min() < 1 or idx.max() > self.ids.size):
            raise ValueError(f"indices must be in 1..{self.ids.size}, got {idx.min()}..{idx.max()}")
        return self.ids[idx - 1]

    def to_list(self) -> list[int]:
        return self.ids.tolist()


def save_vocabs(directory: str | Path, users: Vocab, items: Vocab) -> Path:
    """Write `vocab.json` into `directory` (atomically) and return its path."""
    path = Path(directory) / VOCAB_FILE
    payload = {"format": _FORMAT_VERSION, "users": users.to_list(), "items": items.to_list()}
    write_atomically(path, json.dumps(payload))
    return path


def load_vocabs(directory: str | Path) -> tuple[Vocab, Vocab]:
    """Read the (users, items) vocabularies saved next to a model."""
    path = Path(directory) / VOCAB_FILE
    if not path.is_file():
        raise DataError(f"{path}: no vocabulary file; is {directory} a model directory?")
    try:
        text = path.read_text()
    except OSError as err:
        raise DataError(f"{path}: cannot read the vocabulary ({err.strerror})") from None
    try:
        payload = json.loads(text)
        if payload.get("format") != _FORMAT_VERSION:
            raise DataError(f"{path}: unsupported vocabulary format {payload.get('format')!r}")
        return Vocab(payload["users"]), Vocab(payload["items"])
    except (json.JSONDecodeError, KeyError, TypeError, ValueError, AttributeError) as err:
        if isinstance(err, DataError):
            raise
        raise DataError(f"{path}: corrupt vocabulary file ({err}); retrain or restore it") from None
