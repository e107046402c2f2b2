"""Sessions and graphs: TF1's build-then-run execution model."""

from __future__ import annotations

import ast

from tf2rec.tools.scan.names import keyword_arg, positional
from tf2rec.tools.scan.rule import Rule, Severity


class SessionRule(Rule):
    """TF2 runs eagerly: there is no session to create. Code that built a graph and then ran
    it in a session becomes plain calls (a Keras model's `__call__`, `fit`, `predict`)."""

    id = "TF101"
    name = "session"
    message = "`{name}` creates a graph-mode session"
    replacement = "call the model / functions directly (eager), train with `model.fit`"
    migrated = "tf2rec.migrated.model.TwoTowerRecommender"
    names = frozenset({"tf.Session"})
    VALID = ["import tensorflow as tf\nmodel = tf.keras.Sequential()\n"]
    INVALID = ["import tensorflow as tf\nsess = tf.Session()\n"]


class InteractiveSessionRule(Rule):
    """`InteractiveSession` installs itself as the default session for notebooks; eager
    execution makes it unnecessary."""

    id = "TF102"
    name = "interactive-session"
    message = "`{name}` is a graph-mode notebook session"
    replacement = "nothing: eager tensors evaluate immediately (`.numpy()`)"
    names = frozenset({"tf.InteractiveSession"})
    VALID = ["import tensorflow as tf\nprint(tf.constant(1).numpy())\n"]
    INVALID = ["import tensorflow.compat.v1 as tf\nsess = tf.InteractiveSession()\n"]


class SessionRunRule(Rule):
    """`sess.run(fetches, feed_dict)` executes a graph. In TF2 the fetched values are what
    the Python calls return; a training step is `model.fit` or a `tf.function`."""

    id = "TF103"
    name = "session-run"
    message = "`.run(...)` on a session executes a graph"
    replacement = "call the model or a `tf.function` and use its return value"
    calls = frozenset({".run"})
    migrated = "tf2rec.migrated.model.TwoTowerRecommender.train_step"
    VALID = ["import tensorflow as tf\nloss = model.train_on_batch(x)\nrunner.run(job)\n"]
    INVALID = [
        "import tensorflow as tf\nwith tf.Session() as sess:\n    sess.run(train_op)\n",
        "import tensorflow as tf\nclass M:\n    def __init__(self):\n"
        "        self.s = tf.Session()\n        self.s.run(self.init)\n",
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
    VALID = ["import tensorflow as tf\nmodel.fit(dataset)\n"]
    INVALID = [
        "import tensorflow as tf\nsess.run(loss, feed_dict={x: batch})\n",
        "import tensorflow as tf\nself.sess.run([loss, train_op], {self.x: batch})\n",
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
    VALID = ["import tensorflow as tf\n@tf.function\ndef step(x):\n    return x * 2\n"]
    INVALID = [
        "import tensorflow as tf\nwith tf.Graph().as_default():\n    pass\n",
        "import tensorflow as tf\nself.g = tf.Graph()\nwith self.g.as_default():\n    pass\n",
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
    VALID = ["import tensorflow as tf\nlayer = tf.keras.layers.Dense(3)\n"]
    INVALID = ["import tensorflow.compat.v1 as tf\ng = tf.get_default_graph()\n"]


class ResetDefaultGraphRule(Rule):
    """Resetting the default graph was how notebooks started over; in TF2 objects are
    garbage-collected like any Python object."""

    id = "TF107"
    name = "reset-default-graph"
    message = "`{name}` resets global graph state"
    replacement = "`keras.backend.clear_session()` if Keras state must be reset, else nothing"
    names = frozenset({"tf.reset_default_graph"})
    VALID = ["import keras\nkeras.backend.clear_session()\n"]
    INVALID = ["import tensorflow as tf\ntf.reset_default_graph()\n"]


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
    VALID = ["import tensorflow as tf\nassert tf.executing_eagerly()\n"]
    INVALID = ["import tensorflow.compat.v1 as tf\ntf.disable_v2_behavior()\n"]


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
    VALID = ["import tensorflow as tf\ntf.config.threading.set_intra_op_parallelism_threads(2)\n"]
    INVALID = ["import tensorflow as tf\nconfig = tf.ConfigProto(allow_soft_placement=True)\n"]


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
    fixed_severity = True  # chosen per file: error in a script, warning in a module
    VALID = [
        "import tensorflow.compat.v1 as tf\ntf.disable_eager_execution()\n"
        "x = tf.placeholder(tf.float32)\n",
        "import tensorflow as tf\ntf.compat.v1.disable_v2_behavior()\ns = tf.compat.v1.Session()\n",
    ]
    INVALID = ["import tensorflow as tf\nx = tf.compat.v1.placeholder(tf.float32)\n"]
    FIXES = [
        (
            "import tensorflow as tf\n\n\ndef main():\n"
            "    x = tf.compat.v1.placeholder(tf.float32)\n\n\n"
            'if __name__ == "__main__":\n    main()\n',
            "import tensorflow as tf\ntf.compat.v1.disable_eager_execution()\n\n\ndef main():\n"
            "    x = tf.compat.v1.placeholder(tf.float32)\n\n\n"
            'if __name__ == "__main__":\n    main()\n',
        ),
        (
            "import numpy as np\nimport tensorflow.compat.v1 as tf\n\n"
            "x = tf.placeholder(tf.float32)\n",
            "import numpy as np\nimport tensorflow.compat.v1 as tf\ntf.disable_eager_execution()\n"
            "\nx = tf.placeholder(tf.float32)\n",
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
