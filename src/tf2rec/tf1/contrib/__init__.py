"""`tf.contrib` of TF 1.15, the parts recommenders used: `contrib.layers`, `contrib.rnn`,
`contrib.framework`. Any other contrib module raises `NotCoveredError` naming it."""

from tf2rec.tf1.contrib import framework, layers, rnn
from tf2rec.tf1.not_covered import module_getattr

__all__ = ["framework", "layers", "rnn"]

__getattr__ = module_getattr(
    "tf.contrib", "TF 2 has no tf.contrib; find its replacement in TF 2 or Keras 3"
)
