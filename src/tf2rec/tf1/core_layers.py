"""TF 1.15's `tf.layers.Dense`, `Dropout` and `Flatten` and their functions.

Dense multiplies with `MatMul` (rank 2) or `tensordot` (higher rank) and adds its bias with
`BiasAdd`, as TF 1.15's Keras `Dense.call` did; Dropout is TF 1.15's `nn.dropout` arithmetic,
`x * (1 / (1 - rate)) * cast(uniform >= rate)` with the scale computed in float32 (TF 2's
`tf.nn.dropout` selects with `where` instead, which differs in the sign of dropped zeros and
in the gradient's graph).
"""

import tensorflow as tf

from tf2rec.tf1.functional import functional_form
from tf2rec.tf1.graph_ops import activation_function, smart_cond
from tf2rec.tf1.layer import Layer
from tf2rec.tf1.not_covered import NotCoveredError

v1 = tf.compat.v1


class KernelLayer(Layer):
    """Base of `Dense` and the convolutions: a `kernel`, an optional `bias` added with
    `BiasAdd`, then the activation, created and applied in TF 1.15's order."""

    def __init__(
        self,
        activation,
        use_bias,
        kernel_initializer,
        bias_initializer,
        kernel_regularizer,
        bias_regularizer,
        kernel_constraint,
        bias_constraint,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.activation = activation_function(activation)
        self.use_bias = use_bias
        self.kernel_initializer, self.bias_initializer = kernel_initializer, bias_initializer
        self.kernel_regularizer, self.bias_regularizer = kernel_regularizer, bias_regularizer
        self.kernel_constraint, self.bias_constraint = kernel_constraint, bias_constraint
        self.kernel = self.bias = None

    def add_kernel_and_bias(self, kernel_shape, units):
        self.kernel = self.add_weight(
            "kernel",
            kernel_shape,
            initializer=self.kernel_initializer,
            regularizer=self.kernel_regularizer,
            constraint=self.kernel_constraint,
        )
        if self.use_bias:
            self.bias = self.add_weight(
                "bias",
                [units],
                initializer=self.bias_initializer,
                regularizer=self.bias_regularizer,
                constraint=self.bias_constraint,
            )

    def bias_and_activation(self, outputs, **bias_add):
        if self.use_bias:
            outputs = tf.nn.bias_add(outputs, self.bias, **bias_add)
        return self.activation(outputs) if self.activation is not None else outputs


class Dense(KernelLayer):
    """`tf.layers.Dense`: `activation(inputs @ kernel + bias)`; variables `kernel`, `bias`."""

    def __init__(
        self,
        units,
        activation=None,
        use_bias=True,
        kernel_initializer=None,
        bias_initializer=v1.zeros_initializer(),
        kernel_regularizer=None,
        bias_regularizer=None,
        activity_regularizer=None,
        kernel_constraint=None,
        bias_constraint=None,
        trainable=True,
        name=None,
        **kwargs,
    ):
        super().__init__(
            activation,
            use_bias,
            kernel_initializer,
            bias_initializer,
            kernel_regularizer,
            bias_regularizer,
            kernel_constraint,
            bias_constraint,
            trainable=trainable,
            name=name,
            **kwargs,
        )
        self.units = int(units)
        if activity_regularizer is not None:
            raise NotCoveredError(
                "tf.layers.dense(activity_regularizer=...) is not provided by "
                "tf2rec.tf1; add the penalty on the layer's output to your "
                "loss yourself"
            )

    def build(self, input_shape):
        last = tf.TensorShape(input_shape)[-1]
        if last is None:
            raise ValueError(
                "The last dimension of the inputs to `Dense` should be defined. Found `None`."
            )
        self.add_kernel_and_bias([int(last), self.units], self.units)

    def call(self, inputs):
        rank = inputs.shape.ndims
        if rank is not None and rank > 2:
            outputs = tf.tensordot(inputs, self.kernel, [[rank - 1], [0]])
            outputs.set_shape(inputs.shape[:-1].concatenate([self.units]))
        else:
            if inputs.dtype.base_dtype != self.dtype:
                inputs = tf.cast(inputs, self.dtype)
            outputs = tf.raw_ops.MatMul(a=inputs, b=self.kernel)
        return self.bias_and_activation(outputs)


dense = functional_form(Dense, "dense", "`tf.layers.dense`.")


def tf1_dropout(x, rate, noise_shape=None, seed=None):
    """TF 1.15's `nn.dropout_v2` in graph mode (rate a number or a tensor)."""
    with tf.name_scope("dropout"):
        x = tf.convert_to_tensor(x, name="x")
        if isinstance(rate, int | float) and not 0 <= rate < 1:
            raise ValueError(f"rate must be a scalar tensor or a float in [0, 1), got {rate}")
        if isinstance(rate, int | float) and rate == 0:
            return x
        rate = tf.convert_to_tensor(rate, dtype=x.dtype, name="rate")
        if tf.get_static_value(rate) == 0:
            return x
        shape = tf.shape(x) if noise_shape is None else noise_shape
        random_tensor = v1.random_uniform(shape, seed=seed, dtype=x.dtype)
        keep_prob = 1 - rate
        scale = 1 / keep_prob
        keep_mask = random_tensor >= rate
        ret = x * scale * tf.cast(keep_mask, x.dtype)
        ret.set_shape(x.shape)
        return ret


class Dropout(Layer):
    """`tf.layers.Dropout`: applied only when `training` is true (default False)."""

    def __init__(self, rate=0.5, noise_shape=None, seed=None, name=None, **kwargs):
        super().__init__(name=name, **kwargs)
        self.rate, self.noise_shape, self.seed = rate, noise_shape, seed

    def call(self, inputs, training=False):
        return smart_cond(
            training,
            lambda: tf1_dropout(inputs, self.rate, self.noise_shape, self.seed),
            lambda: tf.identity(inputs),
        )


def dropout(inputs, rate=0.5, noise_shape=None, seed=None, training=False, name=None):
    """`tf.layers.dropout` (note: `rate` is the drop probability, unlike `tf.nn.dropout`)."""
    return Dropout(rate, noise_shape=noise_shape, seed=seed, name=name).apply(inputs, training)


class Flatten(Layer):
    """`tf.layers.Flatten`: `[batch, ...]` -> `[batch, prod(...)]` (channels_last)."""

    def __init__(self, data_format=None, name=None, **kwargs):
        super().__init__(name=name, **kwargs)
        if data_format not in (None, "channels_last"):
            raise ValueError("tf2rec.tf1 Flatten supports data_format='channels_last' only")

    def call(self, inputs):
        rest = inputs.shape[1:]
        if rest.is_fully_defined():
            flat = 1
            for d in rest.as_list():
                flat *= d
            return tf.reshape(inputs, [-1, flat])
        return tf.reshape(inputs, [tf.shape(inputs)[0], -1])


def flatten(inputs, name=None, data_format="channels_last"):
    """`tf.layers.flatten`."""
    return Flatten(data_format=data_format, name=name).apply(inputs)
