"""The file of a model directory that holds what serving needs from the training data: each
user's training items (what `recommend` excludes and the history it feeds the model) and the
item counts (the popularity fallback for a user the model never saw).

Written by both trainers and copied by `tf2rec convert`, so any model directory tf2rec
writes serves `tf2rec recommend`.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np

from tf2rec.interactions.errors import DataError
from tf2rec.interactions.model_files import USER_ITEMS_FILE, USER_ITEMS_FILE_BEFORE_0_2
from tf2rec.interactions.split import Split, UserSequences

_ZIP_MAGIC = b"PK\x03\x04"  # an .npz is a zip archive


def save_user_items(model_dir: str | Path, split: Split) -> Path:
    path = Path(model_dir) / USER_ITEMS_FILE
    np.savez(
        path,
        indptr=split.sequences.indptr,
        items=split.sequences.items,
        popularity=split.train.item_counts(split.n_items),
    )
    return path


def user_items_path(model_dir: str | Path) -> Path | None:
    """The file in `model_dir` (under its name before 0.2 in older directories), or None."""
    for name in (USER_ITEMS_FILE, USER_ITEMS_FILE_BEFORE_0_2):
        if (Path(model_dir) / name).is_file():
            return Path(model_dir) / name
    return None


def load_user_items(model_dir: str | Path) -> tuple[UserSequences, np.ndarray]:
    """(each user's training items, the item counts), or a DataError saying what to do."""
    path = user_items_path(model_dir)
    if path is None:
        raise DataError(
            f"{Path(model_dir) / USER_ITEMS_FILE}: missing; write the directory again with "
            "`tf2rec train`, `tf2rec legacy-train` or `tf2rec convert`"
        )
    if not _is_archive(path):  # numpy would try it as a pickle, and advise loading it so
        raise DataError(
            f"{path}: not a NumPy .npz archive (damaged or replaced); restore it or "
            "retrain the model"
        )
    try:
        with np.load(path, allow_pickle=False) as saved:
            sequences = UserSequences(indptr=saved["indptr"], items=saved["items"])
            popularity = saved["popularity"]
    except (OSError, KeyError, ValueError, EOFError, zipfile.BadZipFile) as err:
        why = f"{type(err).__name__}: {err}" if isinstance(err, zipfile.BadZipFile) else str(err)
        raise DataError(
            f"{path}: cannot read the users' interactions ({why}); retrain the model"
        ) from None
    negative = np.flatnonzero(popularity < 0)
    if negative.size:
        raise DataError(
            f"{path}: item counts cannot be negative (item index {negative[0]} has "
            f"{popularity[negative[0]]}, {negative.size} such); the file is damaged: restore it "
            "or retrain the model"
        )
    return sequences, popularity


def _is_archive(path: Path) -> bool:
    """Whether `path` starts as a zip archive does (True when it cannot be read: `np.load`
    then names the OS error)."""
    try:
        with open(path, "rb") as handle:
            return handle.read(4) == _ZIP_MAGIC
    except OSError:
        return True
