"""Checksums that tie a model directory's vocabulary and item counts to its model.

A model's embedding rows mean the ids its `vocab.json` lists, in that order: a vocabulary of
the same size from another run loads without complaint and serves wrong items. The
checksums are written into the directory's marker when the model is complete, and checked
when the directory is loaded for serving (a directory written before them has none: not
checked).
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np

from tf2rec.interactions.errors import DataError
from tf2rec.interactions.model_files import MARKER_FILE, USER_ITEMS_FILE, VOCAB_FILE


def vocab_checksum(users, items) -> str:
    """SHA-256 of the users' and the items' raw ids, in vocabulary order."""
    digest = hashlib.sha256()
    for vocab in (users, items):
        digest.update(np.asarray(vocab.ids, dtype="<i8").tobytes())
        digest.update(b"|")
    return digest.hexdigest()


def popularity_checksum(popularity: np.ndarray) -> str:
    """SHA-256 of the item counts, as int64."""
    return hashlib.sha256(np.asarray(popularity, dtype="<i8").tobytes()).hexdigest()


def written_checksums(marker_dir: str | Path) -> dict:
    """The checksums the marker of `marker_dir` records: empty when there is no marker or it
    records none (a directory written before them). A marker that is damaged is an error: it
    would otherwise switch the check off."""
    path = Path(marker_dir) / MARKER_FILE
    try:
        marker = json.loads(path.read_text())
    except FileNotFoundError:
        return {}
    except OSError as err:
        raise DataError(f"{path}: cannot read the marker ({err.strerror})") from None
    except ValueError as err:
        raise _damaged(path, f"not JSON: {err}") from None
    if not isinstance(marker, dict):
        raise _damaged(path, f"a JSON {type(marker).__name__}, not an object")
    found = marker.get("checksums", {})
    if not isinstance(found, dict):
        raise _damaged(path, f"checksums is {found!r}, not an object")
    return found


def _damaged(path: Path, why: str) -> DataError:
    return DataError(
        f"{path}: damaged ({why}); the vocabulary and item counts cannot be checked against "
        "the model: restore the file from the model's run, or train the model again"
    )


def check_identity(model_dir: str | Path, users, items, popularity: np.ndarray | None) -> None:
    """Refuse a vocabulary or item counts other than those the model was written with."""
    model_dir = Path(model_dir)
    written = written_checksums(model_dir)
    found = {VOCAB_FILE: vocab_checksum(users, items)}
    if popularity is not None:
        found[USER_ITEMS_FILE] = popularity_checksum(popularity)
    for name, checksum in found.items():
        expected = written.get(name)
        if expected is not None and expected != checksum:
            raise DataError(
                f"{model_dir / name}: not the file this model was written with (checksum "
                f"{checksum[:12]}, the model's {expected[:12]}); restore it from the model's "
                "run, or train the model again"
            )
