"""Fused batch normalisation in float64, from ops that have float64 kernels.

`FusedBatchNormV3` and `FusedBatchNormGradV3` (and their V1/V2 forms) have CPU kernels for
float32 and narrower types only, and TF1 models reach them often: `tf.contrib.layers.batch_norm`
is fused by default, on 2-D input too (reshaped to [N, 1, 1, C]), and so is
`tf.layers.batch_normalization` on 4-D input. `replace_fused_batch_norms` swaps each such node of
a GraphDef for the same computation written with `Mean`, `Sub`, `Rsqrt` and friends, in float64,
ending in an `IdentityN` of the node's own name, so every consumer (`name:k`, `^name`) reads the
same outputs as before.

What the CPU kernels compute (checked against them in tests/parity/test_float64_batch_norm.py),
per channel over the m = N*H*W values of the batch:

- training: y = (x - mean) / sqrt(var + epsilon) * scale + offset with the batch's mean and
  *biased* variance var; the `batch_variance` output (which TF1 moves the moving variance
  towards) is the *unbiased* one, var * m / (m - 1) (m > 1); with `exponential_avg_factor`
  f != 1 the mean and variance outputs are already the moving averages,
  (1 - f) * given + f * batch. `reserve_space_1` / `_2` hold the batch mean and the biased
  variance, which the gradient reads; `reserve_space_3` is an unused scalar 0.
- inference: the given mean and variance normalise, and pass through as outputs;
  `reserve_space_1` / `_2` are zeros (TF's gradient of this case reads the given mean and
  variance instead, so the GradV3 node's inputs 3 and 4 are always the mean and the variance
  that normalised).
- gradient, training: with xhat = (x - mean) / sqrt(var + epsilon),
  d_offset = sum(dy), d_scale = sum(dy * xhat),
  dx = scale / sqrt(var + epsilon) * (dy - mean(dy) - xhat * mean(dy * xhat));
  inference: dx = dy * scale / sqrt(var + epsilon), the same d_scale and d_offset.
  `reserve_space_4` / `_5` are empty.
"""

from __future__ import annotations

import numpy as np
import tensorflow as tf
from tensorflow.core.framework import graph_pb2, node_def_pb2, types_pb2

DOUBLE = types_pb2.DT_DOUBLE
FORWARD = {"FusedBatchNorm", "FusedBatchNormV2", "FusedBatchNormV3"}
GRADIENT = {"FusedBatchNormGrad", "FusedBatchNormGradV2", "FusedBatchNormGradV3"}
FUSED_BATCH_NORMS = FORWARD | GRADIENT


def replace_fused_batch_norms(graph_def: graph_pb2.GraphDef, literal) -> None:
    """Replace, in place, every fused batch norm node of `graph_def` (not of its function
    library) by its float64 composition. `literal(float32) -> float` gives the float64
    value of a float32 attribute (epsilon, the averaging factor), as for constants."""
    kept = []
    for node in graph_def.node:
        if node.op in FUSED_BATCH_NORMS:
            kept.extend(_composition(node, literal))
        else:
            kept.append(node)
    del graph_def.node[:]
    graph_def.node.extend(kept)


def _composition(node, literal) -> list:
    """The nodes that compute `node`'s outputs in float64, the last named as `node`."""
    data = [name for name in node.input if not name.startswith("^")]
    control = [name for name in node.input if name.startswith("^")]
    epsilon = literal(np.float32(node.attr["epsilon"].f))
    nchw = node.attr["data_format"].s.decode() in ("NCHW", "NCDHW")
    training = node.attr["is_training"].b if "is_training" in node.attr else True
    if node.op in FORWARD:
        factor = 1.0
        if "exponential_avg_factor" in node.attr:
            factor = literal(np.float32(node.attr["exponential_avg_factor"].f))
        outputs = 6 if node.op == "FusedBatchNormV3" else 5
        build = _forward_builder(epsilon, nchw, training, factor, outputs)
        names = ("x", "scale", "offset", "mean", "variance")
    else:
        build = _gradient_builder(epsilon, nchw, training)
        names = ("y_backprop", "x", "scale", "mean", "variance", "reserve_space_3")
    return _spliced(node.name, dict(zip(names, data, strict=False)), control, build)


def _spliced(name: str, inputs: dict[str, str], control: list[str], build) -> list:
    """`build`'s float64 graph as nodes under `name/float64/`: its placeholders become
    Identity nodes of `inputs` (carrying `control`), its constants run where `x` does (in its
    cond branch or loop frame), and an IdentityN named `name` gives its outputs."""
    scratch = tf.Graph()
    with scratch.as_default():
        placeholders = {key: tf.compat.v1.placeholder(tf.float64, name=key) for key in inputs}
        outputs = build(**placeholders)
    prefix = name + "/float64/"
    anchor = "^" + prefix + "x"
    nodes = []
    for inner in scratch.as_graph_def().node:
        node = node_def_pb2.NodeDef()
        node.CopyFrom(inner)
        node.name = prefix + inner.name
        node.input[:] = [_prefixed(prefix, source) for source in inner.input]
        if inner.op == "Placeholder":
            node.op = "Identity"
            node.attr.clear()
            node.attr["T"].type = DOUBLE
            node.input[:] = [inputs[inner.name], *control]
        elif not inner.input:
            node.input.append(anchor)
        nodes.append(node)
    identity = node_def_pb2.NodeDef(name=name, op="IdentityN")
    identity.input.extend(prefix + t.name for t in outputs)
    identity.attr["T"].list.type.extend([DOUBLE] * len(outputs))
    nodes.append(identity)
    return nodes


def _prefixed(prefix: str, source: str) -> str:
    return "^" + prefix + source[1:] if source.startswith("^") else prefix + source


def _channels(nchw: bool):
    """The reduction axes and a function giving a [C] vector the input's broadcast shape."""
    if nchw:
        return [0, 2, 3], lambda v: tf.reshape(v, [1, -1, 1, 1])
    return [0, 1, 2], lambda v: v


def _forward_builder(epsilon, nchw, training, factor, count):
    axes, per_channel = _channels(nchw)

    def build(x, scale, offset, mean, variance):
        c = per_channel
        if training:
            batch_mean = tf.reduce_mean(x, axes)
            centred = x - c(batch_mean)
            biased = tf.reduce_mean(tf.square(centred), axes)
            m = tf.cast(tf.size(x) // tf.size(scale), tf.float64)
            unbiased = biased * (m / tf.maximum(m - 1, 1))
            normaliser, out_mean, out_variance = biased, batch_mean, unbiased
            if factor != 1.0:
                out_mean = (1 - factor) * mean + factor * batch_mean
                out_variance = (1 - factor) * variance + factor * unbiased
            saved = (batch_mean, biased)
        else:
            centred = x - c(mean)
            normaliser, out_mean, out_variance = variance, tf.identity(mean), tf.identity(variance)
            saved = (tf.zeros_like(mean), tf.zeros_like(variance))
        y = centred * c(tf.math.rsqrt(normaliser + epsilon) * scale) + c(offset)
        outputs = [y, out_mean, out_variance, *saved]
        return outputs + [tf.constant(0.0, tf.float64)] if count == 6 else outputs

    return build


def _gradient_builder(epsilon, nchw, training):
    axes, per_channel = _channels(nchw)

    def build(y_backprop, x, scale, mean, variance, reserve_space_3=None):
        del reserve_space_3
        c, dy = per_channel, y_backprop
        inverse = tf.math.rsqrt(variance + epsilon)
        xhat = (x - c(mean)) * c(inverse)
        d_offset = tf.reduce_sum(dy, axes)
        d_scale = tf.reduce_sum(dy * xhat, axes)
        if training:
            m = tf.cast(tf.size(x) // tf.size(scale), tf.float64)
            centred = dy - c(d_offset / m) - xhat * c(d_scale / m)
            dx = c(scale * inverse) * centred
        else:
            dx = dy * c(scale * inverse)
        empty = tf.zeros([0], tf.float64)
        return [dx, d_scale, d_offset, empty, tf.identity(empty)]

    return build
