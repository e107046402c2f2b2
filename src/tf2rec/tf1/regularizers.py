"""TF 1.15 contrib's regularizers and `apply_regularization`.

`l2_regularizer(scale)(w)` is `scale * tf.nn.l2_loss(w)` = `scale * sum(w**2) / 2` (Keras'
`L2(l)` has no half), `l1_regularizer(scale)(w)` is `scale * sum(|w|)`, a scale of 0 gives a
regularizer that returns None, and an integer scale is an error, as in TF1.
"""

import numbers

import tensorflow as tf

v1 = tf.compat.v1


def _check_scale(scale):
    """True when the scale disables the regularizer."""
    if isinstance(scale, numbers.Integral):
        raise ValueError(f"scale cannot be an integer: {scale}")
    if isinstance(scale, numbers.Real):
        if scale < 0.0:
            raise ValueError(f"Setting a scale less than 0 on a regularizer: {scale}")
        return scale == 0.0
    return False


def _scaled(scale, scope, penalty):
    """A regularizer `scale * penalty(weights)` under the name scope `scope` (TF1's l1 and
    l2 differ only in the penalty), or one that returns None when the scale is 0."""
    if _check_scale(scale):
        return lambda _: None

    def regularizer(weights):
        with tf.name_scope(scope) as name:
            my_scale = tf.convert_to_tensor(scale, dtype=weights.dtype.base_dtype, name="scale")
            return tf.multiply(my_scale, penalty(weights), name=name)

    return regularizer


def l1_regularizer(scale, scope=None):
    """`tf.contrib.layers.l1_regularizer`."""
    return _scaled(scale, scope or "l1_regularizer", lambda w: tf.reduce_sum(tf.abs(w)))


def l2_regularizer(scale, scope=None):
    """`tf.contrib.layers.l2_regularizer`."""
    return _scaled(scale, scope or "l2_regularizer", tf.nn.l2_loss)


def sum_regularizer(regularizer_list, scope=None):
    """`tf.contrib.layers.sum_regularizer`: the sum of the regularizers' penalties."""
    regularizer_list = [reg for reg in regularizer_list if reg is not None]
    if not regularizer_list:
        return None

    def sum_reg(weights):
        with tf.name_scope(scope or "sum_regularizer") as name:
            tensors = [t for t in (reg(weights) for reg in regularizer_list) if t is not None]
            return tf.add_n(tensors, name=name) if tensors else None

    return sum_reg


def l1_l2_regularizer(scale_l1=1.0, scale_l2=1.0, scope=None):
    """`tf.contrib.layers.l1_l2_regularizer`: `l1(w) + l2(w)`."""
    if isinstance(scale_l1, numbers.Real) and isinstance(scale_l2, numbers.Real):
        if scale_l1 == 0.0 and scale_l2 == 0.0:
            return lambda _: None
    return sum_regularizer(
        [l1_regularizer(scale_l1), l2_regularizer(scale_l2)], scope=scope or "l1_l2_regularizer"
    )


def apply_regularization(regularizer, weights_list=None):
    """`tf.contrib.layers.apply_regularization`: the summed penalty, also added to
    `REGULARIZATION_LOSSES` (weights default to the `WEIGHTS` collection)."""
    if not weights_list:
        weights_list = v1.get_collection(v1.GraphKeys.WEIGHTS)
    if not weights_list:
        raise ValueError("No weights to regularize.")
    with tf.name_scope("get_regularization_penalty") as scope:
        penalties = [regularizer(w) for w in weights_list]
        penalties = [p if p is not None else tf.constant(0.0) for p in penalties]
        for p in penalties:
            if p.shape.ndims != 0:
                raise ValueError(
                    "regularizer must return a scalar Tensor instead of a Tensor "
                    f"with rank {p.shape.ndims}."
                )
        summed_penalty = tf.add_n(penalties, name=scope)
    v1.add_to_collection(v1.GraphKeys.REGULARIZATION_LOSSES, summed_penalty)
    return summed_penalty
