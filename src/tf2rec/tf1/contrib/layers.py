"""`tf.contrib.layers` of TF 1.15: a converted script reads `contrib.layers.batch_norm(...)`
for `tf.contrib.layers.batch_norm(...)` (`from tf2rec.tf1 import contrib`)."""

import tensorflow as tf

from tf2rec.tf1.contrib.batch_norm import batch_norm
from tf2rec.tf1.contrib.embed_sequence import embed_sequence
from tf2rec.tf1.contrib.fully_connected import fully_connected
from tf2rec.tf1.contrib.layer_norm import layer_norm
from tf2rec.tf1.core_layers import flatten as _core_flatten
from tf2rec.tf1.initializers import (
    variance_scaling_initializer,
    xavier_initializer,
    xavier_initializer_conv2d,
)
from tf2rec.tf1.not_covered import module_getattr
from tf2rec.tf1.regularizers import (
    apply_regularization,
    l1_l2_regularizer,
    l1_regularizer,
    l2_regularizer,
    sum_regularizer,
)

__all__ = [
    "apply_regularization",
    "batch_norm",
    "embed_sequence",
    "flatten",
    "fully_connected",
    "l1_l2_regularizer",
    "l1_regularizer",
    "l2_regularizer",
    "layer_norm",
    "linear",
    "sum_regularizer",
    "variance_scaling_initializer",
    "xavier_initializer",
    "xavier_initializer_conv2d",
]


def flatten(inputs, outputs_collections=None, scope=None):
    """`tf.contrib.layers.flatten`: `[batch, ...]` -> `[batch, k]`, in a `Flatten` name scope."""
    with tf.name_scope(scope or "Flatten"):
        return _core_flatten(tf.convert_to_tensor(inputs))


def linear(inputs, num_outputs, **kwargs):
    """`tf.contrib.layers.linear`: `fully_connected` without an activation."""
    return fully_connected(inputs, num_outputs, activation_fn=None, **kwargs)


__getattr__ = module_getattr(
    "tf.contrib.layers", "write it with tf.compat.v1 ops or use the Keras 3 layer that does it"
)
