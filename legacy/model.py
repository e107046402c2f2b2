"""The legacy two-tower recommender, as a TF1 graph.

Written the way a 2018 team wrote TensorFlow: placeholders, variable scopes, `get_variable`
with initializers, hand-rolled dense layers, a v1 optimizer's `minimize` with a global step.
It runs on TF 2.x through `tensorflow.compat.v1` with v2 behaviour disabled.

Variable names (the checkpoint converter's input; keep them stable):

    user_tower/user_embedding       [n_users, embedding_dim]
    item_tower/item_embedding       [n_items, embedding_dim]   (also the history table)
    user_tower/mlp/hidden/kernel    [2 * embedding_dim, hidden_units]
    user_tower/mlp/hidden/bias      [hidden_units]
    user_tower/mlp/output/kernel    [hidden_units, embedding_dim]
    user_tower/mlp/output/bias      [embedding_dim]
    global_step                     []

plus the optimizer's slots (`<var>/Adam`, `<var>/Adam_1`, `beta1_power`, `beta2_power` for
Adam; `<var>/Adagrad` for Adagrad).
"""

import tensorflow.compat.v1 as tf

from tf2rec.interactions import OPTIMIZERS, ModelSpec

tf.disable_v2_behavior()


class LegacyTwoTower(object):
    """Builds the placeholders, towers, loss and train op into the default graph."""

    def __init__(
        self,
        n_users,
        n_items,
        embedding_dim=32,
        hidden_units=64,
        history_length=20,
        negatives=8,
        optimizer="adam",
        learning_rate=0.001,
        init_stddev=0.05,
        seed=0,
    ):
        self.n_users = n_users
        self.n_items = n_items
        self.embedding_dim = embedding_dim
        self.hidden_units = hidden_units
        self.history_length = history_length
        self.negatives = negatives

        tf.set_random_seed(seed)
        self._add_placeholders(history_length, negatives)
        self._add_towers(n_users, n_items, embedding_dim, init_stddev, seed)
        self._add_scores()
        self.loss = self._sampled_loss()
        self._add_train_op(optimizer, learning_rate)
        self._add_summaries()

    def _add_placeholders(self, history_length, negatives):
        self.user = tf.placeholder(tf.int32, [None], name="user")
        self.history = tf.placeholder(tf.int32, [None, history_length], name="history")
        self.pos = tf.placeholder(tf.int32, [None], name="pos")
        self.neg = tf.placeholder(tf.int32, [None, negatives], name="neg")

    def _add_towers(self, n_users, n_items, embedding_dim, init_stddev, seed):
        init = tf.random_normal_initializer(stddev=init_stddev, seed=seed)
        with tf.variable_scope("item_tower"):
            self.item_embedding = tf.get_variable(
                "item_embedding", [n_items, embedding_dim], initializer=init
            )
        with tf.variable_scope("user_tower"):
            self.user_embedding = tf.get_variable(
                "user_embedding", [n_users, embedding_dim], initializer=init
            )
            self.user_vector = self._user_tower(self.user, self.history, seed)

    def _add_scores(self):
        pos_vec = tf.nn.embedding_lookup(self.item_embedding, self.pos)
        neg_vec = tf.nn.embedding_lookup(self.item_embedding, self.neg)
        self.pos_logit = tf.reduce_sum(self.user_vector * pos_vec, axis=-1)
        self.neg_logits = tf.reduce_sum(tf.expand_dims(self.user_vector, 1) * neg_vec, axis=-1)
        self.prediction = tf.sigmoid(self.pos_logit, name="prediction")

    def _sampled_loss(self):
        """-log s(pos) - sum_k log s(-neg_k), averaged over the batch."""
        pos_loss = tf.nn.sigmoid_cross_entropy_with_logits(
            labels=tf.ones_like(self.pos_logit), logits=self.pos_logit
        )
        neg_loss = tf.nn.sigmoid_cross_entropy_with_logits(
            labels=tf.zeros_like(self.neg_logits), logits=self.neg_logits
        )
        return tf.reduce_mean(pos_loss + tf.reduce_sum(neg_loss, axis=1), name="loss")

    def _add_train_op(self, optimizer, learning_rate):
        self.global_step = tf.train.get_or_create_global_step()
        self.optimizer = make_optimizer(optimizer, learning_rate)
        update_ops = tf.get_collection(tf.GraphKeys.UPDATE_OPS)
        with tf.control_dependencies(update_ops):
            self.train_op = self.optimizer.minimize(self.loss, global_step=self.global_step)

    def _add_summaries(self):
        tf.summary.scalar("loss", self.loss)
        tf.summary.scalar("mean_positive_score", tf.reduce_mean(self.prediction))
        self.summaries = tf.summary.merge_all()
        self.init_op = tf.global_variables_initializer()
        # relative paths in the `checkpoint` file: the directory can be moved or copied
        self.saver = tf.train.Saver(max_to_keep=3, save_relative_paths=True)

    def _user_tower(self, user, history, seed):
        user_vec = tf.nn.embedding_lookup(self.user_embedding, user)
        hist_vec = tf.nn.embedding_lookup(self.item_embedding, history)
        mask = tf.expand_dims(tf.cast(tf.greater(history, 0), tf.float32), -1)
        count = tf.maximum(tf.reduce_sum(mask, axis=1), 1.0)
        hist_mean = tf.reduce_sum(hist_vec * mask, axis=1) / count
        features = tf.concat([user_vec, hist_mean], axis=1)
        with tf.variable_scope("mlp"):
            hidden = tf.nn.relu(dense(features, self.hidden_units, "hidden", seed))
            return dense(hidden, self.embedding_dim, "output", seed + 1)

    def feed(self, batch):
        """The feed_dict for one `interactions` batch."""
        return {
            self.user: batch["user"],
            self.history: batch["history"],
            self.pos: batch["pos"],
            self.neg: batch["neg"],
        }


def dense(inputs, units, name, seed):
    """x @ kernel + bias, the way it was written before tf.layers (gone under Keras 3)."""
    with tf.variable_scope(name):
        in_dim = inputs.get_shape().as_list()[-1]
        kernel = tf.get_variable(
            "kernel", [in_dim, units], initializer=tf.glorot_uniform_initializer(seed=seed)
        )
        bias = tf.get_variable("bias", [units], initializer=tf.zeros_initializer())
        return tf.matmul(inputs, kernel) + bias


def make_optimizer(name, learning_rate):
    if name == "sgd":
        return tf.train.GradientDescentOptimizer(learning_rate)
    if name == "adagrad":
        return tf.train.AdagradOptimizer(learning_rate)
    if name == "adam":
        return tf.train.AdamOptimizer(learning_rate)
    raise ValueError("unknown optimizer %r; choose one of %s" % (name, ", ".join(OPTIMIZERS)))


def build(hparams):
    """The two-tower graph as the parity harness takes it (`tf2rec parity`): what to feed,
    what to compare (the logits, positive first), the loss and the train op."""
    model = LegacyTwoTower(
        optimizer=hparams["optimizer"],
        learning_rate=hparams["lr"],
        seed=hparams.get("seed", 0),
        **ModelSpec.from_dict(hparams).as_dict(),
    )
    return {
        "inputs": {
            "user": model.user,
            "history": model.history,
            "pos": model.pos,
            "neg": model.neg,
        },
        "outputs": {"logits": tf.concat([tf.expand_dims(model.pos_logit, 1), model.neg_logits], 1)},
        "loss": model.loss,
        "train_op": model.train_op,
    }
