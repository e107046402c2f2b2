"""Placeholders: graph inputs fed through `feed_dict`."""

from __future__ import annotations

from tf2rec.tools.scan.rule import Expect, Invalid, Rule, Valid


class PlaceholderRule(Rule):
    """A placeholder is a graph input that a session feeds. In TF2 inputs are function
    arguments; a Keras model declares them by its `call` signature."""

    id = "TF201"
    name = "placeholder"
    message = "`{name}` declares a graph input"
    replacement = "a function argument; `keras.Input` / the model's `call(inputs)`"
    migrated = "tf2rec.migrated.model.TwoTowerRecommender.call"
    names = frozenset({"tf.placeholder"})
    VALID = [
        Valid(
            """
            import tensorflow as tf
            def call(user):
                return user
            """
        ),
    ]
    INVALID = [
        Invalid(
            """
            import tensorflow as tf
            user = tf.placeholder(tf.int32, [None])
            """,
            [
                Expect(
                    2,
                    8,
                    "`tf.placeholder` declares a graph input (`tf.placeholder` no "
                    "longer exists in TF 2.21's `tensorflow`)",
                ),
            ],
            fixed="""
            import tensorflow as tf
            user = tf.compat.v1.placeholder(tf.int32, [None])
            """,
        ),
    ]


class PlaceholderWithDefaultRule(Rule):
    """An optional graph input; in TF2, an argument with a default value."""

    id = "TF202"
    name = "placeholder-with-default"
    message = "`{name}` declares an optional graph input"
    replacement = "a function argument with a default (e.g. `training=False`)"
    names = frozenset({"tf.placeholder_with_default"})
    VALID = [
        Valid(
            """
            import tensorflow as tf
            def call(x, training=False):
                return x
            """
        ),
    ]
    INVALID = [
        Invalid(
            """
            import tensorflow as tf
            is_training = tf.placeholder_with_default(False, [])
            """,
            [
                Expect(
                    2,
                    15,
                    "`tf.placeholder_with_default` declares an optional graph input "
                    "(`tf.placeholder_with_default` no longer exists in TF 2.21's `tensorflow`)",
                ),
            ],
            fixed="""
            import tensorflow as tf
            is_training = tf.compat.v1.placeholder_with_default(False, [])
            """,
        ),
    ]


class SparsePlaceholderRule(Rule):
    """A sparse graph input; TF2 passes `tf.SparseTensor` values directly."""

    id = "TF203"
    name = "sparse-placeholder"
    message = "`{name}` declares a sparse graph input"
    replacement = "pass a `tf.SparseTensor` argument; `keras.Input(sparse=True)`"
    names = frozenset({"tf.sparse_placeholder", "tf.sparse.placeholder"})
    VALID = [
        Valid(
            """
            import tensorflow as tf
            x = tf.SparseTensor([[0, 0]], [1.0], [2, 2])
            """
        ),
    ]
    INVALID = [
        Invalid(
            """
            import tensorflow as tf
            x = tf.sparse_placeholder(tf.float32)
            """,
            [
                Expect(
                    2,
                    5,
                    "`tf.sparse_placeholder` declares a sparse graph input "
                    "(`tf.sparse_placeholder` no longer exists in TF 2.21's `tensorflow`)",
                ),
            ],
            fixed="""
            import tensorflow as tf
            x = tf.compat.v1.sparse_placeholder(tf.float32)
            """,
        ),
    ]
