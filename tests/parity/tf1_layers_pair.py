"""A TF1 model as `tf2rec fix --run-as-tf1` leaves a 2018 one (tf.layers from tf2rec.tf1):
a dropout under an `is_training` placeholder (a random op inside `tf.cond`), an int32
`global_step` of its own that its own train op increments, no graph seed; and its Keras 3
rewrite."""

import keras
import numpy as np
import tensorflow as tf

from tf2rec import tf1 as tf1_runtime

FEATURES, HIDDEN, RATE = 6, 8, 0.3


def build(hparams):
    x = tf.compat.v1.placeholder(tf.compat.v1.float32, [None, FEATURES], name="x")
    y = tf.compat.v1.placeholder(tf.compat.v1.float32, [None], name="y")
    is_training = tf.compat.v1.placeholder(tf.compat.v1.bool, [], name="is_training")
    global_step = tf.compat.v1.Variable(0, trainable=False, name="global_step")  # int32
    h = tf1_runtime.layers.dense(x, HIDDEN, activation=tf.compat.v1.nn.relu, name="hidden")
    h = tf1_runtime.layers.dropout(h, rate=RATE, training=is_training)
    logit = tf.compat.v1.squeeze(tf1_runtime.layers.dense(h, 1, name="out"), [1])
    loss = tf.compat.v1.reduce_mean(
        tf.compat.v1.nn.sigmoid_cross_entropy_with_logits(labels=y, logits=logit)
    )
    optimizer = tf.compat.v1.train.GradientDescentOptimizer(hparams["lr"])
    return {
        "inputs": {"x": x, "label": y},
        "outputs": {"logit": logit},
        "loss": loss,
        "train_op": optimizer.minimize(loss, global_step=global_step),
        "train_feeds": {is_training: True},
        "eval_feeds": {is_training: False},
    }


def make(hparams):
    from tf2rec.migrated.deepfm import ClickLoss
    from tf2rec.migrated.train import make_optimizer

    x = keras.Input((FEATURES,), name="x")
    h = keras.layers.Dense(HIDDEN, activation="relu", name="hidden")(x)
    h = keras.layers.Dropout(RATE)(h)
    logit = keras.layers.Reshape(())(keras.layers.Dense(1, name="out")(h))
    model = keras.Model({"x": x}, logit)
    model.compile(optimizer=make_optimizer(hparams["optimizer"], hparams["lr"]), loss=ClickLoss())
    return model


def batches(steps=4, size=16, seed=3):
    rng = np.random.default_rng(seed)
    return {
        "x": rng.standard_normal((steps, size, FEATURES)).astype(np.float32),
        "label": (rng.random((steps, size)) < 0.5).astype(np.float32),
    }
