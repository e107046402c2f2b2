"""Layers and losses of the migrated model, checked against numpy and TensorFlow's own ops."""

import keras
import numpy as np
import pytest
import tensorflow as tf
from keras import ops

from tf2rec.migrated import (
    ItemTower,
    Linear,
    MLPBlock,
    NegativeSamplingLoss,
    PackedNegativeSamplingLoss,
    SampledSoftmaxLoss,
    UserTower,
)
from tf2rec.migrated.losses import sampled_softmax_from_expected_counts


def np_(x):
    return ops.convert_to_numpy(x)


def test_linear_builds_lazily_from_the_input():
    layer = Linear(3)
    assert not layer.weights
    x = np.arange(8, dtype="float32").reshape(2, 4)
    y = layer(x)
    assert [tuple(w.shape) for w in layer.weights] == [(4, 3), (3,)]
    kernel, bias = np_(layer.kernel).astype(np.float64), np_(layer.bias).astype(np.float64)
    exact = x @ kernel + bias  # float64: exact for these float32 inputs to ~1e-16
    # a float32 dot product of n terms plus a bias, in any order: within gamma_(n+1) of the
    # sum of the terms' magnitudes (Higham, 3.1); n = 4 inputs
    n = x.shape[1] + 1
    gamma = n * 2.0**-24 / (1 - n * 2.0**-24)
    assert np.all(np.abs(np_(y) - exact) <= gamma * (np.abs(x) @ np.abs(kernel) + np.abs(bias)))


@pytest.mark.parametrize(
    "layer",
    [
        Linear(5, name="lin"),
        MLPBlock(6, 3, name="mlp"),
        ItemTower(12, 4, name="it"),
        UserTower(7, 4, 9, init_stddev=0.1, name="ut"),
    ],
)
def test_get_config_round_trip(layer):
    clone = type(layer).from_config(layer.get_config())
    assert clone.get_config() == layer.get_config()


def test_user_tower_is_the_masked_mean_then_the_mlp():
    items, users = ItemTower(10, 4), UserTower(5, 4, 6)
    history = np.array([[3, 1, 0, 0], [0, 0, 0, 0]], dtype="int32")
    user = np.array([2, 4], dtype="int32")
    out = np_(users(user, items(history), history))
    table = np_(items.table)
    mean = np.stack([(table[3] + table[1]) / 2, np.zeros(4, "float32")])
    features = np.concatenate([np_(users.embedding.embeddings)[user], mean], axis=1)
    mlp = users.mlp
    hidden = np.maximum(features @ np_(mlp.hidden.kernel) + np_(mlp.hidden.bias), 0)
    expected = hidden @ np_(mlp.output_layer.kernel) + np_(mlp.output_layer.bias)
    np.testing.assert_allclose(out, expected, rtol=1e-5, atol=1e-7)


def test_user_tower_rejects_wrong_history_shape():
    with pytest.raises(
        ValueError, match=r"expected history vectors \[B, L, 4\], received \(2, 4\)"
    ):
        UserTower(5, 4, 6)(np.array([1, 2]), np.zeros((2, 4), "float32"), np.zeros((2, 3)))


def ns_numpy(logits):
    logits = logits.astype(np.float64)
    log_sigmoid = lambda x: -np.logaddexp(0, -x)  # noqa: E731
    return np.mean(-log_sigmoid(logits[:, 0]) - log_sigmoid(-logits[:, 1:]).sum(axis=1))


def test_negative_sampling_loss_against_numpy():
    logits = np.random.default_rng(0).normal(0, 3, size=(64, 9)).astype("float32")
    assert float(NegativeSamplingLoss()(None, logits)) == pytest.approx(ns_numpy(logits), rel=1e-6)


def test_negative_sampling_loss_matches_tf_sigmoid_cross_entropy_bitwise():
    logits = tf.constant(np.random.default_rng(1).normal(0, 4, size=(32, 6)), tf.float32)
    pos = tf.nn.sigmoid_cross_entropy_with_logits(
        labels=tf.ones_like(logits[:, 0]), logits=logits[:, 0]
    )
    neg = tf.nn.sigmoid_cross_entropy_with_logits(
        labels=tf.zeros_like(logits[:, 1:]), logits=logits[:, 1:]
    )
    per_row = pos + tf.reduce_sum(neg, axis=1)
    ours = NegativeSamplingLoss().call(None, logits)
    assert np.array_equal(np_(ours).view(np.uint32), per_row.numpy().view(np.uint32))


def test_packed_variant_equals_the_implied_label_loss():
    logits = np.random.default_rng(2).normal(size=(16, 5)).astype("float32")
    packed = np.zeros_like(logits)
    packed[:, 0] = 1
    assert float(PackedNegativeSamplingLoss()(packed, logits)) == float(
        NegativeSamplingLoss()(None, logits)
    )


def test_losses_reject_logits_without_negatives():
    with pytest.raises(ValueError, match=r"expected logits \[B, 1 \+ K\].*received shape \(4, 1\)"):
        NegativeSamplingLoss()(None, np.zeros((4, 1), "float32"))


def test_sampled_softmax_matches_tf_nn_sampled_softmax_loss():
    rng = np.random.default_rng(3)
    n_items, dim, batch, num_sampled = 50, 8, 32, 10
    weights = tf.constant(rng.normal(size=(n_items, dim)), tf.float32)
    inputs = tf.constant(rng.normal(size=(batch, dim)), tf.float32)
    labels = rng.integers(0, n_items, size=(batch, 1)).astype("int64")
    labels[:4, 0] = 7  # rows whose positive is also sampled: accidental hits
    sampled_values = tf.random.log_uniform_candidate_sampler(
        true_classes=labels,
        num_true=1,
        num_sampled=num_sampled,
        unique=False,
        range_max=n_items,
        seed=4,
    )
    sampled = np.array(sampled_values.sampled_candidates)
    sampled[0] = 7
    sampled_values = (
        tf.constant(sampled),
        sampled_values.true_expected_count,
        sampled_values.sampled_expected_count,
    )
    # tf's log-uniform q(i) = log((i + 2) / (i + 1)) / log(range_max + 1)
    q = np.log((np.arange(n_items) + 2) / (np.arange(n_items) + 1)) / np.log(n_items + 1)
    sampled_values = (
        sampled_values[0],
        tf.constant(num_sampled * q[labels], tf.float32),
        tf.constant(num_sampled * q[sampled], tf.float32),
    )
    expected = tf.nn.sampled_softmax_loss(
        weights,
        tf.zeros(n_items),
        labels,
        inputs,
        num_sampled,
        n_items,
        sampled_values=sampled_values,
        remove_accidental_hits=True,
    ).numpy()

    ids = np.concatenate([labels, np.broadcast_to(sampled, (batch, num_sampled))], axis=1)
    logits = np.einsum("bd,bkd->bk", inputs.numpy(), weights.numpy()[ids])
    per_row = sampled_softmax_from_expected_counts(
        logits.astype("float32"), ids, np.log(num_sampled * q[ids]).astype("float32")
    )
    np.testing.assert_allclose(np_(per_row), expected, rtol=1e-5)
    loss = SampledSoftmaxLoss(q, num_sampled)(ids, logits.astype("float32"))
    assert float(loss) == pytest.approx(expected.mean(), rel=1e-5)


def test_sampled_softmax_config_round_trip():
    loss = SampledSoftmaxLoss([0.0, 0.5, 0.5], 4, remove_accidental_hits=False)
    clone = keras.losses.deserialize(keras.losses.serialize(loss))
    assert clone.get_config() == loss.get_config()


def test_embedding_table_reads_only_the_looked_up_rows():
    from tf2rec.migrated import EmbeddingTable

    table = EmbeddingTable(50, 3)
    ids = np.array([[4, 4, 7], [0, 49, 4]], dtype="int32")
    out = table(ids)
    np.testing.assert_array_equal(np_(out), np_(table.embeddings)[ids])
    with tf.GradientTape() as tape:
        loss = tf.reduce_sum(table(ids))
    (grad,) = tape.gradient(loss, [table.embeddings])
    assert isinstance(grad, tf.IndexedSlices)  # sparse: the optimizer touches only these rows
    assert sorted(np_(grad.indices).tolist()) == sorted(ids.ravel().tolist())


@pytest.mark.parametrize("shards", [1, 3])
def test_a_table_is_drawn_block_by_block_from_the_normal_distribution(shards):
    """Built in blocks of DRAW_ROWS rows (so that no table-sized temporary is left in the
    process): every row drawn, the last partial block too, N(0, 0.05) within five standard
    errors of its mean and standard deviation, the same draw after the same seed."""
    from tf2rec.migrated import EmbeddingTable
    from tf2rec.migrated.layers import DRAW_ROWS

    rows, dim, stddev = 3 * DRAW_ROWS + 5, 64, 0.05

    def drawn(seed):
        keras.utils.set_random_seed(seed)
        table = EmbeddingTable(rows, dim, stddev, shards=shards)
        table.build()
        return np_(table.table)

    values = drawn(1)
    assert values.shape == (rows, dim) and np.all(np.abs(values).max(axis=1) > 0)
    n = values.size
    assert abs(values.mean()) < 5 * stddev / np.sqrt(n)
    assert abs(values.std() - stddev) < 5 * stddev / np.sqrt(2 * n)
    # blocks are not repeats of each other
    assert not np.array_equal(values[:DRAW_ROWS], values[DRAW_ROWS : 2 * DRAW_ROWS])
    np.testing.assert_array_equal(drawn(1), values)
    assert not np.array_equal(drawn(2), values)
