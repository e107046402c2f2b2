"""The two-tower recommender as a Keras 3 model with its own train and test steps."""

from __future__ import annotations

import keras
import tensorflow as tf
from keras import ops

from tf2rec.migrated.layers import PACKAGE, ItemTower, UserTower
from tf2rec.migrated.metrics import PROTOCOLS, HitRateAtK, NDCGAtK, RecallAtK, exclusion_mask


def _summed(gradient):
    """An embedding's sparse gradient as a dense one, duplicate ids summed first.

    For optimizers other than the TF1-compatible ones (which take the sparse gradient and
    sum repeated ids themselves): TF1 sums the rows of repeated ids before updating, while
    Keras 3 Adam and Adagrad given `tf.IndexedSlices` square each row before summing
    (sum g^2, not (sum g)^2), so batches with repeated ids would drift within a few steps.
    """
    if isinstance(gradient, tf.IndexedSlices):
        return tf.math.unsorted_segment_sum(
            gradient.values, gradient.indices, gradient.dense_shape[0]
        )
    return gradient


@keras.saving.register_keras_serializable(package=PACKAGE)
class TwoTowerRecommender(keras.Model):
    """User tower and item tower; the score of a (user, item) pair is their dot product.

    `call` takes a training batch from `interactions.BatchSampler` (`user`, `history`, `pos`,
    `neg`) and returns logits `[B, 1 + K]` with the positive in column 0, which is what the
    losses in `migrated.losses` expect, so `fit` needs no targets. `evaluate` (and validation
    in `fit`) takes `user`, `history`, `target` and `seen` (0-padded ids not to rank) and
    reports Recall@k, NDCG@k and HitRate@k over the full catalogue.

    >>> model = TwoTowerRecommender(n_users=10, n_items=20, embedding_dim=4, hidden_units=8,
    ...                             history_length=3)
    >>> batch = {"user": ops.array([1, 2]), "history": ops.array([[3, 4, 0], [5, 0, 0]]),
    ...          "pos": ops.array([6, 7]), "neg": ops.array([[8, 9], [10, 11]])}
    >>> tuple(model(batch).shape)
    (2, 3)
    """

    def __init__(
        self,
        n_users: int,
        n_items: int,
        embedding_dim: int = 32,
        hidden_units: int = 64,
        history_length: int = 20,
        k: int = 10,
        eval_protocol: str = "full",
        init_stddev: float = 0.05,
        shards: int = 1,
        name: str = "two_tower_recommender",
        **kwargs,
    ) -> None:
        # A fixed default name (Keras would number a second instance "..._1"): weight paths,
        # and so the checkpoint name map, do not depend on what else the process built.
        super().__init__(name=name, **kwargs)
        if eval_protocol not in PROTOCOLS:
            raise ValueError(f"unknown eval_protocol {eval_protocol!r}; choose one of {PROTOCOLS}")
        self.n_users = n_users
        self.n_items = n_items
        self.embedding_dim = embedding_dim
        self.hidden_units = hidden_units
        self.history_length = history_length
        self.k = k
        self.eval_protocol = eval_protocol
        self.init_stddev = init_stddev
        self.shards = shards  # of each embedding table (one per parameter server)
        self.user_tower = UserTower(
            n_users, embedding_dim, hidden_units, init_stddev, shards, name="user_tower"
        )
        self.item_tower = ItemTower(n_items, embedding_dim, init_stddev, shards, name="item_tower")
        self.ranking_metrics = [
            RecallAtK(k, eval_protocol),
            NDCGAtK(k, eval_protocol),
            HitRateAtK(k, eval_protocol),
        ]

    def build(self, input_shape=None) -> None:
        self.item_tower.build((None,))
        self.user_tower.build((None,))
        self.built = True

    def user_vectors(self, user, history):
        """`[B]` users and `[B, L]` histories -> `[B, D]` user vectors."""
        return self.user_tower(user, self.item_tower(history), history)

    def call(self, inputs, training: bool = False):
        """Args: inputs dict with `user` `[B]`, `history` `[B, L]`, `pos` `[B]`, `neg` `[B, K]`.

        Returns: logits `[B, 1 + K]`, the positive's in column 0.
        """
        pos_vec, neg_vec, history_vec = self._item_vectors(
            inputs["pos"], inputs["neg"], inputs["history"]
        )
        user_vec = self.user_tower(inputs["user"], history_vec, inputs["history"])
        pos_logit = ops.sum(user_vec * pos_vec, axis=-1)
        neg_logits = ops.sum(ops.expand_dims(user_vec, 1) * neg_vec, axis=-1)
        return ops.concatenate([ops.expand_dims(pos_logit, 1), neg_logits], axis=1)

    def _item_vectors(self, pos, neg, history):
        """The vectors of every item id in the batch, from one lookup.

        One lookup in the order (positives, negatives, history) makes the item table's
        sparse gradient list its rows in the order TF1's `tf.gradients` concatenates them,
        so repeated ids are summed in the same order and the gradient is TF1's to the bit
        (three lookups get summed in another order: up to a few hundred ULP apart, which
        Adam turns into visible drift on ids whose gradient nearly cancels).
        """
        batch = tf.shape(pos)[0]  # dynamic: fit's batches have no static size
        k, length = neg.shape[1], history.shape[1]
        ids = ops.concatenate(
            [ops.reshape(pos, (-1,)), ops.reshape(neg, (-1,)), ops.reshape(history, (-1,))],
            axis=0,
        )
        # split, not slices: a slice's gradient is a zero tensor of the whole lookup
        pos_vec, neg_vec, history_vec = tf.split(
            self.item_tower(ids), [batch, batch * k, batch * length], axis=0
        )
        dim = self.embedding_dim
        neg_vec = ops.reshape(neg_vec, (-1, k, dim))
        return pos_vec, neg_vec, ops.reshape(history_vec, (-1, length, dim))

    def train_step(self, data):
        x, y = data if isinstance(data, tuple) else (data, None)
        if y is None:  # the candidates' ids; NegativeSamplingLoss ignores them
            y = ops.concatenate([ops.expand_dims(x["pos"], 1), x["neg"]], axis=1)
        with tf.GradientTape() as tape:
            logits = self(x, training=True)
            loss = self.compute_loss(x=x, y=y, y_pred=logits, training=True)
            scaled = self.optimizer.scale_loss(loss)
        gradients = tape.gradient(scaled, self.trainable_variables)
        if not getattr(self.optimizer, "sums_duplicate_ids", False):
            gradients = [_summed(g) for g in gradients]
        self.optimizer.apply(gradients, self.trainable_variables)
        # Keras divides the loss by the replica count under tf.distribute; log it undivided.
        replicas = tf.distribute.get_strategy().num_replicas_in_sync
        logs = {}
        for metric in self.metrics:
            if metric.name == "loss":
                metric.update_state(loss * replicas)
                logs["loss"] = metric.result()
        return logs

    def test_step(self, data):
        x = data[0] if isinstance(data, tuple) else data
        scores, exclude = self._eval_scores(x)
        for metric in self.ranking_metrics:
            metric.update_state(x.get("target"), scores, exclude=exclude)
        return {metric.name: metric.result() for metric in self.ranking_metrics}

    def _eval_scores(self, x):
        user_vec = self.user_vectors(x["user"], x["history"])
        if self.eval_protocol == "sampled":
            candidates = self.item_tower(x["candidates"])  # target first, then negatives
            return ops.sum(ops.expand_dims(user_vec, 1) * candidates, axis=-1), None
        return self.catalogue_scores(user_vec), x["seen"]

    def catalogue_scores(self, user_vec):
        """`[B, D]` user vectors -> `[B, n_items]` scores of every item."""
        return ops.matmul(user_vec, ops.transpose(self.item_tower.table))

    def score(self, user, history, item):
        """Scores (logits) of `[B]` items for `[B]` users with `[B, L]` histories."""
        user_vec = self.user_vectors(user, history)
        return ops.sum(user_vec * self.item_tower(item), axis=-1)

    def recommend(self, user, history, k: int = 10, exclude_seen: bool = True):
        """Top-`k` item ids and their scores per user, best first.

        The padding item 0 is never recommended; with `exclude_seen` neither is any item in
        the user's history. Ties go to the lower item id.
        """
        scores = self.catalogue_scores(self.user_vectors(user, history))
        excluded = ops.equal(ops.arange(self.n_items)[None, :], 0)
        if exclude_seen:
            excluded = ops.logical_or(excluded, exclusion_mask(history, self.n_items))
        scores = ops.where(excluded, float("-inf"), scores)
        top_scores, top_items = ops.top_k(scores, k=min(k, self.n_items - 1))
        return top_items, top_scores

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "n_users": self.n_users,
            "n_items": self.n_items,
            "embedding_dim": self.embedding_dim,
            "hidden_units": self.hidden_units,
            "history_length": self.history_length,
            "k": self.k,
            "eval_protocol": self.eval_protocol,
            "init_stddev": self.init_stddev,
            "shards": self.shards,
        }
