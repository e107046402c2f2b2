"""`tf2rec.tf1.layers` against the same graphs written in raw `tf.compat.v1` ops (TF1's
kernels in TF 1.15's order): outputs, gradients and three SGD steps bitwise; and batch
normalisation's and dropout's arithmetic against TF 1.15's documented formulas in numpy."""

import numpy as np
import pytest

from tests.tf1.conftest import U32, pair_mismatches

PROGRAM = r"""
import numpy as np
import tensorflow as tf
tf.compat.v1.disable_v2_behavior()
v1 = tf.compat.v1
from tf2rec.tf1 import contrib, layers as tf_layers
from tests.tf1.graph_pair import run_pair

rng = np.random.default_rng(0)
results = {}

def weight(name, shape, init=None, trainable=True):
    return v1.get_variable(name, shape, initializer=init, trainable=trainable)

def ref_dense(x, units, name, activation=None, reg=None):
    with v1.variable_scope(name):
        w = weight("kernel", [int(x.shape[-1]), units])
        b = weight("bias", [units], v1.zeros_initializer())
        if reg is not None:
            with tf.name_scope("kernel/Regularizer"):
                v1.add_to_collection(v1.GraphKeys.REGULARIZATION_LOSSES,
                                     tf.multiply(tf.constant(reg), tf.nn.l2_loss(w)))
    if x.shape.ndims > 2:
        y = tf.tensordot(x, w, [[x.shape.ndims - 1], [0]])
    else:
        y = tf.matmul(x, w)
    y = tf.nn.bias_add(y, b)
    return activation(y) if activation else y

def ref_bn_variables(name, channels):
    with v1.variable_scope(name):
        return (weight("gamma", [channels], v1.ones_initializer()),
                weight("beta", [channels], v1.zeros_initializer()),
                weight("moving_mean", [channels], v1.zeros_initializer(), False),
                weight("moving_variance", [channels], v1.ones_initializer(), False))

def ref_bn_unfused(x, training, name, momentum=0.99, eps=1e-3):
    gamma, beta, mm, mv = ref_bn_variables(name, int(x.shape[-1]))
    batch_mean, batch_var = v1.nn.moments(x, [0])
    mean = v1.cond(training, lambda: batch_mean, lambda: tf.convert_to_tensor(mm))
    var = v1.cond(training, lambda: batch_var, lambda: tf.convert_to_tensor(mv))
    for moving, value in ((mm, mean), (mv, var)):
        update = v1.cond(training,
                         lambda m=moving, v=value: v1.assign_sub(m, (m - v) * (1.0 - momentum)),
                         lambda m=moving: m)
        v1.add_to_collection(v1.GraphKeys.UPDATE_OPS, update.op)
    return tf.nn.batch_normalization(x, mean, var, beta, gamma, eps)

def ref_bn_fused(x, training, name, momentum=0.99, eps=1e-3):
    gamma, beta, mm, mv = ref_bn_variables(name, int(x.shape[-1]))
    y, mean, var = v1.cond(
        training,
        lambda: v1.nn.fused_batch_norm(x, gamma, beta, epsilon=eps),
        lambda: v1.nn.fused_batch_norm(x, gamma, beta, mean=mm, variance=mv, epsilon=eps,
                                       is_training=False))
    decay = 1.0 - v1.cond(training, lambda: tf.constant(momentum), lambda: tf.constant(1.0))
    for moving, value in ((mm, mean), (mv, var)):
        v1.add_to_collection(v1.GraphKeys.UPDATE_OPS,
                             v1.assign_sub(moving, (moving - value) * decay).op)
    return y

def ref_dropout(x, rate, training, seed):
    def drop():
        r = tf.constant(rate)
        mask = v1.random_uniform(tf.shape(x), seed=seed) >= r
        return x * (1 / (1 - r)) * tf.cast(mask, tf.float32)
    return v1.cond(training, drop, lambda: tf.identity(x))

def regularized(loss):
    return loss + tf.add_n(v1.get_collection(v1.GraphKeys.REGULARIZATION_LOSSES))

# An MLP: dense + L2, unfused batch norm and dropout behind an is_training placeholder.
def mlp_runtime(i):
    h = tf_layers.dense(i["x"], 8, activation=tf.nn.relu,
                        kernel_regularizer=contrib.layers.l2_regularizer(0.01))
    h = tf_layers.batch_normalization(h, training=i["training"])
    h = tf_layers.dropout(h, 0.3, training=i["training"], seed=3)
    y = tf_layers.dense(h, 1)
    return {"y": y}, regularized(tf.reduce_mean(tf.square(y - 1.0)))

def mlp_reference(i):
    h = ref_dense(i["x"], 8, "dense", tf.nn.relu, reg=0.01)
    h = ref_bn_unfused(h, i["training"], "batch_normalization")
    h = ref_dropout(h, 0.3, i["training"], 3)
    y = ref_dense(h, 1, "dense_1")
    return {"y": y}, regularized(tf.reduce_mean(tf.square(y - 1.0)))

x = rng.normal(size=(16, 6)).astype(np.float32)
for training in (True, False):
    results.update(run_pair(f"mlp_{training}", mlp_runtime, mlp_reference,
                            {"x": x, "training": np.array(training)}))

# A sequence model: dense on rank 3 (tensordot), conv1d and both 1-D poolings.
def seq_runtime(i):
    d = tf_layers.dense(i["seq"], 3)
    c = tf_layers.conv1d(i["seq"], 4, 2, activation=tf.nn.relu)
    p = tf_layers.max_pooling1d(c, 2, 1) + tf_layers.average_pooling1d(c, 2, 1)
    return {"d": d, "p": p}, tf.reduce_sum(tf.square(d)) + tf.reduce_sum(tf.square(p))

def seq_reference(i):
    d = ref_dense(i["seq"], 3, "dense")
    with v1.variable_scope("conv1d"):
        w, b = weight("kernel", [2, 4, 4]), weight("bias", [4], v1.zeros_initializer())
    c = tf.nn.relu(tf.nn.bias_add(v1.nn.conv1d(i["seq"], w, 1, "VALID"), b))
    e = tf.expand_dims(c, 2)
    p = (tf.squeeze(v1.nn.max_pool(e, [1, 2, 1, 1], [1, 1, 1, 1], "VALID"), 2)
         + tf.squeeze(v1.nn.avg_pool(e, [1, 2, 1, 1], [1, 1, 1, 1], "VALID"), 2))
    return {"d": d, "p": p}, tf.reduce_sum(tf.square(d)) + tf.reduce_sum(tf.square(p))

results.update(run_pair("seq", seq_runtime, seq_reference,
                        {"seq": rng.normal(size=(5, 7, 4)).astype(np.float32)}))

# A small CNN: conv2d, fused batch norm (4-D), 2-D poolings, flatten, dense.
def cnn_runtime(i):
    c = tf_layers.conv2d(i["img"], 3, 3, padding="same", activation=tf.nn.relu)
    c = tf_layers.batch_normalization(c, training=i["training"])
    c = tf_layers.max_pooling2d(c, 2, 2)
    c = tf_layers.average_pooling2d(c, 2, 1)
    y = tf_layers.dense(tf_layers.flatten(c), 2)
    return {"y": y}, tf.reduce_mean(tf.square(y))

def cnn_reference(i):
    with v1.variable_scope("conv2d"):
        w, b = weight("kernel", [3, 3, 2, 3]), weight("bias", [3], v1.zeros_initializer())
    c = tf.nn.relu(tf.nn.bias_add(v1.nn.conv2d(i["img"], w, [1, 1, 1, 1], "SAME"), b))
    c = ref_bn_fused(c, i["training"], "batch_normalization")
    c = v1.nn.max_pool(c, [1, 2, 2, 1], [1, 2, 2, 1], "VALID")
    c = v1.nn.avg_pool(c, [1, 2, 2, 1], [1, 1, 1, 1], "VALID")
    y = ref_dense(tf.reshape(c, [-1, 2 * 2 * 3]), 2, "dense")
    return {"y": y}, tf.reduce_mean(tf.square(y))

img = rng.normal(size=(4, 6, 6, 2)).astype(np.float32)
for training in (True, False):
    results.update(run_pair(f"cnn_{training}", cnn_runtime, cnn_reference,
                            {"img": img, "training": np.array(training)}))

# TF 1.15's batch-norm arithmetic on data whose statistics are exact in float32:
# column 0 alternates 3 and 5 (mean 4, population variance 1), column 1 is all 4.
column0 = np.array([3.0, 5.0] * 4, np.float32)
exact = np.stack([column0, np.full(8, 4.0, np.float32)], axis=1)
for kind, shape in (("unfused", [8, 2]), ("fused", [8, 1, 1, 2])):
    graph = tf.Graph()
    with graph.as_default():
        y = tf_layers.batch_normalization(tf.constant(exact.reshape(shape)), training=True)
        updates = v1.get_collection(v1.GraphKeys.UPDATE_OPS)
        moving = [v for v in v1.global_variables() if "moving" in v.name]
        rsqrt = tf.math.rsqrt(tf.constant(1.0, tf.float32) + tf.constant(1e-3, tf.float32))
        with v1.Session() as sess:
            sess.run(v1.global_variables_initializer())
            results[f"bn_{kind}/y"], results[f"bn_{kind}/rsqrt"] = sess.run([y, rsqrt])
            sess.run(updates)
            mean, variance = sess.run(moving)
            results[f"bn_{kind}/moving_mean"] = mean
            results[f"bn_{kind}/moving_variance"] = variance

# TF 1.15's dropout arithmetic: x * (1 / (1 - rate)) * mask, in float32.
graph = tf.Graph()
with graph.as_default():
    signs = np.tile(np.array([1.0, -1.0], np.float32), (5000, 1))
    dropped = tf_layers.dropout(tf.constant(signs), 0.3, training=True, seed=1)
    with v1.Session() as sess:
        results["dropout/out"] = sess.run(dropped)

np.savez("results.npz", **results)
"""


@pytest.mark.parametrize("pair", ["mlp_True", "mlp_False", "seq", "cnn_True", "cnn_False"])
def test_layers_equal_their_raw_ops_graph_bitwise(tf1_results, pair):
    # outputs, every gradient, the three losses and every variable after three SGD steps
    # (the moving averages included, through UPDATE_OPS)
    assert pair_mismatches(tf1_results, pair) == []


def test_the_pairs_compare_moving_averages_that_moved(tf1_results):
    start = np.zeros(8, np.float32)
    moved = tf1_results["mlp_True/runtime/var/batch_normalization/moving_mean"]
    assert not np.array_equal(moved, start)
    kept = tf1_results["mlp_False/runtime/var/batch_normalization/moving_mean"]
    assert np.array_equal(kept, start)  # training=False runs no update


def test_unfused_batch_norm_uses_the_population_variance_and_a_python_decay(tf1_results):
    # TF 1.15: decay = 1.0 - momentum computed in Python, then one float32 rounding;
    # here every product is exact (powers of two) except the final 1 - d of column 1.
    d = np.float32(1.0 - 0.99)
    mean = tf1_results["bn_unfused/moving_mean"]
    variance = tf1_results["bn_unfused/moving_variance"]
    assert mean.tobytes() == np.array([4 * d, 4 * d], np.float32).tobytes()
    # column 0's population variance is exactly 1, so its moving variance stays 1
    assert variance.tobytes() == np.array([1.0, np.float32(1.0) - d], np.float32).tobytes()


def test_fused_batch_norm_uses_bessels_correction_and_a_float32_decay(tf1_results):
    # TF 1.15's fused path made momentum a tensor first: d = float32(1) - float32(0.99)
    d = np.float32(1.0) - np.float32(0.99)
    assert d != np.float32(1.0 - 0.99)  # the two decays differ, so the check can fail
    mean = tf1_results["bn_fused/moving_mean"]
    variance = tf1_results["bn_fused/moving_variance"]
    assert mean.tobytes() == np.array([4 * d, 4 * d], np.float32).tobytes()
    assert variance[1] == np.float32(1.0) - d
    # column 0: the batch variance with Bessel's correction, 8/7; the kernel rounds it at
    # most twice (mean of exact squares, times n/(n-1)) and the update rounds twice more,
    # all on values below 2: bound 4 u * 2
    expected = 1.0 - (1.0 - 8.0 / 7.0) * float(d)
    assert abs(float(variance[0]) - expected) <= 4 * U32 * 2
    assert abs(1.0 - expected) > 4 * U32 * 2  # without the correction it would fail


def test_batch_norm_output_is_the_documented_formula(tf1_results):
    # y = (x - mean) / sqrt(var + eps) * gamma + beta, gamma 1, beta 0, eps 1e-3. TF's
    # batch_normalization computes x * inv + (beta - mean * inv); its roundings are at
    # most u of |x inv| (<= 5), |mean inv| (4), the difference (4) and the sum (1): 14 u,
    # plus the Rsqrt kernel's own error at 1.001, read from the kernel itself.
    inv_exact = 1.0 / np.sqrt(np.float64(np.float32(1.0) + np.float32(1e-3)))
    for kind in ("unfused", "fused"):
        inv = float(tf1_results[f"bn_{kind}/rsqrt"])
        y = tf1_results[f"bn_{kind}/y"].reshape(8, 2)
        expected = np.stack([(column0_values() - 4.0) * inv_exact, np.zeros(8)], axis=1)
        bound = 14 * U32 + 5 * abs(inv - inv_exact)
        assert np.abs(y - expected).max() <= bound, kind


def column0_values():
    return np.array([3.0, 5.0] * 4)


def test_dropout_is_tf1s_scale_times_mask_in_float32(tf1_results):
    out = tf1_results["dropout/out"]
    scale = np.float32(1.0) / (np.float32(1.0) - np.float32(0.3))
    positive, negative = out[:, 0], out[:, 1]
    assert set(positive.tolist()) == {0.0, float(scale)}
    assert set(negative.tolist()) == {0.0, -float(scale)}
    # a dropped -1 is -1 * scale * 0 = -0.0 in TF 1.15 (TF 2's select gives +0.0)
    assert np.all(np.signbit(negative[negative == 0]))
    # the kept fraction is 0.7 within 5 standard errors of a binomial over 5,000 draws
    kept = np.mean(positive != 0)
    assert abs(kept - 0.7) <= 5 * np.sqrt(0.7 * 0.3 / 5000)
