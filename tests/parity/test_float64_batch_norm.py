"""Fused batch normalisation in float64 (`float64_batch_norm`), proven op by op: the
rewritten float64 graph against TF1's documented batch normalisation written in numpy
float64, and against the float32 kernels it replaces, each within an error bound argued
below; and fused TF1 batch normalisation in a parity run."""

import numpy as np
import pytest
import tensorflow as tf

from tf2rec.tools.parity.error_bounds import U32, U64, gamma
from tf2rec.tools.parity.float64_graph import missing_kernels, to_float64

v1 = tf.compat.v1
EPSILON = 1e-3
OUTPUTS = ("y", "mean", "variance", "dx", "dscale", "doffset")


def _graph(shape, nchw, training, factor):
    """A float32 graph with one fused batch norm and its gradients, fed by placeholders."""
    channels = shape[1] if nchw else shape[-1]
    graph = tf.Graph()
    with graph.as_default():
        x = v1.placeholder(tf.float32, [None, *shape[1:]], name="x")
        dy = v1.placeholder(tf.float32, [None, *shape[1:]], name="dy")
        params = [v1.placeholder(tf.float32, [channels], name=n) for n in ("scale", "offset")]
        given = [v1.placeholder(tf.float32, [channels], name=n) for n in ("mean", "var")]
        y, mean, variance = v1.nn.fused_batch_norm(
            x,
            *params,
            mean=given[0] if not training or factor != 1 else None,
            variance=given[1] if not training or factor != 1 else None,
            epsilon=EPSILON,
            data_format="NCHW" if nchw else "NHWC",
            is_training=training,
            exponential_avg_factor=factor,
        )
        grads = tf.gradients(y, [x, *params], grad_ys=dy)
        for name, tensor in zip(OUTPUTS, (y, mean, variance, *grads), strict=True):
            tf.identity(tensor, name="out_" + name)
    return graph


def _run(graph_def, feeds, dtype):
    graph = tf.Graph()
    with graph.as_default():
        tf.import_graph_def(graph_def, name="")
    fetches = [f"out_{name}:0" for name in OUTPUTS]
    feed = {f"{k}:0": v.astype(dtype) for k, v in feeds.items()}
    with v1.Session(graph=graph) as sess:
        return dict(zip(OUTPUTS, sess.run(fetches, feed), strict=True))


def _feeds(shape, nchw, seed=0):
    rng = np.random.default_rng(seed)
    channels = shape[1] if nchw else shape[-1]
    feeds = {
        "x": rng.standard_normal(shape) * 3 + 1.5,
        "dy": rng.standard_normal(shape),
        "scale": rng.uniform(0.5, 2.0, channels),
        "offset": rng.standard_normal(channels),
        "mean": rng.standard_normal(channels),
        "var": rng.uniform(0.5, 2.0, channels),
    }
    return {k: v.astype(np.float32).astype(np.float64) for k, v in feeds.items()}


def _channels_last(a, nchw):
    return np.moveaxis(a, 1, -1) if nchw else a


def _numpy_batch_norm(f, nchw, training, factor):
    """TF1's batch normalisation (tf.nn.fused_batch_norm's documentation, Ioffe and Szegedy
    2015) in numpy float64, per channel over the m values of the batch, with the magnitude
    M of each output's terms: the formula on absolute values, times (1 + kappa) wherever the
    normalising variance enters, kappa = mean((|x| + |mean|)^2) / (var + epsilon) being how
    much a rounding of the variance's terms grows relative to var + epsilon."""
    x, dy = _channels_last(f["x"], nchw), _channels_last(f["dy"], nchw)
    channels = x.shape[-1]
    m = x.size // channels
    flat, dflat = x.reshape(m, channels), dy.reshape(m, channels)
    if training:
        mean, var = flat.mean(0), flat.var(0)
        out_mean, out_var = mean, var * m / (m - 1)  # Bessel's correction, moving variance
        if factor != 1:
            out_mean = (1 - factor) * f["mean"] + factor * mean
            out_var = (1 - factor) * f["var"] + factor * out_var
    else:
        mean, var, out_mean, out_var = f["mean"], f["var"], f["mean"], f["var"]
    r = 1 / np.sqrt(var + EPSILON)
    xhat = (flat - mean) * r
    y = xhat * f["scale"] + f["offset"]
    dscale, doffset = (dflat * xhat).sum(0), dflat.sum(0)
    if training:
        dx = f["scale"] * r * (dflat - doffset / m - xhat * dscale / m)
    else:
        dx = dflat * f["scale"] * r
    spread = np.abs(flat) + np.abs(mean)
    kappa = 1 + (spread**2).mean(0) / (var + EPSILON)
    sxhat = spread * r
    magnitude = {
        "y": (sxhat * np.abs(f["scale"]) * kappa + np.abs(f["offset"])),
        "mean": np.abs(flat).mean(0) + np.abs(out_mean),
        "variance": (spread**2).mean(0) * m / (m - 1) + np.abs(out_var),
        "dx": np.abs(f["scale"])
        * r
        * kappa
        * (np.abs(dflat) + np.abs(dflat).mean(0) + sxhat * (np.abs(dflat) * sxhat).mean(0)),
        "dscale": (np.abs(dflat) * sxhat).sum(0) * kappa,
        "doffset": np.abs(dflat).sum(0),
    }
    back = (
        (lambda a: np.moveaxis(a.reshape(x.shape), -1, 1))
        if nchw
        else (lambda a: a.reshape(x.shape))
    )
    values = {"y": back(y), "mean": out_mean, "variance": out_var, "dx": back(dx),
              "dscale": dscale, "doffset": doffset}  # fmt: skip
    for key in ("y", "dx"):
        magnitude[key] = back(np.broadcast_to(magnitude[key], flat.shape))
    return values, magnitude, m


CASES = {
    "training, NHWC": ((5, 2, 3, 4), False, True, 1.0),
    "training, NCHW": ((5, 4, 2, 3), True, True, 1.0),
    "training, 2-D input as contrib's batch_norm reshapes it": ((64, 1, 1, 16), False, True, 1.0),
    "training, exponential_avg_factor 0.3": ((5, 2, 3, 4), False, True, 0.3),
    "inference, NHWC": ((5, 2, 3, 4), False, False, 1.0),
    "inference, NCHW": ((5, 4, 2, 3), True, False, 1.0),
}


@pytest.mark.parametrize("case", list(CASES))
def test_fused_batch_norm_in_float64_is_tf1_batch_norm(case):
    shape, nchw, training, factor = CASES[case]
    graph_def = _graph(shape, nchw, training, factor).as_graph_def()
    wide_def = to_float64(graph_def)
    assert not [n.name for n in wide_def.node if n.op.startswith("FusedBatchNorm")]
    assert missing_kernels(wide_def) == []
    feeds = _feeds(shape, nchw)
    wide = _run(wide_def, feeds, np.float64)
    kernel = _run(graph_def, feeds, np.float32)
    expected, magnitude, m = _numpy_batch_norm(feeds, nchw, training, factor)
    # first-order error analysis (Higham 3.1, 4.2): on every path from the inputs to an
    # output there are at most 2m sums' additions (the mean, then the variance or the
    # gradient's sums) and 20 element-wise roundings, each relative to the magnitude of its
    # terms; the variance's error reaches 1/sqrt(var + epsilon) scaled by kappa
    operations = 2 * m + 20
    for name in OUTPUTS:
        assert wide[name].dtype == np.float64
        # (a) float64 against numpy float64: both within gamma_n(2^-53) M of the exact value
        bound64 = 2 * gamma(operations, U64) * magnitude[name]
        assert np.all(np.abs(wide[name] - expected[name]) <= bound64), (name, case)
        # (b) the float32 kernel against the float64 rewrite: within gamma_n(2^-24) M
        # (its inputs are the same values; the float32 epsilon's rounding is one of the 20)
        bound32 = gamma(operations, U32) * magnitude[name] + bound64
        assert np.all(np.abs(kernel[name] - wide[name]) <= bound32), (name, case)
    # the float32 kernel is no float64 computation: the check of (a) would see one
    assert np.any(np.abs(kernel["y"] - expected["y"]) > 2 * gamma(operations, U64) * magnitude["y"])


def test_the_moving_variance_is_bessel_corrected_and_normalisation_is_not():
    """What the kernel's outputs hold, as the rewrite reproduces it: a wrong choice of
    variance fails (a) by far more than its bound."""
    shape = (64, 1, 1, 16)
    feeds = _feeds(shape, False)
    wide = _run(to_float64(_graph(shape, False, True, 1.0).as_graph_def()), feeds, np.float64)
    flat = feeds["x"].reshape(64, 16)
    assert np.allclose(wide["variance"], flat.var(0, ddof=1), rtol=1e-12, atol=0)
    assert not np.allclose(wide["variance"], flat.var(0), rtol=1e-3, atol=0)
    y = (flat - flat.mean(0)) / np.sqrt(flat.var(0) + EPSILON) * feeds["scale"] + feeds["offset"]
    assert np.allclose(wide["y"].reshape(64, 16), y, rtol=1e-12, atol=1e-12)
