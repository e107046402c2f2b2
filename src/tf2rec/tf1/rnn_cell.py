"""TF 1.15's RNN cells (`tf.nn.rnn_cell`, re-exported by `tf.contrib.rnn`).

Each cell is a `Layer`, so its variables live where TF1 put them: `dynamic_rnn` opens `rnn`,
the cell its snake-case name (`rnn/gru_cell/gates/kernel`, `rnn/basic_lstm_cell/kernel`,
`rnn/lstm_cell/kernel`), `MultiRNNCell` adds `multi_rnn_cell/cell_<i>`, and a
`DropoutWrapper` adds nothing. The step functions are TF 1.15's, operation for operation
(one `MatMul` of `[inputs, state]` and a `BiasAdd` per gate group; gates split in TF1's order:
GRU `r, u`; LSTM `i, j, f, o`). They run with `tf.compat.v1.nn.dynamic_rnn`,
`bidirectional_dynamic_rnn` and `static_rnn`, which TF 2.21 still has.
"""

import collections
import hashlib

import tensorflow as tf

from tf2rec.tf1.core_layers import tf1_dropout
from tf2rec.tf1.graph_ops import activation_function
from tf2rec.tf1.layer import Layer
from tf2rec.tf1.not_covered import NotCoveredError

v1 = tf.compat.v1


class LSTMStateTuple(collections.namedtuple("LSTMStateTuple", ("c", "h"))):
    """`(c, h)`: the LSTM's cell state and output."""

    __slots__ = ()

    @property
    def dtype(self):
        c, h = self
        if c.dtype != h.dtype:
            raise TypeError(f"Inconsistent internal state: {c.dtype} vs {h.dtype}")
        return c.dtype


def _zeros(batch_size, size, dtype):
    static_batch = tf.get_static_value(batch_size)
    zeros = tf.zeros([batch_size, size], dtype=dtype)
    zeros.set_shape([static_batch if static_batch is not None else None, size])
    return zeros


class RNNCell(Layer):
    """TF 1.15's `RNNCell`: `(output, new_state) = cell(inputs, state)`."""

    def __init__(self, trainable=True, name=None, dtype=None, _reuse=None, **kwargs):
        super().__init__(trainable=trainable, name=name, dtype=dtype, _reuse=_reuse, **kwargs)

    def __call__(self, inputs, state, scope=None):
        return super().__call__(inputs, state, scope=scope)

    @property
    def state_size(self):
        raise NotImplementedError

    @property
    def output_size(self):
        raise NotImplementedError

    def zero_state(self, batch_size, dtype):
        with tf.name_scope(type(self).__name__ + "ZeroState"):
            return tf.nest.map_structure(lambda s: _zeros(batch_size, s, dtype), self.state_size)

    def get_initial_state(self, inputs=None, batch_size=None, dtype=None):
        if inputs is not None:
            inputs = tf.convert_to_tensor(inputs, name="inputs")
            batch_size = inputs.shape[0] or tf.shape(inputs)[0]
            dtype = inputs.dtype
        return self.zero_state(batch_size, dtype)


def _input_depth(inputs_shape):
    depth = tf.TensorShape(inputs_shape)[-1]
    if depth is None:
        raise ValueError(f"Expected inputs.shape[-1] to be known, saw shape: {inputs_shape}")
    return int(depth)


class BasicRNNCell(RNNCell):
    """`output = new_state = act(W [x, h] + b)`; variables `kernel`, `bias`."""

    def __init__(self, num_units, activation=None, reuse=None, name=None, dtype=None, **kwargs):
        super().__init__(_reuse=reuse, name=name, dtype=dtype, **kwargs)
        self._num_units = num_units
        self._activation = activation_function(activation) or tf.tanh

    state_size = output_size = property(lambda self: self._num_units)

    def build(self, inputs_shape):
        depth = _input_depth(inputs_shape)
        self._kernel = self.add_weight("kernel", [depth + self._num_units, self._num_units])
        self._bias = self.add_weight(
            "bias", [self._num_units], initializer=v1.zeros_initializer(dtype=self.dtype)
        )

    def call(self, inputs, state):
        gate_inputs = tf.matmul(tf.concat([inputs, state], 1), self._kernel)
        output = self._activation(tf.nn.bias_add(gate_inputs, self._bias))
        return output, output


class GRUCell(RNNCell):
    """Cho et al.'s GRU as TF 1.15 wrote it: variables `gates/{kernel,bias}` (bias starts at
    1.0) and `candidate/{kernel,bias}`; `h' = u * h + (1 - u) * tanh(W_c [x, r * h] + b_c)`."""

    def __init__(
        self,
        num_units,
        activation=None,
        reuse=None,
        kernel_initializer=None,
        bias_initializer=None,
        name=None,
        dtype=None,
        **kwargs,
    ):
        super().__init__(_reuse=reuse, name=name, dtype=dtype, **kwargs)
        self._num_units = num_units
        self._activation = activation_function(activation) or tf.tanh
        self._kernel_initializer, self._bias_initializer = kernel_initializer, bias_initializer

    state_size = output_size = property(lambda self: self._num_units)

    def build(self, inputs_shape):
        rows, n = _input_depth(inputs_shape) + self._num_units, self._num_units
        bias = self._bias_initializer
        self._gate_kernel = self.add_weight(
            "gates/kernel", [rows, 2 * n], initializer=self._kernel_initializer
        )
        self._gate_bias = self.add_weight(
            "gates/bias",
            [2 * n],
            initializer=bias if bias is not None else v1.constant_initializer(1.0, self.dtype),
        )
        self._candidate_kernel = self.add_weight(
            "candidate/kernel", [rows, n], initializer=self._kernel_initializer
        )
        self._candidate_bias = self.add_weight(
            "candidate/bias",
            [n],
            initializer=bias if bias is not None else v1.zeros_initializer(dtype=self.dtype),
        )

    def call(self, inputs, state):
        gate_inputs = tf.matmul(tf.concat([inputs, state], 1), self._gate_kernel)
        value = tf.sigmoid(tf.nn.bias_add(gate_inputs, self._gate_bias))
        r, u = tf.split(value=value, num_or_size_splits=2, axis=1)
        candidate = tf.matmul(tf.concat([inputs, r * state], 1), self._candidate_kernel)
        c = self._activation(tf.nn.bias_add(candidate, self._candidate_bias))
        new_h = u * state + (1 - u) * c
        return new_h, new_h


class BasicLSTMCell(RNNCell):
    """TF 1.15's `BasicLSTMCell` (no peepholes, no clipping, forget bias added to `f`)."""

    def __init__(
        self,
        num_units,
        forget_bias=1.0,
        state_is_tuple=True,
        activation=None,
        reuse=None,
        name=None,
        dtype=None,
        **kwargs,
    ):
        super().__init__(_reuse=reuse, name=name, dtype=dtype, **kwargs)
        self._num_units, self._forget_bias = num_units, forget_bias
        self._state_is_tuple = state_is_tuple
        self._activation = activation_function(activation) or tf.tanh

    @property
    def state_size(self):
        n = self._num_units
        return LSTMStateTuple(n, n) if self._state_is_tuple else 2 * n

    output_size = property(lambda self: self._num_units)

    def build(self, inputs_shape):
        rows = _input_depth(inputs_shape) + self._num_units
        self._kernel = self.add_weight("kernel", [rows, 4 * self._num_units])
        self._bias = self.add_weight(
            "bias", [4 * self._num_units], initializer=v1.zeros_initializer(dtype=self.dtype)
        )

    def call(self, inputs, state):
        one = tf.constant(1, dtype=tf.int32)
        if self._state_is_tuple:
            c, h = state
        else:
            c, h = tf.split(value=state, num_or_size_splits=2, axis=one)
        gate_inputs = tf.matmul(tf.concat([inputs, h], 1), self._kernel)
        gate_inputs = tf.nn.bias_add(gate_inputs, self._bias)
        i, j, f, o = tf.split(value=gate_inputs, num_or_size_splits=4, axis=one)
        forget_bias = tf.constant(self._forget_bias, dtype=f.dtype)
        new_c = tf.add(
            tf.multiply(c, tf.sigmoid(tf.add(f, forget_bias))),
            tf.multiply(tf.sigmoid(i), self._activation(j)),
        )
        new_h = tf.multiply(self._activation(new_c), tf.sigmoid(o))
        if self._state_is_tuple:
            return new_h, LSTMStateTuple(new_c, new_h)
        return new_h, tf.concat([new_c, new_h], 1)


class LSTMCell(RNNCell):
    """TF 1.15's `LSTMCell`: optional peepholes (`w_f_diag`, `w_i_diag`, `w_o_diag`), cell
    clipping and a projection (`projection/kernel`)."""

    def __init__(
        self,
        num_units,
        use_peepholes=False,
        cell_clip=None,
        initializer=None,
        num_proj=None,
        proj_clip=None,
        num_unit_shards=None,
        num_proj_shards=None,
        forget_bias=1.0,
        state_is_tuple=True,
        activation=None,
        reuse=None,
        name=None,
        dtype=None,
        **kwargs,
    ):
        super().__init__(_reuse=reuse, name=name, dtype=dtype, **kwargs)
        if num_unit_shards is not None or num_proj_shards is not None:
            raise NotCoveredError(
                "tf.nn.rnn_cell.LSTMCell(num_unit_shards/num_proj_shards) "
                "is not provided by tf2rec.tf1; drop the sharding"
            )
        self._num_units, self._use_peepholes = num_units, use_peepholes
        self._cell_clip, self._proj_clip, self._num_proj = cell_clip, proj_clip, num_proj
        self._initializer, self._forget_bias = initializer, forget_bias
        self._state_is_tuple = state_is_tuple
        self._activation = activation_function(activation) or tf.tanh

    @property
    def state_size(self):
        m = self._num_proj or self._num_units
        return LSTMStateTuple(self._num_units, m) if self._state_is_tuple else (self._num_units + m)

    output_size = property(lambda self: self._num_proj or self._num_units)

    def build(self, inputs_shape):
        n, h_depth = self._num_units, self._num_proj or self._num_units
        rows = _input_depth(inputs_shape) + h_depth
        self._kernel = self.add_weight("kernel", [rows, 4 * n], initializer=self._initializer)
        self._bias = self.add_weight(
            "bias", [4 * n], initializer=v1.zeros_initializer(dtype=self.dtype)
        )
        if self._use_peepholes:
            for name in ("w_f_diag", "w_i_diag", "w_o_diag"):
                setattr(self, "_" + name, self.add_weight(name, [n], initializer=self._initializer))
        if self._num_proj is not None:
            self._proj_kernel = self.add_weight(
                "projection/kernel", [n, self._num_proj], initializer=self._initializer
            )

    def call(self, inputs, state):
        n, num_proj = self._num_units, self._num_proj or self._num_units
        if self._state_is_tuple:
            c_prev, m_prev = state
        else:
            c_prev = tf.slice(state, [0, 0], [-1, n])
            m_prev = tf.slice(state, [0, n], [-1, num_proj])
        lstm_matrix = tf.matmul(tf.concat([inputs, m_prev], 1), self._kernel)
        lstm_matrix = tf.nn.bias_add(lstm_matrix, self._bias)
        i, j, f, o = tf.split(value=lstm_matrix, num_or_size_splits=4, axis=1)
        sigmoid, act = tf.sigmoid, self._activation
        if self._use_peepholes:
            c = sigmoid(f + self._forget_bias + self._w_f_diag * c_prev) * c_prev + sigmoid(
                i + self._w_i_diag * c_prev
            ) * act(j)
        else:
            c = sigmoid(f + self._forget_bias) * c_prev + sigmoid(i) * act(j)
        if self._cell_clip is not None:
            c = tf.clip_by_value(c, -self._cell_clip, self._cell_clip)
        if self._use_peepholes:
            m = sigmoid(o + self._w_o_diag * c) * act(c)
        else:
            m = sigmoid(o) * act(c)
        if self._num_proj is not None:
            m = tf.matmul(m, self._proj_kernel)
            if self._proj_clip is not None:
                m = tf.clip_by_value(m, -self._proj_clip, self._proj_clip)
        new_state = LSTMStateTuple(c, m) if self._state_is_tuple else tf.concat([c, m], 1)
        return m, new_state


class MultiRNNCell(RNNCell):
    """Stacked cells; cell i's variables under `multi_rnn_cell/cell_<i>/`."""

    def __init__(self, cells, state_is_tuple=True):
        super().__init__()
        if not cells:
            raise ValueError("Must specify at least one cell for MultiRNNCell.")
        self._cells, self._state_is_tuple = list(cells), state_is_tuple

    @property
    def state_size(self):
        sizes = tuple(cell.state_size for cell in self._cells)
        return sizes if self._state_is_tuple else sum(sizes)

    output_size = property(lambda self: self._cells[-1].output_size)

    def zero_state(self, batch_size, dtype):
        if not self._state_is_tuple:
            return super().zero_state(batch_size, dtype)
        with tf.name_scope(type(self).__name__ + "ZeroState"):
            return tuple(cell.zero_state(batch_size, dtype) for cell in self._cells)

    def call(self, inputs, state):
        position, cur_inp, new_states = 0, inputs, []
        for i, cell in enumerate(self._cells):
            with v1.variable_scope(f"cell_{i}"):
                if self._state_is_tuple:
                    cur_state = state[i]
                else:
                    cur_state = tf.slice(state, [0, position], [-1, cell.state_size])
                    position += cell.state_size
                cur_inp, new_state = cell(cur_inp, cur_state)
                new_states.append(new_state)
        return cur_inp, tuple(new_states) if self._state_is_tuple else tf.concat(new_states, 1)


class DropoutWrapper(RNNCell):
    """TF 1.15's `DropoutWrapper` (not variational): dropout on the cell's inputs, outputs
    and state (of an LSTM state, `h` only), new draws at every step; no variable scope."""

    def __init__(
        self,
        cell,
        input_keep_prob=1.0,
        output_keep_prob=1.0,
        state_keep_prob=1.0,
        variational_recurrent=False,
        input_size=None,
        dtype=None,
        seed=None,
        dropout_state_filter_visitor=None,
    ):
        super().__init__()
        if variational_recurrent or dropout_state_filter_visitor is not None:
            raise NotCoveredError(
                "DropoutWrapper(variational_recurrent=True or "
                "dropout_state_filter_visitor=...) is not provided by "
                "tf2rec.tf1"
            )
        self.cell, self._seed = cell, seed
        with tf.name_scope("DropoutWrapperInit"):
            self._keep = {}
            for what, prob in (
                ("input", input_keep_prob),
                ("state", state_keep_prob),
                ("output", output_keep_prob),
            ):
                tensor = tf.convert_to_tensor(prob)
                known = tf.get_static_value(tensor)
                if known is not None and not 0 <= known <= 1:
                    raise ValueError(f"Parameter {what}_keep_prob must be between 0 and 1: {known}")
                self._keep[what] = float(known) if known is not None else tensor

    state_size = property(lambda self: self.cell.state_size)
    output_size = property(lambda self: self.cell.output_size)

    def zero_state(self, batch_size, dtype):
        with tf.name_scope(type(self).__name__ + "ZeroState"):
            return self.cell.zero_state(batch_size, dtype)

    def _gen_seed(self, salt_prefix, index):
        if self._seed is None:
            return None
        digest = hashlib.md5((f"{self._seed}{salt_prefix}_{index}").encode())
        return int(digest.hexdigest()[:8], 16) & 0x7FFFFFFF

    def _dropout(self, values, what, h_only=False):
        """Dropout on each leaf, leaves numbered as TF1 numbered them for their seeds."""
        keep_prob = self._keep[what]
        flags = _state_filter(values) if h_only else tf.nest.map_structure(lambda _: 1, values)
        leaves = [
            tf1_dropout(v, 1.0 - keep_prob, seed=self._gen_seed(what, i)) if flag else v
            for i, (v, flag) in enumerate(
                zip(tf.nest.flatten(values), tf.nest.flatten(flags), strict=True)
            )
        ]
        return tf.nest.pack_sequence_as(values, leaves)

    def _should_dropout(self, what):
        return not isinstance(self._keep[what], float) or self._keep[what] < 1

    def __call__(self, inputs, state, scope=None):
        if self._should_dropout("input"):
            inputs = self._dropout(inputs, "input")
        output, new_state = self.cell(inputs, state, scope=scope)
        if self._should_dropout("state"):
            new_state = self._dropout(new_state, "state", h_only=True)
        if self._should_dropout("output"):
            output = self._dropout(output, "output")
        return output, new_state


def _state_filter(state):
    """TF1's default state filter: an LSTM state drops only `h`, anything else all."""
    if isinstance(state, LSTMStateTuple):
        return LSTMStateTuple(0, 1)
    if isinstance(state, tuple | list):
        return type(state)(_state_filter(s) for s in state)
    return 1
