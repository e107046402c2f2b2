"""Sessions and graphs: TF1's build-then-run execution model."""

from __future__ import annotations

import ast

from tf2rec.tools.scan.names import keyword_arg, positional
from tf2rec.tools.scan.rule import Expect, Invalid, Rule, Severity, Valid


class SessionRule(Rule):
    """TF2 runs eagerly: there is no session to create. Code that built a graph and then ran
    it in a session becomes plain calls (a Keras model's `__call__`, `fit`, `predict`)."""

    id = "TF101"
    name = "session"
    message = "`{name}` creates a graph-mode session"
    replacement = "call the model / functions directly (eager), train with `model.fit`"
    migrated = "tf2rec.migrated.model.TwoTowerRecommender"
    names = frozenset({"tf.Session"})
    VALID = [
        Valid(
            """
            import tensorflow as tf
            model = tf.keras.Sequential()
            """
        ),
    ]
    INVALID = [
        Invalid(
            """
            import tensorflow as tf
            sess = tf.Session()
            """,
            [
                Expect(
                    2,
                    8,
                    "`tf.Session` creates a graph-mode session (`tf.Session` no longer "
                    "exists in TF 2.21's `tensorflow`)",
                ),
            ],
            fixed="""
            import tensorflow as tf
            sess = tf.compat.v1.Session()
            """,
        ),
    ]


class InteractiveSessionRule(Rule):
    """`InteractiveSession` installs itself as the default session for notebooks; eager
    execution makes it unnecessary."""

    id = "TF102"
    name = "interactive-session"
    message = "`{name}` is a graph-mode notebook session"
    replacement = "nothing: eager tensors evaluate immediately (`.numpy()`)"
    names = frozenset({"tf.InteractiveSession"})
    VALID = [
        Valid(
            """
            import tensorflow as tf
            print(tf.constant(1).numpy())
            """
        ),
    ]
    INVALID = [
        Invalid(
            """
            import tensorflow.compat.v1 as tf
            sess = tf.InteractiveSession()
            """,
            [
                Expect(2, 8, "`tf.InteractiveSession` is a graph-mode notebook session"),
            ],
        ),
    ]


class SessionRunRule(Rule):
    """`sess.run(fetches, feed_dict)` executes a graph. In TF2 the fetched values are what
    the Python calls return; a training step is `model.fit` or a `tf.function`."""

    id = "TF103"
    name = "session-run"
    message = "`.run(...)` on a session executes a graph"
    replacement = "call the model or a `tf.function` and use its return value"
    calls = frozenset({".run"})
    migrated = "tf2rec.migrated.model.TwoTowerRecommender.train_step"
    VALID = [
        Valid(
            """
            import tensorflow as tf
            loss = model.train_on_batch(x)
            runner.run(job)
            """
        ),
    ]
    INVALID = [
        Invalid(
            """
            import tensorflow as tf
            with tf.Session() as sess:
                sess.run(train_op)
            """,
            [
                Expect(3, 5, "`.run(...)` on a session executes a graph"),
            ],
        ),
        Invalid(
            """
            import tensorflow as tf
            class M:
                def __init__(self):
                    self.s = tf.Session()
                    self.s.run(self.init)
            """,
            [
                Expect(5, 9, "`.run(...)` on a session executes a graph"),
            ],
        ),
    ]

    def on_call(self, ctx, node: ast.Call) -> None:
        func = node.func
        if isinstance(func, ast.Attribute) and func.attr == "run" and ctx.is_session(func.value):
            ctx.report(self, func)


class FeedDictRule(Rule):
    """`feed_dict=` feeds placeholders. TF2 functions take their inputs as arguments; input
    pipelines are `tf.data` datasets passed to `fit`."""

    id = "TF104"
    name = "feed-dict"
    message = "`feed_dict=` feeds graph placeholders"
    replacement = "pass inputs as arguments, or a `tf.data.Dataset` to `model.fit`"
    calls = frozenset({".run", "feed_dict="})
    migrated = "tf2rec.migrated.data.training_dataset"
    VALID = [
        Valid(
            """
            import tensorflow as tf
            model.fit(dataset)
            """
        ),
    ]
    INVALID = [
        Invalid(
            """
            import tensorflow as tf
            sess.run(loss, feed_dict={x: batch})
            """,
            [
                Expect(2, 16, "`feed_dict=` feeds graph placeholders"),
            ],
        ),
        Invalid(
            """
            import tensorflow as tf
            self.sess.run([loss, train_op], {self.x: batch})
            """,
            [
                Expect(2, 1, "`feed_dict=` feeds graph placeholders"),
            ],
        ),
    ]

    def on_call(self, ctx, node: ast.Call) -> None:
        arg = keyword_arg(node, "feed_dict")
        func = node.func
        if (
            arg is None
            and isinstance(func, ast.Attribute)
            and func.attr == "run"
            and ctx.is_session(func.value)
            and len(positional(node)) >= 2  # run(fetches, feed_dict): reported at the call
        ):
            ctx.report(self, node)
        if arg is not None:
            ctx.report(self, arg)


class GraphAsDefaultRule(Rule):
    """`with tf.Graph().as_default():` builds ops into an explicit graph. In TF2, graphs come
    from `tf.function` tracing and need no management."""

    id = "TF105"
    name = "graph-as-default"
    message = "`Graph().as_default()` builds into an explicit graph"
    replacement = "drop it; trace graphs with `tf.function` where speed needs them"
    calls = frozenset({".as_default"})
    VALID = [
        Valid(
            """
            import tensorflow as tf
            @tf.function
            def step(x):
                return x * 2
            """
        ),
    ]
    INVALID = [
        Invalid(
            """
            import tensorflow as tf
            with tf.Graph().as_default():
                pass
            """,
            [
                Expect(2, 6, "`Graph().as_default()` builds into an explicit graph"),
            ],
        ),
        Invalid(
            """
            import tensorflow as tf
            self.g = tf.Graph()
            with self.g.as_default():
                pass
            """,
            [
                Expect(3, 6, "`Graph().as_default()` builds into an explicit graph"),
            ],
        ),
    ]

    def on_call(self, ctx, node: ast.Call) -> None:
        func = node.func
        if not (isinstance(func, ast.Attribute) and func.attr == "as_default"):
            return
        if ctx.is_graph(func.value):
            ctx.report(self, func)


class DefaultGraphRule(Rule):
    """The default graph is global mutable state that TF2 no longer has."""

    id = "TF106"
    name = "default-graph"
    message = "`{name}` reaches for the global default graph"
    replacement = "keep references to the objects you need (layers, variables, functions)"
    names = frozenset({"tf.get_default_graph"})
    VALID = [
        Valid(
            """
            import tensorflow as tf
            layer = tf.keras.layers.Dense(3)
            """
        ),
    ]
    INVALID = [
        Invalid(
            """
            import tensorflow.compat.v1 as tf
            g = tf.get_default_graph()
            """,
            [
                Expect(2, 5, "`tf.get_default_graph` reaches for the global default graph"),
            ],
        ),
    ]


class ResetDefaultGraphRule(Rule):
    """Resetting the default graph was how notebooks started over; in TF2 objects are
    garbage-collected like any Python object."""

    id = "TF107"
    name = "reset-default-graph"
    message = "`{name}` resets global graph state"
    replacement = "`keras.backend.clear_session()` if Keras state must be reset, else nothing"
    names = frozenset({"tf.reset_default_graph"})
    VALID = [
        Valid(
            """
            import keras
            keras.backend.clear_session()
            """
        ),
    ]
    INVALID = [
        Invalid(
            """
            import tensorflow as tf
            tf.reset_default_graph()
            """,
            [
                Expect(
                    2,
                    1,
                    "`tf.reset_default_graph` resets global graph state "
                    "(`tf.reset_default_graph` no longer exists in TF 2.21's `tensorflow`)",
                ),
            ],
            fixed="""
            import tensorflow as tf
            tf.compat.v1.reset_default_graph()
            """,
        ),
    ]


class DisableV2BehaviorRule(Rule):
    """Switching eager execution off keeps the whole process in TF1 graph mode; nothing that
    needs TF2 (Keras 3 included) works in it. It is the first line to delete once the code
    no longer needs sessions."""

    id = "TF108"
    name = "disable-v2-behavior"
    message = "`{name}` keeps the process in TF1 graph mode"
    replacement = "remove it once the code runs eagerly"
    names = frozenset(
        {
            "tf.disable_v2_behavior",
            "tf.disable_eager_execution",
            "tf.disable_resource_variables",
            "tf.disable_control_flow_v2",
        }
    )
    VALID = [
        Valid(
            """
            import tensorflow as tf
            assert tf.executing_eagerly()
            """
        ),
    ]
    INVALID = [
        Invalid(
            """
            import tensorflow.compat.v1 as tf
            tf.disable_v2_behavior()
            """,
            [
                Expect(2, 1, "`tf.disable_v2_behavior` keeps the process in TF1 graph mode"),
            ],
        ),
    ]


class ConfigProtoRule(Rule):
    """Session configuration moved to `tf.config` functions (threads, devices, memory)."""

    id = "TF109"
    name = "config-proto"
    severity = Severity.WARNING
    message = "`{name}` configures a session"
    replacement = (
        "`tf.config.threading.*`, `tf.config.set_visible_devices`, "
        "`tf.config.experimental.set_memory_growth`"
    )
    names = frozenset({"tf.ConfigProto", "tf.GPUOptions", "tf.RunOptions", "tf.RunMetadata"})
    VALID = [
        Valid(
            """
            import tensorflow as tf
            tf.config.threading.set_intra_op_parallelism_threads(2)
            """
        ),
    ]
    INVALID = [
        Invalid(
            """
            import tensorflow as tf
            config = tf.ConfigProto(allow_soft_placement=True)
            """,
            [
                Expect(
                    2,
                    10,
                    "`tf.ConfigProto` configures a session (`tf.ConfigProto` no longer "
                    "exists in TF 2.21's `tensorflow`)",
                ),
            ],
            fixed="""
            import tensorflow as tf
            config = tf.compat.v1.ConfigProto(allow_soft_placement=True)
            """,
        ),
    ]


GRAPH_ONLY = frozenset(
    {"tf.placeholder", "tf.sparse_placeholder", "tf.Session", "tf.InteractiveSession"}
)
# what makes graph-only APIs legal everywhere. An explicit graph (`with graph.as_default()`)
# is not enough: TF1 code also built ops outside it (`sess.run(tf.sigmoid(self.logit))`),
# which TF1 put in the inputs' graph and TF2 runs eagerly, and fails.
GRAPH_MODE = frozenset({"tf.disable_eager_execution", "tf.disable_v2_behavior"})


class GraphModeNeededRule(Rule):
    """TF2 runs eagerly. A file that uses graph-only APIs (placeholders, sessions), even
    spelled through `tf.compat.v1` as `tf2rec fix` leaves them, fails on TF 2.21 with
    "tf.placeholder() is not compatible with eager execution", unless the program turns
    eager execution off before. An error in a script (it has a `__main__` block), a warning
    in a module (its importer may turn it off). The fix, opt-in because it puts the whole
    process in graph mode (`tf2rec fix --unsafe-fixes`), calls
    `tf.compat.v1.disable_eager_execution()` right after the file's imports, before any of
    its code runs."""

    id = "TF110"
    name = "graph-mode-needed"
    message = "`{name}` needs graph mode, and nothing in this file turns eager execution off"
    replacement = (
        "migrate to eager code; meanwhile `tf.compat.v1.disable_eager_execution()` first "
        "(`tf2rec fix --unsafe-fixes` adds it)"
    )
    safe_fix = False
    severity_from_api_table = False  # chosen per file: error in a script, warning in a module
    VALID = [
        Valid(
            """
            import tensorflow.compat.v1 as tf
            tf.disable_eager_execution()
            x = tf.placeholder(tf.float32)
            """
        ),
        Valid(
            """
            import tensorflow as tf
            tf.compat.v1.disable_v2_behavior()
            s = tf.compat.v1.Session()
            """
        ),
    ]
    INVALID = [
        Invalid(
            """
            import tensorflow as tf


            def main():
                x = tf.compat.v1.placeholder(tf.float32)


            if __name__ == "__main__":
                main()
            """,
            [
                Expect(
                    5,
                    9,
                    "`tf.compat.v1.placeholder` needs graph mode, and nothing in this "
                    "file turns eager execution off",
                ),
            ],
            fixed="""
            import tensorflow as tf
            tf.compat.v1.disable_eager_execution()


            def main():
                x = tf.compat.v1.placeholder(tf.float32)


            if __name__ == "__main__":
                main()
            """,
        ),
        Invalid(
            """
            import numpy as np
            import tensorflow.compat.v1 as tf

            x = tf.placeholder(tf.float32)
            """,
            [
                Expect(
                    4,
                    5,
                    "`tf.placeholder` needs graph mode, and nothing in this file turns "
                    "eager execution off",
                ),
            ],
            fixed="""
            import numpy as np
            import tensorflow.compat.v1 as tf
            tf.disable_eager_execution()

            x = tf.placeholder(tf.float32)
            """,
        ),
        Invalid(
            """
            import tensorflow as tf
            x = tf.compat.v1.placeholder(tf.float32)
            """,
            [
                Expect(
                    2,
                    5,
                    "`tf.compat.v1.placeholder` needs graph mode, and nothing in this "
                    "file turns eager execution off",
                ),
            ],
            fixed="""
            import tensorflow as tf
            tf.compat.v1.disable_eager_execution()
            x = tf.compat.v1.placeholder(tf.float32)
            """,
        ),
    ]

    def __init__(self) -> None:
        self.first: tuple[ast.expr, str] | None = None
        self.graph_mode = False

    def on_reference(self, ctx, node, name, namespace) -> None:
        if namespace not in ("v1", "v2"):
            return
        if name in GRAPH_MODE:
            self.graph_mode = True
        elif name in GRAPH_ONLY and self.first is None:
            self.first = (node, name)

    def finish(self, ctx) -> None:
        if self.first is None or self.graph_mode:
            return
        node, name = self.first
        ctx.report(
            self,
            node,
            name=name,
            namespace=_namespace_of(ctx, node),
            severity=Severity.ERROR if ctx.script else Severity.WARNING,
            fixed_by=_disable_eager_execution(ctx) if ctx.unsafe_fixes else None,
        )


def _namespace_of(ctx, node) -> str | None:
    resolved = ctx.resolve(node)
    return resolved[1] if resolved else None


def _disable_eager_execution(ctx) -> tuple | None:
    """Add `<alias>.compat.v1.disable_eager_execution()`, with the file's own alias, after
    the leading imports (and after the import of that alias, where it comes later)."""
    for compat in (True, False):
        for local, full in ctx.bindings.names.items():
            line = ctx.bound_at.get(local)
            if line is None or full != ("tensorflow.compat.v1" if compat else "tensorflow"):
                continue
            call = (
                f"{local}.disable_eager_execution()"
                if compat
                else (f"{local}.compat.v1.disable_eager_execution()")
            )
            return ctx.insert_statement(max(ctx.entry_line, line), call)
    return None
