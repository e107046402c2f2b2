"""TF 1.15's `tf.layers.Layer`: variable scopes, reuse and graph collections.

What a TF1 checkpoint's names depend on is how a layer opens its variable scope, so this is
TF 1.15's logic step for step: a layer without a name opens `variable_scope(None,
default_name=<snake_case class name>)` on its first call (`dense`, `dense_1`, ... unique
within the enclosing scope); a named one reopens its name (`_scope`); a built layer reopens
its scope with `reuse=True`. Variables come from `tf.compat.v1.get_variable`, so reuse,
`AUTO_REUSE`, scope initializers, partitioners and the default initializer (Glorot uniform)
are TF1's own. A weight's regularizer loss goes to `REGULARIZATION_LOSSES` (once, not again
when the weight is reused) and the layer's update ops to `UPDATE_OPS`, as TF1 did.
"""

import re
import weakref
from collections import Counter

import tensorflow as tf

from tf2rec.tf1.graph_ops import add_to_collection_once

v1 = tf.compat.v1
_LAYER_NAME_COUNTS: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


def snake_case(name: str) -> str:
    """Keras' `to_snake_case`: `Dense` -> `dense`, `GRUCell` -> `gru_cell`."""
    intermediate = re.sub("(.)([A-Z][a-z0-9]+)", r"\1_\2", name)
    insecure = re.sub("([a-z])([A-Z])", r"\1_\2", intermediate).lower()
    return insecure if insecure[0] != "_" else "private" + insecure


def _unique_layer_name(base: str) -> str:
    counts = _LAYER_NAME_COUNTS.setdefault(v1.get_default_graph(), Counter())
    counts[base] += 1
    return f"{base}_{counts[base]}"


class Layer:
    """Base of the runtime's layers and RNN cells: TF1's scoping around `build`/`call`."""

    def __init__(self, trainable=True, name=None, dtype=None, _scope=None, _reuse=None):
        self.trainable = trainable
        self.built = False
        self._reuse = _reuse
        self.dtype = tf.as_dtype(dtype) if dtype is not None else None
        self._trainable_weights, self._non_trainable_weights = [], []
        self.losses, self.updates = [], []
        base = snake_case(type(self).__name__)
        if isinstance(name, v1.VariableScope):
            self._base_name, self.name = name.name, _unique_layer_name(base)
        elif name:
            self._base_name = self.name = name
        else:
            self._base_name, self.name = base, _unique_layer_name(base)
        self._scope = None
        if _scope:
            with v1.variable_scope(_scope) as captured:
                self._scope = captured

    @property
    def scope_name(self):
        return self._scope.name if self._scope is not None else None

    @property
    def trainable_weights(self):
        return list(self._trainable_weights) if self.trainable else []

    @property
    def weights(self):
        return self._trainable_weights + self._non_trainable_weights

    trainable_variables = trainable_weights
    variables = weights

    def _set_scope(self, scope=None):
        if self._scope is not None:
            return
        if self._reuse:
            with v1.variable_scope(scope if scope is not None else self._base_name) as captured:
                self._scope = captured
        else:
            with v1.variable_scope(scope, default_name=self._base_name) as captured:
                self._scope = captured

    def __call__(self, inputs, *args, **kwargs):
        self._set_scope(kwargs.pop("scope", None))
        reuse = True if self.built else self._reuse
        updates_before = len(self.updates)
        with v1.variable_scope(self._scope, reuse=reuse, auxiliary_name_scope=False) as scope:
            with tf.name_scope(scope.original_name_scope):
                inputs = _to_tensors(inputs)
                if not self.built:
                    first = tf.nest.flatten(inputs)[0]
                    if self.dtype is None:
                        self.dtype = first.dtype.base_dtype
                    self.build(first.shape)
                    self.built = True
                outputs = self.call(inputs, *args, **kwargs)
        add_to_collection_once(v1.GraphKeys.UPDATE_OPS, self.updates[updates_before:])
        return outputs

    def apply(self, inputs, *args, **kwargs):
        return self(inputs, *args, **kwargs)

    def build(self, input_shape):
        del input_shape

    def call(self, inputs):
        return inputs

    def add_update(self, update):
        """Record an update (an op, or a tensor whose op is the update)."""
        self.updates.append(update if isinstance(update, tf.Operation) else update.op)

    def add_weight(
        self,
        name,
        shape,
        dtype=None,
        initializer=None,
        regularizer=None,
        trainable=True,
        constraint=None,
        partitioner=None,
    ):
        """`get_variable` in the layer's scope; the regularizer's loss once per variable."""
        existing = {id(v) for v in v1.global_variables()}
        variable = v1.get_variable(
            name,
            shape=shape,
            dtype=dtype or self.dtype or tf.float32,
            initializer=initializer,
            trainable=trainable and self.trainable,
            constraint=constraint,
            partitioner=partitioner,
        )
        parts = [variable] if isinstance(variable, tf.Variable) else list(variable)  # partitioned
        kept = (
            self._trainable_weights
            if trainable and self.trainable
            else (self._non_trainable_weights)
        )
        kept.extend(p for p in parts if all(p is not w for w in self.weights))
        if regularizer is not None and id(parts[0]) not in existing:
            with tf.name_scope(name + "/Regularizer"):
                loss = regularizer(variable)
            if loss is not None:
                self.losses.append(loss)
                add_to_collection_once(v1.GraphKeys.REGULARIZATION_LOSSES, [loss])
        return variable

    add_variable = add_weight


def _to_tensors(inputs):
    """Numbers and arrays become tensors, as Keras' `__call__` converted them in TF1."""
    return tf.nest.map_structure(
        lambda x: x if isinstance(x, tf.Tensor | tf.Variable) else tf.convert_to_tensor(x), inputs
    )
