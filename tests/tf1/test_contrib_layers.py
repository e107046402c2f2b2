"""`tf2rec.tf1.contrib.layers` against raw `tf.compat.v1` graphs (bitwise: outputs,
gradients, three SGD steps with the update ops) and against TF 1.15's documented formulas
(regularizers, initializers, layer_norm, embed_sequence, batch_norm's decay) in numpy."""

import math

import numpy as np
import pytest

from tests.tf1.conftest import U32, gamma, pair_mismatches

PROGRAM = r'''
import numpy as np
import tensorflow as tf
tf.compat.v1.disable_v2_behavior()
v1 = tf.compat.v1
from tf2rec.tf1 import contrib
from tests.tf1.graph_pair import run_pair

layers = contrib.layers
rng = np.random.default_rng(1)
results = {}
DECAY = 0.999

def model_weight(name, shape, init=None, trainable=True):
    return v1.get_variable(name, shape, initializer=init, trainable=trainable,
                           collections=[v1.GraphKeys.GLOBAL_VARIABLES,
                                        v1.GraphKeys.MODEL_VARIABLES])

def ref_fully_connected(x, units, scope, activation=tf.nn.relu, l2=None):
    with v1.variable_scope(scope):
        w = model_weight("weights", [int(x.shape[-1]), units])
        b = model_weight("biases", [units], v1.zeros_initializer())
        if l2 is not None:
            v1.add_to_collection(v1.GraphKeys.REGULARIZATION_LOSSES,
                                 tf.multiply(tf.constant(l2), tf.nn.l2_loss(w)))
    y = tf.nn.bias_add(tf.matmul(x, w), b)
    return activation(y) if activation else y

def ref_contrib_bn_rank2(x, is_training, scope="BatchNorm", scale=False, in_place=False):
    """contrib's fused path for a rank-2 input, written out."""
    c = int(x.shape[-1])
    with v1.variable_scope(scope):
        beta = model_weight("beta", [c], v1.zeros_initializer())
        gamma = model_weight("gamma", [c], v1.ones_initializer()) if scale else tf.ones([c])
        mm = model_weight("moving_mean", [c], v1.zeros_initializer(), False)
        mv = model_weight("moving_variance", [c], v1.ones_initializer(), False)
    x4 = tf.reshape(x, [-1, 1, 1, c])
    train = lambda: v1.nn.fused_batch_norm(x4, gamma, beta, epsilon=0.001)
    infer = lambda: v1.nn.fused_batch_norm(x4, gamma, beta, mean=mm, variance=mv,
                                           epsilon=0.001, is_training=False)
    y, mean, var = (train() if is_training is True else v1.cond(is_training, train, infer))
    updates = lambda: (v1.assign_sub(mm, (mm - mean) * (1.0 - DECAY)),
                       v1.assign_sub(mv, (mv - var) * (1.0 - DECAY)))
    if in_place:
        with tf.control_dependencies(updates()):
            y = tf.identity(y)
    else:
        for u in v1.cond(is_training, updates, lambda: (mm, mv)):
            v1.add_to_collection(v1.GraphKeys.UPDATE_OPS, u)
    return tf.reshape(y, tf.shape(x))

def regularized(loss):
    return loss + tf.add_n(v1.get_collection(v1.GraphKeys.REGULARIZATION_LOSSES))

# A CTR tower: fully_connected + l2_regularizer, batch_norm behind is_training, a logit.
def ctr_runtime(i):
    h = layers.fully_connected(i["x"], 8, weights_regularizer=layers.l2_regularizer(0.01))
    h = layers.batch_norm(h, is_training=i["is_training"])
    y = layers.fully_connected(h, 1, activation_fn=None)
    return {"y": y}, regularized(tf.reduce_mean(tf.square(y - 1.0)))

def ctr_reference(i):
    h = ref_fully_connected(i["x"], 8, "fully_connected", l2=0.01)
    h = ref_contrib_bn_rank2(h, i["is_training"])
    y = ref_fully_connected(h, 1, "fully_connected_1", activation=None)
    return {"y": y}, regularized(tf.reduce_mean(tf.square(y - 1.0)))

x = rng.normal(size=(16, 6)).astype(np.float32)
for training in (True, False):
    results.update(run_pair(f"ctr_{training}", ctr_runtime, ctr_reference,
                            {"x": x, "is_training": np.array(training)}))

# batch_norm updating in place (updates_collections=None), scale=True, is_training a bool.
def inplace_runtime(i):
    h = layers.batch_norm(i["x"], scale=True, updates_collections=None, is_training=True)
    return {"h": h}, tf.reduce_sum(tf.square(h - 0.5))

def inplace_reference(i):
    h = ref_contrib_bn_rank2(i["x"], True, scale=True, in_place=True)
    return {"h": h}, tf.reduce_sum(tf.square(h - 0.5))

results.update(run_pair("inplace", inplace_runtime, inplace_reference, {"x": x}))

# batch_norm of a rank-3 input: TF 1.15 ran the core layer (unfused) under `BatchNorm`.
def rank3_runtime(i):
    h = layers.batch_norm(i["seq"], center=True, scale=True, is_training=i["is_training"])
    return {"h": h}, tf.reduce_sum(tf.square(h - 0.5))

def rank3_reference(i):
    with v1.variable_scope("BatchNorm"):
        gamma = model_weight("gamma", [3], v1.ones_initializer())
        beta = model_weight("beta", [3], v1.zeros_initializer())
        mm = model_weight("moving_mean", [3], v1.zeros_initializer(), False)
        mv = model_weight("moving_variance", [3], v1.ones_initializer(), False)
    batch_mean, batch_var = v1.nn.moments(i["seq"], [0, 1])
    t = i["is_training"]
    mean = v1.cond(t, lambda: batch_mean, lambda: tf.convert_to_tensor(mm))
    var = v1.cond(t, lambda: batch_var, lambda: tf.convert_to_tensor(mv))
    for m, v in ((mm, mean), (mv, var)):
        u = v1.cond(t, lambda m=m, v=v: v1.assign_sub(m, (m - v) * (1.0 - DECAY)),
                    lambda m=m: m)
        v1.add_to_collection(v1.GraphKeys.UPDATE_OPS, u.op)
    h = tf.nn.batch_normalization(i["seq"], mean, var, beta, gamma, 0.001)
    return {"h": h}, tf.reduce_sum(tf.square(h - 0.5))

seq = rng.normal(size=(4, 5, 3)).astype(np.float32)
results.update(run_pair("rank3", rank3_runtime, rank3_reference,
                        {"seq": seq, "is_training": np.array(True)}))

# embed_sequence -> layer_norm -> linear, penalised by apply_regularization(l1_l2).
def emb_runtime(i):
    e = layers.embed_sequence(i["ids"], vocab_size=20, embed_dim=4)
    n = layers.layer_norm(e)
    y = layers.linear(layers.flatten(n), 2)
    penalty = layers.apply_regularization(layers.l1_l2_regularizer(0.01, 0.02),
                                          [v for v in v1.trainable_variables()
                                           if "weights" in v.name])
    return {"e": e, "n": n, "y": y}, tf.reduce_mean(tf.square(y)) + penalty

def emb_reference(i):
    with v1.variable_scope("EmbedSequence"):
        table = model_weight("embeddings", [20, 4])
    e = v1.nn.embedding_lookup(table, i["ids"])
    with v1.variable_scope("LayerNorm"):
        beta = model_weight("beta", [4], v1.zeros_initializer())
        gamma = model_weight("gamma", [4], v1.ones_initializer())
    mean, var = v1.nn.moments(e, [1, 2], keep_dims=True)
    n = tf.nn.batch_normalization(e, mean, var, beta, gamma, 1e-12)
    y = ref_fully_connected(tf.reshape(n, [-1, 20]), 2, "fully_connected", activation=None)
    w = v1.get_collection(v1.GraphKeys.MODEL_VARIABLES, "fully_connected/weights")[0]
    # TF1's apply_regularization named its add_n, which makes a one-penalty sum an Identity
    # (and so decides the order in which tf.gradients adds w's three contributions)
    penalty = tf.add_n([tf.add_n([tf.multiply(tf.constant(0.01), tf.reduce_sum(tf.abs(w))),
                                  tf.multiply(tf.constant(0.02), tf.nn.l2_loss(w))])],
                       name="get_regularization_penalty")
    return {"e": e, "n": n, "y": y}, tf.reduce_mean(tf.square(y)) + penalty

ids = rng.integers(0, 20, size=(6, 5)).astype(np.int32)
results.update(run_pair("emb", emb_runtime, emb_reference, {"ids": ids}))

# Formulas: regularizers, initializers, layer_norm, embed_sequence, batch_norm's decay.
graph = tf.Graph()
with graph.as_default():
    v1.set_random_seed(3)
    w = tf.constant(rng.normal(size=(50, 40)).astype(np.float32))
    fetch = {
        "w": w,
        "l2": layers.l2_regularizer(0.3)(w),
        "l1": layers.l1_regularizer(0.3)(w),
        "l1_l2": layers.l1_l2_regularizer(0.3, 0.2)(w),
        "xavier": layers.xavier_initializer()([300, 200]),
        "xavier_normal": layers.xavier_initializer(uniform=False)([300, 200]),
        "he": layers.variance_scaling_initializer()([3, 3, 40, 300]),
        "ln": layers.layer_norm(tf.constant(np.array([[[3, 5], [3, 5]], [[1, 1], [1, 9]]],
                                                     np.float32))),
    }
    ids = tf.constant([[3, 1, 3], [0, 3, 2]])
    fetch["emb"] = layers.embed_sequence(ids, 5, 2, scope="plain")
    fetch["emb_unique"] = layers.embed_sequence(ids, 5, 2, unique=True, scope="unique")
    exact = np.stack([np.array([3.0, 5.0] * 4, np.float32), np.full(8, 4.0, np.float32)], 1)
    bn = layers.batch_norm(tf.constant(exact), is_training=True, scope="exact")
    tables = {v.op.name: v for v in v1.global_variables()}
    fetch["plain_table"] = tables["plain/embeddings"]
    fetch["unique_table"] = tables["unique/embeddings"]
    with v1.Session() as sess:
        sess.run(v1.global_variables_initializer())
        for key, value in sess.run(fetch).items():
            results["formula/" + key] = value
        sess.run(v1.get_collection(v1.GraphKeys.UPDATE_OPS, "exact"))
        results["formula/bn_moving_mean"] = sess.run(tables["exact/moving_mean"])
    results["formula/disabled"] = np.array(layers.l2_regularizer(0.0)(w) is None)
np.savez("results.npz", **results)
'''


@pytest.mark.parametrize("pair", ["ctr_True", "ctr_False", "inplace", "rank3", "emb"])
def test_contrib_layers_equal_their_raw_ops_graph_bitwise(tf1_results, pair):
    assert pair_mismatches(tf1_results, pair) == []


def test_the_ctr_pair_trains_the_moving_averages_with_the_update_ops(tf1_results):
    moved = tf1_results["ctr_True/runtime/var/BatchNorm/moving_mean"]
    assert not np.array_equal(moved, np.zeros_like(moved))
    losses = tf1_results["ctr_True/runtime/losses"]
    assert losses[-1] < losses[0]


def test_l2_regularizer_is_scale_times_half_the_sum_of_squares(tf1_results):
    w = tf1_results["formula/w"].astype(np.float64)
    exact = 0.3 * np.sum(w * w) / 2
    # n squares and n - 1 additions (gamma_n over positive terms), the product with the
    # scale and the scale's own float32 rounding: gamma_(n+2) of the value
    assert abs(float(tf1_results["formula/l2"]) - exact) <= gamma(w.size + 2) * exact
    assert abs(exact - 0.3 * np.sum(w * w)) > gamma(w.size + 2) * exact  # Keras' L2 has no 1/2


def test_l1_and_l1_l2_regularizers_follow_their_formulas(tf1_results):
    w = tf1_results["formula/w"].astype(np.float64)
    l1, l2 = 0.3 * np.abs(w).sum(), 0.2 * np.sum(w * w) / 2
    assert abs(float(tf1_results["formula/l1"]) - l1) <= gamma(w.size + 1) * l1
    # each part's bound, then one more rounding for their sum
    l1_l2 = float(tf1_results["formula/l1_l2"])
    assert abs(l1_l2 - (0.3 * np.abs(w).sum() + l2)) <= (gamma(w.size + 2) + U32) * (l1 + l2)


def test_a_zero_scale_disables_the_regularizer(tf1_results):
    assert bool(tf1_results["formula/disabled"])


def _sample_std_within(values, sigma, sd=5):
    """The sample standard deviation of n draws is within `sd` standard errors of sigma
    (its standard error is about sigma * sqrt((kurtosis - 1) / (4 n)); kurtosis <= 3 here)."""
    n = values.size
    return abs(values.std() - sigma) <= sd * sigma * math.sqrt(2 / (4 * n))


def test_xavier_initializer_is_uniform_within_sqrt_6_over_fan_in_plus_fan_out(tf1_results):
    values = tf1_results["formula/xavier"].astype(np.float64)
    limit = math.sqrt(6.0 / (300 + 200))
    # rnd * 2 limit - limit with rnd in [0, 1): inside [-limit, limit] up to two roundings
    assert values.min() >= -limit * (1 + 2 * U32) and values.max() <= limit * (1 + 2 * U32)
    assert values.max() > 0.99 * limit and values.min() < -0.99 * limit
    assert _sample_std_within(values, limit / math.sqrt(3))


def test_contrib_variance_scaling_uses_its_own_truncated_normal_stddev(tf1_results):
    # contrib: stddev sqrt(1.3 * factor / n) truncated at 2 stddev (a standard normal
    # truncated at +-2 has standard deviation 0.8796); He default: factor 2, n = fan_in
    for key, factor, n in (("he", 2.0, 3 * 3 * 40), ("xavier_normal", 1.0, (300 + 200) / 2)):
        values = tf1_results["formula/" + key].astype(np.float64)
        stddev = math.sqrt(1.3 * factor / n)
        assert np.abs(values).max() <= 2 * stddev * (1 + 4 * U32), key
        assert _sample_std_within(values, 0.87962566103423978 * stddev), key


def test_layer_norm_normalises_each_example_over_all_its_axes(tf1_results):
    # example 0 is {3, 5, 3, 5}: mean 4, variance 1, exact in float32, and 1 + 1e-12 rounds
    # to 1, so TF's x * inv + (0 - mean * inv) is exactly x - 4
    ln = tf1_results["formula/ln"]
    assert ln[0].tobytes() == np.array([[-1, 1], [-1, 1]], np.float32).tobytes()
    x = np.array([1.0, 1.0, 1.0, 9.0])  # mean 3, variance 12
    expected = (x - 3.0) / math.sqrt(12.0)
    # roundings of the mean, variance, rsqrt and the two products and sums: each at most
    # u of a term below 9 / sqrt(12); the Rsqrt kernel is counted as 2 ulp
    assert np.abs(ln[1].ravel() - expected).max() <= 10 * U32 * 9.0 / math.sqrt(12.0) * 2


def test_embed_sequence_gathers_rows_of_its_table(tf1_results):
    ids = np.array([[3, 1, 3], [0, 3, 2]])
    for key, table in (("emb", "plain_table"), ("emb_unique", "unique_table")):
        expected = tf1_results["formula/" + table][ids]
        assert tf1_results["formula/" + key].tobytes() == expected.tobytes(), key


def test_contrib_batch_norm_decays_with_0_999_computed_in_python(tf1_results):
    d = np.float32(1.0 - 0.999)
    expected = np.array([4 * d, 4 * d], np.float32)
    assert tf1_results["formula/bn_moving_mean"].tobytes() == expected.tobytes()
