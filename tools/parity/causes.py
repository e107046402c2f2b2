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
MOVING_AVERAGE = (
    "the gradients match, so the moving averages are updated differently: Keras' "
    "BatchNormalization momentum must be the TF1 decay (Keras' default is 0.99; "
    "tf.contrib.layers.batch_norm's was 0.999), and TF1's update ops must have run "
    "(UPDATE_OPS as control dependencies of the train op)"
)
SPARSE_SLOT = (
    "the gradients match, so the optimizer's sparse update differs: TF1 sums the rows of "
    "repeated ids before updating (Adam's v gets (sum g)^2, Adagrad's accumulator too); "
    "stock keras.optimizers.Adam squares each row before summing and updates with other "
    "formulas. Use tf2rec.migrated.optimizers.TF1Adam / TF1Adagrad / TF1SGD"
)
OPTIMIZER = (
    "the gradients match, so the optimizer differs: its hyper-parameters (learning rate, "
    "epsilon, betas), TF1's update formulas (tf2rec.migrated.optimizers has Keras "
    "optimizers with TF1's arithmetic), or the number of steps taken"
)
STEP = "the number of steps differs: both sides must take one step per batch"


def likely_cause(result: Comparison, stage: str, *, embedding: bool = False) -> str:
    """The usual cause of `result` failing at `stage` ("forward", "gradients" or "steps");
    `embedding`: the tensor belongs to a table updated by sparse gradients."""
    if stage == "forward":
        return FORWARD_LOSS if result.tensor == "loss of every batch" else FORWARD_OUTPUT
    if stage == "gradients":
        return GRADIENTS
    name = result.tensor
    if name == "global_step":
        return STEP
    if re.search(r"moving_(mean|variance)$", name):
        return MOVING_AVERAGE
    if embedding:
        return SPARSE_SLOT
    return OPTIMIZER
