"""TF 1.15's `tf.contrib.layers.batch_norm`, with its own defaults: decay 0.999,
epsilon 0.001, center=True, scale=False (no `gamma`), scope `BatchNorm`, variables in
`MODEL_VARIABLES`.

TF 1.15 took one of three paths and this follows them: a rank-2 input (the common case after
a dense layer), or a rank-4 one with `updates_collections` other than `UPDATE_OPS`, runs
`FusedBatchNorm` on the input reshaped to `[-1, 1, 1, C]` (batch variance with Bessel's
correction), with the moving-average updates in `updates_collections`, or, when that is
None, forced before the output is returned; other inputs run the core
`tf.layers.BatchNormalization` under the `BatchNorm` scope; `batch_weights`, renorm and zero
debiasing took a third path, which is not provided.
"""

from typing import NamedTuple

import tensorflow as tf

from tf2rec.tf1.graph_ops import assign_moving_average, constant_value, smart_cond
from tf2rec.tf1.model_variables import (
    add_variable_to_collections,
    model_variable,
    model_variable_getter,
    variable_collections,
)
from tf2rec.tf1.normalization import BatchNormalization
from tf2rec.tf1.not_covered import NotCoveredError

v1 = tf.compat.v1
UPDATE_OPS = v1.GraphKeys.UPDATE_OPS


def batch_norm(
    inputs,
    decay=0.999,
    center=True,
    scale=False,
    epsilon=0.001,
    activation_fn=None,
    param_initializers=None,
    param_regularizers=None,
    updates_collections=UPDATE_OPS,
    is_training=True,
    reuse=None,
    variables_collections=None,
    outputs_collections=None,
    trainable=True,
    batch_weights=None,
    fused=None,
    data_format="NHWC",
    zero_debias_moving_mean=False,
    scope=None,
    renorm=False,
    renorm_clipping=None,
    renorm_decay=0.99,
    adjustment=None,
):
    """`tf.contrib.layers.batch_norm`."""
    _check_covered(data_format, batch_weights, renorm, adjustment, zero_debias_moving_mean)
    fused = True if fused is None else fused
    inputs = tf.convert_to_tensor(inputs)
    rank = inputs.shape.ndims
    settings = _Settings(
        decay=decay,
        center=center,
        scale=scale,
        epsilon=epsilon,
        param_initializers=param_initializers or {},
        param_regularizers=param_regularizers or {},
        is_training=is_training,
        reuse=reuse,
        variables_collections=variables_collections,
        trainable=trainable,
        scope=scope,
    )
    if fused and rank in (2, 4) and (rank == 2 or updates_collections is not UPDATE_OPS):
        outputs = _fused_batch_norm(inputs, settings, updates_collections)
    elif updates_collections is UPDATE_OPS:
        outputs = _core_batch_norm(inputs, settings, fused)
    else:
        raise NotCoveredError(
            f"tf.contrib.layers.batch_norm of a rank-{rank} input with "
            "updates_collections other than UPDATE_OPS is not provided by "
            "tf2rec.tf1; use the default updates_collections"
        )
    del outputs_collections  # TF1 only listed the output in them when they were given
    return activation_fn(outputs) if activation_fn is not None else outputs


class _Settings(NamedTuple):
    """The arguments both of TF1's paths take."""

    decay: float
    center: bool
    scale: bool
    epsilon: float
    param_initializers: dict
    param_regularizers: dict
    is_training: object
    reuse: object
    variables_collections: object
    trainable: bool
    scope: object


def _check_covered(data_format, batch_weights, renorm, adjustment, zero_debias_moving_mean):
    if data_format != "NHWC":
        raise NotCoveredError(
            "tf.contrib.layers.batch_norm(data_format='NCHW') is not "
            "provided by tf2rec.tf1; use NHWC"
        )
    if batch_weights is not None or renorm or adjustment is not None or zero_debias_moving_mean:
        raise NotCoveredError(
            "tf.contrib.layers.batch_norm with batch_weights, renorm, "
            "adjustment or zero_debias_moving_mean is not provided by "
            "tf2rec.tf1"
        )


def _core_batch_norm(inputs, settings, fused):
    """The core `tf.layers.BatchNormalization` under the `BatchNorm` scope."""
    s = settings
    with v1.variable_scope(
        s.scope, "BatchNorm", [inputs], reuse=s.reuse, custom_getter=model_variable_getter()
    ) as sc:
        inits = {
            k: s.param_initializers.get(
                k, v1.ones_initializer() if "var" in k or k == "gamma" else v1.zeros_initializer()
            )
            for k in ("beta", "gamma", "moving_mean", "moving_variance")
        }
        layer = BatchNormalization(
            axis=-1,
            momentum=s.decay,
            epsilon=s.epsilon,
            center=s.center,
            scale=s.scale,
            beta_initializer=inits["beta"],
            gamma_initializer=inits["gamma"],
            moving_mean_initializer=inits["moving_mean"],
            moving_variance_initializer=inits["moving_variance"],
            beta_regularizer=s.param_regularizers.get("beta"),
            gamma_regularizer=s.param_regularizers.get("gamma"),
            trainable=s.trainable,
            name=sc.name,
            _scope=sc,
            _reuse=s.reuse,
            fused=fused,
        )
        outputs = layer.apply(inputs, training=s.is_training)
        for name in ("moving_mean", "moving_variance", "beta", "gamma"):
            if getattr(layer, name) is not None:
                add_variable_to_collections(getattr(layer, name), s.variables_collections, name)
        return outputs


def _fused_batch_norm(inputs, settings, updates_collections):
    """`FusedBatchNorm` on the input as `[N, H, W, C]` (a rank-2 one as `[-1, 1, 1, C]`)."""
    s = settings
    with v1.variable_scope(s.scope, "BatchNorm", [inputs], reuse=s.reuse):
        original_shape, original_inputs = inputs.shape, inputs
        inputs = _as_nhwc(inputs)
        beta, gamma, moving_mean, moving_variance = _fused_params(inputs.shape[-1:], s)
        outputs, mean, variance = smart_cond(
            s.is_training,
            lambda: v1.nn.fused_batch_norm(inputs, gamma, beta, epsilon=s.epsilon),
            lambda: v1.nn.fused_batch_norm(
                inputs,
                gamma,
                beta,
                mean=moving_mean,
                variance=moving_variance,
                epsilon=s.epsilon,
                is_training=False,
            ),
        )
        training_value = constant_value(s.is_training)
        if training_value is None or training_value:
            outputs = _moving_average_updates(
                outputs,
                s.is_training,
                updates_collections,
                (moving_mean, mean),
                (moving_variance, variance),
                s.decay,
            )
        outputs.set_shape(inputs.shape)
        if original_shape.ndims == 2:
            outputs = tf.reshape(outputs, tf.shape(original_inputs))
        return outputs


def _as_nhwc(inputs):
    """A rank-2 input as `[-1, 1, 1, C]`; the channels must be known."""
    if inputs.shape.ndims == 2:
        channels = inputs.shape[-1]
        if channels is None:
            raise ValueError("`C` dimension must be known but is None")
        inputs = tf.reshape(inputs, [-1, 1, 1, int(channels)])
    params_shape = inputs.shape[-1:]
    if not params_shape.is_fully_defined():
        raise ValueError(f"Inputs {inputs.name} has undefined `C` dimension {params_shape}.")
    return inputs


def _fused_params(params_shape, settings):
    """beta, gamma (constants when not centred / scaled) and the moving averages, as model
    variables, in TF1's creation order."""
    s = settings

    def param(name, default, trainable_param, regularizer=None):
        return model_variable(
            name,
            shape=params_shape,
            dtype=tf.float32,
            initializer=s.param_initializers.get(name, default),
            regularizer=regularizer,
            trainable=trainable_param,
            collections=variable_collections(s.variables_collections, name),
        )

    beta = (
        param("beta", v1.zeros_initializer(), s.trainable, s.param_regularizers.get("beta"))
        if s.center
        else tf.constant(0.0, tf.float32, params_shape)
    )
    gamma = (
        param("gamma", v1.ones_initializer(), s.trainable, s.param_regularizers.get("gamma"))
        if s.scale
        else tf.constant(1.0, tf.float32, params_shape)
    )
    with v1.variable_scope(v1.get_variable_scope()) as local_scope:
        local_scope.set_partitioner(None)
        moving_mean = param("moving_mean", v1.zeros_initializer(), False)
        moving_variance = param("moving_variance", v1.ones_initializer(), False)
    return beta, gamma, moving_mean, moving_variance


def _moving_average_updates(outputs, is_training, updates_collections, mean_pair, var_pair, decay):
    """Update in place before returning (`updates_collections=None`), or put the updates in
    `updates_collections` for the train op to run."""

    def updates():
        return (assign_moving_average(*mean_pair, decay), assign_moving_average(*var_pair, decay))

    if updates_collections is None:

        def force_updates():
            with tf.control_dependencies(updates()):
                return tf.identity(outputs)

        return smart_cond(is_training, force_updates, lambda: outputs)
    update_mean, update_variance = smart_cond(
        is_training, updates, lambda: (mean_pair[0], var_pair[0])
    )
    v1.add_to_collections(updates_collections, update_mean)
    v1.add_to_collections(updates_collections, update_variance)
    return outputs
