"""Placeholders: graph inputs fed through `feed_dict`."""

from __future__ import annotations

from tests.scan.old_engine.rule import Rule


class PlaceholderRule(Rule):
    """A placeholder is a graph input that a session feeds. In TF2 inputs are function
    arguments; a Keras model declares them by its `call` signature."""

    id = "TF201"
    name = "placeholder"
    message = "`{name}` declares a graph input"
    replacement = "a function argument; `keras.Input` / the model's `call(inputs)`"
    migrated = "tf2rec.migrated.model.TwoTowerRecommender.call"
    names = frozenset({"tf.placeholder"})
    VALID = ["import tensorflow as tf\ndef call(user):\n    return user\n"]
    INVALID = ["import tensorflow as tf\nuser = tf.placeholder(tf.int32, [None])\n"]


class PlaceholderWithDefaultRule(Rule):
    """An optional graph input; in TF2, an argument with a default value."""

    id = "TF202"
    name = "placeholder-with-default"
    message = "`{name}` declares an optional graph input"
    replacement = "a function argument with a default (e.g. `training=False`)"
    names = frozenset({"tf.placeholder_with_default"})
    VALID = ["import tensorflow as tf\ndef call(x, training=False):\n    return x\n"]
    INVALID = ["import tensorflow as tf\nis_training = tf.placeholder_with_default(False, [])\n"]


class SparsePlaceholderRule(Rule):
    """A sparse graph input; TF2 passes `tf.SparseTensor` values directly."""

    id = "TF203"
    name = "sparse-placeholder"
    message = "`{name}` declares a sparse graph input"
    replacement = "pass a `tf.SparseTensor` argument; `keras.Input(sparse=True)`"
    names = frozenset({"tf.sparse_placeholder", "tf.sparse.placeholder"})
    VALID = ["import tensorflow as tf\nx = tf.SparseTensor([[0, 0]], [1.0], [2, 2])\n"]
    INVALID = ["import tensorflow as tf\nx = tf.sparse_placeholder(tf.float32)\n"]
