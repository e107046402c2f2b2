"""A DeepFM whose batch normalisation is `tf.contrib.layers.batch_norm`, as most 2018 DeepFM
repositories had it (`tf2rec fix --run-as-tf1` turns it into tf2rec.tf1's): fused on the
deep part's 2-D activations, so the TF1 graph runs `FusedBatchNormV3` and its gradient,
which have no float64 kernel. And two Keras sides: the shipped rewrite with stock
`BatchNormalization` (biased batch variance into the moving variance), and one with a
`BatchNormalization` that moves the moving variance as TF1's fused kernel does (towards the
unbiased batch variance)."""

import keras
import tensorflow as tf
from keras import ops

from tf2rec.migrated.deepfm import make


def contrib_deepfm():
    """The legacy DeepFM with contrib's batch_norm. Imported here, in the legacy process:
    importing tf2rec.legacy turns TF2 behaviour off, as TF1 programs do."""
    from tf2rec.legacy.deepfm import DeepFM
    from tf2rec.tf1 import contrib

    class ContribDeepFM(DeepFM):
        def batch_norm_layer(self, x, scope_bn, epsilon=1e-3):
            return contrib.layers.batch_norm(
                x,
                decay=self.batch_norm_decay,
                center=True,
                scale=True,
                epsilon=epsilon,
                is_training=self.train_phase,
                scope=scope_bn,
            )

    return ContribDeepFM


def build(hparams):
    shape = ("embedding_size", "deep_layers", "dropout_deep", "batch_norm_decay")
    model = contrib_deepfm()(
        feature_size=hparams["n_features"],
        field_size=hparams["n_fields"],
        optimizer=hparams.get("optimizer", "adam"),
        learning_rate=hparams.get("lr", 0.001),
        random_seed=hparams.get("seed", 2018),
        **{key: hparams[key] for key in shape if key in hparams},
    )
    assert "FusedBatchNormV3" in {
        op.type for op in tf.compat.v1.get_default_graph().get_operations()
    }
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


class FusedBatchNormalization(keras.layers.BatchNormalization):
    """Keras' BatchNormalization with the moving variance of TF1's fused kernel: moved
    towards the batch's unbiased variance (Bessel's correction, m / (m - 1) for m rows),
    while the batch is normalised with the biased one, as both do."""

    def call(self, inputs, training=None, mask=None):
        if not (training and self.trainable):
            return super().call(inputs, training=training, mask=mask)
        outputs = super().call(inputs, training=training, mask=mask)
        # Keras moved it towards the biased variance v; the unbiased one is v + v / (m - 1)
        _, variance = self._moments(inputs, mask)
        rows = ops.cast(ops.shape(inputs)[0], variance.dtype)
        self.moving_variance.assign_add(variance / (rows - 1) * (1.0 - self.momentum))
        return outputs


def make_fused(hparams):
    """The shipped Keras DeepFM with each BatchNormalization a FusedBatchNormalization (the
    same layer, weights and configuration; only `call` differs)."""
    model = make(hparams)
    for layer in model.deep:
        if type(layer) is keras.layers.BatchNormalization:
            layer.__class__ = FusedBatchNormalization
    return model
