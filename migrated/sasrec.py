"""The Keras 3 rewrite of the legacy self-attention recommender (`legacy/sasrec.py`).

Written as Keras users write it, with stock layers where they fit: `Embedding` tables,
`Dense` for the attention's projections and the feed-forward part, `LayerNormalization`
(epsilon 1e-8, the legacy model's; Keras' default is 1e-3), `Dropout(rate=1 - keep_prob)`,
`Softmax` with a boolean mask, a `Loss` class, and `fit`'s own training step.

`MultiHeadAttention` does not fit: it always projects its output through a further dense
layer (the legacy attention has none) and holds its kernels as [hidden, heads, head size],
so the attention here is a small layer of three `Dense` projections. It computes the same
mathematics as the legacy graph, not its operations (matmul against tensordot, Keras'
layer normalisation against the hand-written one, the gradient tape's order of sums), so
its parity is float64 equivalence (`tf2rec parity --mode float64`), not bitwise.
"""

from __future__ import annotations

import keras
import numpy as np
from keras import ops

from tf2rec.migrated.layers import PACKAGE


@keras.saving.register_keras_serializable(package=PACKAGE)
class CausalSelfAttention(keras.layers.Layer):
    """Multi-head attention of `queries` over `keys`, each position attending to itself and
    earlier positions that are not padding, plus the queries (residual).

    Call arguments: `queries`, `keys` `[B, T, units]`, `padding` `[B, T]` (True where there
    is an item), `training`."""

    def __init__(self, units: int, heads: int = 1, rate: float = 0.0, **kwargs) -> None:
        super().__init__(**kwargs)
        self.units, self.heads, self.rate = units, heads, rate
        self.query = keras.layers.Dense(units, name="query")
        self.key = keras.layers.Dense(units, name="key")
        self.value = keras.layers.Dense(units, name="value")
        self.softmax = keras.layers.Softmax(axis=-1)
        self.dropout = keras.layers.Dropout(rate)

    def build(self, input_shape) -> None:
        for layer in (self.query, self.key, self.value):
            layer.build(input_shape)

    def _split(self, x):
        batch, length = ops.shape(x)[0], ops.shape(x)[1]
        x = ops.reshape(x, (batch, length, self.heads, self.units // self.heads))
        return ops.transpose(x, (0, 2, 1, 3))  # [B, heads, T, head size]

    def call(self, queries, keys, padding, training=False):
        q = self._split(self.query(queries))
        k = self._split(self.key(keys))
        v = self._split(self.value(keys))
        scores = ops.matmul(q, ops.transpose(k, (0, 1, 3, 2))) / np.sqrt(self.units // self.heads)
        length = ops.shape(queries)[1]
        causal = ops.tril(ops.ones((length, length), "bool"))
        allowed = ops.logical_and(causal[None, None], padding[:, None, None, :])
        weights = self.softmax(scores, mask=allowed)
        weights = self.dropout(weights, training=training)
        outputs = ops.transpose(ops.matmul(weights, v), (0, 2, 1, 3))
        outputs = ops.reshape(outputs, ops.shape(queries))
        return outputs + queries

    def get_config(self) -> dict:
        return {**super().get_config(), "units": self.units, "heads": self.heads, "rate": self.rate}


@keras.saving.register_keras_serializable(package=PACKAGE)
class PointWiseFeedForward(keras.layers.Layer):
    """Dense (ReLU), dropout, dense, dropout, plus the inputs (residual), at each position."""

    def __init__(self, units: int, rate: float = 0.0, **kwargs) -> None:
        super().__init__(**kwargs)
        self.units, self.rate = units, rate
        self.inner = keras.layers.Dense(units, activation="relu", name="inner")
        self.outer = keras.layers.Dense(units, name="outer")
        self.inner_dropout = keras.layers.Dropout(rate)
        self.outer_dropout = keras.layers.Dropout(rate)

    def build(self, input_shape) -> None:
        self.inner.build(input_shape)
        self.outer.build(input_shape)

    def call(self, inputs, training=False):
        outputs = self.inner_dropout(self.inner(inputs), training=training)
        outputs = self.outer_dropout(self.outer(outputs), training=training)
        return outputs + inputs

    def get_config(self) -> dict:
        return {**super().get_config(), "units": self.units, "rate": self.rate}


@keras.saving.register_keras_serializable(package=PACKAGE)
class SelfAttentionBlock(keras.layers.Layer):
    """Layer norm, causal self-attention; layer norm, the point-wise feed-forward part;
    padded positions zeroed."""

    def __init__(
        self, units: int, heads: int = 1, rate: float = 0.0, epsilon: float = 1e-8, **kwargs
    ) -> None:
        super().__init__(**kwargs)
        self.units, self.heads, self.rate, self.epsilon = units, heads, rate, epsilon
        self.attention_norm = keras.layers.LayerNormalization(
            epsilon=epsilon, name="attention_norm"
        )
        self.attention = CausalSelfAttention(units, heads, rate, name="attention")
        self.ffn_norm = keras.layers.LayerNormalization(epsilon=epsilon, name="ffn_norm")
        self.ffn = PointWiseFeedForward(units, rate, name="ffn")

    def build(self, input_shape) -> None:
        for layer in (self.attention_norm, self.attention, self.ffn_norm, self.ffn):
            layer.build(input_shape)

    def call(self, seq, padding, training=False):
        queries = self.attention_norm(seq)
        seq = self.attention(queries, seq, padding, training=training)
        seq = self.ffn(self.ffn_norm(seq), training=training)
        return seq * ops.cast(padding, seq.dtype)[..., None]

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "units": self.units,
            "heads": self.heads,
            "rate": self.rate,
            "epsilon": self.epsilon,
        }


@keras.saving.register_keras_serializable(package=PACKAGE)
class NextItemLoss(keras.losses.Loss):
    """Binary cross-entropy of the next item (column 0 of the logits `[B, T, 2]`) against a
    sampled one (column 1), per position; the model weighs the positions (see
    `SASRec.compute_loss`)."""

    def __init__(self, name: str = "next_item_loss", reduction: str = "sum", **kwargs) -> None:
        super().__init__(name=name, reduction=reduction, **kwargs)

    def __call__(self, y_true, y_pred, sample_weight=None):
        if y_true is None:  # the targets are the logits' columns; Keras' reduction wants a tensor
            y_true = ops.zeros_like(y_pred[..., 0])
        return super().__call__(y_true, y_pred, sample_weight)

    def call(self, y_true, y_pred):
        positive, negative = y_pred[..., 0], y_pred[..., 1]
        return -ops.log(ops.sigmoid(positive) + 1e-24) - ops.log(1 - ops.sigmoid(negative) + 1e-24)


@keras.saving.register_keras_serializable(package=PACKAGE)
class SASRec(keras.Model):
    """Self-attention over a user's recent items; the logit of an item at a position is
    its embedding's dot product with the sequence's output there.

    `call({"input_seq", "pos", "neg"})` returns logits `[B, T, 2]`: the next item's, and the
    sampled item's."""

    def __init__(
        self,
        n_items: int,
        maxlen: int = 50,
        hidden_units: int = 50,
        num_blocks: int = 2,
        num_heads: int = 1,
        keep_prob: float = 0.8,
        l2_emb: float = 0.0,
        name: str = "sasrec",
        **kwargs,
    ) -> None:
        super().__init__(name=name, **kwargs)
        self.n_items, self.maxlen, self.hidden_units = n_items, maxlen, hidden_units
        self.num_blocks, self.num_heads = num_blocks, num_heads
        self.keep_prob, self.l2_emb = keep_prob, l2_emb
        rate = 1.0 - keep_prob
        self.items = keras.layers.Embedding(n_items, hidden_units, name="item_embeddings")
        self.positions = keras.layers.Embedding(maxlen, hidden_units, name="position_embeddings")
        self.dropout = keras.layers.Dropout(rate)
        self.blocks = [
            SelfAttentionBlock(hidden_units, num_heads, rate, name=f"block_{i}")
            for i in range(num_blocks)
        ]
        self.final_norm = keras.layers.LayerNormalization(epsilon=1e-8, name="final_norm")

    def build(self, input_shape=None) -> None:
        self.items.build((None, self.maxlen))
        self.positions.build((None, self.maxlen))
        for block in self.blocks:
            block.build((None, self.maxlen, self.hidden_units))
        self.final_norm.build((None, self.maxlen, self.hidden_units))

    def call(self, inputs, training=False):
        input_seq = inputs["input_seq"]
        padding = ops.not_equal(input_seq, 0)
        seq_items = self.items(input_seq)
        if self.l2_emb:
            self.add_loss(self.l2_emb * ops.sum(ops.square(seq_items)) / 2)
        seq = seq_items * np.sqrt(self.hidden_units)
        seq = seq + self.positions(ops.arange(ops.shape(input_seq)[1]))[None]
        seq = self.dropout(seq, training=training) * ops.cast(padding, seq.dtype)[..., None]
        for block in self.blocks:
            seq = block(seq, padding, training=training)
        seq = self.final_norm(seq)
        pos_logits = ops.sum(self.items(inputs["pos"]) * seq, axis=-1)
        neg_logits = ops.sum(self.items(inputs["neg"]) * seq, axis=-1)
        return ops.stack([pos_logits, neg_logits], axis=-1)

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        """The loss averaged over the positions that have a next item, plus `self.losses`."""
        has_target = ops.cast(ops.not_equal(x["pos"], 0), y_pred.dtype)
        weights = has_target / ops.sum(has_target)
        return super().compute_loss(x, y, y_pred, sample_weight=weights, training=training)

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "n_items": self.n_items,
            "maxlen": self.maxlen,
            "hidden_units": self.hidden_units,
            "num_blocks": self.num_blocks,
            "num_heads": self.num_heads,
            "keep_prob": self.keep_prob,
            "l2_emb": self.l2_emb,
        }


def make(hparams: dict) -> SASRec:
    """The parity harness's factory: a built SASRec compiled with the TF1-compatible
    optimizer `hparams["optimizer"]` names."""
    from tf2rec.migrated.train import make_optimizer

    shape = ("maxlen", "hidden_units", "num_blocks", "num_heads", "keep_prob", "l2_emb")
    model = SASRec(
        n_items=hparams["n_items"], **{key: hparams[key] for key in shape if key in hparams}
    )
    model.build()
    model.compile(
        optimizer=make_optimizer(hparams.get("optimizer", "adam"), hparams.get("lr", 0.001)),
        loss=NextItemLoss(),
    )
    return model
