"""Sessions and graphs: TF1's build-then-run execution model."""

from __future__ import annotations

import ast

from tf2rec.tools.scan.names import keyword_arg, positional
from tf2rec.tools.scan.rule import Expect, Invalid, Rule, Severity, Valid


class SessionRule(Rule):
    """Finds `tf.Session`, the object a TF1 program handed its graph to. TF 2.21 has no
    `tf.Session`: the line fails with an AttributeError. `tf.compat.v1.Session` still
    exists, but it can only run a graph, so everything it runs must have been built with
    eager execution turned off (TF110). TF2 code has no session at all: a call returns its
    value, a model is called or trained with `fit`, and a step that must be fast is a
    `tf.function`."""

    id = "TF101"
    name = "session"
    message = "`{name}` creates a graph-mode session"
    replacement = "call the model / functions directly (eager), train with `model.fit`"
    migrated = "tf2rec.migrated.model.TwoTowerRecommender"
    names = frozenset({"tf.Session"})
    fix_safety = (
        "`tf.compat.v1.Session` is the class `tf.Session` was, so the fixed line opens the "
        "same session with the same `config`; it still needs graph mode to run anything."
    )
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
        Invalid(
            """
            import tensorflow.compat.v1 as tf
            sess = tf.Session(config=tf.ConfigProto(log_device_placement=True))
            """,
            [
                Expect(2, 8, "`tf.Session` creates a graph-mode session"),
            ],
        ),
        Invalid(
            """
            import tensorflow as tflow


            class Model(object):
                def __init__(self, config):
                    self.sess = tflow.Session(config=config)
            """,
            [
                Expect(
                    6,
                    21,
                    "`tf.Session` creates a graph-mode session (`tf.Session` no longer "
                    "exists in TF 2.21's `tensorflow`)",
                ),
            ],
            fixed="""
            import tensorflow as tflow


            class Model(object):
                def __init__(self, config):
                    self.sess = tflow.compat.v1.Session(config=config)
            """,
        ),
        Invalid(
            """
            from tensorflow import Session, constant

            with Session() as sess:  # closed at the end of the block
                print(sess.run(constant(1)))
            """,
            [
                Expect(
                    3,
                    6,
                    "`tf.Session` creates a graph-mode session (`tf.Session` no longer "
                    "exists in TF 2.21's `tensorflow`)",
                ),
            ],
            fixed="""
            from tensorflow import constant
            from tensorflow.compat.v1 import Session

            with Session() as sess:  # closed at the end of the block
                print(sess.run(constant(1)))
            """,
        ),
    ]


class InteractiveSessionRule(Rule):
    """Finds `tf.InteractiveSession`, the session notebooks opened so that `tensor.eval()`
    and `op.run()` worked without naming one. TF 2.21's `tensorflow` has no such class;
    `tf.compat.v1.InteractiveSession` still needs graph mode, and `.eval()` on an eager
    tensor fails. In TF2 a tensor holds its value as soon as it is computed: print it, or
    take `.numpy()`."""

    id = "TF102"
    name = "interactive-session"
    message = "`{name}` is a graph-mode notebook session"
    replacement = "nothing: eager tensors evaluate immediately (`.numpy()`)"
    names = frozenset({"tf.InteractiveSession"})
    fix_safety = (
        "`tf.compat.v1.InteractiveSession` is the same class: it installs itself as the default "
        "session again, so `.eval()` and `.run()` keep finding it, in graph mode."
    )
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
        Invalid(
            """
            import tensorflow as tf
            sess = tf.InteractiveSession()
            print(scores.eval())
            """,
            [
                Expect(
                    2,
                    8,
                    "`tf.InteractiveSession` is a graph-mode notebook session "
                    "(`tf.InteractiveSession` no longer exists in TF 2.21's `tensorflow`)",
                ),
            ],
            fixed="""
            import tensorflow as tf
            sess = tf.compat.v1.InteractiveSession()
            print(scores.eval())
            """,
        ),
        Invalid(
            """
            import tensorflow as tflow
            tflow.InteractiveSession()  # lets .eval() find a session
            """,
            [
                Expect(
                    2,
                    1,
                    "`tf.InteractiveSession` is a graph-mode notebook session "
                    "(`tf.InteractiveSession` no longer exists in TF 2.21's `tensorflow`)",
                ),
            ],
            fixed="""
            import tensorflow as tflow
            tflow.compat.v1.InteractiveSession()  # lets .eval() find a session
            """,
        ),
    ]


class SessionRunRule(Rule):
    """Finds `.run(...)` called on a session (a name or attribute a session was assigned
    to, such as `self.sess`, or one whose last part says "sess"): the call that executed
    part of a TF1 graph and returned the fetched values as NumPy arrays. On TF 2.21 a
    session exists only through compat.v1 and only in graph mode. In TF2 the values are what
    the Python calls return: call the model, or a `tf.function` for a training step, and
    take `.numpy()` where the code expected NumPy arrays."""

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
    """Finds `feed_dict=`, and a dict passed as `sess.run`'s second argument, which gave
    the placeholders their values for one run. TF2 has no placeholders to feed: a function
    takes its inputs as arguments, and `fit` takes a `tf.data.Dataset` or arrays. A feed
    also copied each batch from Python while the device waited; a `tf.data` pipeline
    with `prefetch` prepares the next batch during the current step."""

    id = "TF104"
    name = "feed-dict"
    message = "`feed_dict=` feeds graph placeholders"
    replacement = "pass inputs as arguments, or a `tf.data.Dataset` to `model.fit`"
    calls = frozenset({".run", "feed_dict="})
    migrated = "tf2rec.migrated.datasets.training_dataset"
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
    """Finds `with tf.Graph().as_default():`, and `as_default()` on a graph the file made
    (`self.graph = tf.Graph()`). TF1 code built each model into a graph of its own so that
    several could live in one process. Inside such a block TF 2.21 builds TF1 graph ops
    again, which need a session; outside it, ops run at once. TF2 makes graphs by tracing a
    `tf.function`, and two models are simply two objects."""

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
    """Finds `tf.get_default_graph()`: TF1's global graph, which code looked tensors up in
    (`get_tensor_by_name`), finalized, or captured so that a Keras 2 model could predict
    from a web server's threads (`with graph.as_default():`). TF 2.21's `tensorflow` has no
    such function. Through compat.v1 it returns a graph that eager code never adds to, so a
    tensor looked up by name is not there. Keep references to the objects you need: the
    model, its layers, a `tf.function`."""

    id = "TF106"
    name = "default-graph"
    message = "`{name}` reaches for the global default graph"
    replacement = "keep references to the objects you need (layers, variables, functions)"
    names = frozenset({"tf.get_default_graph"})
    fix_safety = (
        "`tf.compat.v1.get_default_graph` is the same function and returns the same graph that "
        "the file's other TF1 calls build into."
    )
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
        Invalid(
            """
            import tensorflow as tf


            class Ranker(object):
                def __init__(self):
                    self.graph = tf.get_default_graph()
                    self.scores = self.graph.get_tensor_by_name('scores:0')
            """,
            [
                Expect(
                    6,
                    22,
                    "`tf.get_default_graph` reaches for the global default graph "
                    "(`tf.get_default_graph` no longer exists in TF 2.21's `tensorflow`)",
                ),
            ],
            fixed="""
            import tensorflow as tf


            class Ranker(object):
                def __init__(self):
                    self.graph = tf.compat.v1.get_default_graph()
                    self.scores = self.graph.get_tensor_by_name('scores:0')
            """,
        ),
        Invalid(
            """
            import tensorflow as tf
            from keras.models import load_model

            model = load_model('ncf.h5')
            graph = tf.get_default_graph()


            def predict(users):
                with graph.as_default():
                    return model.predict(users)
            """,
            [
                Expect(
                    5,
                    9,
                    "`tf.get_default_graph` reaches for the global default graph "
                    "(`tf.get_default_graph` no longer exists in TF 2.21's `tensorflow`)",
                ),
            ],
            fixed="""
            import tensorflow as tf
            from keras.models import load_model

            model = load_model('ncf.h5')
            graph = tf.compat.v1.get_default_graph()


            def predict(users):
                with graph.as_default():
                    return model.predict(users)
            """,
        ),
    ]


class ResetDefaultGraphRule(Rule):
    """Finds `tf.reset_default_graph()`, which TF1 notebooks and grid searches called to
    build the next model in an empty graph. TF 2.21's `tensorflow` has no such function.
    In TF2 there is no graph to empty: a model is freed like any Python object once nothing
    refers to it. What Keras 3 keeps between models (the counters behind layer names) is
    reset by `keras.backend.clear_session()`."""

    id = "TF107"
    name = "reset-default-graph"
    message = "`{name}` resets global graph state"
    replacement = "`keras.backend.clear_session()` if Keras state must be reset, else nothing"
    names = frozenset({"tf.reset_default_graph"})
    fix_safety = (
        "`tf.compat.v1.reset_default_graph` is the same function: it empties the same default "
        "graph, no more and no less."
    )
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
        Invalid(
            """
            import tensorflow as tflow


            def build_graph(params):
                tflow.reset_default_graph()  # one fresh graph per grid-search point
                return params
            """,
            [
                Expect(
                    5,
                    5,
                    "`tf.reset_default_graph` resets global graph state "
                    "(`tf.reset_default_graph` no longer exists in TF 2.21's `tensorflow`)",
                ),
            ],
            fixed="""
            import tensorflow as tflow


            def build_graph(params):
                tflow.compat.v1.reset_default_graph()  # one fresh graph per grid-search point
                return params
            """,
        ),
    ]


class DisableV2BehaviorRule(Rule):
    """Finds the switches that turn TF2 behaviour off for the whole process:
    `disable_v2_behavior`, `disable_eager_execution`, and the resource-variable and
    control-flow ones. After them the process is in TF1 graph mode, where nothing written
    for TF2 works (Keras 3 included), and an ordinary tensor has no `.numpy()`. They are how
    TF1 code keeps running on TF 2.21 (`tf2rec fix --unsafe-fixes` adds one, see TF110),
    and the first lines to delete once the code no longer needs sessions."""

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
        Invalid(
            """
            import tensorflow as tf
            tf.compat.v1.disable_eager_execution()
            """,
            [
                Expect(
                    2,
                    1,
                    "`tf.compat.v1.disable_eager_execution` keeps the process in TF1 graph mode",
                ),
            ],
        ),
    ]


class ConfigProtoRule(Rule):
    """Finds `tf.ConfigProto` and its companions (`GPUOptions`, `RunOptions`,
    `RunMetadata`): the protocol buffers that configured a session (threads, device
    placement, GPU memory) or traced one `sess.run`. TF 2.21's `tensorflow` has none of
    them, and without a session nothing reads them. TF2 sets the same things once per
    process through `tf.config` (`experimental.set_memory_growth`, `set_visible_devices`,
    `threading.*`), which must run before TensorFlow first uses a device, or they raise a
    RuntimeError. As in TF1, a process takes all of a GPU's memory unless memory growth is
    asked for."""

    id = "TF109"
    name = "config-proto"
    severity = Severity.WARNING
    message = "`{name}` configures a session"
    replacement = (
        "`tf.config.threading.*`, `tf.config.set_visible_devices`, "
        "`tf.config.experimental.set_memory_growth`"
    )
    names = frozenset({"tf.ConfigProto", "tf.GPUOptions", "tf.RunOptions", "tf.RunMetadata"})
    fix_safety = (
        "`tf.compat.v1.ConfigProto` and the others are the same protocol buffer classes, so the "
        "session gets the same configuration; nothing moves to `tf.config` by itself."
    )
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
        Invalid(
            """
            import tensorflow as tf
            config = tf.ConfigProto(
                gpu_options=tf.GPUOptions(allow_growth=True))
            sess = tf.Session(config=config)
            """,
            [
                Expect(
                    2,
                    10,
                    "`tf.ConfigProto` configures a session (`tf.ConfigProto` no longer "
                    "exists in TF 2.21's `tensorflow`)",
                ),
                Expect(
                    3,
                    17,
                    "`tf.GPUOptions` configures a session (`tf.GPUOptions` no longer "
                    "exists in TF 2.21's `tensorflow`)",
                ),
            ],
            fixed="""
            import tensorflow as tf
            config = tf.compat.v1.ConfigProto(
                gpu_options=tf.compat.v1.GPUOptions(allow_growth=True))
            sess = tf.Session(config=config)
            """,
        ),
        Invalid(
            """
            import tensorflow as tflow


            class Trainer(object):
                def __init__(self):
                    config = tflow.ConfigProto(
                        allow_soft_placement=True,
                        log_device_placement=False)
                    config.gpu_options.allow_growth = True
                    self.sess = tflow.Session(config=config)
            """,
            [
                Expect(
                    6,
                    18,
                    "`tf.ConfigProto` configures a session (`tf.ConfigProto` no longer "
                    "exists in TF 2.21's `tensorflow`)",
                ),
            ],
            fixed="""
            import tensorflow as tflow


            class Trainer(object):
                def __init__(self):
                    config = tflow.compat.v1.ConfigProto(
                        allow_soft_placement=True,
                        log_device_placement=False)
                    config.gpu_options.allow_growth = True
                    self.sess = tflow.Session(config=config)
            """,
        ),
    ]


GRAPH_ONLY = frozenset(
    {"tf.placeholder", "tf.sparse_placeholder", "tf.Session", "tf.InteractiveSession"}
)
# what makes graph-only APIs legal everywhere (inside `with graph.as_default():` they are
# legal with eager execution on: TF110 does not count them there)
GRAPH_MODE = frozenset({"tf.disable_eager_execution", "tf.disable_v2_behavior"})


class GraphModeNeededRule(Rule):
    """TF2 runs eagerly. A file that uses graph-only APIs (placeholders, sessions), even
    spelled through `tf.compat.v1` as `tf2rec fix` leaves them, fails on TF 2.21 with
    "tf.placeholder() is not compatible with eager execution", unless the program turns
    eager execution off before. An error in a script (it has a `__main__` block), a warning
    in a module (its importer may turn it off). Inside `with graph.as_default():`, and in a
    session given its graph (`tf.Session(graph=g)`), TF 2.21 builds and runs graphs with eager
    execution on, so those uses need nothing; but an op built after the block in a session's
    `run` (`sess.run(tf.sigmoid(self.logit))`), which TF1 put in its inputs' graph, is built
    eagerly by TF2 and fails ("out of scope"): that needs graph mode. The fix, opt-in because
    it puts the whole
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
    calls = frozenset({".run", "graph="})
    fix_safety = (
        "It turns eager execution off for the whole process, right after the file's imports and "
        "before any of its code runs. Placeholders and sessions then work as in TF1, and "
        "everything that needs eager execution stops working, in this file and in everything "
        "the process imports: Keras 3 models, `.numpy()`, a `for` loop over a dataset."
    )
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
        Valid(
            """
            import tensorflow as tf


            def main(_):
                graph = tf.Graph()
                with graph.as_default():
                    user = tf.placeholder(tf.int32, [None], name='user')
                    with tf.Session(graph=graph) as sess:
                        sess.run(tf.global_variables_initializer())


            if __name__ == '__main__':
                tf.app.run()
            """
        ),
        Valid(
            """
            import tensorflow as tf

            class Model(object):
                def __init__(self):
                    self.graph = tf.Graph()
                    with self.graph.as_default(), tf.device('/cpu:0'):
                        self.x = tf.placeholder(tf.float32, [None, 10])
                    self.sess = tf.Session(graph=self.graph)
            """
        ),
        Valid(
            """
            import tensorflow as tf
            with tf.Graph().as_default() as g:
                x = tf.placeholder(tf.float32)
                sess = tf.InteractiveSession()
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
        Invalid(
            """
            # Train NCF on MovieLens.
            from __future__ import absolute_import
            from __future__ import print_function

            import os
            import tensorflow as tf

            FLAGS = tf.app.flags.FLAGS


            def main(_):
                sess = \\
                    tf.Session()
                x = tf.placeholder(tf.float32)


            if __name__ == '__main__':
                tf.app.run()
            """,
            [
                Expect(
                    13,
                    9,
                    "`tf.Session` needs graph mode, and nothing in this file turns eager "
                    "execution off",
                ),
            ],
            fixed="""
            # Train NCF on MovieLens.
            from __future__ import absolute_import
            from __future__ import print_function

            import os
            import tensorflow as tf
            tf.compat.v1.disable_eager_execution()

            FLAGS = tf.app.flags.FLAGS


            def main(_):
                sess = \\
                    tf.Session()
                x = tf.placeholder(tf.float32)


            if __name__ == '__main__':
                tf.app.run()
            """,
        ),
        Invalid(
            """
            import tensorflow as tf
            graph = tf.Graph()
            with graph.as_default():
                x = tf.placeholder(tf.float32)
            keep_prob = tf.placeholder(tf.float32)
            """,
            [
                Expect(
                    5,
                    13,
                    "`tf.placeholder` needs graph mode, and nothing in this file turns eager "
                    "execution off",
                ),
            ],
            fixed="""
            import tensorflow as tf
            tf.compat.v1.disable_eager_execution()
            graph = tf.Graph()
            with graph.as_default():
                x = tf.placeholder(tf.float32)
            keep_prob = tf.placeholder(tf.float32)
            """,
        ),
        Invalid(
            """
            import tensorflow as tf


            class Ranker(object):
                def __init__(self):
                    self.graph = tf.Graph()
                    with self.graph.as_default():
                        self.x = tf.placeholder(tf.float32, [None, 8])
                        self.logit = tf.layers.dense(self.x, 1)
                        self.sess = tf.Session()

                def predict(self, x):
                    return self.sess.run(tf.sigmoid(self.logit), {self.x: x})
            """,
            [
                Expect(
                    13,
                    30,
                    "`tf.sigmoid` needs graph mode, and nothing in this file turns eager "
                    "execution off",
                ),
            ],
            fixed="""
            import tensorflow as tf
            tf.compat.v1.disable_eager_execution()


            class Ranker(object):
                def __init__(self):
                    self.graph = tf.Graph()
                    with self.graph.as_default():
                        self.x = tf.placeholder(tf.float32, [None, 8])
                        self.logit = tf.layers.dense(self.x, 1)
                        self.sess = tf.Session()

                def predict(self, x):
                    return self.sess.run(tf.sigmoid(self.logit), {self.x: x})
            """,
        ),
    ]

    def __init__(self) -> None:
        self.first: tuple[ast.expr, str] | None = None
        self.graph_mode = False
        self.given_graph: set[ast.expr] = set()  # `tf.Session` of `tf.Session(graph=g)`

    def on_call(self, ctx, node: ast.Call) -> None:
        if keyword_arg(node, "graph") is not None:
            self.given_graph.add(node.func)
        func = node.func
        if (
            self.first is None
            and not ctx.graph_blocks
            and isinstance(func, ast.Attribute)
            and func.attr == "run"
            and ctx.is_session(func.value)
        ):
            self.first = _op_built_in(ctx, node)

    def on_reference(self, ctx, node, name, namespace) -> None:
        if namespace not in ("v1", "v2"):
            return
        if name in GRAPH_MODE:
            self.graph_mode = True
        elif (
            name in GRAPH_ONLY
            and self.first is None
            and not ctx.graph_blocks  # an explicit graph is built in graph mode
            and node not in self.given_graph
        ):
            self.first = (node, name)

    def finish(self, ctx) -> None:
        self.given_graph.clear()
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


def _op_built_in(ctx, run: ast.Call) -> tuple[ast.expr, str] | None:
    """The first TF function called in a session's `.run(...)` arguments
    (`sess.run(tf.sigmoid(self.logit))`): outside the graph's block TF2 builds it eagerly,
    where the graph's tensors are out of scope."""
    for argument in (*run.args, *(k.value for k in run.keywords)):
        for inner in ast.walk(argument):
            if isinstance(inner, ast.Call):
                resolved = ctx.resolve(inner.func)
                if resolved is not None and resolved[1] in ("v1", "v2"):
                    return inner.func, resolved[0]
    return None


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
