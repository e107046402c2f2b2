"""Variables managed by name through scopes and collections."""

from __future__ import annotations

import ast

from tf2rec.tools.scan.names import keyword_arg
from tf2rec.tools.scan.rule import Expect, Invalid, Rule, Valid


class GetVariableRule(Rule):
    """Finds `tf.get_variable` (and `get_local_variable`), which created a variable, or
    returned the one already there, by its full scoped name. TF 2.21's `tensorflow` lacks
    it. Under eager execution `tf.compat.v1.get_variable` keeps no variables by name: every
    call makes a new one, and a call that asks to reuse one raises a RuntimeError. In Keras a
    layer owns its weights: `add_weight` in `build()` creates them once, and they are
    trained and saved with the model. Both default to a Glorot-uniform initializer for
    float weights."""

    id = "TF301"
    name = "get-variable"
    message = "`{name}` creates variables by scoped name"
    replacement = "`self.add_weight(...)` in a Keras layer's `build()`"
    migrated = "tf2rec.migrated.layers.Linear"
    names = frozenset({"tf.get_variable", "tf.get_local_variable"})
    fix_safety = (
        "`tf.compat.v1.get_variable` is the same function: in graph mode it creates and finds "
        "variables under the same scoped names, so existing checkpoints still match them."
    )
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
        Invalid(
            """
            import tensorflow as tf

            with tf.variable_scope('embedding'):
                user_emb = tf.get_variable('user_emb', [num_users, dim],
                                           regularizer=l2_reg)
            """,
            [
                Expect(
                    4,
                    16,
                    "`tf.get_variable` creates variables by scoped name "
                    "(`tf.get_variable` no longer exists in TF 2.21's `tensorflow`)",
                ),
            ],
            fixed="""
            import tensorflow as tf

            with tf.variable_scope('embedding'):
                user_emb = tf.compat.v1.get_variable('user_emb', [num_users, dim],
                                           regularizer=l2_reg)
            """,
        ),
        Invalid(
            """
            import tensorflow as tflow


            class FM(object):
                def _build(self):
                    self.w = tflow.get_variable('w', shape=[self.n, 1],
                                                initializer=tflow.zeros_initializer())
            """,
            [
                Expect(
                    6,
                    18,
                    "`tf.get_variable` creates variables by scoped name "
                    "(`tf.get_variable` no longer exists in TF 2.21's `tensorflow`)",
                ),
            ],
            fixed="""
            import tensorflow as tflow


            class FM(object):
                def _build(self):
                    self.w = tflow.compat.v1.get_variable('w', shape=[self.n, 1],
                                                initializer=tflow.zeros_initializer())
            """,
        ),
    ]


class VariableScopeRule(Rule):
    """Finds `tf.variable_scope` and `tf.get_variable_scope`: TF1 named variables after the
    scopes they were made in, and two towers shared weights by entering a scope of the same
    name again. TF 2.21's `tensorflow` has neither. Through compat.v1 they still prefix
    names, but under eager execution nothing is shared by name any more (TF301, TF303).
    Keras layers are objects: calling the same layer twice shares its weights, and `name=`
    only labels them."""

    id = "TF302"
    name = "variable-scope"
    message = "`{name}` shares variables by name"
    replacement = "layer objects (sub-layers created in `__init__`), `name=` for readability"
    migrated = "tf2rec.migrated.layers.UserTower"
    names = frozenset({"tf.variable_scope", "tf.get_variable_scope", "tf.VariableScope"})
    fix_safety = (
        "`tf.compat.v1.variable_scope` and `get_variable_scope` are the same functions, so in "
        "graph mode variables get the same names and are shared as before."
    )
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
        Invalid(
            """
            import tensorflow as tf


            def user_tower(x):
                with tf.variable_scope('user_tower'):
                    return mlp(x, [64, 32])
            """,
            [
                Expect(
                    5,
                    10,
                    "`tf.variable_scope` shares variables by name "
                    "(`tf.variable_scope` no longer exists in TF 2.21's `tensorflow`)",
                ),
            ],
            fixed="""
            import tensorflow as tf


            def user_tower(x):
                with tf.compat.v1.variable_scope('user_tower'):
                    return mlp(x, [64, 32])
            """,
        ),
        Invalid(
            """
            import tensorflow as tflow

            with tflow.variable_scope('tower'):
                left = tower(query)
                tflow.get_variable_scope().reuse_variables()
                right = tower(doc)
            """,
            [
                Expect(
                    3,
                    6,
                    "`tf.variable_scope` shares variables by name "
                    "(`tf.variable_scope` no longer exists in TF 2.21's `tensorflow`)",
                ),
                Expect(
                    5,
                    5,
                    "`tf.get_variable_scope` shares variables by name "
                    "(`tf.get_variable_scope` no longer exists in TF 2.21's `tensorflow`)",
                ),
            ],
            fixed="""
            import tensorflow as tflow

            with tflow.compat.v1.variable_scope('tower'):
                left = tower(query)
                tflow.compat.v1.get_variable_scope().reuse_variables()
                right = tower(doc)
            """,
        ),
    ]


class VariableReuseRule(Rule):
    """Finds `variable_scope(..., reuse=True)` and `reuse=tf.AUTO_REUSE`, which re-entered
    a scope to get the variables made there before. Whether a call shared or duplicated
    weights depended on the order of the calls, a classic TF1 bug. Under eager execution
    (TF2's default) `get_variable` inside such a scope raises a RuntimeError: reuse needs
    a graph, or an `EagerVariableStore`. Share weights by calling the same layer object."""

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
        Invalid(
            """
            import tensorflow as tflow


            def embed(ids, name):
                with tflow.variable_scope(name, reuse=tflow.AUTO_REUSE):
                    return tflow.nn.embedding_lookup(table(), ids)
            """,
            [
                Expect(5, 37, "variable reuse by scope (`reuse=`)"),
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
    """Finds the ops a session ran once to give variables and lookup tables their first
    values: `global_variables_initializer`, `local_variables_initializer`,
    `tables_initializer`, and the spellings from before TF 1.0 (`initialize_all_variables`
    & co.). TF 2.21's `tensorflow` has none of them. A TF2 variable holds its value from the
    moment it is created, and a lookup table is filled when it is built, so there is nothing
    left to run: under eager execution the compat.v1 functions return an op that does
    nothing."""

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
    fix_safety = (
        "The compat.v1 functions are TF1's own initializer ops, so a session that runs them "
        "gives the same variables the same first values."
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
        Invalid(
            """
            import tensorflow as tf

            init_op = tf.group(tf.global_variables_initializer(),
                               tf.local_variables_initializer())
            """,
            [
                Expect(
                    3,
                    20,
                    "`tf.global_variables_initializer` is an op that initializes "
                    "variables in a session (`tf.global_variables_initializer` no "
                    "longer exists in TF 2.21's `tensorflow`)",
                ),
                Expect(
                    4,
                    20,
                    "`tf.local_variables_initializer` is an op that initializes "
                    "variables in a session (`tf.local_variables_initializer` no "
                    "longer exists in TF 2.21's `tensorflow`)",
                ),
            ],
            fixed="""
            import tensorflow as tf

            init_op = tf.group(tf.compat.v1.global_variables_initializer(),
                               tf.compat.v1.local_variables_initializer())
            """,
        ),
        Invalid(
            """
            import tensorflow as tf


            class MF(object):
                def fit(self):
                    self.sess.run(tf.initialize_all_variables())
            """,
            [
                Expect(
                    6,
                    23,
                    "`tf.initialize_all_variables` is an op that initializes variables "
                    "in a session (`tf.initialize_all_variables` no longer exists in TF "
                    "2.21's `tensorflow`)",
                ),
            ],
            fixed="""
            import tensorflow as tf


            class MF(object):
                def fit(self):
                    self.sess.run(tf.compat.v1.initialize_all_variables())
            """,
        ),
    ]


class CollectionsRule(Rule):
    """Finds graph collections (`get_collection`, `add_to_collection`, `tf.GraphKeys`):
    global lists kept in the default graph under string keys, where TF1 code put and found
    update ops, summaries, losses, the variables of a scope. TF 2.21's `tensorflow` has none
    of it. Under eager execution nothing is added to a collection, so
    `tf.compat.v1.get_collection` returns an empty list, and the code that iterated over it
    quietly does nothing. TF2 keeps these things on the objects: `model.trainable_weights`,
    `model.losses`, `model.metrics`."""

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
    fix_safety = (
        "`tf.compat.v1.get_collection` and `tf.compat.v1.GraphKeys` read and write the same "
        "collections of the same default graph, so in graph mode the code finds what it found."
    )
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
        Invalid(
            """
            import tensorflow as tf

            tf.add_to_collection('losses', l2_loss)
            total = tf.add_n(tf.get_collection('losses'), name='total_loss')
            """,
            [
                Expect(
                    3,
                    1,
                    "`tf.add_to_collection` uses a global graph collection "
                    "(`tf.add_to_collection` no longer exists in TF 2.21's `tensorflow`)",
                ),
                Expect(
                    4,
                    18,
                    "`tf.get_collection` uses a global graph collection "
                    "(`tf.get_collection` no longer exists in TF 2.21's `tensorflow`)",
                ),
            ],
            fixed="""
            import tensorflow as tf

            tf.compat.v1.add_to_collection('losses', l2_loss)
            total = tf.add_n(tf.compat.v1.get_collection('losses'), name='total_loss')
            """,
        ),
        Invalid(
            """
            import tensorflow as tflow
            tower_vars = tflow.get_collection(
                tflow.GraphKeys.TRAINABLE_VARIABLES, scope='user_tower')
            """,
            [
                Expect(
                    2,
                    14,
                    "`tf.get_collection` uses a global graph collection "
                    "(`tf.get_collection` no longer exists in TF 2.21's `tensorflow`)",
                ),
                Expect(
                    3,
                    5,
                    "`tf.GraphKeys.TRAINABLE_VARIABLES` uses a global graph collection "
                    "(`tf.GraphKeys.TRAINABLE_VARIABLES` no longer exists in TF 2.21's "
                    "`tensorflow`)",
                ),
            ],
            fixed="""
            import tensorflow as tflow
            tower_vars = tflow.compat.v1.get_collection(
                tflow.compat.v1.GraphKeys.TRAINABLE_VARIABLES, scope='user_tower')
            """,
        ),
    ]

    @classmethod
    def covers(cls, name: str) -> bool:
        # the regularization collection has a rule of its own (TF905): it silently sums to 0
        return name != "tf.GraphKeys.REGULARIZATION_LOSSES" and super().covers(name)


class GraphVariablesRule(Rule):
    """Finds the functions that listed the default graph's variables
    (`trainable_variables()`, `global_variables()`, ...), which TF1 code passed to a
    `Saver`, summed into an L2 penalty, or gave an optimizer as its `var_list`. TF 2.21's
    `tensorflow` has none of them, and under eager execution the compat.v1 functions return
    an empty list: an optimizer then has no variables to train, and a penalty summed over
    them has no terms. Ask the model or layer that owns the variables."""

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
    fix_safety = (
        "The compat.v1 functions are TF1's own and read the same collections, so in graph mode "
        "a `Saver` or an optimizer gets the same variables."
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
        Invalid(
            """
            import tensorflow as tf

            l2 = tf.add_n([tf.nn.l2_loss(v) for v in tf.trainable_variables()
                           if 'bias' not in v.name]) * 1e-4
            """,
            [
                Expect(
                    3,
                    42,
                    "`tf.trainable_variables()` lists the default graph's variables "
                    "(`tf.trainable_variables` no longer exists in TF 2.21's `tensorflow`)",
                ),
            ],
            fixed="""
            import tensorflow as tf

            l2 = tf.add_n([tf.nn.l2_loss(v) for v in tf.compat.v1.trainable_variables()
                           if 'bias' not in v.name]) * 1e-4
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
                    24,
                    "`tf.global_variables()` lists the default graph's variables "
                    "(`tf.global_variables` no longer exists in TF 2.21's `tensorflow`)",
                ),
            ],
            fixed="""
            import tensorflow as tf
            saver = tf.train.Saver(tf.compat.v1.global_variables(), max_to_keep=5)
            """,
        ),
    ]
