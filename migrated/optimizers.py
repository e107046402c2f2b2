"""Adam with the arithmetic of TF1's `tf.train.AdamOptimizer`.

Adam divides by sqrt(v) + epsilon, so on ids whose gradient nearly cancels (|g| ~ epsilon)
a last-bit difference in an update becomes a step of the size of the learning rate. Stock
Keras 3 Adam differs from TF1 in exactly such bits, and more:

- given an embedding's sparse gradient it squares each row before summing repeated ids
  (sum g^2, where TF1 has (sum g)^2);
- TF1 updates an embedding table with its sparse formula (m * beta1 + (1 - beta1) g on
  every row), Keras with the dense one (m + (g - m)(1 - beta1));
- TF1 keeps beta^t as variables multiplied once per step; Keras recomputes beta ** t;
- Keras subtracts from Python floats (1 - 0.9 in double), TF1 in float32.

`TF1Adam` does what TF1 does, operation for operation, so the migrated model trained with
it stays within 1e-4 of the legacy model (see `tools/parity.py`) and its state converts
to and from TF1 checkpoints exactly (`beta1_power`, `beta2_power` included).
"""

from __future__ import annotations

import keras
import tensorflow as tf
from keras import ops

from migrated.layers import PACKAGE


@keras.saving.register_keras_serializable(package=PACKAGE)
class TF1Adam(keras.optimizers.Adam):
    """`keras.optimizers.Adam` computing updates as `tf.compat.v1.train.AdamOptimizer`.

    Pass it the raw gradients: a `tf.IndexedSlices` gradient (an embedding lookup's) gets
    TF1's sparse update, any other TF1's dense `ApplyAdam` update.

    >>> opt = TF1Adam(learning_rate=0.01)
    >>> opt.epsilon
    1e-08
    """

    # train_step passes embedding gradients through as tf.IndexedSlices
    sums_duplicate_ids = True

    def __init__(
        self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-8, name="tf1_adam", **kwargs
    ) -> None:
        kwargs.pop("amsgrad", None)
        super().__init__(
            learning_rate=learning_rate,
            beta_1=beta_1,
            beta_2=beta_2,
            epsilon=epsilon,
            amsgrad=False,
            name=name,
            **kwargs,
        )

    def build(self, var_list) -> None:
        if self.built:
            return
        super().build(var_list)
        self.beta_1_power = self.add_variable(
            (), initializer=keras.initializers.Constant(self.beta_1), name="beta_1_power"
        )
        self.beta_2_power = self.add_variable(
            (), initializer=keras.initializers.Constant(self.beta_2), name="beta_2_power"
        )

    def update_step(self, gradient, variable, learning_rate):
        dtype = variable.dtype
        lr = ops.cast(learning_rate, dtype)
        beta_1 = ops.cast(self.beta_1, dtype)
        beta_2 = ops.cast(self.beta_2, dtype)
        epsilon = ops.cast(self.epsilon, dtype)
        one = ops.cast(1.0, dtype)
        alpha = lr * ops.sqrt(one - self.beta_2_power) / (one - self.beta_1_power)
        m = self._momentums[self._get_variable_index(variable)]
        v = self._velocities[self._get_variable_index(variable)]
        if isinstance(gradient, tf.IndexedSlices):
            # TF1 sums repeated ids first, then decays m and v on every row and adds the
            # gradient's share on the rows it touches; written densely, bit for bit equal.
            g = tf.math.unsorted_segment_sum(
                ops.cast(gradient.values, dtype), gradient.indices, ops.shape(variable)[0]
            )
            self.assign(m, m * beta_1 + g * (one - beta_1))
            self.assign(v, v * beta_2 + (g * g) * (one - beta_2))
            self.assign_sub(variable, alpha * m / (ops.sqrt(v) + epsilon))
        else:  # TF1's ApplyAdam kernel
            g = ops.cast(gradient, dtype)
            self.assign_add(m, (g - m) * (one - beta_1))
            self.assign_add(v, (g * g - v) * (one - beta_2))
            self.assign_sub(variable, (m * alpha) / (ops.sqrt(v) + epsilon))

    def apply(self, grads, trainable_variables=None):
        super().apply(grads, trainable_variables)
        # TF1's _finish: the powers advance once per step, after every variable's update
        self.beta_1_power.assign(self.beta_1_power * ops.cast(self.beta_1, "float32"))
        self.beta_2_power.assign(self.beta_2_power * ops.cast(self.beta_2, "float32"))
