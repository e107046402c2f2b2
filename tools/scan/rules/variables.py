"""Variables managed by name through scopes and collections."""

from __future__ import annotations

import ast

from tf2rec.tools.scan.names import keyword_arg
from tf2rec.tools.scan.rule import Rule


class GetVariableRule(Rule):
    """`get_variable` creates or looks up a variable by its scoped name. In Keras a layer
    owns its weights, created with `add_weight` in `build()`."""

    id = "TF301"
    name = "get-variable"
    message = "`{name}` creates variables by scoped name"
    replacement = "`self.add_weight(...)` in a Keras layer's `build()`"
    migrated = "tf2rec.migrated.layers.Linear"
    names = frozenset({"tf.get_variable", "tf.get_local_variable"})
    VALID = [
        "import keras\nclass L(keras.layers.Layer):\n"
        "    def build(self, shape):\n        self.w = self.add_weight(shape=(3,))\n"
    ]
    INVALID = ["import tensorflow.compat.v1 as tf\nw = tf.get_variable('w', [3])\n"]


class VariableScopeRule(Rule):
    """Variable scopes name and share variables implicitly. Keras layers are objects: share
    a variable by sharing the layer."""

    id = "TF302"
    name = "variable-scope"
    message = "`{name}` shares variables by name"
    replacement = "layer objects (sub-layers created in `__init__`), `name=` for readability"
    migrated = "tf2rec.migrated.layers.UserTower"
    names = frozenset({"tf.variable_scope", "tf.get_variable_scope", "tf.VariableScope"})
    VALID = ["import tensorflow as tf\nwith tf.name_scope('tower'):\n    pass\n"]
    INVALID = ["import tensorflow.compat.v1 as tf\nwith tf.variable_scope('tower'):\n    pass\n"]


class VariableReuseRule(Rule):
    """`reuse=True` / `AUTO_REUSE` re-enters a scope to share its variables; whether it
    shares or duplicates depends on call order, a classic TF1 bug. Reuse the layer object."""

    id = "TF303"
    name = "variable-reuse"
    message = "variable reuse by scope (`{name}`)"
    replacement = "call the same layer object twice to share its weights"
    calls = frozenset({"reuse="})
    migrated = "tf2rec.migrated.layers.ItemTower"
    VALID = [
        "import tensorflow as tf\nwith tf.name_scope('a'):\n    pass\n",
        "import tensorflow.compat.v1 as tf\nwith tf.variable_scope('a', reuse=None):\n    pass\n",
    ]
    INVALID = [
        "import tensorflow.compat.v1 as tf\nwith tf.variable_scope('a', reuse=True):\n    pass\n"
    ]

    def on_call(self, ctx, node: ast.Call) -> None:
        arg = keyword_arg(node, "reuse")
        if arg is None:
            return
        value = arg.value.value if isinstance(arg.value, ast.Constant) else ...
        if value is None or value is False:  # `reuse=None` / `False`: no reuse
            return
        resolved = ctx.resolve(node.func)
        if resolved is not None and resolved[0] == "tf.variable_scope":
            ctx.report(self, arg, name="reuse=")


class InitializerOpRule(Rule):
    """Initializer ops run once in a session to give variables their values. TF2 variables
    are initialized when created."""

    id = "TF304"
    name = "initializer-op"
    message = "`{name}` is an op that initializes variables in a session"
    replacement = "nothing: variables are initialized on creation"
    names = frozenset(
        {
            "tf.global_variables_initializer",
            "tf.initialize_all_variables",
            "tf.local_variables_initializer",
            "tf.initialize_local_variables",
            "tf.tables_initializer",
            "tf.initialize_all_tables",
            "tf.variables_initializer",
            "tf.initialize_variables",
        }
    )
    VALID = ["import tensorflow as tf\nv = tf.Variable(1.0)\n"]
    INVALID = ["import tensorflow as tf\ninit = tf.global_variables_initializer()\n"]


class CollectionsRule(Rule):
    """Graph collections are global registries keyed by strings. TF2 keeps such things as
    attributes: `layer.trainable_weights`, `model.losses`, `model.metrics`."""

    id = "TF305"
    name = "graph-collections"
    message = "`{name}` uses a global graph collection"
    replacement = "object attributes: `model.trainable_weights`, `model.losses`, `model.metrics`"
    names = frozenset(
        {
            "tf.get_collection",
            "tf.add_to_collection",
            "tf.add_to_collections",
            "tf.get_collection_ref",
            "tf.GraphKeys",
        }
    )
    prefixes = ("tf.GraphKeys",)
    VALID = ["import tensorflow as tf\nweights = model.trainable_weights\n"]
    INVALID = ["import tensorflow as tf\nops = tf.get_collection(tf.GraphKeys.UPDATE_OPS)\n"]

    @classmethod
    def covers(cls, name: str) -> bool:
        # the regularization collection has a rule of its own (TF905): it silently sums to 0
        return name != "tf.GraphKeys.REGULARIZATION_LOSSES" and super().covers(name)


class GraphVariablesRule(Rule):
    """Module-level variable lists read the default graph; in TF2 ask the model or layer."""

    id = "TF306"
    name = "graph-variable-lists"
    message = "`{name}()` lists the default graph's variables"
    replacement = "`model.trainable_variables` / `model.variables`"
    names = frozenset(
        {
            "tf.trainable_variables",
            "tf.global_variables",
            "tf.all_variables",
            "tf.local_variables",
            "tf.model_variables",
            "tf.moving_average_variables",
        }
    )
    VALID = ["import tensorflow as tf\nvariables = model.trainable_variables\n"]
    INVALID = ["import tensorflow as tf\nvariables = tf.trainable_variables()\n"]
