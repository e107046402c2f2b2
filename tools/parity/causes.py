"""What usually makes a check fail: the first place to look, by stage and tensor.

The harness checks in an order that narrows the search: the forward pass in inference mode
(weights, layers, loss), then the first batch's gradients in training mode (what only runs
while training: dropout, batch statistics), then the state after N steps (the optimizer,
moving averages). The README's "When parity fails" lists the same causes with more detail.
"""

from __future__ import annotations

import re

from tf2rec.tools.parity.compare import Comparison

FORWARD_OUTPUT = (
    "the weights or an inference-mode layer differ: a weight mapped to the wrong TF1 "
    "variable or transposed (square kernels pass the shape check; print the map with "
    "--print-map), batch normalisation's epsilon, an activation, or the order of a sum"
)
FORWARD_LOSS = (
    "the outputs match, so the loss's formula or reduction differs: mean against sum, "
    "from_logits, label smoothing, or regularisation terms only one side adds"
)
GRADIENTS = (
    "the forward pass matches in inference mode, so something that only runs while "
    "training differs: dropout (Keras' Dropout takes rate = 1 - keep_prob; passing "
    "keep_prob as rate drops the wrong share), batch normalisation using its moving "
    "averages instead of the batch's statistics, or gradients of one table summed in "
    "another order (look up each table once, as the TF1 graph does)"
)
BIAS_GRADIENT = (
    "a bias added by a different op: Keras' Dense adds its bias with BiasAdd, whose "
    "gradient sums the batch in another order than that of TF1's `x + b`; where the bias "
    "feeds batch normalisation its exact gradient is zero and only that rounding is left. "
    "Add it with tf.nn.bias_add (or xw_plus_b) in TF1, or with `+` in Keras"
)
MOVING_AVERAGE = (
    "the gradients match, so the moving averages are updated differently: Keras' "
    "BatchNormalization momentum must be the TF1 decay (Keras' default is 0.99; "
    "tf.contrib.layers.batch_norm's was 0.999), and TF1's update ops must have run "
    "(UPDATE_OPS as control dependencies of the train op)"
)
MOVING_VARIANCE = (
    "the gradients and the moving means match, so only the moving variance moves "
    "differently: TF1's fused batch norm (tf.contrib.layers.batch_norm, fused by default, on "
    "2-D or 4-D input; tf.layers.batch_normalization(fused=True)) moves it towards the "
    "batch's unbiased variance (times m / (m - 1) for m values per channel), Keras' "
    "BatchNormalization towards the biased one; both normalise with the biased one. "
    "Add the difference after Keras' update (variance / (m - 1) * (1 - momentum))"
)
SPARSE_SLOT = (
    "the gradients match and embedding tables differ after the steps, so the optimizer's "
    "sparse update differs: TF1 sums the rows of repeated ids before updating (Adam's v "
    "gets (sum g)^2, Adagrad's accumulator too); stock keras.optimizers.Adam squares each "
    "row before summing, and uses other formulas. Use tf2rec.migrated.optimizers.TF1Adam "
    "/ TF1Adagrad / TF1SGD"
)
OPTIMIZER = (
    "the gradients match, so the training step differs: the optimizer's hyper-parameters "
    "(learning rate, epsilon, betas) or update formulas (tf2rec.migrated.optimizers has "
    "Keras optimizers with TF1's arithmetic), or train_step's gradients: GradientTape adds "
    "the contributions to a tensor used by several ops in another order than TF1's "
    "tf.gradients (take them with tf.gradients in train_step, as migrated/deepfm.py does)"
)
SAME_MATH = (
    "same math, different rounding: this check passes in float64 (error/bound {ratio}), so "
    "the rewrite computes the same mathematics with other operations ({ops}), which float32 "
    "rounds differently; bitwise mode passes only a rewrite that runs the TF1 graph's "
    "operations: run --mode auto (the default) to accept it"
)
STEP = "the number of steps differs: both sides must take one step per batch"


def annotate(results: list[Comparison], tables: set[str]) -> None:
    """Set the likely cause of every failed check. `tables`: the TF1 names of the weights
    updated by sparse gradients (embedding tables); a slot of one is `<table>/<slot>`."""
    failed = [r for r in results if not r.passed]
    for result in failed:
        result.cause = _cause(result, failed, tables)


def _cause(result: Comparison, failed: list[Comparison], tables: set[str]) -> str:
    if result.check.startswith("forward"):
        return FORWARD_LOSS if result.tensor == "loss of every batch" else FORWARD_OUTPUT
    same_check = [r for r in failed if r.check == result.check]
    if result.check.startswith("gradients"):
        biases_only = all(re.search(r"bias", r.tensor) for r in same_check)
        return BIAS_GRADIENT if biases_only else GRADIENTS
    if result.tensor == "global_step":
        return STEP
    if re.search(r"moving_(mean|variance)$", result.tensor):
        means = [r for r in same_check if r.tensor.endswith("moving_mean")]
        variance_only = result.tensor.endswith("variance") and not means
        return MOVING_VARIANCE if variance_only else MOVING_AVERAGE
    touches_table = any(
        r.tensor == table or r.tensor.startswith(table + "/")
        for r in same_check
        for table in tables
    )
    return SPARSE_SLOT if touches_table else OPTIMIZER
