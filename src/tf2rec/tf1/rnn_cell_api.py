"""`tf.nn.rnn_cell` of TF 1.15 (TF 2.21's `tf.compat.v1.nn.rnn_cell` raises "not available
with Keras 3")."""

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

__all__ = [
    "BasicLSTMCell",
    "BasicRNNCell",
    "DropoutWrapper",
    "GRUCell",
    "LSTMCell",
    "LSTMStateTuple",
    "MultiRNNCell",
    "RNNCell",
]

__getattr__ = module_getattr(
    "tf.nn.rnn_cell",
    "write the cell as an RNNCell subclass of "
    "tf2rec.tf1.nn.rnn_cell.RNNCell, or use a Keras 3 RNN layer",
)
