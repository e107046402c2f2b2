"""The legacy DeepFM click-through model, as a TF1 graph: the second example pair.

Written the way a 2018 team wrote a CTR model (in the style of the widely copied TF1 DeepFM
implementations): a `feat_index` placeholder of global feature ids, one embedding table
shared by the FM and the deep part, a weights dict of `tf.Variable`s, dropout with keep
probabilities fed through a placeholder (1.0 at evaluation), hand-written batch
normalisation whose moving averages are updated through the `UPDATE_OPS` collection, and
sigmoid cross-entropy on 0/1 clicks.

`build(hparams)` is what the parity harness runs: it builds the graph and describes it
(placeholders, outputs, loss, train op, and the feeds of training and of evaluation).

Variable names (`tf2rec parity --map migrated/deepfm_map.json` maps them to Keras):

    feature_embeddings   [n_features, embedding_size]
    feature_bias         [n_features, 1]
    layer_i, bias_i      the deep part's dense layers
    bn_i/{gamma,beta,moving_mean,moving_variance}
    concat_projection    [last deep layer, 1]
    concat_bias          []
    global_step          []
"""

import numpy as np
import tensorflow.compat.v1 as tf

from tf2rec.legacy.model import make_optimizer

tf.disable_v2_behavior()


class DeepFM(object):
    def __init__(
        self,
        feature_size,
        field_size,
        embedding_size=8,
        deep_layers=(32, 32),
        dropout_deep=(0.5, 0.5),
        batch_norm_decay=0.995,
        optimizer="adam",
        learning_rate=0.001,
        random_seed=2018,
    ):
        self.feature_size = feature_size
        self.field_size = field_size
        self.embedding_size = embedding_size
        self.deep_layers = list(deep_layers)
        self.dropout_deep = list(dropout_deep)
        self.batch_norm_decay = batch_norm_decay

        tf.set_random_seed(random_seed)
        self._init_placeholders()
        self.weights = self._initialize_weights(random_seed)

        # model
        self.embeddings = tf.nn.embedding_lookup(
            self.weights["feature_embeddings"], self.feat_index
        )  # None * F * K
        self._fm_part()
        self._deep_part()
        self.logit = (
            self.y_first_order + self.y_second_order + self.y_deep + self.weights["concat_bias"]
        )
        self.out = tf.nn.sigmoid(self.logit)

        self.loss = tf.reduce_mean(
            tf.nn.sigmoid_cross_entropy_with_logits(labels=self.label, logits=self.logit)
        )
        self._init_train_op(optimizer, learning_rate)

    def _init_placeholders(self):
        self.feat_index = tf.placeholder(tf.int32, shape=[None, self.field_size], name="feat_index")
        self.label = tf.placeholder(tf.float32, shape=[None], name="label")
        self.dropout_keep_deep = tf.placeholder(tf.float32, shape=[None], name="dropout_keep_deep")
        self.train_phase = tf.placeholder(tf.bool, name="train_phase")

    def _fm_part(self):
        # first order term
        self.y_first_order = tf.reduce_sum(
            tf.nn.embedding_lookup(self.weights["feature_bias"], self.feat_index), axis=[1, 2]
        )  # None

        # second order term: 0.5 * ((sum e)^2 - sum e^2)
        summed_features_emb = tf.reduce_sum(self.embeddings, 1)  # None * K
        summed_features_emb_square = tf.square(summed_features_emb)
        squared_sum_features_emb = tf.reduce_sum(tf.square(self.embeddings), 1)
        self.y_second_order = 0.5 * tf.reduce_sum(
            summed_features_emb_square - squared_sum_features_emb, 1
        )  # None

    def _deep_part(self):
        self.y_deep = tf.reshape(self.embeddings, shape=[-1, self.field_size * self.embedding_size])
        for i in range(len(self.deep_layers)):
            self.y_deep = tf.nn.xw_plus_b(
                self.y_deep, self.weights["layer_%d" % i], self.weights["bias_%d" % i]
            )
            self.y_deep = self.batch_norm_layer(self.y_deep, scope_bn="bn_%d" % i)
            self.y_deep = tf.nn.relu(self.y_deep)
            self.y_deep = tf.nn.dropout(self.y_deep, self.dropout_keep_deep[i])
        self.y_deep = tf.reduce_sum(
            tf.matmul(self.y_deep, self.weights["concat_projection"]), axis=1
        )  # None

    def _init_train_op(self, optimizer, learning_rate):
        self.global_step = tf.train.get_or_create_global_step()
        self.optimizer = make_optimizer(optimizer, learning_rate)
        update_ops = tf.get_collection(tf.GraphKeys.UPDATE_OPS)
        with tf.control_dependencies(update_ops):
            self.train_op = self.optimizer.minimize(self.loss, global_step=self.global_step)
        self.init_op = tf.global_variables_initializer()
        self.saver = tf.train.Saver()

    def _initialize_weights(self, seed):
        weights = dict()
        weights["feature_embeddings"] = tf.Variable(
            tf.random_normal([self.feature_size, self.embedding_size], 0.0, 0.01, seed=seed),
            name="feature_embeddings",
        )
        weights["feature_bias"] = tf.Variable(
            tf.random_uniform([self.feature_size, 1], 0.0, 1.0, seed=seed + 1),
            name="feature_bias",
        )
        input_size = self.field_size * self.embedding_size
        for i, units in enumerate(self.deep_layers):
            glorot = np.sqrt(2.0 / (input_size + units))
            weights["layer_%d" % i] = tf.Variable(
                tf.random_normal([input_size, units], 0.0, glorot, seed=seed + 2 + i),
                name="layer_%d" % i,
            )
            weights["bias_%d" % i] = tf.Variable(tf.zeros([units]), name="bias_%d" % i)
            input_size = units
        glorot = np.sqrt(2.0 / (input_size + 1))
        weights["concat_projection"] = tf.Variable(
            tf.random_normal([input_size, 1], 0.0, glorot, seed=seed + 100),
            name="concat_projection",
        )
        weights["concat_bias"] = tf.Variable(tf.constant(0.01), name="concat_bias")
        return weights

    def batch_norm_layer(self, x, scope_bn, epsilon=1e-3):
        """Batch normalisation by hand (tf.contrib.layers.batch_norm is gone): batch
        statistics while training, the moving averages otherwise; the moving averages are
        updated by ops in UPDATE_OPS, which the train op runs first."""
        decay = self.batch_norm_decay
        size = x.get_shape()[-1]
        with tf.variable_scope(scope_bn):
            gamma = tf.get_variable("gamma", [size], initializer=tf.ones_initializer())
            beta = tf.get_variable("beta", [size], initializer=tf.zeros_initializer())
            pop_mean = tf.get_variable(
                "moving_mean", [size], initializer=tf.zeros_initializer(), trainable=False
            )
            pop_var = tf.get_variable(
                "moving_variance", [size], initializer=tf.ones_initializer(), trainable=False
            )
            batch_mean, batch_var = tf.nn.moments(x, [0])
            tf.add_to_collection(
                tf.GraphKeys.UPDATE_OPS,
                tf.assign(pop_mean, pop_mean * decay + batch_mean * (1 - decay)),
            )
            tf.add_to_collection(
                tf.GraphKeys.UPDATE_OPS,
                tf.assign(pop_var, pop_var * decay + batch_var * (1 - decay)),
            )
            mean, var = tf.cond(
                self.train_phase, lambda: (batch_mean, batch_var), lambda: (pop_mean, pop_var)
            )
            return tf.nn.batch_normalization(x, mean, var, beta, gamma, epsilon)


def build(hparams):
    """The graph for the parity harness: what to feed, what to compare, what trains."""
    shape = ("embedding_size", "deep_layers", "dropout_deep", "batch_norm_decay")
    model = DeepFM(
        feature_size=hparams["n_features"],
        field_size=hparams["n_fields"],
        optimizer=hparams.get("optimizer", "adam"),
        learning_rate=hparams.get("lr", 0.001),
        random_seed=hparams.get("seed", 2018),
        **{key: hparams[key] for key in shape if key in hparams},  # else DeepFM's defaults
    )
    return {
        "inputs": {"features": model.feat_index, "label": model.label},
        "outputs": {"logit": model.logit},
        "loss": model.loss,
        "train_op": model.train_op,
        "train_feeds": {model.dropout_keep_deep: model.dropout_deep, model.train_phase: True},
        "eval_feeds": {
            model.dropout_keep_deep: [1.0] * len(model.dropout_deep),
            model.train_phase: False,
        },
    }
