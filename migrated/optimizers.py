"""Keras optimizers with the arithmetic, and the sparse updates, of TF1's `tf.train` ones.

`TF1SGD` and `TF1Adagrad` update only the embedding rows a batch touches, as TF1 does, so
a step's cost follows the batch, not the vocabulary (stock Keras 3 densifies the gradient
first). `TF1Adagrad` uses TF1's own kernels and its results are TF1's to the bit; `TF1SGD`
subtracts the rows with one in-place XLA scatter, repeated ids in batch order: TF1's results
to the bit where TF1 runs with op determinism (without it, TF1's kernel adds repeated ids
in whichever order its threads reach them, and no two of its runs agree to the last bit).

`TF1Adam` is Adam with the arithmetic of TF1's `tf.train.AdamOptimizer`. TF1's sparse
Adam decays every row of m and v every step; `TF1Adam` runs that update as one XLA
computation per table that writes the variables in place, bit for bit TF1's results in
fewer passes over memory than TF1's own graph makes.

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
it matches the legacy model bit for bit (see `tools/parity/harness.py`) and its state converts
to and from TF1 checkpoints exactly (`beta1_power`, `beta2_power` included).

In a model compiled with `jit_compile=True` the update is part of the step's one XLA
computation, where TensorFlow's `Unique` and sparse Adagrad kernels cannot run: there the
repeated ids are summed by XLA's scatters (the same sums, in the same order) and Adagrad's
sparse update is its formula in XLA's operations (XLA's 1/sqrt may differ from Eigen's in
the last bit).
"""

from __future__ import annotations

import keras
import tensorflow as tf
from keras import ops

from tf2rec.migrated.layers import PACKAGE


@keras.saving.register_keras_serializable(package=PACKAGE)
class TF1Adam(keras.optimizers.Adam):
    """`keras.optimizers.Adam` computing updates as `tf.compat.v1.train.AdamOptimizer`.

    Pass it the raw gradients: a `tf.IndexedSlices` gradient (an embedding lookup's) gets
    TF1's sparse update, any other TF1's dense `ApplyAdam` update. TF1's sparse update
    still decays m and v on every row, so its cost grows with the vocabulary, as TF1's
    does (here it runs as one XLA computation per table, in fewer passes over memory than
    TF1 makes); `lazy=True` updates only the touched rows (like LazyAdam): much faster on
    large tables, but no longer TF1's results.

    >>> opt = TF1Adam(learning_rate=0.01)
    >>> opt.epsilon
    1e-08
    """

    # train_step passes embedding gradients through as tf.IndexedSlices
    sums_duplicate_ids = True

    def __init__(
        self,
        learning_rate=0.001,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-8,
        lazy: bool = False,
        name="tf1_adam",
        **kwargs,
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
        self.lazy = lazy

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
        # Python floats straight to the variable's dtype (a cast would round them to
        # float32 first: in float64 that is 0.99900001287 for 0.999)
        beta_1 = tf.constant(self.beta_1, dtype)
        beta_2 = tf.constant(self.beta_2, dtype)
        epsilon = tf.constant(self.epsilon, dtype)
        one = tf.constant(1.0, dtype)
        alpha = lr * ops.sqrt(one - self.beta_2_power) / (one - self.beta_1_power)
        m = self._momentums[self._get_variable_index(variable)]
        v = self._velocities[self._get_variable_index(variable)]
        if isinstance(gradient, tf.IndexedSlices):
            self._sparse_update(gradient, variable, m, v, (beta_1, beta_2, alpha, epsilon))
        else:  # TF1's own fused ApplyAdam kernel
            tf.raw_ops.ResourceApplyAdam(
                var=variable.handle,
                m=m.handle,
                v=v.handle,
                beta1_power=self.beta_1_power,
                beta2_power=self.beta_2_power,
                lr=lr,
                beta1=beta_1,
                beta2=beta_2,
                epsilon=epsilon,
                grad=ops.cast(gradient, dtype),
            )

    def _sparse_update(self, gradient, variable, m, v, constants) -> None:
        """TF1's sparse update of `variable` (or, with `lazy`, only the touched rows')."""
        beta_1, beta_2, alpha, epsilon = constants
        dtype, one = variable.dtype, tf.constant(1.0, variable.dtype)
        in_xla = _in_xla()  # the step is one XLA computation (compile(jit_compile=True))
        if in_xla:  # padded: ids past the table hold zero rows, which XLA's scatters drop
            indices, values = _sum_duplicates_in_xla(gradient, variable.shape[0], dtype)
        else:
            indices, values = _sum_duplicates(gradient, dtype)
        if self.lazy:  # only the touched rows: not TF1, but O(batch)
            m_rows = tf.gather(m, indices) * beta_1 + values * (one - beta_1)
            v_rows = tf.gather(v, indices) * beta_2 + (values * values) * (one - beta_2)
            self.assign(m, tf.IndexedSlices(m_rows, indices))  # scatter_update
            self.assign(v, tf.IndexedSlices(v_rows, indices))
            step = alpha * m_rows / (ops.sqrt(v_rows) + epsilon)
            self.assign_sub(variable, tf.IndexedSlices(step, indices))
            return
        # TF1's _apply_sparse: decay every row, add the gradient's share to the touched
        # ones, update every row, as one XLA computation that updates the variables in
        # place. m and v never see a TensorFlow sparse op: one switches a variable to
        # copy-on-read for good, after which every dense read copies the whole table (the
        # table is in that mode from the forward pass's gather; XLA still updates it in
        # place).
        m_rows, v_rows = values * (one - beta_1), (values * values) * (one - beta_2)
        if in_xla:
            update, rows = _tf1_sparse_adam.python_function, (indices[:, None], m_rows, v_rows)
        else:  # padded to the batch's size: one shape, one compilation, per batch size
            size, out_of_range = tf.shape(gradient.indices)[0], variable.shape[0]
            padded = _pad_rows(indices, m_rows, v_rows, size=size, out_of_range=out_of_range)
            update, rows = _tf1_sparse_adam, padded
        # m.value, v.value: the tf.Variables behind the Keras variables
        update(variable, m.value, v.value, *rows, beta_1, beta_2, alpha, epsilon)

    def get_config(self) -> dict:
        return {**super().get_config(), "lazy": self.lazy}

    def apply(self, grads, trainable_variables=None):
        super().apply(grads, trainable_variables)
        # TF1's _finish: the powers advance once per step, after every variable's update
        dtype = self.beta_1_power.dtype  # float32, or float64 in parity's float64 mode
        self.beta_1_power.assign(self.beta_1_power * tf.constant(self.beta_1, dtype))
        self.beta_2_power.assign(self.beta_2_power * tf.constant(self.beta_2, dtype))


@tf.function(jit_compile=True)
def _tf1_sparse_adam(var, m, v, rows, m_rows, v_rows, beta_1, beta_2, alpha, epsilon):
    """TF1's sparse Adam on whole tables, updating `var`, `m` and `v` in place.

    m * beta_1 with `m_rows` added at `rows` (ids past the table are padding and dropped),
    the same for v, then var -= `alpha * m / (sqrt(v) + epsilon)`: TF1's operations in
    TF1's order (XLA on CPU does not use fast math), so the results are TF1's to the bit.
    XLA fuses them into a few passes over the tables and writes the variables' own buffers,
    where TensorFlow's ops make a temporary the size of the table for each step of the
    formula, and where returning new tensors for TensorFlow to assign would cost three
    table-sized temporaries and about twice the time (the README has the measurements).
    """
    m_new = tf.tensor_scatter_nd_add(m * beta_1, rows, m_rows)
    v_new = tf.tensor_scatter_nd_add(v * beta_2, rows, v_rows)
    m.assign(m_new)
    v.assign(v_new)
    var.assign_sub(alpha * m_new / (tf.sqrt(v_new) + epsilon))


def _pad_rows(ids, *rows, size, out_of_range):
    """`ids[:, None]` and each of `rows` padded to `size` entries (with an id past the end
    and zero rows), so that the XLA computation sees one shape per batch size, not one per
    count of distinct ids (a recompilation every step)."""
    missing = size - tf.shape(ids)[0]
    padded_ids = tf.concat([ids, tf.fill([missing], tf.cast(out_of_range, ids.dtype))], 0)
    padded = [tf.pad(r, [[0, missing], [0, 0]]) for r in rows]
    return (padded_ids[:, None], *padded)


@tf.function(jit_compile=True)
def _tf1_sparse_sgd(var, ids, rows, lr):
    """`var[ids[i]] -= rows[i] * lr` for each i in turn, in place: TF1's `scatter_sub`.

    XLA applies the rows one after another in the order given, so repeated ids are
    subtracted in a fixed order, and faster than TensorFlow's own `ResourceScatterSub`
    (the README has the measurements). TensorFlow's kernel splits the rows among threads,
    so where an id repeats, its result varies in the last bits from run to run unless op
    determinism is on.
    """
    var.assign(tf.tensor_scatter_nd_sub(var.read_value(), ids[:, None], rows * lr))


def _in_xla() -> bool:
    """Whether the graph being traced is compiled by XLA as a whole (a train step under
    `compile(jit_compile=True)`), where TensorFlow-only kernels cannot run."""
    from tensorflow.python.ops import control_flow_util

    return control_flow_util.GraphOrParentsInXlaContext(tf.compat.v1.get_default_graph())


def _sum_duplicates_in_xla(gradient: tf.IndexedSlices, rows: int, dtype):
    """(ids, summed rows) of a sparse gradient, `n` of each for `n` looked-up rows: each
    id's rows summed in batch order (as TF1's `_deduplicate_indexed_slices` sums them) at
    the position of its first occurrence; the other positions hold id `rows`, past the
    table, which XLA's scatters drop. No sort and no dynamic shape: XLA's `Unique` sorts,
    and costs more than the rest of the step."""
    indices = tf.cast(gradient.indices, tf.int32)
    n = tf.shape(indices)[0]
    first = tf.tensor_scatter_nd_min(tf.fill([rows], n), indices[:, None], tf.range(n))
    slot = tf.gather(first, indices)[:, None]
    summed = tf.tensor_scatter_nd_add(
        tf.zeros_like(gradient.values, dtype), slot, ops.cast(gradient.values, dtype)
    )
    ids = tf.tensor_scatter_nd_update(tf.fill([n], rows), slot, indices)
    return ids, summed


def _sum_duplicates(gradient: tf.IndexedSlices, dtype) -> tuple[tf.Tensor, tf.Tensor]:
    """(unique ids, their summed rows), as TF1's `_deduplicate_indexed_slices` computes."""
    unique, positions = tf.unique(gradient.indices)
    summed = tf.math.unsorted_segment_sum(
        ops.cast(gradient.values, dtype), positions, tf.shape(unique)[0]
    )
    return unique, summed


@keras.saving.register_keras_serializable(package=PACKAGE)
class TF1SGD(keras.optimizers.SGD):
    """Plain SGD as `tf.compat.v1.train.GradientDescentOptimizer` updates: a sparse gradient
    is scatter-subtracted row by row, each occurrence of a repeated id on its own, touching
    only the rows in the batch.

    >>> TF1SGD(0.1).get_config()["momentum"]
    0.0
    """

    sums_duplicate_ids = True

    def __init__(self, learning_rate=0.01, name="tf1_sgd", **kwargs) -> None:
        kwargs.pop("momentum", None)
        kwargs.pop("nesterov", None)
        super().__init__(
            learning_rate=learning_rate, momentum=0.0, nesterov=False, name=name, **kwargs
        )

    def update_step(self, gradient, variable, learning_rate):
        lr = ops.cast(learning_rate, variable.dtype)
        if isinstance(gradient, tf.IndexedSlices):
            # TF1's scatter_sub: the touched rows only, each occurrence of an id on its own
            _tf1_sparse_sgd(variable, gradient.indices, gradient.values, lr)
        else:  # TF1's ApplyGradientDescent kernel: var -= grad * lr
            tf.raw_ops.ResourceApplyGradientDescent(
                var=variable.handle, alpha=lr, delta=ops.cast(gradient, variable.dtype)
            )


@keras.saving.register_keras_serializable(package=PACKAGE)
class TF1Adagrad(keras.optimizers.Adagrad):
    """Adagrad as `tf.compat.v1.train.AdagradOptimizer`: accumulators start at 0.1, no
    epsilon, TF1's own `ApplyAdagrad` / `SparseApplyAdagrad` kernels; a sparse gradient has
    its repeated ids summed and updates only the rows in the batch.

    >>> TF1Adagrad(0.1).get_config()["initial_accumulator_value"]
    0.1
    """

    sums_duplicate_ids = True

    def __init__(
        self, learning_rate=0.001, initial_accumulator_value=0.1, name="tf1_adagrad", **kwargs
    ) -> None:
        kwargs.pop("epsilon", None)
        super().__init__(
            learning_rate=learning_rate,
            initial_accumulator_value=initial_accumulator_value,
            epsilon=0.0,
            name=name,
            **kwargs,
        )

    def update_step(self, gradient, variable, learning_rate):
        lr = ops.cast(learning_rate, variable.dtype)
        accumulator = self._accumulators[self._get_variable_index(variable)]
        if isinstance(gradient, tf.IndexedSlices) and _in_xla():
            # TF1's SparseApplyAdagrad formula on the touched rows, in XLA's operations
            rows, values = _sum_duplicates_in_xla(gradient, variable.shape[0], variable.dtype)
            at = rows[:, None]
            accum = tf.tensor_scatter_nd_add(accumulator.value.read_value(), at, values * values)
            accumulator.assign(accum)
            step = lr * values * self._rsqrt(tf.gather(accum, rows))
            variable.assign(tf.tensor_scatter_nd_sub(variable.read_value(), at, step))
        elif isinstance(gradient, tf.IndexedSlices):
            indices, values = _sum_duplicates(gradient, variable.dtype)
            tf.raw_ops.ResourceSparseApplyAdagrad(
                var=variable.handle, accum=accumulator.handle, lr=lr, grad=values, indices=indices
            )
        else:
            tf.raw_ops.ResourceApplyAdagrad(
                var=variable.handle,
                accum=accumulator.handle,
                lr=lr,
                grad=ops.cast(gradient, variable.dtype),
            )

    def _rsqrt(self, accumulator):
        """1/sqrt inside XLA (TensorFlow's kernels apply their own where they run)."""
        return tf.math.rsqrt(accumulator)
