"""TF 1.15's `tf.layers.BatchNormalization` and `tf.layers.batch_normalization`.

TF 1.15 chose the kernel by rank: a 4-D input with the channel axis at 1 or 3 runs
`FusedBatchNorm` (whose batch variance, and so the moving variance, has Bessel's correction,
n/(n-1)); any other rank runs `nn.moments` and `nn.batch_normalization` (population variance).
The moving averages are `v -= (v - value) * (1 - momentum)`: a Python subtraction on the
unfused path, a float32 one on the fused path (there TF1 made momentum a tensor first). The
updates go to `UPDATE_OPS`; with `training` a tensor they are conditional (unfused) or run
with momentum 1 when not training (fused), as in TF1.
"""

import tensorflow as tf

from tf2rec.tf1.functional import functional_form
from tf2rec.tf1.graph_ops import constant_value, smart_cond
from tf2rec.tf1.layer import Layer
from tf2rec.tf1.not_covered import NotCoveredError

v1 = tf.compat.v1


class BatchNormalization(Layer):
    """`tf.layers.BatchNormalization` (variables `gamma`, `beta`, `moving_mean`,
    `moving_variance`, created in that order)."""

    def __init__(
        self,
        axis=-1,
        momentum=0.99,
        epsilon=1e-3,
        center=True,
        scale=True,
        beta_initializer=v1.zeros_initializer(),
        gamma_initializer=v1.ones_initializer(),
        moving_mean_initializer=v1.zeros_initializer(),
        moving_variance_initializer=v1.ones_initializer(),
        beta_regularizer=None,
        gamma_regularizer=None,
        beta_constraint=None,
        gamma_constraint=None,
        renorm=False,
        renorm_clipping=None,
        renorm_momentum=0.99,
        fused=None,
        trainable=True,
        virtual_batch_size=None,
        adjustment=None,
        name=None,
        **kwargs,
    ):
        super().__init__(trainable=trainable, name=name, **kwargs)
        if renorm or virtual_batch_size is not None or adjustment is not None:
            raise NotCoveredError(
                "tf.layers.batch_normalization with renorm, "
                "virtual_batch_size or adjustment is not provided by "
                "tf2rec.tf1; use the plain layer or keras.layers.BatchNormalization"
            )
        if not isinstance(axis, int):
            raise NotCoveredError(
                "tf.layers.batch_normalization over several axes is not "
                "provided by tf2rec.tf1; pass one axis"
            )
        self.axis, self.momentum, self.epsilon = axis, momentum, epsilon
        self.center, self.scale = center, scale
        self.initializers = dict(
            beta=beta_initializer,
            gamma=gamma_initializer,
            moving_mean=moving_mean_initializer,
            moving_variance=moving_variance_initializer,
        )
        self.regularizers = dict(beta=beta_regularizer, gamma=gamma_regularizer)
        self.constraints = dict(beta=beta_constraint, gamma=gamma_constraint)
        self.fused = True if fused is None else fused
        self.gamma = self.beta = self.moving_mean = self.moving_variance = None

    def build(self, input_shape):
        input_shape = tf.TensorShape(input_shape)
        ndims = input_shape.ndims
        if ndims is None:
            raise ValueError("Input has undefined rank.")
        self.axis = self.axis + ndims if self.axis < 0 else self.axis
        channels = input_shape[self.axis]
        if channels is None:
            raise ValueError(f"Input has undefined `axis` dimension. Input shape: {input_shape}")
        self.fused = bool(self.fused) and ndims == 4 and self.axis in (1, 3)
        self._data_format = "NCHW" if self.axis == 1 else "NHWC"
        shape = [int(channels)]
        for name in ("gamma", "beta"):
            if getattr(self, {"gamma": "scale", "beta": "center"}[name]):
                setattr(
                    self,
                    name,
                    self.add_weight(
                        name,
                        shape,
                        initializer=self.initializers[name],
                        regularizer=self.regularizers[name],
                        constraint=self.constraints[name],
                    ),
                )
        for name in ("moving_mean", "moving_variance"):
            setattr(
                self,
                name,
                self.add_weight(name, shape, initializer=self.initializers[name], trainable=False),
            )

    def call(self, inputs, training=False):
        if self.fused:
            return self._fused_call(inputs, training)
        return self._unfused_call(inputs, training)

    def _fused_call(self, inputs, training):
        shape = [inputs.shape[self.axis]]
        gamma = self.gamma if self.scale else tf.constant(1.0, inputs.dtype, shape)
        beta = self.beta if self.center else tf.constant(0.0, inputs.dtype, shape)
        output, mean, variance = smart_cond(
            training,
            lambda: v1.nn.fused_batch_norm(
                inputs, gamma, beta, epsilon=self.epsilon, data_format=self._data_format
            ),
            lambda: v1.nn.fused_batch_norm(
                inputs,
                gamma,
                beta,
                mean=self.moving_mean,
                variance=self.moving_variance,
                epsilon=self.epsilon,
                is_training=False,
                data_format=self._data_format,
            ),
        )
        training_value = constant_value(training)
        if training_value is None:
            momentum = smart_cond(training, lambda: self.momentum, lambda: 1.0)
        else:
            momentum = tf.convert_to_tensor(self.momentum)
        if training_value is None or training_value:
            self.add_update(self._assign_moving_average(self.moving_mean, mean, momentum))
            self.add_update(self._assign_moving_average(self.moving_variance, variance, momentum))
        return output

    def _unfused_call(self, inputs, training):
        ndims = inputs.shape.ndims
        reduction_axes = [i for i in range(ndims) if i != self.axis]
        broadcast_shape = [1] * ndims
        broadcast_shape[self.axis] = int(inputs.shape[self.axis])

        def broadcast(v):
            if v is not None and len(v.shape) != ndims and reduction_axes != list(range(ndims - 1)):
                return tf.reshape(v, broadcast_shape)
            return v

        training_value = constant_value(training)
        if training_value is False:
            mean, variance = self.moving_mean, self.moving_variance
        else:
            batch_mean, batch_variance = v1.nn.moments(inputs, reduction_axes, keep_dims=False)
            mean = smart_cond(
                training, lambda: batch_mean, lambda: tf.convert_to_tensor(self.moving_mean)
            )
            variance = smart_cond(
                training, lambda: batch_variance, lambda: tf.convert_to_tensor(self.moving_variance)
            )
            for var, value in ((self.moving_mean, mean), (self.moving_variance, variance)):
                self.add_update(
                    smart_cond(
                        training,
                        lambda var=var, value=value: self._assign_moving_average(
                            var, value, self.momentum
                        ),
                        lambda var=var: var,
                    )
                )
        outputs = tf.nn.batch_normalization(
            inputs,
            broadcast(mean),
            broadcast(variance),
            broadcast(self.beta),
            broadcast(self.gamma),
            self.epsilon,
        )
        outputs.set_shape(inputs.shape)
        return outputs

    @staticmethod
    def _assign_moving_average(variable, value, momentum):
        """TF 1.15 Keras' `_assign_moving_average` (no zero-size-batch guard: TF1 added it
        only under a distribution strategy)."""
        with tf.name_scope("AssignMovingAvg") as scope:
            with v1.colocate_with(variable):
                decay = tf.convert_to_tensor(1.0 - momentum, name="decay")
                if decay.dtype != variable.dtype.base_dtype:
                    decay = tf.cast(decay, variable.dtype.base_dtype)
                update_delta = (variable - tf.cast(value, variable.dtype)) * decay
                return v1.assign_sub(variable, update_delta, name=scope)


# TF 1.15's order: `training` among the arguments, the renorm ones after `reuse`
batch_normalization = functional_form(
    BatchNormalization,
    "batch_normalization",
    "`tf.layers.batch_normalization`: remember to run the `UPDATE_OPS` with the train op.",
    order=(
        "inputs",
        "axis",
        "momentum",
        "epsilon",
        "center",
        "scale",
        "beta_initializer",
        "gamma_initializer",
        "moving_mean_initializer",
        "moving_variance_initializer",
        "beta_regularizer",
        "gamma_regularizer",
        "beta_constraint",
        "gamma_constraint",
        "training",
        "trainable",
        "name",
        "reuse",
        "renorm",
        "renorm_clipping",
        "renorm_momentum",
        "fused",
        "virtual_batch_size",
        "adjustment",
    ),
)
