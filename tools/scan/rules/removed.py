"""Modules and APIs that TF 2.21 / Keras 3 no longer have."""

from __future__ import annotations

import ast

from tf2rec.tools.scan import api
from tf2rec.tools.scan.names import dotted
from tf2rec.tools.scan.rule import Rule, Severity
from tf2rec.tools.scan.rules.meaning import contrib_equivalent


class _ImportedModuleRule(Rule):
    """Reports the import of a removed module as well as every use of it."""

    def on_import(self, ctx, node: ast.Import | ast.ImportFrom, module: str) -> None:
        if self.matches(module):
            ctx.report(self, node, name=module)


class ContribRule(_ImportedModuleRule):
    """`tf.contrib` was removed in TF 2.0. Most of it moved to core TF, Keras, TF Addons or
    separate projects; slim's layers are Keras layers."""

    id = "TF501"
    name = "contrib"
    severity = Severity.ERROR
    fixed_severity = True
    message = "`{name}`: tf.contrib was removed in TF 2.0"
    replacement = (
        "the core / Keras equivalent (e.g. `contrib.rnn.LSTMCell` -> "
        "`keras.layers.LSTMCell`, `slim.fully_connected` -> `keras.layers.Dense`)"
    )
    prefixes = ("tf.contrib",)
    VALID = ["import keras\ncell = keras.layers.LSTMCell(8)\n"]
    INVALID = [
        "import tensorflow as tf\ncell = tf.contrib.rnn.LSTMCell(8)\n",
        "from tensorflow.contrib import rnn\n",
        "import tensorflow.contrib.slim as slim\n",
        "import tensorflow as tf\nreg = tf.contrib.layers.l2_regularizer(1e-4)\n",
    ]

    def on_reference(self, ctx, node, name, namespace) -> None:
        if not self.matches(name):
            return
        equivalent = contrib_equivalent(name)
        message = self.message.format(name=name) + (f"; use {equivalent}" if equivalent else "")
        ctx.report(self, node, name=name, namespace=namespace, message=message)


class V1LayersRule(_ImportedModuleRule):
    """`tf.layers` / `tf.compat.v1.layers` were thin wrappers over Keras 2 layers and are not
    available with Keras 3 (`tf.compat.v1.layers.dense` raises). Use Keras layers."""

    id = "TF502"
    name = "v1-layers"
    severity = Severity.ERROR
    fixed_severity = True
    message = "`{name}`: tf.layers is not available with Keras 3"
    replacement = "`keras.layers.Dense` / `Conv2D` / ...; a `keras.layers.Layer` subclass"
    migrated = "tf2rec.migrated.layers.Linear"
    prefixes = ("tf.layers",)
    VALID = ["import keras\nlayer = keras.layers.Dense(8)\n"]
    INVALID = ["import tensorflow.compat.v1 as tf\ny = tf.layers.dense(x, 8)\n"]


class EstimatorRule(_ImportedModuleRule):
    """`tf.estimator` was removed in TF 2.16. Keras `fit` replaces the Estimator loop."""

    id = "TF503"
    name = "estimator"
    severity = Severity.ERROR
    fixed_severity = True
    message = "`{name}`: tf.estimator was removed in TF 2.16"
    replacement = "a Keras model trained with `model.fit`"
    migrated = "tf2rec.migrated.model.TwoTowerRecommender"
    prefixes = ("tf.estimator",)
    VALID = ["import keras\nmodel.fit(dataset)\n"]
    INVALID = ["import tensorflow as tf\nestimator = tf.estimator.Estimator(model_fn)\n"]


class AppFlagsLoggingRule(_ImportedModuleRule):
    """`tf.flags`, `tf.app` and `tf.logging` are gone from TF2's namespace (compat.v1 keeps
    them). They wrapped absl, which is what to use directly."""

    id = "TF504"
    name = "app-flags-logging"
    message = "`{name}` wraps absl and is TF1-only"
    replacement = "`absl.flags`, `absl.app.run`, `absl.logging` (or the `logging` module)"
    prefixes = ("tf.flags", "tf.app", "tf.logging")
    VALID = ["from absl import flags\nimport tensorflow as tf\nFLAGS = flags.FLAGS\n"]
    INVALID = [
        "import tensorflow as tf\nFLAGS = tf.flags.FLAGS\n",
        "import tensorflow as tf\ntf.logging.set_verbosity(tf.logging.INFO)\n",
    ]


class CompatKerasRule(Rule):
    """`tf.compat.v1.keras` points at Keras 3 under TF 2.21, where the TF1-only parts of the
    Keras 2 API (sessions, `get_session`, v1 optimizers, `Network`, ...) do not exist."""

    id = "TF505"
    name = "compat-v1-keras"
    message = "`{name}`: the compat.v1 Keras shim has no TF1 parts under Keras 3"
    replacement = "plain `keras` 3 APIs"
    VALID = ["import keras\nmodel = keras.Sequential()\n"]
    INVALID = ["import tensorflow.compat.v1 as tf\nsess = tf.keras.backend.get_session()\n"]

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
    fixed_severity = True
    message = "`{name}` imports TensorFlow's private implementation"
    replacement = "the public API (`tf.*`, `keras.*`)"
    prefixes = ("tf.python",)  # what it covers; it reports through its own hooks
    VALID = ["import tensorflow as tf\nvs = tf.compat.v1.variable_scope\n"]
    INVALID = [
        "from tensorflow.python.ops import variable_scope as vs\n",
        "from tensorflow.python.ops import rnn_cell_impl_gone\n",
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
        if api.private_module_imports(name):
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
    fixed_severity = True
    message = "`{name}` exists in neither `tensorflow` nor `tensorflow.compat.v1` in TF 2.21"
    replacement = "the TF2 / Keras 3 API that does the same (`keras.layers.LSTMCell`, ...)"
    VALID = ["import tensorflow as tf\ncell = tf.keras.layers.LSTMCell(8)\n"]
    INVALID = [
        "from tensorflow.examples.tutorials.mnist import input_data\n",
        "import tensorflow as tf\ny = tf.array_ops.reshape(x, [-1])\n",
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
        if parts[0] != "tf" or len(parts) < 2 or api.exists(name, "v1") or api.exists(name, "v2"):
            return False
        top = ".".join(parts[:2])
        if (api.exists(top, "v1") or api.exists(top, "v2")) and len(parts) > 5:
            return False  # below the depth the table lists: unknown, not gone
        return not self.covered_elsewhere(name)
