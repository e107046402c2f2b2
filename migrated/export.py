"""Export for serving: a SavedModel with `score` and `recommend` signatures on raw ids.

The result loads with plain `tf.saved_model.load` (or TF Serving) and needs neither Keras nor
this project, nor `vocab.json`: the vocabularies are inside it. Inputs are the ids people
have (int64 user ids, item ids of the history and of the items to score); `recommend`
returns raw item ids. The maps are the vocabulary's own (`interactions.Vocab`): sorted raw
ids searched in the graph, an unknown id mapping to the padding index 0, which the model
treats as no item (in a history) or an unknown user. An unknown user gets the most popular
items, as `tf2rec recommend` gives, scored by their training counts.
"""

from __future__ import annotations

from pathlib import Path

import keras
import numpy as np
import tensorflow as tf

from tf2rec.interactions import Vocab
from tf2rec.migrated.model import TwoTowerRecommender


class _RawIds(tf.Module):
    """Raw id <-> index, as `Vocab.encode` / `Vocab.decode` compute them, in the graph."""

    def __init__(self, vocab: Vocab) -> None:
        super().__init__()
        self.ids = tf.constant(vocab.ids, tf.int64)  # sorted
        self.raw = tf.constant(np.concatenate([[-1], vocab.ids]), tf.int64)  # 0: padding

    def encode(self, raw: tf.Tensor) -> tf.Tensor:
        raw = tf.cast(raw, tf.int64)
        flat = tf.reshape(raw, [-1])
        size = tf.shape(self.ids, out_type=tf.int64)[0]
        pos = tf.searchsorted(self.ids, flat, side="left", out_type=tf.int64)
        found = tf.gather(self.ids, tf.minimum(pos, size - 1))
        known = (pos < size) & tf.equal(found, flat)
        index = tf.where(known, pos + 1, tf.zeros_like(pos))
        return tf.reshape(tf.cast(index, tf.int32), tf.shape(raw))

    def decode(self, index: tf.Tensor) -> tf.Tensor:
        return tf.gather(self.raw, index)


def export_saved_model(
    model: TwoTowerRecommender,
    path: str | Path,
    users: Vocab,
    items: Vocab,
    popularity: np.ndarray,
    k: int = 10,
) -> Path:
    """Write the SavedModel to `path`. `popularity`: each item index's training count (for
    unknown users); `recommend` returns the top `k` items the history does not hold."""
    L = model.history_length
    user = tf.TensorSpec([None], tf.int64, name="user")
    history = tf.TensorSpec([None, L], tf.int64, name="history")
    item = tf.TensorSpec([None], tf.int64, name="item")
    user_ids, item_ids = _RawIds(users), _RawIds(items)
    counts = np.asarray(popularity, np.float64).copy()
    counts[0] = -np.inf  # never the padding item
    k = min(k, model.n_items - 1)
    order = np.argsort(-counts, kind="stable")[:k]
    popular = tf.constant(order.astype(np.int32))
    popular_counts = tf.constant(counts[order].astype(np.float32))

    def score(user, history, item):
        return {
            "score": model.score(
                user_ids.encode(user), item_ids.encode(history), item_ids.encode(item)
            )
        }

    def recommend(user, history):
        index = user_ids.encode(user)
        top, scores = model.recommend(index, item_ids.encode(history), k=k, exclude_seen=True)
        unknown = tf.equal(index, 0)[:, None]
        top = tf.where(unknown, popular[None, :], tf.cast(top, tf.int32))
        scores = tf.where(unknown, popular_counts[None, :], scores)
        return {"items": item_ids.decode(top), "scores": scores}

    archive = keras.export.ExportArchive()
    archive.track(model)
    archive.add_endpoint("score", score, input_signature=[user, history, item])
    archive.add_endpoint("recommend", recommend, input_signature=[user, history])
    archive.write_out(str(path), verbose=False)
    return Path(path)
