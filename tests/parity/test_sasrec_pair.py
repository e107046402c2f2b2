"""The self-attention pair: a stock-Keras rewrite of a 2018 TF1 SASRec-like model is the same
model in float64, and each wrong migration fails at the stage that names it."""

import keras
import pytest
from keras import ops

from tf2rec.interactions import leave_last_out, synthetic
from tf2rec.interactions.sequences import next_item_batches
from tf2rec.migrated.sasrec import make
from tf2rec.tools.parity import FLOAT64, first_failure, run_pair, table
from tf2rec.tools.parity.causes import FORWARD_OUTPUT, GRADIENTS, SPARSE_SLOT

LEGACY = "tf2rec.legacy.sasrec:build"
MIGRATED = "tf2rec.migrated.sasrec:make"


def pair(width: int, maxlen: int = 10, batch: int = 16, steps: int = 3):
    split = leave_last_out(synthetic(200, 120, 5_000, seed=2))
    hparams = {
        "n_items": split.n_items,
        "maxlen": maxlen,
        "hidden_units": width,
        "num_blocks": 2,
        "num_heads": 1,
        "keep_prob": 0.8,
        "l2_emb": 1e-4,
    }
    batches = next_item_batches(
        split.train, split.n_items, max_len=maxlen, batch_size=batch, steps=steps, seed=1
    )
    return hparams, batches


def test_the_stock_keras_rewrite_is_the_tf1_model_in_float64():
    hparams, batches = pair(32)
    results = run_pair(LEGACY, MIGRATED, batches, hparams, optimizers=["adam"], mode="float64")
    assert all(r.passed for r in results), table(results)
    assert {r.kind for r in results} == {FLOAT64}
    stages = {r.check for r in results}
    assert stages == {"forward (start weights)", "gradients (batch 0)", "after 3 steps (adam)"}
    # the forward outputs agree far inside float32's rounding: same math
    forward = next(r for r in results if r.tensor == "output 'logits', every batch")
    assert forward.ratio < 0.1, forward


def test_two_heads_split_along_the_batch_axis_are_proven_in_float64():
    """The legacy attention splits heads along the batch axis ([h*N, T, T], head-major) and
    draws its dropout there; the Keras side holds [N, h, T, T]: the harness reorders."""
    hparams, batches = pair(16, maxlen=8, batch=8, steps=2)
    hparams["num_heads"] = 2
    results = run_pair(LEGACY, MIGRATED, batches, hparams, optimizers=["adam"], mode="float64")
    assert all(r.passed for r in results), table(results)
    assert "gradients (batch 0)" in {r.check for r in results}


def test_values_drawn_for_heads_on_the_batch_axis_reach_the_same_elements():
    import numpy as np
    import tensorflow as tf

    from tf2rec.tools.parity.harness import in_keras_layout

    keras_side = np.random.default_rng(0).random((3, 2, 4, 4))  # [N, h, T, T]
    # the legacy layout, as tf.concat(tf.split(x, h, axis=2), axis=0) made it
    legacy_side = np.concatenate([keras_side[:, head] for head in range(2)], axis=0)
    placed = in_keras_layout(tf.constant(legacy_side), tf.constant(keras_side))
    np.testing.assert_array_equal(placed.numpy(), keras_side)
    one_head = keras_side[:, :1]
    placed = in_keras_layout(tf.constant(one_head[:, 0]), tf.constant(one_head))
    np.testing.assert_array_equal(placed.numpy(), one_head)


def _wrong(make_wrong, optimizers=("adam",)):
    hparams, batches = pair(16, maxlen=8, batch=8, steps=2)
    results = run_pair(LEGACY, make_wrong, batches, hparams, optimizers=optimizers, mode="float64")
    return first_failure(results)


def _masked_with(model, allowed):
    """The model's attention softmax masked by `allowed(padding, length)` instead."""
    for block in model.blocks:
        attention = block.attention
        call, softmax_call = attention.call, attention.softmax.call

        def patched(
            queries,
            keys,
            padding,
            training=False,
            attention=attention,
            call=call,
            softmax_call=softmax_call,
        ):
            mask = allowed(padding, ops.shape(queries)[1])
            attention.softmax.call = lambda scores, mask_=None, **_: softmax_call(scores, mask)
            return call(queries, keys, padding, training=training)

        attention.call = patched
    return model


@pytest.mark.slow  # ~30 s each on 2 cores
def test_keep_prob_passed_as_the_rate_fails_at_the_gradients():
    def make_wrong(h):
        model = make(h)
        for layer in model._flatten_layers():
            if isinstance(layer, keras.layers.Dropout):
                layer.rate = h["keep_prob"]
        return model

    failure = _wrong(make_wrong)
    assert failure.check == "gradients (batch 0)" and failure.cause == GRADIENTS


def test_layer_normalizations_default_epsilon_fails_at_the_forward_outputs():
    def make_wrong(h):
        model = make(h)
        for layer in model._flatten_layers():
            if isinstance(layer, keras.layers.LayerNormalization):
                layer.epsilon = 1e-3  # Keras' default
        return model

    failure = _wrong(make_wrong)
    assert failure.check == "forward (start weights)" and failure.cause == FORWARD_OUTPUT
    assert failure.ratio > 1e3


@pytest.mark.slow  # ~30 s each on 2 cores
def test_the_causal_mask_dropped_fails_at_the_forward_outputs():
    def make_wrong(h):
        return _masked_with(make(h), lambda padding, length: padding[:, None, None, :])

    failure = _wrong(make_wrong)
    assert failure.check == "forward (start weights)" and failure.cause == FORWARD_OUTPUT


@pytest.mark.slow  # ~30 s each on 2 cores
def test_the_padding_mask_dropped_fails_at_the_forward_outputs():
    def make_wrong(h):
        def causal_only(padding, length):
            return ops.tril(ops.ones((length, length), "bool"))[None, None]

        return _masked_with(make(h), causal_only)

    failure = _wrong(make_wrong)
    assert failure.check == "forward (start weights)" and failure.cause == FORWARD_OUTPUT


@pytest.mark.slow  # ~30 s each on 2 cores
def test_the_positional_embedding_dropped_fails_at_the_forward_outputs():
    def make_wrong(h):
        model = make(h)
        model.positions.call = lambda ids: ops.zeros(
            (*ops.shape(ids), h["hidden_units"]), keras.config.floatx()
        )
        return model

    failure = _wrong(make_wrong)
    assert failure.check == "forward (start weights)" and failure.cause == FORWARD_OUTPUT


@pytest.mark.slow  # ~30 s each on 2 cores
def test_stock_adam_on_the_embeddings_fails_after_the_steps():
    def make_wrong(h):
        model = make(h)
        model.compile(optimizer=keras.optimizers.Adam(h["lr"], epsilon=1e-8), loss=model.loss)
        return model

    failure = _wrong(make_wrong)
    assert failure.check == "after 2 steps (adam)" and failure.cause == SPARSE_SLOT


@pytest.mark.slow
@pytest.mark.parametrize("width", [32, 40, 48, 50, 64])
def test_bitwise_mode_passes_or_names_same_math_and_float64_passes_at_every_width(width):
    """Bitwise mode (float32, then float64 to name the cause of its failures) and float64
    mode; auto mode is the two runs of bitwise mode, judged in float64 where not bitwise."""
    hparams, batches = pair(width, maxlen=20, batch=32, steps=5)
    results = run_pair(LEGACY, MIGRATED, batches, hparams, optimizers=["adam"], mode="bitwise")
    failed = [r for r in results if not r.passed]
    assert all(r.cause.startswith("same math, different rounding") for r in failed), table(results)
    # the forward pass is where a stock-Keras rewrite's other ops show first, and are named
    assert failed[0].check == "forward (start weights)"
    assert "only the Keras graph: " in failed[0].cause and "Rsqrt" in failed[0].cause
    wide = run_pair(LEGACY, MIGRATED, batches, hparams, optimizers=["adam"], mode="float64")
    assert all(r.passed for r in wide), table(wide)
