"""`tf.nn` of TF 1.15, only where TF 2.21 lost it: `tf.nn.rnn_cell` (every other `tf.nn`
name is still `tf.compat.v1.nn.<name>`)."""

from tf2rec.tf1 import rnn_cell_api as rnn_cell
from tf2rec.tf1.not_covered import module_getattr

__all__ = ["rnn_cell"]

__getattr__ = module_getattr("tf.nn", "use tf.compat.v1.nn.<name>, which TF 2.21 still has")
