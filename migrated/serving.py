"""Recommendations from a model directory written by `tf2rec train`, by raw ids."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import keras
import numpy as np

from tf2rec.interactions import DataError, Vocab, load_vocabs
from tf2rec.interactions.identity import check_identity
from tf2rec.interactions.model_files import MODEL_FILE
from tf2rec.interactions.split import UserSequences
from tf2rec.interactions.user_items import load_user_items
from tf2rec.migrated.model import TwoTowerRecommender


class Recommender:
    """A trained model with its vocabularies and every user's interactions."""

    def __init__(
        self,
        model: TwoTowerRecommender,
        users: Vocab,
        items: Vocab,
        sequences: UserSequences,
        popularity: np.ndarray,
    ) -> None:
        self.model = model
        self.users = users
        self.items = items
        self.sequences = sequences
        self.popularity = popularity

    @classmethod
    def load(cls, model_dir: str | Path) -> Recommender:
        """Load with Keras safe mode (no arbitrary code from the file is run)."""
        model_dir = Path(model_dir)
        if not model_dir.is_dir():
            raise DataError(
                f"{model_dir}: no such model directory; train one with "
                f"`tf2rec train --model-dir {model_dir}`"
            )
        path = model_dir / MODEL_FILE
        if not path.is_file():
            raise DataError(f"{path}: missing; is {model_dir} a directory `tf2rec train` wrote?")
        users, items = load_vocabs(model_dir)
        # the files the model was written with (their checksums in the directory's marker)
        check_identity(model_dir, users, items, None)
        # the sizes the model's config asks for, checked before anything is built from it
        expected = {"n_users": len(users), "n_items": len(items)}
        model = load_keras_model(path, expected)
        sequences, popularity = load_user_items(model_dir)
        check_identity(model_dir, users, items, popularity)
        return cls(model, users, items, sequences, popularity)

    def for_user(
        self, raw_user: int, k: int = 10, exclude_seen: bool = True
    ) -> tuple[list[int], list[float], str | None]:
        """Top-`k` raw item ids for a raw user id, best first, their scores (the model's dot
        products; for an unknown user, the items' training counts), and a note for the user
        (or None). A user the model has not seen gets the most popular items, not an error.
        """
        user = int(self.users.encode([raw_user])[0])
        if user == Vocab.PAD:
            counts = self.popularity.astype(np.float64)
            top = _top_k(counts, k)
            note = (
                f"user {raw_user} is not in the training data; showing the {len(top)} most "
                "popular items (scores: training counts)"
            )
            return self.items.decode(top).tolist(), counts[top].tolist(), note
        seen = self.sequences.row(user)
        history = self.sequences.recent(np.array([user]), self.model.history_length)
        vectors = self.model.user_vectors(np.array([user], np.int32), history)
        scores = keras.ops.convert_to_numpy(self.model.catalogue_scores(vectors))[0]
        scores = scores.astype(np.float64)
        if exclude_seen:
            scores[seen] = -np.inf
        top = _top_k(scores, k)
        return self.items.decode(top).tolist(), scores[top].tolist(), None


def load_keras_model(path: Path, expected: dict[str, int] | None = None) -> TwoTowerRecommender:
    """Load a `.keras` file in Keras safe mode, with a clear error when it is not one.

    `expected`: sizes its config must ask for (from the vocabularies beside it), checked
    in the archive's config before Keras builds anything: a crafted config cannot make it
    allocate tables of any size.
    """
    if Path(path).is_dir():
        raise DataError(f"{path}: a directory, not a .keras file; pass the model's .keras file")
    if not Path(path).is_file():
        raise DataError(f"{path}: no such file")
    if not zipfile.is_zipfile(path):
        raise DataError(
            f"{path}: not a .keras archive (corrupt or truncated); retrain "
            "the model or restore the file"
        )
    if expected:
        config = _archived_config(path)
        for key, size in expected.items():
            if config.get(key) != size:
                raise DataError(
                    f"{path}: the model's {key} is {config.get(key)!r}, its vocabulary beside "
                    f"it has {size}; the files are from different models: retrain it"
                )
    try:
        model = keras.saving.load_model(path, safe_mode=True)
    except (ValueError, TypeError, OSError, KeyError, zipfile.BadZipFile) as err:
        raise DataError(
            f"{path}: cannot load the model ({type(err).__name__}: "
            f"{str(err)[:200]}); retrain it or restore the file"
        ) from None
    if not isinstance(model, TwoTowerRecommender):
        raise DataError(f"{path}: holds a {type(model).__name__}, not a TwoTowerRecommender")
    return model


def _archived_config(path: Path) -> dict:
    """The model's own settings in a `.keras` archive's config.json, read without Keras."""
    try:
        with zipfile.ZipFile(path) as archive:
            info = archive.getinfo("config.json")
            if info.file_size > 2**20:
                raise DataError(f"{path}: its config.json is {info.file_size:,} bytes; not ours")
            config = json.loads(archive.read(info).decode("utf-8"))
    except (KeyError, ValueError, RecursionError, zipfile.BadZipFile) as err:
        raise DataError(f"{path}: cannot read its config ({type(err).__name__})") from None
    inner = config.get("config") if isinstance(config, dict) else None
    return inner if isinstance(inner, dict) else {}


def _top_k(scores: np.ndarray, k: int) -> np.ndarray:
    """Indices of the k best scores (ties: lower index first), never the padding index 0."""
    scores = scores.copy()
    scores[0] = -np.inf
    order = np.argsort(-scores, kind="stable")
    order = order[np.isfinite(scores[order])]
    return order[:k]
