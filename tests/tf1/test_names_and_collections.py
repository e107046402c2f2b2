"""Variable names, scopes, reuse and collections as TF 1.15 made them, so that a TF1
checkpoint restores. The expected names are TF 1.15's, from its source and its checkpoints'
documented layout (tf.layers: `<layer>/kernel`, `<layer>_1/...`; contrib: `BatchNorm/beta`,
`fully_connected/weights`; rnn cells: `rnn/gru_cell/gates/kernel`,
`rnn/multi_rnn_cell/cell_0/basic_lstm_cell/kernel`), never read from the runtime."""

import json

import pytest

PROGRAM = r"""
import json
import numpy as np
import tensorflow as tf
from tensorflow.python import tf2

facts = {"eager_after_import": None}
import tf2rec.tf1  # importing the runtime must switch nothing off
facts["eager_after_import"] = tf.executing_eagerly()
facts["tf2_after_import"] = tf2.enabled()
tf.compat.v1.disable_v2_behavior()
v1 = tf.compat.v1
from tf2rec.tf1 import contrib, layers as tf_layers, nn as tf_nn

x = v1.placeholder(tf.float32, [None, 4])
is_training = v1.placeholder(tf.bool, [])
tf_layers.dense(x, 3)
tf_layers.dense(x, 3)
with v1.variable_scope("tower"):
    tf_layers.dense(x, 3, kernel_regularizer=contrib.layers.l2_regularizer(0.1))
with v1.variable_scope("tower", reuse=True):
    tf_layers.dense(x, 3, kernel_regularizer=contrib.layers.l2_regularizer(0.1))
tf_layers.dense(x, 2, name="logits")
tf_layers.dense(x, 2, name="logits", reuse=True)
tf_layers.batch_normalization(x, training=is_training)
contrib.layers.batch_norm(x, is_training=is_training)
contrib.layers.batch_norm(x, scale=True, scope="bn2", updates_collections=None)
contrib.layers.fully_connected(x, 5)
contrib.layers.fully_connected(x, 5, scope="fc")
dense = tf_layers.Dense(2, name="shared")
dense(x); dense(x)
seq = v1.placeholder(tf.float32, [None, 6, 4])
v1.nn.dynamic_rnn(tf_nn.rnn_cell.GRUCell(3), seq, dtype=tf.float32)
cells = tf_nn.rnn_cell.MultiRNNCell([contrib.rnn.BasicLSTMCell(3),
                                     contrib.rnn.DropoutWrapper(contrib.rnn.LSTMCell(3), 0.9)])
v1.nn.dynamic_rnn(cells, seq, dtype=tf.float32, scope="stack")
try:
    tf_layers.dense(x, 3, name="logits")
    facts["duplicate"] = "no error"
except ValueError as error:
    facts["duplicate"] = str(error).splitlines()[0]

def names(key):
    return [v.op.name if hasattr(v, "op") and not isinstance(v, tf.Operation) else v.name
            for v in v1.get_collection(key)]

facts["global"] = [v.op.name for v in v1.global_variables()]
facts["trainable"] = [v.op.name for v in v1.trainable_variables()]
facts["model"] = [v.op.name for v in v1.get_collection(v1.GraphKeys.MODEL_VARIABLES)]
facts["regularization"] = len(v1.get_collection(v1.GraphKeys.REGULARIZATION_LOSSES))
facts["update_ops"] = len(v1.get_collection(v1.GraphKeys.UPDATE_OPS))
errors = {}
for module, name in ((tf_layers, "conv3d"), (contrib, "learn"), (contrib.layers, "conv2d"),
                     (contrib.rnn, "LayerNormBasicLSTMCell"), (tf_nn, "relu")):
    try:
        getattr(module, name)
    except AttributeError as error:
        errors[name] = [type(error).__name__, str(error)]
facts["errors"] = errors
np.savez("results.npz", facts=np.array(json.dumps(facts)))
"""


@pytest.fixture(scope="module")
def facts(tf1_results):
    return json.loads(str(tf1_results["facts"]))


TF1_GLOBAL = [
    "dense/kernel",
    "dense/bias",
    "dense_1/kernel",
    "dense_1/bias",
    "tower/dense/kernel",
    "tower/dense/bias",
    "logits/kernel",
    "logits/bias",
    "batch_normalization/gamma",
    "batch_normalization/beta",
    "batch_normalization/moving_mean",
    "batch_normalization/moving_variance",
    "BatchNorm/beta",
    "BatchNorm/moving_mean",
    "BatchNorm/moving_variance",
    "bn2/beta",
    "bn2/gamma",
    "bn2/moving_mean",
    "bn2/moving_variance",
    "fully_connected/weights",
    "fully_connected/biases",
    "fc/weights",
    "fc/biases",
    "shared/kernel",
    "shared/bias",
    "rnn/gru_cell/gates/kernel",
    "rnn/gru_cell/gates/bias",
    "rnn/gru_cell/candidate/kernel",
    "rnn/gru_cell/candidate/bias",
    "stack/multi_rnn_cell/cell_0/basic_lstm_cell/kernel",
    "stack/multi_rnn_cell/cell_0/basic_lstm_cell/bias",
    "stack/multi_rnn_cell/cell_1/lstm_cell/kernel",
    "stack/multi_rnn_cell/cell_1/lstm_cell/bias",
]


def test_variables_have_tf1_names_and_reuse_shares_them(facts):
    assert facts["global"] == TF1_GLOBAL


def test_moving_statistics_are_not_trainable(facts):
    assert facts["trainable"] == [n for n in TF1_GLOBAL if "moving" not in n]


def test_only_contrib_variables_are_model_variables(facts):
    assert facts["model"] == [
        n for n in TF1_GLOBAL if n.startswith(("BatchNorm/", "bn2/", "fully_connected/", "fc/"))
    ]


def test_a_reused_weight_adds_its_penalty_once(facts):
    assert facts["regularization"] == 1


def test_update_ops_of_both_batch_norms_are_collected(facts):
    # tf.layers' two AssignMovingAvg updates, contrib's two; bn2 updates in place (None)
    assert facts["update_ops"] == 4


def test_a_second_layer_with_the_same_name_is_tf1s_error(facts):
    assert "logits/kernel already exists" in facts["duplicate"]


def test_importing_the_runtime_switches_nothing_off(facts):
    assert facts["eager_after_import"] is True and facts["tf2_after_import"] is True


def test_uncovered_apis_raise_one_clear_attribute_error(facts):
    for name, tf1_path in (
        ("conv3d", "tf.layers"),
        ("learn", "tf.contrib"),
        ("conv2d", "tf.contrib.layers"),
        ("LayerNormBasicLSTMCell", "tf.contrib.rnn"),
        ("relu", "tf.nn"),
    ):
        kind, message = facts["errors"][name]
        assert kind == "NotCoveredError"
        assert message.startswith(f"{tf1_path}.{name} is not provided by tf2rec.tf1; ")
        assert "\n" not in message


_DENSE_TAIL = ["activation", "use_bias", "kernel_initializer", "bias_initializer",
               "kernel_regularizer", "bias_regularizer", "activity_regularizer",
               "kernel_constraint", "bias_constraint", "trainable", "name", "reuse"]  # fmt: skip
_CONV = ["inputs", "filters", "kernel_size", "strides", "padding", "data_format",
         "dilation_rate", *_DENSE_TAIL]  # fmt: skip
TF115_SIGNATURES = {
    "dense": ["inputs", "units", *_DENSE_TAIL],
    "conv1d": _CONV,
    "conv2d": _CONV,
    "batch_normalization": [
        "inputs", "axis", "momentum", "epsilon", "center", "scale", "beta_initializer",
        "gamma_initializer", "moving_mean_initializer", "moving_variance_initializer",
        "beta_regularizer", "gamma_regularizer", "beta_constraint", "gamma_constraint",
        "training", "trainable", "name", "reuse", "renorm", "renorm_clipping",
        "renorm_momentum", "fused", "virtual_batch_size", "adjustment",
    ],
}  # fmt: skip


@pytest.mark.parametrize("name", sorted(TF115_SIGNATURES))
def test_functional_layers_take_tf115s_parameters_in_its_order(name):
    import inspect

    from tf2rec.tf1 import layers as tf_layers

    function = getattr(tf_layers, name)
    assert list(inspect.signature(function).parameters) == TF115_SIGNATURES[name]
    assert function.__name__ == name


def test_a_functional_layer_binds_arguments_as_a_python_function_does():
    import tensorflow as tf

    from tf2rec.tf1 import layers as tf_layers

    v1 = tf.compat.v1
    with tf.Graph().as_default():
        x = v1.placeholder(tf.float32, [None, 4])
        y = tf_layers.dense(x, 3, tf.nn.relu, False, name="positional")  # activation, use_bias
        assert y.op.type == "Relu" and v1.trainable_variables()[-1].name == "positional/kernel:0"
        assert len(v1.trainable_variables()) == 1
        with pytest.raises(TypeError, match="unexpected keyword argument 'units_'"):
            tf_layers.dense(x, 3, units_=3)
        with pytest.raises(TypeError, match="missing a required argument: 'units'"):
            tf_layers.dense(x)
