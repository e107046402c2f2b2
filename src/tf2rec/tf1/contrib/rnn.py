"""`tf.contrib.rnn` of TF 1.15: the core cells (TF1's contrib.rnn re-exported
`tf.nn.rnn_cell`) and the RNN functions, which TF 2.21 keeps in `tf.compat.v1.nn`."""

import tensorflow as tf

from tf2rec.tf1.not_covered import module_getattr
from tf2rec.tf1.rnn_cell import (
    BasicLSTMCell,
    BasicRNNCell,
    DropoutWrapper,
    GRUCell,
    LSTMCell,
    LSTMStateTuple,
    MultiRNNCell,
    RNNCell,
)

static_rnn = tf.compat.v1.nn.static_rnn
static_bidirectional_rnn = tf.compat.v1.nn.static_bidirectional_rnn
static_state_saving_rnn = tf.compat.v1.nn.static_state_saving_rnn

__all__ = [
    "BasicLSTMCell",
    "BasicRNNCell",
    "DropoutWrapper",
    "GRUCell",
    "LSTMCell",
    "LSTMStateTuple",
    "MultiRNNCell",
    "RNNCell",
    "static_bidirectional_rnn",
    "static_rnn",
    "static_state_saving_rnn",
]

__getattr__ = module_getattr(
    "tf.contrib.rnn",
    "contrib-only cells (LayerNormBasicLSTMCell, AttentionCellWrapper, ...) "
    "are not provided: write the cell as a tf2rec.tf1.nn.rnn_cell.RNNCell subclass",
)
