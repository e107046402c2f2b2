"""TF 1.15's `tf.layers` convolutions and poolings, channels_last (NWC / NHWC).

Conv2D runs `Conv2D`; Conv1D runs `nn.conv1d` (the input gets a height of 1 and runs
`Conv2D`); both add the bias with `BiasAdd`. Poolings run `MaxPool` / `AvgPool`, the 1-D ones
on the input with a width-1 axis inserted after the steps, as TF 1.15's Keras did. Variables:
`conv2d/kernel` `[kh, kw, in, filters]`, `conv1d/kernel` `[k, in, filters]`, and `bias`.
channels_first is not provided: TensorFlow's CPU kernels do not run NCHW convolutions.
"""

import tensorflow as tf

from tf2rec.tf1.core_layers import KernelLayer
from tf2rec.tf1.functional import functional_form
from tf2rec.tf1.layer import Layer
from tf2rec.tf1.not_covered import NotCoveredError

v1 = tf.compat.v1


def _tuple(value, rank):
    return tuple(value) if isinstance(value, list | tuple) else (int(value),) * rank


def _check_channels_last(data_format, what):
    if data_format not in ("channels_last", None):
        raise NotCoveredError(
            f"tf.layers.{what}(data_format={data_format!r}) is not provided "
            "by tf2rec.tf1; transpose to channels_last"
        )


class _Conv(KernelLayer):
    rank = 0

    def __init__(
        self,
        filters,
        kernel_size,
        strides=1,
        padding="valid",
        data_format="channels_last",
        dilation_rate=1,
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
        _check_channels_last(data_format, snake_name(type(self)))
        if activity_regularizer is not None or padding.lower() == "causal":
            raise NotCoveredError(
                f"tf.layers.{snake_name(type(self))} with "
                "activity_regularizer or causal padding is not provided by "
                "tf2rec.tf1"
            )
        self.filters, self.kernel_size = int(filters), _tuple(kernel_size, self.rank)
        self.strides, self.dilation_rate = (
            _tuple(strides, self.rank),
            _tuple(dilation_rate, self.rank),
        )
        self.padding = padding.upper()

    def build(self, input_shape):
        channels = tf.TensorShape(input_shape)[-1]
        if channels is None:
            raise ValueError("The channel dimension of the inputs should be defined. Found `None`.")
        self.add_kernel_and_bias([*self.kernel_size, int(channels), self.filters], self.filters)

    def call(self, inputs):
        return self.bias_and_activation(self._convolve(inputs), data_format="NHWC")


def snake_name(cls):
    return {"Conv1D": "conv1d", "Conv2D": "conv2d"}.get(cls.__name__, cls.__name__.lower())


class Conv1D(_Conv):
    """`tf.layers.Conv1D`."""

    rank = 1

    def _convolve(self, inputs):
        return v1.nn.conv1d(
            inputs,
            self.kernel,
            stride=list((1, *self.strides, 1)),
            padding=self.padding,
            data_format="NWC",
            dilations=list((1, *self.dilation_rate, 1)),
        )


class Conv2D(_Conv):
    """`tf.layers.Conv2D`."""

    rank = 2

    def _convolve(self, inputs):
        return v1.nn.conv2d(
            inputs,
            self.kernel,
            strides=[1, *self.strides, 1],
            padding=self.padding,
            data_format="NHWC",
            dilations=[1, *self.dilation_rate, 1],
        )


conv1d = functional_form(Conv1D, "conv1d", "`tf.layers.conv1d`.")
conv2d = functional_form(Conv2D, "conv2d", "`tf.layers.conv2d`.")


class _Pooling(Layer):
    rank, kind = 0, ""

    def __init__(
        self, pool_size, strides, padding="valid", data_format="channels_last", name=None, **kwargs
    ):
        super().__init__(name=name, **kwargs)
        _check_channels_last(data_format, type(self).__name__)
        self.pool_size, self.strides = _tuple(pool_size, self.rank), _tuple(strides, self.rank)
        self.padding = padding.upper()

    def call(self, inputs):
        pool = v1.nn.max_pool if self.kind == "max" else v1.nn.avg_pool
        if self.rank == 1:
            inputs = tf.expand_dims(inputs, 2)
            outputs = pool(
                inputs,
                [1, *self.pool_size, 1, 1],
                [1, *self.strides, 1, 1],
                self.padding,
                data_format="NHWC",
            )
            return tf.squeeze(outputs, 2)
        return pool(
            inputs, [1, *self.pool_size, 1], [1, *self.strides, 1], self.padding, data_format="NHWC"
        )


class MaxPooling1D(_Pooling):
    """`tf.layers.MaxPooling1D`."""

    rank, kind = 1, "max"


class AveragePooling1D(_Pooling):
    """`tf.layers.AveragePooling1D`."""

    rank, kind = 1, "avg"


class MaxPooling2D(_Pooling):
    """`tf.layers.MaxPooling2D`."""

    rank, kind = 2, "max"


class AveragePooling2D(_Pooling):
    """`tf.layers.AveragePooling2D`."""

    rank, kind = 2, "avg"


def _pool_function(cls, doc):
    def pool(inputs, pool_size, strides, padding="valid", data_format="channels_last", name=None):
        return cls(pool_size, strides, padding=padding, data_format=data_format, name=name).apply(
            inputs
        )

    pool.__doc__ = doc
    return pool


max_pooling1d = _pool_function(MaxPooling1D, "`tf.layers.max_pooling1d`.")
average_pooling1d = _pool_function(AveragePooling1D, "`tf.layers.average_pooling1d`.")
max_pooling2d = _pool_function(MaxPooling2D, "`tf.layers.max_pooling2d`.")
average_pooling2d = _pool_function(AveragePooling2D, "`tf.layers.average_pooling2d`.")
