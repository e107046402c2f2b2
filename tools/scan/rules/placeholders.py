"""Placeholders: graph inputs fed through `feed_dict`."""

from __future__ import annotations

from tf2rec.tools.scan.rule import Expect, Invalid, Rule, Valid


class PlaceholderRule(Rule):
    """Finds `tf.placeholder`: a graph input with no value until a session fed one through
    `feed_dict`. TF 2.21's `tensorflow` has no placeholders, and
    `tf.compat.v1.placeholder` raises a RuntimeError while eager execution is on (TF2's
    default). In TF2 an input is an argument: of a plain function, of a `tf.function` (an
    `input_signature` fixes its shape and dtype, as the placeholder did), or of a Keras
    model's `call`."""

    id = "TF201"
    name = "placeholder"
    message = "`{name}` declares a graph input"
    replacement = "a function argument; `keras.Input` / the model's `call(inputs)`"
    migrated = "tf2rec.migrated.model.TwoTowerRecommender.call"
    names = frozenset({"tf.placeholder"})
    fix_safety = (
        "`tf.compat.v1.placeholder` is the same function; `from tensorflow import placeholder` "
        "becomes an import from `tensorflow.compat.v1`, the file's other names staying where "
        "they were. The file still needs graph mode to run it (TF110)."
    )
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
            from tensorflow import *

            user = placeholder(int32, [None], name='user')
            ratings = sparse_placeholder(float32)
            """,
            [
                Expect(
                    3,
                    8,
                    "`tf.placeholder` declares a graph input (`tf.placeholder` no longer "
                    "exists in TF 2.21's `tensorflow`)",
                ),
            ],
        ),
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
        Invalid(
            """
            import tensorflow as tflow


            class NCF(object):
                def _create_placeholders(self):
                    self.user = tflow.placeholder(tflow.int32, shape=[None],
                                                  name='user')
                    self.item = tflow.placeholder(tflow.int32, shape=[None], name='item')
            """,
            [
                Expect(
                    6,
                    21,
                    "`tf.placeholder` declares a graph input (`tf.placeholder` no "
                    "longer exists in TF 2.21's `tensorflow`)",
                ),
                Expect(
                    8,
                    21,
                    "`tf.placeholder` declares a graph input (`tf.placeholder` no "
                    "longer exists in TF 2.21's `tensorflow`)",
                ),
            ],
            fixed="""
            import tensorflow as tflow


            class NCF(object):
                def _create_placeholders(self):
                    self.user = tflow.compat.v1.placeholder(tflow.int32, shape=[None],
                                                  name='user')
                    self.item = tflow.compat.v1.placeholder(tflow.int32, shape=[None], name='item')
            """,
        ),
        Invalid(
            """
            from tensorflow import float32, placeholder

            x = placeholder(float32, [None, 10])  # a batch of feature rows
            """,
            [
                Expect(
                    3,
                    5,
                    "`tf.placeholder` declares a graph input (`tf.placeholder` no "
                    "longer exists in TF 2.21's `tensorflow`)",
                ),
            ],
            fixed="""
            from tensorflow import float32
            from tensorflow.compat.v1 import placeholder

            x = placeholder(float32, [None, 10])  # a batch of feature rows
            """,
        ),
    ]


class PlaceholderWithDefaultRule(Rule):
    """Finds `tf.placeholder_with_default`: a graph input that takes its default unless
    a session feeds another value, most often the `is_training` flag that turned dropout
    and batch normalization on while training. TF 2.21's `tensorflow` lacks it. In TF2 the
    flag is an argument with a default; Keras passes `training=True` to `call` inside
    `fit` and `training=False` in `evaluate` and `predict`, so nobody has to feed it."""

    id = "TF202"
    name = "placeholder-with-default"
    message = "`{name}` declares an optional graph input"
    replacement = "a function argument with a default (e.g. `training=False`)"
    names = frozenset({"tf.placeholder_with_default"})
    fix_safety = (
        "`tf.compat.v1.placeholder_with_default` is the same op: the default still applies "
        "whenever a session does not feed the input."
    )
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
        Invalid(
            """
            import tensorflow as tf


            class DeepFM(object):
                def __init__(self):
                    self.train_phase = tf.placeholder_with_default(
                        False, shape=[], name='train_phase')  # fed True while training
            """,
            [
                Expect(
                    6,
                    28,
                    "`tf.placeholder_with_default` declares an optional graph input "
                    "(`tf.placeholder_with_default` no longer exists in TF 2.21's `tensorflow`)",
                ),
            ],
            fixed="""
            import tensorflow as tf


            class DeepFM(object):
                def __init__(self):
                    self.train_phase = tf.compat.v1.placeholder_with_default(
                        False, shape=[], name='train_phase')  # fed True while training
            """,
        ),
    ]


class SparsePlaceholderRule(Rule):
    """Finds `tf.sparse_placeholder` (and its later name `tf.sparse.placeholder`): the
    sparse graph input that TF1 recommenders fed with multi-hot features, a
    `tf.SparseTensorValue` in `feed_dict`. TF 2.21's `tensorflow` has neither, and through
    compat.v1 it is graph-only like every placeholder. TF2 passes a `tf.SparseTensor` as an
    ordinary argument; a Keras model declares one with `keras.Input(sparse=True)`."""

    id = "TF203"
    name = "sparse-placeholder"
    message = "`{name}` declares a sparse graph input"
    replacement = "pass a `tf.SparseTensor` argument; `keras.Input(sparse=True)`"
    names = frozenset({"tf.sparse_placeholder", "tf.sparse.placeholder"})
    fix_safety = (
        "`tf.compat.v1.sparse_placeholder` is the same function, fed the same "
        "`tf.SparseTensorValue`s, in graph mode."
    )
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
        Invalid(
            """
            import tensorflow as tflow

            feat_ids = tflow.sparse_placeholder(tflow.int64, name='feat_ids')
            feat_vals = tflow.sparse_placeholder(tflow.float32, name='feat_vals')
            """,
            [
                Expect(
                    3,
                    12,
                    "`tf.sparse_placeholder` declares a sparse graph input "
                    "(`tf.sparse_placeholder` no longer exists in TF 2.21's `tensorflow`)",
                ),
                Expect(
                    4,
                    13,
                    "`tf.sparse_placeholder` declares a sparse graph input "
                    "(`tf.sparse_placeholder` no longer exists in TF 2.21's `tensorflow`)",
                ),
            ],
            fixed="""
            import tensorflow as tflow

            feat_ids = tflow.compat.v1.sparse_placeholder(tflow.int64, name='feat_ids')
            feat_vals = tflow.compat.v1.sparse_placeholder(tflow.float32, name='feat_vals')
            """,
        ),
        Invalid(
            """
            import tensorflow as tf
            tags = tf.sparse.placeholder(tf.string, shape=[None, None])
            """,
            [
                Expect(
                    2,
                    8,
                    "`tf.sparse.placeholder` declares a sparse graph input "
                    "(`tf.sparse.placeholder` no longer exists in TF 2.21's `tensorflow`)",
                ),
            ],
            fixed="""
            import tensorflow as tf
            tags = tf.compat.v1.sparse.placeholder(tf.string, shape=[None, None])
            """,
        ),
    ]
