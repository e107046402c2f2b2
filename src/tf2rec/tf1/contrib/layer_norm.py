"""TF 1.15's `tf.contrib.layers.layer_norm` (Ba et al.): moments over the axes from
`begin_norm_axis` on (default: all but the batch), `beta`/`gamma` of the shape from
`begin_params_axis` on (default: the last axis), variance epsilon 1e-12, scope `LayerNorm`,
variables in `MODEL_VARIABLES`; `nn.moments` and `nn.batch_normalization`, as TF1 ran it."""

import tensorflow as tf

from tf2rec.tf1.model_variables import model_variable, variable_collections

v1 = tf.compat.v1


def layer_norm(
    inputs,
    center=True,
    scale=True,
    activation_fn=None,
    reuse=None,
    variables_collections=None,
    outputs_collections=None,
    trainable=True,
    begin_norm_axis=1,
    begin_params_axis=-1,
    scope=None,
):
    """`tf.contrib.layers.layer_norm`."""
    with v1.variable_scope(scope, "LayerNorm", [inputs], reuse=reuse):
        inputs = tf.convert_to_tensor(inputs)
        shape, rank = inputs.shape, inputs.shape.ndims
        if rank is None:
            raise ValueError(f"Inputs {inputs.name} has undefined rank.")
        dtype = inputs.dtype.base_dtype
        if begin_norm_axis < 0:
            begin_norm_axis = rank + begin_norm_axis
        if begin_params_axis >= rank or begin_norm_axis >= rank:
            raise ValueError(
                f"begin_params_axis ({begin_params_axis}) and begin_norm_axis "
                f"({begin_norm_axis}) must be < rank(inputs) ({rank})"
            )
        params_shape = shape[begin_params_axis:]
        if not params_shape.is_fully_defined():
            raise ValueError(
                f"Inputs {inputs.name}: shape(inputs)[{begin_params_axis}:] is "
                f"not fully defined: {shape}"
            )

        def param(name, initializer):
            return model_variable(
                name,
                shape=params_shape,
                dtype=dtype,
                initializer=initializer,
                trainable=trainable,
                collections=variable_collections(variables_collections, name),
            )

        beta = param("beta", v1.zeros_initializer()) if center else None
        gamma = param("gamma", v1.ones_initializer()) if scale else None
        mean, variance = v1.nn.moments(inputs, list(range(begin_norm_axis, rank)), keep_dims=True)
        epsilon = 1e-12 if dtype != tf.float16 else 1e-3
        outputs = tf.nn.batch_normalization(
            inputs, mean, variance, offset=beta, scale=gamma, variance_epsilon=epsilon
        )
        outputs.set_shape(shape)
        del outputs_collections
        return activation_fn(outputs) if activation_fn is not None else outputs
