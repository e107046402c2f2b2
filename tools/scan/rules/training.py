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
    """`tf.train.*Optimizer` classes work only on graphs. Keras optimizers replace them;
    note Keras 3 Adam and Adagrad differ from TF1's in epsilon placement and sparse updates."""

    id = "TF401"
    name = "v1-optimizer"
    message = "`{name}` is a TF1 graph optimizer"
    replacement = "`keras.optimizers.SGD` / `Adagrad` / `Adam`, applied with `optimizer.apply`"
    migrated = "tf2rec.migrated.train.make_optimizer"
    names = frozenset(f"tf.train.{name}" for name in _V1_OPTIMIZERS)
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
    ]


class MinimizeGlobalStepRule(Rule):
    """`minimize(loss, global_step=...)` builds a train op that also bumps a global step
    variable. Keras optimizers count their own `iterations`; the step is `train_step`."""

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
    """The global step is a graph variable found by collection. Keras counts steps in
    `optimizer.iterations`."""

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
    ]


class UpdateOpsDependencyRule(Rule):
    """`with tf.control_dependencies(tf.get_collection(UPDATE_OPS))` made batch-norm
    statistics update before the train op. Keras layers update their state in `call`
    (with `training=True`); TF2 runs statements in order."""

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
    """`tf.train.Saver` writes name-based checkpoints of the default graph. TF2 saves
    objects: `tf.train.Checkpoint` / `CheckpointManager`, or Keras' `.keras` /
    `.weights.h5`. Existing Saver checkpoints stay readable (`tf.train.load_checkpoint`)."""

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
    ]


class MonitoredSessionRule(Rule):
    """Monitored sessions and supervisors wrapped the session loop with hooks for
    checkpoints, summaries and recovery. Keras callbacks do that job in `fit`
    (`ModelCheckpoint`, `TensorBoard`, `BackupAndRestore`)."""

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
    ]


class V1SummaryRule(Rule):
    """v1 summaries are graph ops merged and written through a `FileWriter`. TF2 writes
    summaries eagerly (`tf.summary.create_file_writer`, `tf.summary.scalar(name, value,
    step)`); with Keras, the `TensorBoard` callback does it."""

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
    """`tf.Print` is an identity op that logs when the graph runs; TF2 has `tf.print`, which
    prints when executed (eagerly or inside `tf.function`)."""

    id = "TF408"
    name = "print-op"
    severity = Severity.WARNING
    message = "`{name}` is a graph identity op that prints"
    replacement = "`tf.print(...)`"
    names = frozenset({"tf.Print"})
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
    ]
