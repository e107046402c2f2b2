"""A session-based recommender as 2018 code had it (GRU4Rec-like: the last clicks through a
GRU, `tf.nn.dynamic_rnn`, a `DropoutWrapper` on the cell's outputs fed a `keep_prob`
placeholder, a softmax over the items), after `tf2rec fix --run-as-tf1` (the cells from
tf2rec.tf1); and its Keras rewrite with a GRU cell in TF1's layout. Its dropout draws inside
the `while_loop` that `dynamic_rnn` builds, once per time step."""

import keras
import numpy as np
import tensorflow as tf
from keras import ops

N_ITEMS, STEPS, EMBEDDING, HIDDEN = 40, 5, 8, 12
NAME_MAP = {
    "session_gru/item_embedding/embeddings": "item_embedding",
    "session_gru/rnn/tf1_gru_cell/gates_kernel": "rnn/gru_cell/gates/kernel",
    "session_gru/rnn/tf1_gru_cell/gates_bias": "rnn/gru_cell/gates/bias",
    "session_gru/rnn/tf1_gru_cell/candidate_kernel": "rnn/gru_cell/candidate/kernel",
    "session_gru/rnn/tf1_gru_cell/candidate_bias": "rnn/gru_cell/candidate/bias",
    "session_gru/softmax_w": "softmax_w",
    "session_gru/softmax_b": "softmax_b",
}


def build(hparams):
    v1 = tf.compat.v1
    from tf2rec.tf1 import nn as tf_nn

    v1.set_random_seed(2018)
    clicks = v1.placeholder(v1.int32, [None, STEPS], name="clicks")
    next_item = v1.placeholder(v1.int32, [None], name="next_item")
    keep_prob = v1.placeholder(v1.float32, name="keep_prob")
    embedding = v1.get_variable(
        "item_embedding", [N_ITEMS, EMBEDDING], initializer=v1.random_normal_initializer(0, 0.1)
    )
    inputs = v1.nn.embedding_lookup(embedding, clicks)
    cell = tf_nn.rnn_cell.GRUCell(HIDDEN)
    cell = tf_nn.rnn_cell.DropoutWrapper(cell, output_keep_prob=keep_prob)
    outputs, _ = v1.nn.dynamic_rnn(cell, inputs, dtype=v1.float32)
    last = outputs[:, -1, :]
    softmax_w = v1.get_variable("softmax_w", [HIDDEN, N_ITEMS])
    softmax_b = v1.get_variable("softmax_b", [N_ITEMS], initializer=v1.zeros_initializer())
    logits = v1.matmul(last, softmax_w) + softmax_b
    loss = v1.reduce_mean(
        v1.nn.sparse_softmax_cross_entropy_with_logits(labels=next_item, logits=logits)
    )
    step = v1.train.get_or_create_global_step()
    return {
        "inputs": {"clicks": clicks, "next_item": next_item},
        "outputs": {"logits": logits},
        "loss": loss,
        "train_op": v1.train.GradientDescentOptimizer(hparams["lr"]).minimize(
            loss, global_step=step
        ),
        "train_feeds": {keep_prob: hparams["keep_prob"]},
        "eval_feeds": {keep_prob: 1.0},
    }


class TF1GRUCell(keras.layers.Layer):
    """TF1's GRUCell in Keras: `[x, h]` times one gates kernel (r, u), the candidate from
    `[x, r * h]`, `h' = u * h + (1 - u) * c`."""

    def __init__(self, units, **kwargs):
        super().__init__(**kwargs)
        self.units = self.state_size = self.output_size = units

    def build(self, input_shape):
        rows = input_shape[-1] + self.units
        self.gates_kernel = self.add_weight((rows, 2 * self.units), name="gates_kernel")
        self.gates_bias = self.add_weight((2 * self.units,), name="gates_bias")
        self.candidate_kernel = self.add_weight((rows, self.units), name="candidate_kernel")
        self.candidate_bias = self.add_weight((self.units,), name="candidate_bias")

    def call(self, inputs, states):
        state = states[0] if isinstance(states, (list, tuple)) else states
        gates = ops.sigmoid(
            ops.matmul(ops.concatenate([inputs, state], 1), self.gates_kernel) + self.gates_bias
        )
        r, u = ops.split(gates, 2, axis=1)
        candidate = ops.matmul(ops.concatenate([inputs, r * state], 1), self.candidate_kernel)
        new = u * state + (1 - u) * ops.tanh(candidate + self.candidate_bias)
        return new, [new]


class SessionGRU(keras.Model):
    def __init__(self, **kwargs):
        super().__init__(name="session_gru", **kwargs)
        self.embedding = keras.layers.Embedding(N_ITEMS, EMBEDDING, name="item_embedding")
        self.rnn = keras.layers.RNN(TF1GRUCell(HIDDEN, name="tf1_gru_cell"), name="rnn")

    def build(self, input_shape=None):
        self.embedding.build((None, STEPS))
        self.rnn.build((None, STEPS, EMBEDDING))
        self.softmax_w = self.add_weight((HIDDEN, N_ITEMS), name="softmax_w")
        self.softmax_b = self.add_weight((N_ITEMS,), initializer="zeros", name="softmax_b")

    def call(self, inputs, training=False):
        last = self.rnn(self.embedding(inputs["clicks"]))
        return ops.matmul(last, self.softmax_w) + self.softmax_b


def make(hparams):
    from tf2rec.migrated.train import make_optimizer

    model = SessionGRU()
    model({"clicks": np.zeros((1, STEPS), np.int32)})
    model.compile(
        optimizer=make_optimizer("sgd", hparams["lr"]),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
    )
    return model


def batches(steps=3, size=16, seed=5):
    rng = np.random.default_rng(seed)
    return {
        "clicks": rng.integers(0, N_ITEMS, (steps, size, STEPS)).astype(np.int32),
        "next_item": rng.integers(0, N_ITEMS, (steps, size)).astype(np.int32),
    }
