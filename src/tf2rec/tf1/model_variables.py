"""TF 1.15 contrib's model variables: `tf.contrib.framework.model_variable` and the custom
getter contrib's layers put around the core layers they wrap.

A contrib layer's variables are in `MODEL_VARIABLES` as well as `GLOBAL_VARIABLES` (and
`TRAINABLE_VARIABLES` when trainable), and `fully_connected` renames the core layer's
`kernel`/`bias` to `weights`/`biases`: that is why its checkpoints hold
`fully_connected/weights`.
"""

import tensorflow as tf

v1 = tf.compat.v1
_MODEL_COLLECTIONS = [v1.GraphKeys.GLOBAL_VARIABLES, v1.GraphKeys.MODEL_VARIABLES]


def _with_model_collections(collections):
    return list(dict.fromkeys([*(collections or []), *_MODEL_COLLECTIONS]))


def model_variable(
    name,
    shape=None,
    dtype=tf.float32,
    initializer=None,
    regularizer=None,
    trainable=True,
    collections=None,
    caching_device=None,
    device=None,
    partitioner=None,
    custom_getter=None,
    use_resource=None,
):
    """`tf.contrib.framework.model_variable`: `get_variable` adding `MODEL_VARIABLES`."""
    getter = v1.get_variable
    if custom_getter is not None:
        reuse = v1.get_variable_scope().reuse

        def getter(*args, **kwargs):
            return custom_getter(v1.get_variable, *args, reuse=reuse, **kwargs)

    with tf.device(device or ""):
        return getter(
            name,
            shape=shape,
            dtype=dtype,
            initializer=initializer,
            regularizer=regularizer,
            trainable=trainable,
            collections=_with_model_collections(collections),
            caching_device=caching_device,
            partitioner=partitioner,
            use_resource=use_resource,
        )


def model_variable_getter(rename=None):
    """The custom getter contrib's layers open their scope with (`_build_variable_getter`)."""

    def model_getter(getter, name, *args, **kwargs):
        short = name.split("/")[-1]
        if rename and short in rename:
            name = name[: len(name) - len(short)] + rename[short]
        kwargs["collections"] = _with_model_collections(kwargs.get("collections"))
        return getter(name, *args, **kwargs)

    return model_getter


def variable_collections(variables_collections, name):
    """contrib's `get_variable_collections`: a dict maps a variable's role to collections."""
    if isinstance(variables_collections, dict):
        return variables_collections.get(name)
    return variables_collections


def add_variable_to_collections(variable, variables_collections, name):
    """contrib's `_add_variable_to_collections`."""
    for collection in variable_collections(variables_collections, name) or []:
        if all(variable is not v for v in v1.get_collection(collection)):
            v1.add_to_collection(collection, variable)
