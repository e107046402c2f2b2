"""Small TF1 graph helpers the layers share, each as TF 1.15 wrote it.

`smart_cond` runs one branch when the predicate is known when the graph is built (a Python
bool, a constant) and a `tf.compat.v1.cond` otherwise (a placeholder such as `is_training`);
`assign_moving_average` is TF 1.15's `moving_averages.assign_moving_average` without zero
debiasing: `v -= (v - value) * (1 - decay)`, with `1 - decay` computed in Python when decay is
a Python number, as TF1 did (it is one float32 rounding, not two).
"""

import tensorflow as tf

v1 = tf.compat.v1


def constant_value(pred):
    """The value of a bool/int predicate if it is known while building, else None."""
    if isinstance(pred, bool | int):
        return bool(pred)
    if isinstance(pred, tf.Variable):
        return None
    value = tf.get_static_value(pred)
    return None if value is None else bool(value)


def smart_cond(pred, true_fn, false_fn, name=None):
    """TF1's `smart_cond`: a Python branch when `pred` is static, else `cond` (v1 in graph
    mode under `disable_v2_behavior()`, as in TF 1.15)."""
    value = constant_value(pred)
    if value is None:
        return v1.cond(pred, true_fn, false_fn, name=name)
    return true_fn() if value else false_fn()


def assign_moving_average(variable, value, decay, name=None):
    """`variable -= (variable - value) * (1 - decay)`; returns the AssignSub's output."""
    with tf.name_scope(name or "AssignMovingAvg") as scope:
        one_minus_decay = tf.convert_to_tensor(1.0 - decay, name="decay")
        if one_minus_decay.dtype != variable.dtype.base_dtype:
            one_minus_decay = tf.cast(one_minus_decay, variable.dtype.base_dtype)
        return v1.assign_sub(variable, (variable - value) * one_minus_decay, name=scope)


def add_to_collection_once(key, elements):
    """Append each element to graph collection `key` unless it is there already."""
    present = {id(e) for e in v1.get_collection(key)}
    for element in elements:
        if id(element) not in present:
            v1.add_to_collection(key, element)
            present.add(id(element))


def activation_function(activation):
    """A callable activation from what TF1 layers accepted: None, a callable or a name."""
    if activation is None or callable(activation):
        return activation
    names = {
        "relu": tf.nn.relu,
        "sigmoid": tf.sigmoid,
        "tanh": tf.tanh,
        "elu": tf.nn.elu,
        "selu": tf.nn.selu,
        "softplus": tf.nn.softplus,
        "softmax": tf.nn.softmax,
        "linear": None,
    }
    if activation not in names:
        raise ValueError(f"activation {activation!r}: pass a function such as tf.nn.relu")
    return names[activation]
