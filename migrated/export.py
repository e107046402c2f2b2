"""Export for serving: a SavedModel with `score` and `recommend` signatures.

The result loads with plain `tf.saved_model.load` (or TF Serving) and needs neither Keras nor
this project. Inputs and outputs are item/user *indices*; `vocab.json` beside it maps raw ids.
"""

from __future__ import annotations

from pathlib import Path

import keras
import tensorflow as tf

from tf2rec.migrated.model import TwoTowerRecommender


def export_saved_model(model: TwoTowerRecommender, path: str | Path, k: int = 10) -> Path:
    """Write the SavedModel to `path`; `recommend` returns the top `k` unseen items."""
    L = model.history_length
    user = tf.TensorSpec([None], tf.int32, name="user")
    history = tf.TensorSpec([None, L], tf.int32, name="history")
    item = tf.TensorSpec([None], tf.int32, name="item")

    def score(user, history, item):
        return {"score": model.score(user, history, item)}

    def recommend(user, history):
        items, scores = model.recommend(user, history, k=k, exclude_seen=True)
        return {"items": tf.cast(items, tf.int32), "scores": scores}

    archive = keras.export.ExportArchive()
    archive.track(model)
    archive.add_endpoint("score", score, input_signature=[user, history, item])
    archive.add_endpoint("recommend", recommend, input_signature=[user, history])
    archive.write_out(str(path), verbose=False)
    return Path(path)
