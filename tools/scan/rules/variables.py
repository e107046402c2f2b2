"""Variables managed by name through scopes and collections."""

from __future__ import annotations

import ast

from tf2rec.tools.scan.names import keyword_arg
from tf2rec.tools.scan.rule import Expect, Invalid, Rule, Valid


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
        Valid(
            """
            import keras
            class L(keras.layers.Layer):
                def build(self, shape):
                    self.w = self.add_weight(shape=(3,))
            """
        ),
    ]
    INVALID = [
        Invalid(
            """
            import tensorflow.compat.v1 as tf
            w = tf.get_variable('w', [3])
            """,
            [
                Expect(2, 5, "`tf.get_variable` creates variables by scoped name"),
            ],
        ),
    ]


class VariableScopeRule(Rule):
    """Variable scopes name and share variables implicitly. Keras layers are objects: share
    a variable by sharing the layer."""

    id = "TF302"
    name = "variable-scope"
    message = "`{name}` shares variables by name"
    replacement = "layer objects (sub-layers created in `__init__`), `name=` for readability"
    migrated = "tf2rec.migrated.layers.UserTower"
    names = frozenset({"tf.variable_scope", "tf.get_variable_scope", "tf.VariableScope"})
    VALID = [
        Valid(
            """
            import tensorflow as tf
            with tf.name_scope('tower'):
                pass
            """
        ),
    ]
    INVALID = [
        Invalid(
            """
            import tensorflow.compat.v1 as tf
            with tf.variable_scope('tower'):
                pass
            """,
            [
                Expect(2, 6, "`tf.variable_scope` shares variables by name"),
            ],
        ),
    ]


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
        Valid(
            """
            import tensorflow as tf
            with tf.name_scope('a'):
                pass
            """
        ),
        Valid(
            """
            import tensorflow.compat.v1 as tf
            with tf.variable_scope('a', reuse=None):
                pass
            """
        ),
    ]
    INVALID = [
        Invalid(
            """
            import tensorflow.compat.v1 as tf
            with tf.variable_scope('a', reuse=True):
                pass
            """,
            [
                Expect(2, 29, "variable reuse by scope (`reuse=`)"),
            ],
        ),
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
    VALID = [
        Valid(
            """
            import tensorflow as tf
            v = tf.Variable(1.0)
            """
        ),
    ]
    INVALID = [
        Invalid(
            """
            import tensorflow as tf
            init = tf.global_variables_initializer()
            """,
            [
                Expect(
                    2,
                    8,
                    "`tf.global_variables_initializer` is an op that initializes "
                    "variables in a session (`tf.global_variables_initializer` no "
                    "longer exists in TF 2.21's `tensorflow`)",
                ),
            ],
            fixed="""
            import tensorflow as tf
            init = tf.compat.v1.global_variables_initializer()
            """,
        ),
    ]


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
    VALID = [
        Valid(
            """
            import tensorflow as tf
            weights = model.trainable_weights
            """
        ),
    ]
    INVALID = [
        Invalid(
            """
            import tensorflow as tf
            ops = tf.get_collection(tf.GraphKeys.UPDATE_OPS)
            """,
            [
                Expect(
                    2,
                    7,
                    "`tf.get_collection` uses a global graph collection "
                    "(`tf.get_collection` no longer exists in TF 2.21's `tensorflow`)",
                ),
                Expect(
                    2,
                    25,
                    "`tf.GraphKeys.UPDATE_OPS` uses a global graph collection "
                    "(`tf.GraphKeys.UPDATE_OPS` no longer exists in TF 2.21's `tensorflow`)",
                ),
            ],
            fixed="""
            import tensorflow as tf
            ops = tf.compat.v1.get_collection(tf.compat.v1.GraphKeys.UPDATE_OPS)
            """,
        ),
    ]

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
    VALID = [
        Valid(
            """
            import tensorflow as tf
            variables = model.trainable_variables
            """
        ),
    ]
    INVALID = [
        Invalid(
            """
            import tensorflow as tf
            variables = tf.trainable_variables()
            """,
            [
                Expect(
                    2,
                    13,
                    "`tf.trainable_variables()` lists the default graph's variables "
                    "(`tf.trainable_variables` no longer exists in TF 2.21's `tensorflow`)",
                ),
            ],
            fixed="""
            import tensorflow as tf
            variables = tf.compat.v1.trainable_variables()
            """,
        ),
    ]
