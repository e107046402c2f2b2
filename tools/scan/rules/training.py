"""Training: v1 optimizers, global steps, savers, summaries, supervisors."""

from __future__ import annotations

import ast

from tf2rec.tools.scan.names import arguments, keyword_arg
from tf2rec.tools.scan.rule import Expect, Invalid, Rule, Severity, Valid

_V1_OPTIMIZERS = (
    "GradientDescentOptimizer",
    "AdamOptimizer",
    "AdagradOptimizer",
    "AdadeltaOptimizer",
    "AdagradDAOptimizer",
    "MomentumOptimizer",
    "RMSPropOptimizer",
    "FtrlOptimizer",
    "ProximalAdagradOptimizer",
    "ProximalGradientDescentOptimizer",
    "Optimizer",
)


class V1OptimizerRule(Rule):
    """Finds TF1's optimizer classes (`tf.train.AdamOptimizer`, `AdagradOptimizer`,
    `GradientDescentOptimizer`, ...), whose `minimize` built a train op for a session to
    run. TF 2.21's `tensorflow` has none of them. Keras optimizers replace them, but not
    one for one: TF1's Adam used epsilon 1e-8 where Keras uses 1e-7, TF1's Adagrad had no
    epsilon at all (Keras adds 1e-7), TF1's RMSProp used 1e-10, and `MomentumOptimizer`
    is `SGD(momentum=...)`. Stock Keras 3 also turns an embedding's sparse gradient into a
    dense update, where TF1 changed only the rows in the batch; this project's
    `TF1Adam`, `TF1Adagrad` and `TF1SGD` keep TF1's arithmetic."""

    id = "TF401"
    name = "v1-optimizer"
    message = "`{name}` is a TF1 graph optimizer"
    replacement = "`keras.optimizers.SGD` / `Adagrad` / `Adam`, applied with `optimizer.apply`"
    migrated = "tf2rec.migrated.train.make_optimizer"
    names = frozenset(f"tf.train.{name}" for name in _V1_OPTIMIZERS)
    fix_safety = (
        "`tf.compat.v1.train.AdamOptimizer` and the others are TF1's own classes, so the "
        "update and its defaults are TF1's; the move to a Keras optimizer, whose defaults "
        "differ, is left to you."
    )
    VALID = [
        Valid(
            """
            import keras
            optimizer = keras.optimizers.Adam(1e-3)
            """
        ),
    ]
    INVALID = [
        Invalid(
            """
            import tensorflow as tf

            OPTIMIZERS = {'adam': tf.train.AdamOptimizer,
                          'sgd': tf.train.GradientDescentOptimizer}
            decay = tf.train.RMSPropOptimizer.__init__.__defaults__
            """,
            [
                Expect(
                    3,
                    23,
                    "`tf.train.AdamOptimizer` is a TF1 graph optimizer "
                    "(`tf.train.AdamOptimizer` no longer exists in TF 2.21's `tensorflow`)",
                ),
                Expect(
                    4,
                    22,
                    "`tf.train.GradientDescentOptimizer` is a TF1 graph optimizer "
                    "(`tf.train.GradientDescentOptimizer` no longer exists in TF 2.21's "
                    "`tensorflow`)",
                ),
                Expect(
                    5,
                    9,
                    "`tf.train.RMSPropOptimizer` is a TF1 graph optimizer "
                    "(`tf.train.RMSPropOptimizer` no longer exists in TF 2.21's `tensorflow`)",
                ),
            ],
            fixed="""
            import tensorflow as tf

            OPTIMIZERS = {'adam': tf.compat.v1.train.AdamOptimizer,
                          'sgd': tf.compat.v1.train.GradientDescentOptimizer}
            decay = tf.compat.v1.train.RMSPropOptimizer.__init__.__defaults__
            """,
        ),
        Invalid(
            """
            import tensorflow as tf
            optimizer = tf.train.AdamOptimizer(1e-3)
            """,
            [
                Expect(
                    2,
                    13,
                    "`tf.train.AdamOptimizer` is a TF1 graph optimizer "
                    "(`tf.train.AdamOptimizer` no longer exists in TF 2.21's `tensorflow`)",
                ),
            ],
            fixed="""
            import tensorflow as tf
            optimizer = tf.compat.v1.train.AdamOptimizer(1e-3)
            """,
        ),
        Invalid(
            """
            import tensorflow as tf
            train_op = tf.train.GradientDescentOptimizer(0.1).minimize(loss)  # plain SGD
            """,
            [
                Expect(
                    2,
                    12,
                    "`tf.train.GradientDescentOptimizer` is a TF1 graph optimizer "
                    "(`tf.train.GradientDescentOptimizer` no longer exists in TF 2.21's "
                    "`tensorflow`)",
                ),
            ],
            fixed="""
            import tensorflow as tf
            train_op = tf.compat.v1.train.GradientDescentOptimizer(0.1).minimize(loss)  # plain SGD
            """,
        ),
        Invalid(
            """
            import tensorflow as tflow


            class Model(object):
                def _build_train_op(self, loss):
                    optimizer = tflow.train.AdagradOptimizer(
                        learning_rate=self.lr, initial_accumulator_value=1e-8)
                    return optimizer.minimize(loss)
            """,
            [
                Expect(
                    6,
                    21,
                    "`tf.train.AdagradOptimizer` is a TF1 graph optimizer "
                    "(`tf.train.AdagradOptimizer` no longer exists in TF 2.21's `tensorflow`)",
                ),
            ],
            fixed="""
            import tensorflow as tflow


            class Model(object):
                def _build_train_op(self, loss):
                    optimizer = tflow.compat.v1.train.AdagradOptimizer(
                        learning_rate=self.lr, initial_accumulator_value=1e-8)
                    return optimizer.minimize(loss)
            """,
        ),
    ]


class MinimizeGlobalStepRule(Rule):
    """Finds `optimizer.minimize(loss, global_step=...)`: TF1's train op, which applied the
    gradients and added one to the global step variable each time a session ran it. Keras
    3 optimizers have no `minimize` at all, and under eager execution a compat.v1
    optimizer's `minimize` wants the loss as a function, not a tensor. A Keras model
    trains in `fit`, or in a `train_step` that takes the gradients with `GradientTape`
    and calls `optimizer.apply`; the optimizer counts its own steps in `iterations`."""

    id = "TF402"
    name = "minimize-global-step"
    message = "`.minimize(..., global_step=...)` builds a graph train op"
    replacement = (
        "a `train_step` with `GradientTape` and `optimizer.apply`; "
        "`optimizer.iterations` is the step"
    )
    calls = frozenset({".minimize"})
    migrated = "tf2rec.migrated.model.TwoTowerRecommender.train_step"
    VALID = [
        Valid(
            """
            import tensorflow as tf
            optimizer.apply(grads, model.trainable_variables)
            """
        ),
    ]
    INVALID = [
        Invalid(
            """
            import tensorflow as tf
            train_op = optimizer.minimize(loss, global_step=global_step)
            """,
            [
                Expect(2, 12, "`.minimize(..., global_step=...)` builds a graph train op"),
            ],
        ),
        Invalid(
            """
            import tensorflow as tf


            class Model(object):
                def _train_op(self):
                    self.train_op = tf.train.AdamOptimizer(self.lr).minimize(
                        self.loss, global_step=self.global_step)
            """,
            [
                Expect(6, 25, "`.minimize(..., global_step=...)` builds a graph train op"),
            ],
        ),
    ]

    def on_call(self, ctx, node: ast.Call) -> None:
        func = node.func
        if (
            isinstance(func, ast.Attribute)
            and func.attr == "minimize"
            and keyword_arg(node, "global_step") is not None
        ):
            ctx.report(self, node)


class GlobalStepRule(Rule):
    """Finds the global step functions (`get_or_create_global_step`, `get_global_step`,
    `create_global_step`, `global_step`). TF1 kept the training step in one int64 variable
    registered in a graph collection, where `minimize(global_step=...)`, hooks, summaries
    and learning-rate schedules found it. TF 2.21's `tensorflow` has none of them. Under
    eager execution nothing is registered: `get_global_step()` returns None, and each
    `get_or_create_global_step()` makes another counter at 0. Keras counts steps in
    `model.optimizer.iterations`."""

    id = "TF403"
    name = "global-step"
    message = "`{name}` manages a graph-global step variable"
    replacement = "`model.optimizer.iterations`"
    names = frozenset(
        {
            "tf.train.get_or_create_global_step",
            "tf.train.get_global_step",
            "tf.train.create_global_step",
            "tf.train.global_step",
        }
    )
    fix_safety = (
        "The compat.v1 functions are TF1's own: in graph mode they find or create the same "
        "int64 `global_step` variable."
    )
    VALID = [
        Valid(
            """
            import keras
            step = model.optimizer.iterations
            """
        ),
    ]
    INVALID = [
        Invalid(
            """
            import tensorflow as tf
            step = tf.train.get_or_create_global_step()
            """,
            [
                Expect(
                    2,
                    8,
                    "`tf.train.get_or_create_global_step` manages a graph-global step "
                    "variable (`tf.train.get_or_create_global_step` no longer exists in "
                    "TF 2.21's `tensorflow`)",
                ),
            ],
            fixed="""
            import tensorflow as tf
            step = tf.compat.v1.train.get_or_create_global_step()
            """,
        ),
        Invalid(
            """
            import tensorflow as tf


            def model_fn(features, labels, mode, params):
                global_step = tf.train.get_global_step()
                train_op = optimizer.minimize(loss, global_step=global_step)
            """,
            [
                Expect(
                    5,
                    19,
                    "`tf.train.get_global_step` manages a graph-global step variable "
                    "(`tf.train.get_global_step` no longer exists in TF 2.21's `tensorflow`)",
                ),
            ],
            fixed="""
            import tensorflow as tf


            def model_fn(features, labels, mode, params):
                global_step = tf.compat.v1.train.get_global_step()
                train_op = optimizer.minimize(loss, global_step=global_step)
            """,
        ),
        Invalid(
            """
            import tensorflow as tflow
            print('step %d' % tflow.train.global_step(sess, global_step_tensor))
            """,
            [
                Expect(
                    2,
                    19,
                    "`tf.train.global_step` manages a graph-global step variable "
                    "(`tf.train.global_step` no longer exists in TF 2.21's `tensorflow`)",
                ),
            ],
            fixed="""
            import tensorflow as tflow
            print('step %d' % tflow.compat.v1.train.global_step(sess, global_step_tensor))
            """,
        ),
    ]


class UpdateOpsDependencyRule(Rule):
    """Finds `tf.control_dependencies` on the UPDATE_OPS collection (written inline, or
    through a variable named `update_ops`). TF1's batch normalization left its
    moving-average updates there, and a train op that did not depend on them never updated
    the statistics, so inference normalized with the initial mean 0 and variance 1. Under
    TF2 the collection is empty (TF305) and the dependency orders nothing. Keras layers
    update their own statistics when called with `training=True`, and TF2 runs statements
    in the order they are written."""

    id = "TF404"
    name = "update-ops-dependency"
    message = "`control_dependencies` on UPDATE_OPS orders graph updates by hand"
    replacement = "drop it: Keras layers update their own state when called with training=True"
    VALID = [
        Valid(
            """
            import tensorflow as tf
            outputs = model(x, training=True)
            """
        ),
    ]
    INVALID = [
        Invalid(
            """
            import tensorflow as tf
            with tf.control_dependencies(tf.get_collection(tf.GraphKeys.UPDATE_OPS)):
                pass
            """,
            [
                Expect(2, 6, "`control_dependencies` on UPDATE_OPS orders graph updates by hand"),
            ],
        ),
        Invalid(
            """
            import tensorflow as tf


            class Model(object):
                def _train_op(self):
                    update_ops = tf.get_collection(tf.GraphKeys.UPDATE_OPS)
                    with tf.control_dependencies(update_ops):
                        self.train_op = self.optimizer.minimize(self.loss)
            """,
            [
                Expect(7, 14, "`control_dependencies` on UPDATE_OPS orders graph updates by hand"),
            ],
        ),
    ]

    def on_call(self, ctx, node: ast.Call) -> None:
        resolved = ctx.resolve(node.func)
        if resolved is None or resolved[0] != "tf.control_dependencies" or not arguments(node):
            return
        # tf.GraphKeys.UPDATE_OPS inline, or a variable named update_ops holding it
        if any(name.lower() == "update_ops" for name in _names_in(arguments(node)[0])):
            ctx.report(self, node)


def _names_in(node: ast.AST) -> set[str]:
    """Every name and attribute name in the expression."""
    found = set()
    for inner in ast.walk(node):
        if isinstance(inner, ast.Name):
            found.add(inner.id)
        elif isinstance(inner, ast.Attribute):
            found.add(inner.attr)
    return found


class SaverRule(Rule):
    """Finds `tf.train.Saver` and TF1's graph export functions (`import_meta_graph`,
    `export_meta_graph`, `simple_save`, `SavedModelBuilder`). A Saver wrote checkpoints
    keyed by variable names, which change with scopes and creation order. TF 2.21's
    `tensorflow` has none of these names; under eager execution a compat.v1 Saver needs an
    explicit `var_list`, and meta graphs cannot be exported or imported at all (a
    RuntimeError). TF2 saves objects: `tf.train.Checkpoint` / `CheckpointManager`, or
    Keras' `.keras` and `.weights.h5` files; `model.export` writes a SavedModel for
    serving. Old Saver checkpoints stay readable by name (`tf.train.load_checkpoint`)."""

    id = "TF405"
    name = "saver"
    message = "`{name}` saves name-based graph checkpoints"
    replacement = "`model.save('model.keras')` / `tf.train.Checkpoint`"
    names = frozenset(
        {
            "tf.train.Saver",
            "tf.train.import_meta_graph",
            "tf.train.export_meta_graph",
            "tf.saved_model.simple_save",
            "tf.saved_model.builder.SavedModelBuilder",
        }
    )
    fix_safety = (
        "`tf.compat.v1.train.Saver` is the same class: it writes and restores the same "
        "checkpoint files, under the same variable names."
    )
    VALID = [
        Valid(
            """
            import keras
            model.save('model.keras')
            """
        ),
    ]
    INVALID = [
        Invalid(
            """
            import tensorflow as tf
            saver = tf.train.Saver()
            """,
            [
                Expect(
                    2,
                    9,
                    "`tf.train.Saver` saves name-based graph checkpoints "
                    "(`tf.train.Saver` no longer exists in TF 2.21's `tensorflow`)",
                ),
            ],
            fixed="""
            import tensorflow as tf
            saver = tf.compat.v1.train.Saver()
            """,
        ),
        Invalid(
            """
            import tensorflow as tf
            saver = tf.train.Saver(tf.global_variables(), max_to_keep=5)
            """,
            [
                Expect(
                    2,
                    9,
                    "`tf.train.Saver` saves name-based graph checkpoints "
                    "(`tf.train.Saver` no longer exists in TF 2.21's `tensorflow`)",
                ),
            ],
            fixed="""
            import tensorflow as tf
            saver = tf.compat.v1.train.Saver(tf.global_variables(), max_to_keep=5)
            """,
        ),
        Invalid(
            """
            import tensorflow as tflow


            class Recommender(object):
                def load(self, path):
                    saver = tflow.train.import_meta_graph(path + '.meta')
                    saver.restore(self.sess, path)
            """,
            [
                Expect(
                    6,
                    17,
                    "`tf.train.import_meta_graph` saves name-based graph checkpoints "
                    "(`tf.train.import_meta_graph` no longer exists in TF 2.21's `tensorflow`)",
                ),
            ],
            fixed="""
            import tensorflow as tflow


            class Recommender(object):
                def load(self, path):
                    saver = tflow.compat.v1.train.import_meta_graph(path + '.meta')
                    saver.restore(self.sess, path)
            """,
        ),
    ]


class MonitoredSessionRule(Rule):
    """Finds monitored sessions, supervisors and session hooks (`MonitoredTrainingSession`,
    `Supervisor`, `StopAtStepHook`, ...). They wrapped the `sess.run` loop with variable
    initialization, a checkpoint every 600 seconds by default, summaries, and recovery
    after a worker failed. TF 2.21's `tensorflow` has none of them, and through compat.v1
    they need graph mode (a `Supervisor` raises a RuntimeError under eager execution).
    Keras callbacks do these jobs in `fit`: `ModelCheckpoint`, `TensorBoard`,
    `BackupAndRestore`; `epochs` and `steps_per_epoch` say when to stop."""

    id = "TF406"
    name = "monitored-session"
    message = "`{name}` runs a graph-mode training loop"
    replacement = "`model.fit` with `ModelCheckpoint`, `TensorBoard` and `BackupAndRestore`"
    migrated = "tf2rec.migrated.train.train"
    names = frozenset(
        {
            "tf.train.MonitoredTrainingSession",
            "tf.train.MonitoredSession",
            "tf.train.SingularMonitoredSession",
            "tf.train.Supervisor",
            "tf.train.SessionRunHook",
            "tf.train.StopAtStepHook",
            "tf.train.CheckpointSaverHook",
            "tf.train.LoggingTensorHook",
        }
    )
    fix_safety = (
        "The compat.v1 classes are TF1's monitored sessions and hooks themselves: the same "
        "loop, with the same checkpoints and summaries, in graph mode."
    )
    VALID = [
        Valid(
            """
            import keras
            model.fit(data, callbacks=[keras.callbacks.BackupAndRestore('b')])
            """
        ),
    ]
    INVALID = [
        Invalid(
            """
            import tensorflow as tf
            with tf.train.MonitoredTrainingSession(checkpoint_dir='c') as sess:
                pass
            """,
            [
                Expect(
                    2,
                    6,
                    "`tf.train.MonitoredTrainingSession` runs a graph-mode training "
                    "loop (`tf.train.MonitoredTrainingSession` no longer exists in TF "
                    "2.21's `tensorflow`)",
                ),
            ],
            fixed="""
            import tensorflow as tf
            with tf.compat.v1.train.MonitoredTrainingSession(checkpoint_dir='c') as sess:
                pass
            """,
        ),
        Invalid(
            """
            import tensorflow as tf

            hooks = [tf.train.StopAtStepHook(last_step=100000),
                     tf.train.LoggingTensorHook({'loss': loss}, every_n_iter=100)]
            """,
            [
                Expect(
                    3,
                    10,
                    "`tf.train.StopAtStepHook` runs a graph-mode training loop "
                    "(`tf.train.StopAtStepHook` no longer exists in TF 2.21's `tensorflow`)",
                ),
                Expect(
                    4,
                    10,
                    "`tf.train.LoggingTensorHook` runs a graph-mode training loop "
                    "(`tf.train.LoggingTensorHook` no longer exists in TF 2.21's `tensorflow`)",
                ),
            ],
            fixed="""
            import tensorflow as tf

            hooks = [tf.compat.v1.train.StopAtStepHook(last_step=100000),
                     tf.compat.v1.train.LoggingTensorHook({'loss': loss}, every_n_iter=100)]
            """,
        ),
        Invalid(
            """
            import tensorflow as tflow

            sv = tflow.train.Supervisor(logdir=FLAGS.log_dir,
                                        global_step=global_step)
            with sv.managed_session() as sess:
                pass
            """,
            [
                Expect(
                    3,
                    6,
                    "`tf.train.Supervisor` runs a graph-mode training loop "
                    "(`tf.train.Supervisor` no longer exists in TF 2.21's `tensorflow`)",
                ),
            ],
            fixed="""
            import tensorflow as tflow

            sv = tflow.compat.v1.train.Supervisor(logdir=FLAGS.log_dir,
                                        global_step=global_step)
            with sv.managed_session() as sess:
                pass
            """,
        ),
    ]


class V1SummaryRule(Rule):
    """Finds TF1's summary API: `tf.summary.FileWriter`, `merge_all` / `merge`, and the
    summary ops reached through compat.v1 (`scalar`, `histogram`, ...), which returned
    serialized protocol buffers for a session to run and a FileWriter to write. TF 2.21's
    `tensorflow` has no `FileWriter` or `merge_all`, and under eager execution a compat.v1
    `FileWriter` raises a RuntimeError. The names from before TF 1.0 (`tf.scalar_summary`,
    `tf.train.SummaryWriter`) were already removed in TF 1.0 and have no compat.v1
    spelling. TF2 writes summaries as the code runs: `tf.summary.create_file_writer`, then
    `tf.summary.scalar(name, value, step=...)` inside `with writer.as_default():`. With
    Keras, the `TensorBoard` callback does all of it."""

    id = "TF407"
    name = "v1-summary"
    message = "`{name}` is the TF1 summary API"
    replacement = "the `keras.callbacks.TensorBoard` callback, or `tf.summary.create_file_writer`"
    names = frozenset(
        {
            "tf.summary.FileWriter",
            "tf.summary.merge_all",
            "tf.summary.merge",
            "tf.summary.FileWriterCache",
            "tf.summary.tensor_summary",
            "tf.train.SummaryWriter",
            "tf.merge_all_summaries",
            "tf.scalar_summary",
            "tf.histogram_summary",
        }
    )
    fix_safety = (
        "`tf.compat.v1.summary` holds TF1's summary functions themselves, so in graph mode the "
        "same events go to the same files."
    )
    VALID = [
        Valid(
            """
            import keras
            callback = keras.callbacks.TensorBoard('logs')
            """
        ),
    ]
    INVALID = [
        Invalid(
            """
            import tensorflow as tf
            writer = tf.summary.FileWriter('logs')
            """,
            [
                Expect(
                    2,
                    10,
                    "`tf.summary.FileWriter` is the TF1 summary API "
                    "(`tf.summary.FileWriter` no longer exists in TF 2.21's `tensorflow`)",
                ),
            ],
            fixed="""
            import tensorflow as tf
            writer = tf.compat.v1.summary.FileWriter('logs')
            """,
        ),
        Invalid(
            """
            import tensorflow as tf

            merged = tf.summary.merge_all()
            train_writer = tf.summary.FileWriter(log_dir + '/train',
                                                 sess.graph)
            """,
            [
                Expect(
                    3,
                    10,
                    "`tf.summary.merge_all` is the TF1 summary API "
                    "(`tf.summary.merge_all` no longer exists in TF 2.21's `tensorflow`)",
                ),
                Expect(
                    4,
                    16,
                    "`tf.summary.FileWriter` is the TF1 summary API "
                    "(`tf.summary.FileWriter` no longer exists in TF 2.21's `tensorflow`)",
                ),
            ],
            fixed="""
            import tensorflow as tf

            merged = tf.compat.v1.summary.merge_all()
            train_writer = tf.compat.v1.summary.FileWriter(log_dir + '/train',
                                                 sess.graph)
            """,
        ),
        Invalid(
            """
            import tensorflow.compat.v1 as tf
            tf.summary.scalar('loss', loss)
            """,
            [
                Expect(2, 1, "`tf.summary.scalar` is the TF1 summary API"),
            ],
        ),
    ]

    def on_reference(self, ctx, node, name, namespace) -> None:
        # tf.summary.scalar & co. exist in TF2 with another signature (a `step` argument);
        # through compat.v1 they are graph ops.
        if self.matches(name) or (
            namespace == "v1"
            and name
            in (
                "tf.summary.scalar",
                "tf.summary.histogram",
                "tf.summary.image",
                "tf.summary.text",
                "tf.summary.audio",
            )
        ):
            ctx.report(self, node, name=name, namespace=namespace)


class PrintOpRule(Rule):
    """Finds `tf.Print`, TF1's identity op that wrote its `data` to standard error each time
    the graph ran, and returned its input so that it could be threaded into the graph
    (`x = tf.Print(x, [x])`). TF 2.21's `tensorflow` has no `tf.Print`. TF2's `tf.print`
    prints when it runs, eagerly or inside a `tf.function`, and returns nothing to thread
    through: it is a statement of its own."""

    id = "TF408"
    name = "print-op"
    severity = Severity.WARNING
    message = "`{name}` is a graph identity op that prints"
    replacement = "`tf.print(...)`"
    names = frozenset({"tf.Print"})
    fix_safety = (
        "`tf.compat.v1.Print` is the same op: it returns its input unchanged and prints the "
        "same text to standard error when it runs."
    )
    VALID = [
        Valid(
            """
            import tensorflow as tf
            tf.print(x)
            """
        ),
    ]
    INVALID = [
        Invalid(
            """
            import tensorflow as tf
            x = tf.Print(x, [x])
            """,
            [
                Expect(
                    2,
                    5,
                    "`tf.Print` is a graph identity op that prints (`tf.Print` no "
                    "longer exists in TF 2.21's `tensorflow`)",
                ),
            ],
            fixed="""
            import tensorflow as tf
            x = tf.compat.v1.Print(x, [x])
            """,
        ),
        Invalid(
            """
            import tensorflow as tflow


            class Model(object):
                def _loss(self, logits, labels):
                    loss = tflow.losses.log_loss(labels, tflow.sigmoid(logits))
                    return tflow.Print(loss, [loss, tflow.shape(logits)],
                                       message='loss: ', summarize=10)
            """,
            [
                Expect(
                    7,
                    16,
                    "`tf.Print` is a graph identity op that prints (`tf.Print` no "
                    "longer exists in TF 2.21's `tensorflow`)",
                ),
            ],
            fixed="""
            import tensorflow as tflow


            class Model(object):
                def _loss(self, logits, labels):
                    loss = tflow.losses.log_loss(labels, tflow.sigmoid(logits))
                    return tflow.compat.v1.Print(loss, [loss, tflow.shape(logits)],
                                       message='loss: ', summarize=10)
            """,
        ),
    ]
