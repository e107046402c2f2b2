"""`tf.contrib.framework` of TF 1.15: the variable helpers recommenders used (the global
step, model variables, selecting variables by scope or suffix to restore)."""

import tensorflow as tf

from tf2rec.tf1.model_variables import model_variable
from tf2rec.tf1.not_covered import module_getattr

v1 = tf.compat.v1
get_global_step = v1.train.get_global_step
get_or_create_global_step = v1.train.get_or_create_global_step

__all__ = [
    "get_global_step",
    "get_model_variables",
    "get_or_create_global_step",
    "get_trainable_variables",
    "get_variables",
    "get_variables_by_name",
    "get_variables_to_restore",
    "model_variable",
]


def get_variables(scope=None, suffix=None, collection=v1.GraphKeys.GLOBAL_VARIABLES):
    """Variables of `collection` whose names match `scope` (a regular expression from the
    start, as `get_collection` reads it), and then `.*<suffix>:` when a suffix is given."""
    if isinstance(scope, v1.VariableScope):
        scope = scope.name
    if suffix is not None:
        if ":" not in suffix:
            suffix += ":"
        scope = (scope or "") + ".*" + suffix
    return v1.get_collection(collection, scope)


def get_model_variables(scope=None, suffix=None):
    return get_variables(scope, suffix, v1.GraphKeys.MODEL_VARIABLES)


def get_trainable_variables(scope=None, suffix=None):
    return get_variables(scope, suffix, v1.GraphKeys.TRAINABLE_VARIABLES)


def get_variables_by_name(given_name, scope=None):
    return get_variables(scope=scope, suffix=given_name)


def get_variables_to_restore(include=None, exclude=None):
    """Global variables under the `include` scopes, less those under the `exclude` scopes."""
    if include is None:
        chosen = get_variables()
    else:
        chosen = [v for scope in include for v in get_variables(scope)]
    excluded = {id(v) for scope in exclude or [] for v in get_variables(scope)}
    return [v for v in chosen if id(v) not in excluded]


__getattr__ = module_getattr(
    "tf.contrib.framework",
    "use the tf.compat.v1 equivalent (tf.compat.v1.train, tf.compat.v1.get_collection) or write it",
)
