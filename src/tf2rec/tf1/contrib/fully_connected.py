"""TF 1.15's `tf.contrib.layers.fully_connected`: the core Dense layer under a
`fully_connected` scope, its variables renamed `weights`/`biases` and put in
`MODEL_VARIABLES`. Defaults differ from `tf.layers.dense`: ReLU, Xavier (Glorot uniform)
weights, and no bias when a `normalizer_fn` is given (it is applied before the activation).
"""

import tensorflow as tf

from tf2rec.tf1.core_layers import Dense
from tf2rec.tf1.initializers import xavier_initializer
from tf2rec.tf1.model_variables import add_variable_to_collections, model_variable_getter

v1 = tf.compat.v1


def fully_connected(
    inputs,
    num_outputs,
    activation_fn=tf.nn.relu,
    normalizer_fn=None,
    normalizer_params=None,
    weights_initializer=xavier_initializer(),
    weights_regularizer=None,
    biases_initializer=v1.zeros_initializer(),
    biases_regularizer=None,
    reuse=None,
    variables_collections=None,
    outputs_collections=None,
    trainable=True,
    scope=None,
):
    """`tf.contrib.layers.fully_connected`."""
    if not isinstance(num_outputs, int) or isinstance(num_outputs, bool):
        raise ValueError(f"num_outputs type should be one of (int,), got {type(num_outputs)}.")
    getter = model_variable_getter({"bias": "biases", "kernel": "weights"})
    with v1.variable_scope(
        scope, "fully_connected", [inputs], reuse=reuse, custom_getter=getter
    ) as sc:
        inputs = tf.convert_to_tensor(inputs)
        layer = Dense(
            num_outputs,
            activation=None,
            use_bias=bool(not normalizer_fn and biases_initializer),
            kernel_initializer=weights_initializer,
            bias_initializer=biases_initializer,
            kernel_regularizer=weights_regularizer,
            bias_regularizer=biases_regularizer,
            trainable=trainable,
            name=sc.name,
            dtype=inputs.dtype.base_dtype,
            _scope=sc,
            _reuse=reuse,
        )
        outputs = layer.apply(inputs)
        add_variable_to_collections(layer.kernel, variables_collections, "weights")
        if layer.bias is not None:
            add_variable_to_collections(layer.bias, variables_collections, "biases")
        if normalizer_fn is not None:
            outputs = normalizer_fn(outputs, **(normalizer_params or {}))
        del outputs_collections
        return activation_fn(outputs) if activation_fn is not None else outputs
