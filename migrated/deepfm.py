"""The Keras 3 rewrite of the legacy DeepFM (`legacy/deepfm.py`): the second example pair.

Written as the Keras guide teaches: layers with `__init__` / `build` / `call`, a Loss class,
a Model whose `call` takes the batch's features. The TF1 model's pieces map as follows:

- the weights dict -> `Embedding` tables and `Dense` layers (names in `deepfm_map.json`);
- hand-written batch normalisation with UPDATE_OPS -> `BatchNormalization(momentum=decay)`:
  Keras updates the moving averages inside `call` while training, with the same formula;
  its default momentum (0.99) is not the legacy model's 0.995;
- `tf.nn.dropout(x, keep_prob)` -> `Dropout(rate=1 - keep_prob)`;
- `reduce_mean(sigmoid_cross_entropy_with_logits)` -> `ClickLoss`, reduced by Keras.

`make(hparams)` is what the parity harness calls: the model, built and compiled with the
TF1-compatible optimizer `hparams["optimizer"]` names.
"""

from __future__ import annotations

from pathlib import Path

import keras
import numpy as np
import tensorflow as tf
from keras import ops

from tf2rec.migrated.layers import PACKAGE
from tf2rec.migrated.losses import sigmoid_cross_entropy

# The TF1 names of the weights whose names differ from their Keras path
NAME_MAP_FILE = Path(__file__).with_name("deepfm_map.json")


@keras.saving.register_keras_serializable(package=PACKAGE)
class FactorizationMachine(keras.layers.Layer):
    """The FM second-order term of `[B, fields, k]` embeddings:
    0.5 * sum_k ((sum_f e)^2 - sum_f e^2), in the legacy model's order of operations."""

    def call(self, embeddings):
        summed_square = ops.square(ops.sum(embeddings, axis=1))
        squared_sum = ops.sum(ops.square(embeddings), axis=1)
        return 0.5 * ops.sum(summed_square - squared_sum, axis=1)


@keras.saving.register_keras_serializable(package=PACKAGE)
class ClickLoss(keras.losses.Loss):
    """Sigmoid cross-entropy of click logits `[B]` against 0/1 labels `[B]`, per row."""

    def __init__(self, name: str = "click_loss", **kwargs) -> None:
        super().__init__(name=name, **kwargs)

    def call(self, y_true, y_pred):
        return sigmoid_cross_entropy(ops.cast(y_true, y_pred.dtype), y_pred)


@keras.saving.register_keras_serializable(package=PACKAGE)
class DeepFM(keras.Model):
    """First-order weights + FM interactions + a deep part over the shared embeddings."""

    def __init__(
        self,
        n_features: int,
        n_fields: int,
        embedding_size: int = 8,
        deep_layers=(32, 32),
        dropout_deep=(0.5, 0.5),
        batch_norm_decay: float = 0.995,
        name: str = "deep_fm",
        **kwargs,
    ) -> None:
        super().__init__(name=name, **kwargs)
        self.n_features = n_features
        self.n_fields = n_fields
        self.embedding_size = embedding_size
        self.deep_layers = list(deep_layers)
        self.dropout_deep = list(dropout_deep)
        self.batch_norm_decay = batch_norm_decay
        self.embeddings = keras.layers.Embedding(
            n_features, embedding_size, name="feature_embeddings"
        )
        self.first_order = keras.layers.Embedding(n_features, 1, name="feature_bias")
        self.fm = FactorizationMachine(name="fm")
        self.deep = []
        for i, units in enumerate(self.deep_layers):
            self.deep += [
                keras.layers.Dense(units, name=f"layer_{i}"),
                keras.layers.BatchNormalization(
                    momentum=batch_norm_decay, epsilon=1e-3, name=f"bn_{i}"
                ),
                keras.layers.ReLU(name=f"relu_{i}"),
                keras.layers.Dropout(rate=1.0 - self.dropout_deep[i], name=f"dropout_{i}"),
            ]
        self.projection = keras.layers.Dense(1, use_bias=False, name="concat_projection")

    def build(self, input_shape=None) -> None:
        self.concat_bias = self.add_weight(
            shape=(), initializer=keras.initializers.Constant(0.01), name="concat_bias"
        )
        self.embeddings.build((None, self.n_fields))
        self.first_order.build((None, self.n_fields))
        shape = (None, self.n_fields * self.embedding_size)
        for layer in self.deep:
            layer.build(shape)
            shape = layer.compute_output_shape(shape)
        self.projection.build(shape)

    def call(self, inputs, training=False):
        features = inputs["features"]
        embeddings = self.embeddings(features)  # [B, F, k]
        first_order = ops.sum(self.first_order(features), axis=(1, 2))
        second_order = self.fm(embeddings)
        deep = ops.reshape(embeddings, (-1, self.n_fields * self.embedding_size))
        for layer in self.deep:
            deep = layer(deep, training=training)
        deep = ops.sum(self.projection(deep), axis=1)
        return first_order + second_order + deep + self.concat_bias

    def train_step(self, data):
        """Keras' step, with the gradients taken by `tf.gradients`, as the TF1 model took
        them. Where one tensor feeds several ops (the embeddings feed the FM and the deep
        part, each batch normalisation's input its statistics), its gradient is a sum of
        contributions, which `tf.GradientTape` adds in another order than `tf.gradients`:
        the same gradient up to the last bits, enough for Adam to move the biases before
        batch normalisation (whose exact gradient is zero) by a full step."""
        x, y = data
        y_pred = self(x, training=True)
        loss = self.compute_loss(x=x, y=y, y_pred=y_pred, training=True)
        gradients = tf.gradients(self.optimizer.scale_loss(loss), self.trainable_variables)
        self.optimizer.apply(gradients, self.trainable_variables)
        for metric in self.metrics:
            if metric.name == "loss":
                metric.update_state(loss)
        return {metric.name: metric.result() for metric in self.metrics}

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "n_features": self.n_features,
            "n_fields": self.n_fields,
            "embedding_size": self.embedding_size,
            "deep_layers": self.deep_layers,
            "dropout_deep": self.dropout_deep,
            "batch_norm_decay": self.batch_norm_decay,
        }


def make(hparams: dict) -> DeepFM:
    """The parity harness's factory: a built DeepFM compiled with a TF1-compatible optimizer."""
    from tf2rec.migrated.train import make_optimizer

    shape = ("embedding_size", "deep_layers", "dropout_deep", "batch_norm_decay")
    model = DeepFM(
        n_features=hparams["n_features"],
        n_fields=hparams["n_fields"],
        **{key: hparams[key] for key in shape if key in hparams},  # else DeepFM's defaults
    )
    model({"features": np.zeros((1, hparams["n_fields"]), np.int32)})
    model.compile(
        optimizer=make_optimizer(hparams.get("optimizer", "adam"), hparams.get("lr", 0.001)),
        loss=ClickLoss(),
    )
    return model
