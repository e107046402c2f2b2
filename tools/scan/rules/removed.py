"""Modules and APIs that TF 2.21 / Keras 3 no longer have."""

from __future__ import annotations

import ast

from tf2rec.tools.scan import tf_api
from tf2rec.tools.scan.names import dotted
from tf2rec.tools.scan.rule import Expect, Invalid, Rule, Severity, Valid
from tf2rec.tools.scan.rules.meaning import contrib_equivalent, l2_regularizer_fix


class _ImportedModuleRule(Rule):
    """Reports the import of a removed module as well as every use of it."""

    def on_import(self, ctx, node: ast.Import | ast.ImportFrom, module: str) -> None:
        if not self.matches(module):
            return
        if ctx.import_guards:  # the ImportError is caught: the file's fallback runs
            message = self.message.format(name=module) + (
                " (the import is in a `try:` that catches its ImportError: on TF 2.21 the "
                "fallback runs)"
            )
            ctx.report(self, node, name=module, message=message, severity=Severity.WARNING)
            return
        ctx.report(self, node, name=module)


class ContribRule(_ImportedModuleRule):
    """Finds every import and use of `tf.contrib`, which TF 2.0 removed: the import fails,
    so nothing in the file runs. Most of it moved to core TF, Keras or separate projects;
    slim's layers are Keras layers. Where the Keras piece differs from contrib's (the L2
    regularizer's factor 1/2, `fully_connected`'s default ReLU, `batch_norm`'s decay of
    0.999 and missing scale), the message says how to write contrib's behaviour."""

    id = "TF501"
    name = "contrib"
    severity = Severity.ERROR
    severity_from_api_table = False
    message = "`{name}`: tf.contrib was removed in TF 2.0"
    replacement = (
        "the core / Keras equivalent (e.g. `contrib.rnn.LSTMCell` -> "
        "`keras.layers.LSTMCell`, `slim.fully_connected` -> `keras.layers.Dense`)"
    )
    prefixes = ("tf.contrib",)
    fix_safety = (
        "Only `l2_regularizer(scale)` is rewritten: to the function it returned in TF 1.15, "
        "`scale * tf.nn.l2_loss(w)` with the scale taken when the line ran (a default "
        "argument), which is TF1's computation, op for op."
    )
    VALID = [
        Valid(
            """
            import keras
            cell = keras.layers.LSTMCell(8)
            """
        ),
    ]
    INVALID = [
        Invalid(
            """
            import tensorflow as tf
            try:
                from tensorflow.contrib import layers as contrib_layers
            except ImportError:  # TF built without contrib
                contrib_layers = None
            """,
            [
                Expect(
                    3,
                    5,
                    "`tf.contrib.layers`: tf.contrib was removed in TF 2.0 (the import is in a "
                    "`try:` that catches its ImportError: on TF 2.21 the fallback runs)",
                ),
            ],
        ),
        Invalid(
            """
            import tensorflow as tf
            cell = tf.contrib.rnn.LSTMCell(8)
            """,
            [
                Expect(2, 8, "`tf.contrib.rnn.LSTMCell`: tf.contrib was removed in TF 2.0"),
            ],
        ),
        Invalid(
            """
            from tensorflow.contrib import rnn
            """,
            [
                Expect(1, 1, "`tf.contrib.rnn`: tf.contrib was removed in TF 2.0"),
            ],
        ),
        Invalid(
            """
            import tensorflow.contrib.slim as slim
            """,
            [
                Expect(1, 1, "`tf.contrib.slim`: tf.contrib was removed in TF 2.0"),
            ],
        ),
        Invalid(
            """
            import tensorflow as tf
            reg = tf.contrib.layers.l2_regularizer(1e-4)
            """,
            [
                Expect(
                    2,
                    7,
                    "`tf.contrib.layers.l2_regularizer`: tf.contrib was removed in TF "
                    "2.0; use `keras.regularizers.L2(scale / 2)`: TF1's penalty is "
                    "scale * sum(w**2) / 2, Keras' l2 * sum(w**2)",
                ),
            ],
            fixed="""
            import tensorflow as tf
            reg = lambda weights, scale=1e-4: tf.multiply(scale, tf.nn.l2_loss(weights))
            """,
        ),
        Invalid(
            """
            import tensorflow as tf
            FLAGS = tf.app.flags.FLAGS

            def embedding(ids):
                reg = tf.contrib.layers.l2_regularizer(scale=FLAGS.l2)
                w = tf.get_variable('emb', [FLAGS.n_items, FLAGS.k], regularizer=reg)
                return tf.nn.embedding_lookup(w, ids)
            """,
            [
                Expect(
                    5,
                    11,
                    "`tf.contrib.layers.l2_regularizer`: tf.contrib was removed in TF "
                    "2.0; use `keras.regularizers.L2(scale / 2)`: TF1's penalty is "
                    "scale * sum(w**2) / 2, Keras' l2 * sum(w**2)",
                ),
            ],
            fixed="""
            import tensorflow as tf
            FLAGS = tf.app.flags.FLAGS

            def embedding(ids):
                reg = lambda weights, scale=FLAGS.l2: tf.multiply(scale, tf.nn.l2_loss(weights))
                w = tf.get_variable('emb', [FLAGS.n_items, FLAGS.k], regularizer=reg)
                return tf.nn.embedding_lookup(w, ids)
            """,
        ),
        Invalid(
            """
            import tensorflow as tf
            h = tf.contrib.layers.batch_norm(h, center=True, scale=True,
                                             is_training=is_training, decay=0.9)
            """,
            [
                Expect(
                    2,
                    5,
                    "`tf.contrib.layers.batch_norm`: tf.contrib was removed in TF 2.0; use "
                    "`keras.layers.BatchNormalization(momentum=0.9, epsilon=0.001, "
                    "scale=True)`: contrib's defaults are decay 0.999, epsilon 0.001, no scale "
                    "(gamma); Keras' are momentum 0.99 and a scale",
                ),
            ],
        ),
    ]

    def __init__(self) -> None:
        # id of the callee -> its call, for the calls of this rule's names only: a call
        # held keeps its tree alive (and its id its own), so holding every call of a large
        # file held most of its trees
        self.calls: dict[int, ast.Call] = {}

    def on_call(self, ctx, node: ast.Call) -> None:
        resolved = ctx.resolve(node.func)
        if resolved is not None and self.matches(resolved[0]):
            self.calls[id(node.func)] = node  # seen before the callee's reference

    def on_reference(self, ctx, node, name, namespace) -> None:
        if not self.matches(name):
            return
        call = self.calls.get(id(node))
        equivalent = contrib_equivalent(name, call)
        message = self.message.format(name=name) + (f"; use {equivalent}" if equivalent else "")
        fix = None
        if call is not None and name == "tf.contrib.layers.l2_regularizer":
            fix = l2_regularizer_fix(ctx, call)
        ctx.report(
            self, node, name=name, namespace=namespace, message=message, fix=fix, fix_node=call
        )


class V1LayersRule(_ImportedModuleRule):
    """Finds `tf.layers` (and `tf.compat.v1.layers`), TF1's functional layers built on Keras
    2's layer classes. With Keras 3 they do not work: `tf.compat.v1.layers.dense` raises.
    Use Keras layers, created once and called like functions. `tf.layers.dropout` and
    `batch_normalization` took `training=False` by default, so they did nothing unless the
    code passed the flag; Keras passes `training` to its layers itself in `fit`,
    `evaluate` and `predict`."""

    id = "TF502"
    name = "v1-layers"
    severity = Severity.ERROR
    severity_from_api_table = False
    message = "`{name}`: tf.layers is not available with Keras 3"
    replacement = "`keras.layers.Dense` / `Conv2D` / ...; a `keras.layers.Layer` subclass"
    migrated = "tf2rec.migrated.layers.Linear"
    prefixes = ("tf.layers",)
    VALID = [
        Valid(
            """
            import keras
            layer = keras.layers.Dense(8)
            """
        ),
    ]
    INVALID = [
        Invalid(
            """
            import tensorflow.compat.v1 as tf
            y = tf.layers.dense(x, 8)
            """,
            [
                Expect(2, 5, "`tf.layers.dense`: tf.layers is not available with Keras 3"),
            ],
        ),
        Invalid(
            """
            import tensorflow as tf

            h = tf.layers.dense(x, 64, activation=tf.nn.relu,
                                kernel_regularizer=reg, name='fc1')
            h = tf.layers.dropout(h, rate=0.5, training=is_training)
            """,
            [
                Expect(3, 5, "`tf.layers.dense`: tf.layers is not available with Keras 3"),
                Expect(5, 5, "`tf.layers.dropout`: tf.layers is not available with Keras 3"),
            ],
        ),
    ]


class EstimatorRule(_ImportedModuleRule):
    """Finds `tf.estimator`, which TF 2.16 removed: `tf.estimator.Estimator`, `RunConfig`,
    `TrainSpec`, the canned estimators, the input functions. The first use fails with an
    AttributeError. A Keras model trained with `fit` replaces the Estimator loop; the
    `model_fn`'s network becomes the model, its loss and optimizer go to `compile`, and
    `RunConfig`'s checkpoints are a `ModelCheckpoint` callback."""

    id = "TF503"
    name = "estimator"
    severity = Severity.ERROR
    severity_from_api_table = False
    message = "`{name}`: tf.estimator was removed in TF 2.16"
    replacement = "a Keras model trained with `model.fit`"
    migrated = "tf2rec.migrated.model.TwoTowerRecommender"
    prefixes = ("tf.estimator",)
    VALID = [
        Valid(
            """
            import keras
            model.fit(dataset)
            """
        ),
    ]
    INVALID = [
        Invalid(
            """
            import tensorflow as tf
            estimator = tf.estimator.Estimator(model_fn)
            """,
            [
                Expect(2, 13, "`tf.estimator.Estimator`: tf.estimator was removed in TF 2.16"),
            ],
        ),
        Invalid(
            """
            import tensorflow as tf

            config = tf.estimator.RunConfig(model_dir=FLAGS.model_dir,
                                            save_checkpoints_steps=1000)
            model = tf.estimator.Estimator(model_fn=model_fn, config=config)
            """,
            [
                Expect(3, 10, "`tf.estimator.RunConfig`: tf.estimator was removed in TF 2.16"),
                Expect(5, 9, "`tf.estimator.Estimator`: tf.estimator was removed in TF 2.16"),
            ],
        ),
    ]


class AppFlagsLoggingRule(_ImportedModuleRule):
    """Finds `tf.flags`, `tf.app` and `tf.logging`: TF1's wrappers around absl's flags,
    `app.run` and logging. TF 2.21's `tensorflow` has none of them (compat.v1 keeps them),
    so a script fails at its first `FLAGS` line. absl comes with TensorFlow:
    `from absl import app, flags, logging` gives the same functions. One TF1 default to
    keep in mind: `tf.app.run()` found `main` in the `__main__` module by itself, while
    absl's `app.run` must be given it."""

    id = "TF504"
    name = "app-flags-logging"
    message = "`{name}` wraps absl and is TF1-only"
    replacement = "`absl.flags`, `absl.app.run`, `absl.logging` (or the `logging` module)"
    prefixes = ("tf.flags", "tf.app", "tf.logging")
    fix_safety = (
        "`tf.compat.v1.flags`, `.app` and `.logging` are the very wrappers the file used, so "
        "flags parse, `main` runs and messages are logged as before."
    )
    VALID = [
        Valid(
            """
            from absl import flags
            import tensorflow as tf
            FLAGS = flags.FLAGS
            """
        ),
    ]
    INVALID = [
        Invalid(
            """
            import tensorflow as tf
            FLAGS = tf.flags.FLAGS
            """,
            [
                Expect(
                    2,
                    9,
                    "`tf.flags.FLAGS` wraps absl and is TF1-only (`tf.flags.FLAGS` no "
                    "longer exists in TF 2.21's `tensorflow`)",
                ),
            ],
            fixed="""
            import tensorflow as tf
            FLAGS = tf.compat.v1.flags.FLAGS
            """,
        ),
        Invalid(
            """
            import tensorflow.compat.v1 as tf
            tf.flags.DEFINE_string('data_dir', '/tmp/ml-1m', 'ratings folder')
            FLAGS = tf.flags.FLAGS
            """,
            [
                Expect(2, 1, "`tf.flags.DEFINE_string` wraps absl and is TF1-only"),
                Expect(3, 9, "`tf.flags.FLAGS` wraps absl and is TF1-only"),
            ],
        ),
        Invalid(
            """
            import tensorflow as tf
            tf.logging.set_verbosity(tf.logging.INFO)
            """,
            [
                Expect(
                    2,
                    1,
                    "`tf.logging.set_verbosity` wraps absl and is TF1-only "
                    "(`tf.logging.set_verbosity` no longer exists in TF 2.21's `tensorflow`)",
                ),
                Expect(
                    2,
                    26,
                    "`tf.logging.INFO` wraps absl and is TF1-only (`tf.logging.INFO` no "
                    "longer exists in TF 2.21's `tensorflow`)",
                ),
            ],
            fixed="""
            import tensorflow as tf
            tf.compat.v1.logging.set_verbosity(tf.compat.v1.logging.INFO)
            """,
        ),
        Invalid(
            """
            import tensorflow as tf

            flags = tf.app.flags
            flags.DEFINE_integer('batch_size', 256, 'examples per batch')
            FLAGS = flags.FLAGS
            """,
            [
                Expect(
                    3,
                    9,
                    "`tf.app.flags` wraps absl and is TF1-only (`tf.app.flags` no "
                    "longer exists in TF 2.21's `tensorflow`)",
                ),
            ],
            fixed="""
            import tensorflow as tf

            flags = tf.compat.v1.app.flags
            flags.DEFINE_integer('batch_size', 256, 'examples per batch')
            FLAGS = flags.FLAGS
            """,
        ),
        Invalid(
            """
            import tensorflow as tflow


            def main(_):
                train(FLAGS)


            if __name__ == '__main__':
                tflow.app.run()  # parses the flags, then calls main
            """,
            [
                Expect(
                    9,
                    5,
                    "`tf.app.run` wraps absl and is TF1-only (`tf.app.run` no longer "
                    "exists in TF 2.21's `tensorflow`)",
                ),
            ],
            fixed="""
            import tensorflow as tflow


            def main(_):
                train(FLAGS)


            if __name__ == '__main__':
                tflow.compat.v1.app.run()  # parses the flags, then calls main
            """,
        ),
    ]


class CompatKerasRule(Rule):
    """Finds `tf.keras` reached through `tensorflow.compat.v1`. Code converted to compat.v1
    expects Keras 2 there, but on TF 2.21 it is Keras 3, which lacks the TF1-facing parts
    of Keras 2 (`get_session`, the v1 optimizers, `Network`, ...): those names fail. The
    rest is plain Keras 3, better written as `keras` directly."""

    id = "TF505"
    name = "compat-v1-keras"
    message = "`{name}`: the compat.v1 Keras shim has no TF1 parts under Keras 3"
    replacement = "plain `keras` 3 APIs"
    VALID = [
        Valid(
            """
            import keras
            model = keras.Sequential()
            """
        ),
    ]
    INVALID = [
        Invalid(
            """
            import tensorflow.compat.v1 as tf
            sess = tf.keras.backend.get_session()
            """,
            [
                Expect(
                    2,
                    8,
                    "`tf.keras.backend.get_session`: the compat.v1 Keras shim has no "
                    "TF1 parts under Keras 3 (`tf.keras.backend.get_session` no longer "
                    "exists in TF 2.21's `tensorflow.compat.v1`)",
                ),
            ],
        ),
        Invalid(
            """
            import tensorflow.compat.v1 as tf
            model = tf.keras.Sequential([tf.keras.layers.Dense(1)])
            """,
            [
                Expect(
                    2,
                    9,
                    "`tf.keras.Sequential`: the compat.v1 Keras shim has no TF1 parts under "
                    "Keras 3",
                ),
                Expect(
                    2,
                    30,
                    "`tf.keras.layers.Dense`: the compat.v1 Keras shim has no TF1 parts under "
                    "Keras 3",
                ),
            ],
        ),
    ]

    def on_reference(self, ctx, node, name, namespace) -> None:
        if namespace == "v1" and name.startswith("tf.keras."):
            ctx.report(self, node, name=name, namespace=namespace)


class PrivateApiRule(Rule):
    """`tensorflow.python` is TensorFlow's private implementation: it changes without
    notice between releases. A private module that still imports on TF 2.21 is a warning
    (it runs today); one that no longer exists is an error."""

    id = "TF506"
    name = "private-api"
    severity = Severity.ERROR
    severity_from_api_table = False
    message = "`{name}` imports TensorFlow's private implementation"
    replacement = "the public API (`tf.*`, `keras.*`)"
    prefixes = ("tf.python",)  # what it covers; it reports through its own hooks
    VALID = [
        Valid(
            """
            import tensorflow as tf
            vs = tf.compat.v1.variable_scope
            """
        ),
    ]
    INVALID = [
        Invalid(
            """
            from tensorflow.python.ops import variable_scope as vs
            """,
            [
                Expect(
                    1,
                    1,
                    "`tensorflow.python.ops.variable_scope` imports TensorFlow's "
                    "private implementation (still there in 2.21)",
                ),
            ],
        ),
        Invalid(
            """
            from tensorflow.python.ops import rnn_cell_impl_gone
            """,
            [
                Expect(
                    1,
                    1,
                    "`tensorflow.python.ops.rnn_cell_impl_gone` imports TensorFlow's "
                    "private implementation (still there in 2.21)",
                ),
            ],
        ),
    ]

    def on_import(self, ctx, node, module: str) -> None:
        if module == "tf.python" or module.startswith("tf.python."):
            self._report(ctx, node, module)

    def on_reference(self, ctx, node, name, namespace) -> None:
        # `tf.python.x` spelled out; names used through a private import were reported there
        if name.startswith("tf.python.") and dotted(node).split(".")[1:2] == ["python"]:
            self._report(ctx, node, name)

    def _report(self, ctx, node, name: str) -> None:
        full = "tensorflow." + name[3:]
        if tf_api.private_module_imports(name):
            message = f"`{full}` imports TensorFlow's private implementation (still there in 2.21)"
            ctx.report(self, node, name=full, message=message, severity=Severity.WARNING)
        else:
            message = f"`{full}` imports TensorFlow's private implementation, gone in TF 2.21"
            ctx.report(self, node, name=full, message=message)


class GoneApiRule(Rule):
    """A TensorFlow name that TF 2.21 has in neither `tensorflow` nor `tensorflow.compat.v1`
    (`tf.examples.tutorials.mnist`, `tf.array_ops`, `tf.nn.rnn_cell.*` under Keras 3), and
    that no other rule covers. No spelling of it runs: the code needs a replacement (the
    message of the rule that knows the name, or the TF2 API)."""

    id = "TF803"
    name = "gone-api"
    severity = Severity.ERROR
    severity_from_api_table = False
    message = "`{name}` exists in neither `tensorflow` nor `tensorflow.compat.v1` in TF 2.21"
    replacement = "the TF2 / Keras 3 API that does the same (`keras.layers.LSTMCell`, ...)"
    VALID = [
        Valid(
            """
            import tensorflow as tf
            cell = tf.keras.layers.LSTMCell(8)
            """
        ),
    ]
    INVALID = [
        Invalid(
            """
            from tensorflow.examples.tutorials.mnist import input_data
            """,
            [
                Expect(
                    1,
                    1,
                    "`tf.examples.tutorials.mnist.input_data` exists in neither "
                    "`tensorflow` nor `tensorflow.compat.v1` in TF 2.21",
                ),
            ],
        ),
        Invalid(
            """
            import tensorflow as tf
            y = tf.array_ops.reshape(x, [-1])
            """,
            [
                Expect(
                    2,
                    5,
                    "`tf.array_ops.reshape` exists in neither `tensorflow` nor "
                    "`tensorflow.compat.v1` in TF 2.21",
                ),
            ],
        ),
    ]

    def __init__(self) -> None:
        self._reported: set[tuple[int, int]] = set()  # one finding per import statement

    def on_import(self, ctx, node, module: str) -> None:
        where = (node.lineno, node.col_offset)
        if where not in self._reported and self._gone(module):
            self._reported.add(where)
            ctx.report(self, node, name=module)

    def on_reference(self, ctx, node, name, namespace) -> None:
        if namespace in ("v1", "v2") and self._gone(name):
            ctx.report(self, node, name=name)

    def _gone(self, name: str) -> bool:
        parts = name.split(".")
        if (
            parts[0] != "tf"
            or len(parts) < 2
            or tf_api.exists(name, "v1")
            or tf_api.exists(name, "v2")
        ):
            return False
        if not (tf_api.listed_deep_enough(name, "v1") or tf_api.listed_deep_enough(name, "v2")):
            return False  # below the depth the table lists: unknown, not gone
        return not self.covered_elsewhere(name)
