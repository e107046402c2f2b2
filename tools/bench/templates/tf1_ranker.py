# A TF1 ranking script in the plain `tensorflow` namespace: most of its lines have a fix.
import numpy as np
import tensorflow as tf
from tensorflow import gfile


def ranker(features, n_items, dim=16, keep_prob=0.8):
    """Score every item for each row of `features`."""
    init = tf.random_normal_initializer()
    with tf.variable_scope("ranker", reuse=tf.AUTO_REUSE):
        w = tf.get_variable("w", [features.shape[1].value, dim], initializer=init)
        items = tf.get_variable("items", [n_items, dim], initializer=init)
    hidden = tf.nn.dropout(tf.nn.relu(tf.matmul(features, w)), keep_prob)
    scores = tf.matmul(hidden, items, transpose_b=True)
    norm = tf.reduce_sum(tf.square(hidden), reduction_indices=1, keep_dims=True)
    return scores - tf.log(1.0 + norm), tf.argmax(scores, 1, "best")


def loss_of(scores, labels):
    labels = tf.to_float(labels)
    probs = tf.nn.softmax(scores, dim=-1)
    return tf.reduce_mean(-tf.reduce_sum(labels * tf.log(probs + 1e-8), axis=1))


def train(path, steps=100):
    with gfile.GFile(path) as handle:
        rows = np.loadtxt(handle, delimiter=",")
    features = tf.placeholder(tf.float32, [None, rows.shape[1] - 1])
    labels = tf.placeholder(tf.int32, [None, 8])
    scores, best = ranker(features, 8)
    loss = loss_of(scores, labels)
    optimizer = tf.train.AdagradOptimizer(0.1)
    train_op = optimizer.minimize(loss, global_step=tf.train.get_or_create_global_step())
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        for _ in range(steps):
            sess.run(train_op, feed_dict={features: rows[:, 1:], labels: np.eye(8)[rows[:, 0]]})
        return sess.run(best, {features: rows[:, 1:]})
