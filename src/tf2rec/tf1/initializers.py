"""TF 1.15 contrib's initializers: `xavier_initializer` and `variance_scaling_initializer`.

contrib's variance scaling is not `tf.compat.v1.variance_scaling_initializer`: its default is
He's (factor 2.0, FAN_IN, normal), its modes are upper-case, and its truncated normal uses
stddev `sqrt(1.3 * factor / n)` where core TF uses `sqrt(factor / n) / 0.8796...`. Fans:
`fan_in = shape[-2] * prod(shape[:-2])`, `fan_out = shape[-1] * prod(shape[:-2])`.
"""

import math

import tensorflow as tf

v1 = tf.compat.v1


def variance_scaling_initializer(
    factor=2.0, mode="FAN_IN", uniform=False, seed=None, dtype=tf.float32
):
    """`tf.contrib.layers.variance_scaling_initializer`."""
    if not tf.as_dtype(dtype).is_floating:
        raise TypeError("Cannot create initializer for non-floating point type.")
    if mode not in ("FAN_IN", "FAN_OUT", "FAN_AVG"):
        raise TypeError(f"Unknown mode {mode} [FAN_IN, FAN_OUT, FAN_AVG]")

    def _initializer(shape, dtype=dtype, partition_info=None):
        dtype = tf.as_dtype(dtype)
        if not dtype.is_floating:
            raise TypeError("Cannot create initializer for non-floating point type.")
        shape = list(shape)
        if shape:
            fan_in = float(shape[-2]) if len(shape) > 1 else float(shape[-1])
            fan_out = float(shape[-1])
        else:
            fan_in = fan_out = 1.0
        for dim in shape[:-2]:
            fan_in *= float(dim)
            fan_out *= float(dim)
        n = {"FAN_IN": fan_in, "FAN_OUT": fan_out, "FAN_AVG": (fan_in + fan_out) / 2.0}[mode]
        if uniform:
            limit = math.sqrt(3.0 * factor / n)
            return v1.random_uniform(shape, -limit, limit, dtype, seed=seed)
        trunc_stddev = math.sqrt(1.3 * factor / n)
        return v1.truncated_normal(shape, 0.0, trunc_stddev, dtype, seed=seed)

    return _initializer


def xavier_initializer(uniform=True, seed=None, dtype=tf.float32):
    """`tf.contrib.layers.xavier_initializer`: Glorot, uniform in +-sqrt(6 / (in + out))."""
    return variance_scaling_initializer(
        factor=1.0, mode="FAN_AVG", uniform=uniform, seed=seed, dtype=dtype
    )


xavier_initializer_conv2d = xavier_initializer
