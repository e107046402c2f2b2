"""tf2rec.tf1: TF 1.15's `tf.layers`, `tf.contrib` and `tf.nn.rnn_cell`, on TF 2.21.

TF 2.21 with Keras 3 has neither `tf.compat.v1.layers` nor `tf.compat.v1.nn.rnn_cell` (both
raise "not available with Keras 3") and no `tf.contrib` at all. This package provides what
recommenders used of them, built on `tf.compat.v1` ops so that a TF1 model keeps its variable
names (its checkpoints restore), its collections and its numbers (TF1's kernels, in TF1's
order). A converted script imports it in place of the TF1 modules:

    from tf2rec.tf1 import contrib, layers as tf_layers, nn as tf_nn
    tf_layers.dense(x, 64)              # was tf.layers.dense(x, 64)
    contrib.layers.batch_norm(h)        # was tf.contrib.layers.batch_norm(h)
    tf_nn.rnn_cell.GRUCell(32)          # was tf.nn.rnn_cell.GRUCell(32)

Importing it switches nothing off: the program runs `tf.compat.v1.disable_v2_behavior()`
itself, as TF1 code does, and the layers are meant for graph mode. A TF1 name that is not
provided raises `NotCoveredError` (an `AttributeError`) naming it.
"""

from tf2rec.tf1 import contrib, layers, nn
from tf2rec.tf1.not_covered import NotCoveredError

__all__ = ["NotCoveredError", "contrib", "layers", "nn"]
