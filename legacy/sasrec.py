"""A self-attention sequential recommender written as TF1 code was in 2018 (SASRec-like).

The third example pair's "before": `input_seq` / `pos` / `neg` placeholders of item ids
(left-padded with 0), an `is_training` placeholder that switches dropout on through
`tf.cond`, item embeddings scaled by sqrt(hidden) plus learned positional embeddings,
blocks of causal multi-head self-attention (keys masked where the input is padding, the
future masked, padded queries zeroed) and a point-wise feed-forward part, each after a
hand-written layer normalisation with epsilon 1e-8 and with a residual connection; binary
cross-entropy of the next item against a sampled one at every position that has a target,
l2 on the looked-up item embeddings (REGULARIZATION_LOSSES), Adam.

`tf.layers.dense` needs Keras 2 under TensorFlow 2.21 (`tf.compat.v1.layers` refuses to
load with Keras 3), so `dense` below creates the same variables (`kernel` glorot-uniform,
`bias` zeros) and runs the same ops (`tensordot` on the last axis, `bias_add`).

Variable names:

    item_embeddings, position_embeddings      [n_items, hidden], [max_len, hidden]
    block_i/attention_norm/{gamma,beta}       block_i/ffn_norm/{gamma,beta}
    block_i/attention/{query,key,value}/{kernel,bias}
    block_i/ffn/{inner,outer}/{kernel,bias}   final_norm/{gamma,beta}   global_step
"""

import tensorflow.compat.v1 as tf

from tf2rec.legacy.model import make_optimizer

tf.disable_v2_behavior()


def dense(inputs, units, activation=None, scope="dense"):
    with tf.variable_scope(scope):
        kernel = tf.get_variable(
            "kernel", [inputs.get_shape()[-1], units], initializer=tf.glorot_uniform_initializer()
        )
        bias = tf.get_variable("bias", [units], initializer=tf.zeros_initializer())
        outputs = tf.nn.bias_add(tf.tensordot(inputs, kernel, [[2], [0]]), bias)
        if activation is not None:
            outputs = activation(outputs)
        return outputs


def layer_norm(inputs, epsilon=1e-8, scope="ln"):
    with tf.variable_scope(scope):
        size = inputs.get_shape()[-1]
        mean, variance = tf.nn.moments(inputs, [-1], keep_dims=True)
        beta = tf.get_variable("beta", [size], initializer=tf.zeros_initializer())
        gamma = tf.get_variable("gamma", [size], initializer=tf.ones_initializer())
        normalized = (inputs - mean) / ((variance + epsilon) ** 0.5)
        return gamma * normalized + beta


class SASRec(object):
    def __init__(
        self,
        item_num,
        maxlen=50,
        hidden_units=50,
        num_blocks=2,
        num_heads=1,
        keep_prob=0.8,
        l2_emb=0.0,
        optimizer="adam",
        lr=0.001,
        seed=2018,
    ):
        self.num_heads = num_heads
        self.keep_prob = keep_prob
        tf.set_random_seed(seed)
        self.is_training = tf.placeholder(tf.bool, shape=())
        self.input_seq = tf.placeholder(tf.int32, shape=(None, maxlen))
        self.pos = tf.placeholder(tf.int32, shape=(None, maxlen))
        self.neg = tf.placeholder(tf.int32, shape=(None, maxlen))
        self.padding = tf.not_equal(self.input_seq, 0)
        mask = tf.expand_dims(tf.to_float(self.padding), -1)

        item_table = tf.get_variable(
            "item_embeddings", [item_num, hidden_units], initializer=tf.glorot_uniform_initializer()
        )
        seq_items = self.embed_sequence(item_table, maxlen, hidden_units, mask)
        for i in range(num_blocks):
            with tf.variable_scope("block_%d" % i):
                queries = layer_norm(self.seq, scope="attention_norm")
                self.seq = self.attention(queries, self.seq, hidden_units)
                self.seq = self.feed_forward(layer_norm(self.seq, scope="ffn_norm"), hidden_units)
                self.seq *= mask
        self.seq = layer_norm(self.seq, scope="final_norm")

        self.loss = self.next_item_loss(item_table)
        tf.add_to_collection(tf.GraphKeys.REGULARIZATION_LOSSES, l2_emb * tf.nn.l2_loss(seq_items))
        self.loss += tf.losses.get_regularization_loss()

        self.global_step = tf.train.get_or_create_global_step()
        self.optimizer = make_optimizer(optimizer, lr)
        self.train_op = self.optimizer.minimize(self.loss, global_step=self.global_step)

    def embed_sequence(self, item_table, maxlen, hidden_units, mask):
        """Scaled item embeddings plus positions into `self.seq`; returns the looked-up items
        (the l2 penalty's input)."""
        position_table = tf.get_variable(
            "position_embeddings",
            [maxlen, hidden_units],
            initializer=tf.glorot_uniform_initializer(),
        )
        seq_items = tf.nn.embedding_lookup(item_table, self.input_seq)
        self.seq = seq_items * (hidden_units**0.5)
        positions = tf.tile(
            tf.expand_dims(tf.range(tf.shape(self.input_seq)[1]), 0),
            [tf.shape(self.input_seq)[0], 1],
        )
        self.seq += tf.nn.embedding_lookup(position_table, positions)
        self.seq = self.dropout(self.seq)
        self.seq *= mask
        return seq_items

    def next_item_loss(self, item_table):
        """Binary cross-entropy of the next item against the sampled one, at every position
        that has a target."""
        pos_emb = tf.nn.embedding_lookup(item_table, self.pos)
        neg_emb = tf.nn.embedding_lookup(item_table, self.neg)
        self.pos_logits = tf.reduce_sum(pos_emb * self.seq, -1)
        self.neg_logits = tf.reduce_sum(neg_emb * self.seq, -1)
        istarget = tf.to_float(tf.not_equal(self.pos, 0))
        return tf.reduce_sum(
            -tf.log(tf.sigmoid(self.pos_logits) + 1e-24) * istarget
            - tf.log(1 - tf.sigmoid(self.neg_logits) + 1e-24) * istarget
        ) / tf.reduce_sum(istarget)

    def dropout(self, x):
        return tf.cond(
            self.is_training, lambda: tf.nn.dropout(x, keep_prob=self.keep_prob), lambda: x
        )

    def attention(self, queries, keys, units):
        with tf.variable_scope("attention"):
            q = dense(queries, units, scope="query")
            k = dense(keys, units, scope="key")
            v = dense(keys, units, scope="value")
            heads = self.num_heads
            q_ = tf.concat(tf.split(q, heads, axis=2), axis=0)  # (h*N, T, C/h)
            k_ = tf.concat(tf.split(k, heads, axis=2), axis=0)
            v_ = tf.concat(tf.split(v, heads, axis=2), axis=0)
            scores = tf.matmul(q_, tf.transpose(k_, [0, 2, 1])) / (
                k_.get_shape().as_list()[-1] ** 0.5
            )

            paddings = tf.ones_like(scores) * (-(2**32) + 1)
            key_masks = tf.tile(self.padding, [heads, 1])  # (h*N, T)
            key_masks = tf.tile(tf.expand_dims(key_masks, 1), [1, tf.shape(queries)[1], 1])
            scores = tf.where(key_masks, scores, paddings)
            causal = tf.linalg.band_part(tf.ones_like(scores[0, :, :]), -1, 0)  # lower triangle
            causal = tf.tile(tf.expand_dims(causal, 0), [tf.shape(scores)[0], 1, 1])
            scores = tf.where(tf.equal(causal, 0), paddings, scores)

            weights = tf.nn.softmax(scores)
            query_masks = tf.tile(tf.to_float(self.padding), [heads, 1])
            weights *= tf.expand_dims(query_masks, -1)
            weights = self.dropout(weights)
            outputs = tf.matmul(weights, v_)
            outputs = tf.concat(tf.split(outputs, heads, axis=0), axis=2)
            return outputs + queries

    def feed_forward(self, inputs, units):
        with tf.variable_scope("ffn"):
            outputs = dense(inputs, units, activation=tf.nn.relu, scope="inner")
            outputs = self.dropout(outputs)
            outputs = dense(outputs, units, scope="outer")
            outputs = self.dropout(outputs)
            return outputs + inputs


def build(hparams):
    """The graph for the parity harness: what to feed, what to compare, what trains."""
    shape = ("maxlen", "hidden_units", "num_blocks", "num_heads", "keep_prob", "l2_emb")
    model = SASRec(
        item_num=hparams["n_items"],
        optimizer=hparams.get("optimizer", "adam"),
        lr=hparams.get("lr", 0.001),
        seed=hparams.get("seed", 2018),
        **{key: hparams[key] for key in shape if key in hparams},
    )
    return {
        "inputs": {"input_seq": model.input_seq, "pos": model.pos, "neg": model.neg},
        "outputs": {"logits": tf.stack([model.pos_logits, model.neg_logits], axis=-1)},
        "loss": model.loss,
        "train_op": model.train_op,
        "train_feeds": {model.is_training: True},
        "eval_feeds": {model.is_training: False},
    }
