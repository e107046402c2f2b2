"""Float64 equivalence: the legacy graph rewritten to float64 computes in float64 (against
exact rational arithmetic), the criterion, and what float64 mode refuses, by name."""

import json
from fractions import Fraction

import keras
import numpy as np
import pytest
import tensorflow as tf

from tf2rec.interactions import DataError
from tf2rec.interactions.ctr import synthetic_clicks
from tf2rec.migrated.deepfm import NAME_MAP_FILE, make
from tf2rec.tools.parity import FLOAT64, compare_float64, run_pair, table
from tf2rec.tools.parity.error_bounds import U64, gamma
from tf2rec.tools.parity.float64_graph import as_literals, missing_kernels, to_float64

v1 = tf.compat.v1


def test_float32_constants_become_the_literals_the_code_wrote():
    written = [0.999, 0.9, 1e-8, 0.5, -4294967295.0, 7.0710678]
    widened = as_literals(np.array(written, np.float32))
    assert widened.dtype == np.float64
    assert widened[:4].tolist() == [0.999, 0.9, 1e-8, 0.5]  # not 0.99900001287...
    # a value float32 cannot hold becomes its float32 rounding's shortest form
    assert widened[4] == float(np.float32(-4294967295.0))


def _graph():
    graph = tf.Graph()
    with graph.as_default():
        x = v1.placeholder(tf.float32, [None, 3], name="x")
        w = tf.constant([[0.1], [0.2], [0.3]], tf.float32)
        y = tf.reduce_mean(tf.matmul(x, w) * 0.999 + 0.5, name="y")
    return graph, y


def _run(graph_def, x):
    graph = tf.Graph()
    with graph.as_default():
        tf.import_graph_def(graph_def, name="")
    with v1.Session(graph=graph) as sess:
        return sess.run("y:0", {"x:0": x})


def test_the_rewritten_graph_computes_in_float64():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((64, 3)) * 10.0 ** rng.uniform(-3, 3, (64, 3))
    graph, _ = _graph()
    wide = _run(to_float64(graph.as_graph_def()), x)
    assert np.asarray(wide).dtype == np.float64
    # the exact value of the same program on the same float64 inputs and literals
    w = [Fraction(0.1), Fraction(0.2), Fraction(0.3)]
    rows = [sum(Fraction(float(v)) * c for v, c in zip(row, w, strict=True)) for row in x]
    exact = sum(r * Fraction(0.999) + Fraction(0.5) for r in rows) / len(rows)
    # 3 products and 2 sums per row, a multiply, an add, and a sum of 64 (Higham 3.1, 4.2)
    terms = sum(abs(float(r)) * 0.999 + 0.5 for r in rows) / len(rows)
    bound = gamma(3 + 2 + 64, U64) * terms * 2
    assert abs(float(wide) - float(exact)) <= bound
    narrow = _run(graph.as_graph_def(), x.astype(np.float32))  # the float32 program
    assert abs(float(narrow) - float(exact)) > bound  # the check would see a float32 run


def test_ops_without_a_float64_kernel_are_named():
    graph = tf.Graph()
    with graph.as_default():
        x = v1.placeholder(tf.float32, [None, 2, 2, 4])
        v1.nn.lrn(x, depth_radius=2, name="lrn")  # LRN: float32 and float16 kernels only
        v1.nn.fused_batch_norm(x, tf.ones([4]), tf.zeros([4]), is_training=True, name="bn")
    missing = missing_kernels(to_float64(graph.as_graph_def()))
    # fused batch normalisation is rewritten into float64 ops (test_float64_batch_norm.py)
    assert missing == ["lrn (LRN)"]
    assert missing_kernels(to_float64(_graph()[0].as_graph_def())) == []


def test_the_float64_criterion():
    a = np.array([1.0, -4.0, 0.5])
    edge = a.copy()
    edge[1] += 4.0 * 2.0**-24  # exactly 2^-24 of the largest magnitude
    assert compare_float64("c", "t", a, edge, "").passed
    beyond = a.copy()
    beyond[1] += 4.0 * 2.0**-23
    result = compare_float64("c", "t", a, beyond, "")
    assert not result.passed and result.ratio == pytest.approx(2.0) and result.kind == FLOAT64
    # within the legacy model's own float32 distance of that tensor
    assert compare_float64("c", "t", a, beyond, "", rounding=4.0 * 2.0**-23).passed
    zero = np.zeros(3)
    assert compare_float64("c", "t", zero, zero, "").passed
    assert not compare_float64("c", "t", zero, np.array([0.0, 1e-300, 0.0]), "").passed
    assert not compare_float64("c", "t", a, np.array([1.0, np.nan, 0.5]), "").passed


def test_a_layer_fixed_to_float32_is_refused_by_name():
    from tf2rec.tools.parity.harness import _check_float64, _keras_precision

    with _keras_precision("float64"):
        inputs = keras.Input((3,))
        hidden = keras.layers.Dense(4, name="hidden")(inputs)
        model = keras.Model(inputs, keras.layers.Dense(1, dtype="float32", name="head")(hidden))
        with pytest.raises(DataError, match="layer 'head' \\(Dense\\) computes in float32"):
            _check_float64(model)
    assert keras.config.floatx() == "float32"  # the policy is restored


FIELDS = (30, 12, 6, 4)
HPARAMS = {"n_features": sum(FIELDS), "n_fields": len(FIELDS), "deep_layers": [16, 16]}


@pytest.fixture(scope="module")
def clicks():
    return synthetic_clicks(2_000, FIELDS, seed=3).batches(64, steps=4, seed=4)


def test_the_deepfm_pair_is_equal_in_float64(clicks):
    results = run_pair(
        "tf2rec.legacy.deepfm:build",
        "tf2rec.migrated.deepfm:make",
        clicks,
        HPARAMS,
        optimizers=["adam"],
        labels=["label"],
        name_map=json.loads(NAME_MAP_FILE.read_text()),
        mode="float64",
    )
    assert all(r.passed and r.kind == FLOAT64 for r in results), table(results)
    # the biases before batch normalisation: an exact gradient of zero, rounding noise on
    # both sides, held to the legacy model's own float32 distance
    bias = next(r for r in results if r.check.startswith("gradients") and r.tensor == "bias_0")
    assert bias.ratio < 1e-3


def test_a_keras_model_that_fails_is_one_line(clicks):
    def make_wrong(h):
        model = make(h)
        model.call = lambda inputs, training=False: inputs["feat_index"]  # the TF1 name
        return model

    options = {"optimizers": ["sgd"], "steps": 1, "labels": ["label"],
               "name_map": json.loads(NAME_MAP_FILE.read_text())}  # fmt: skip
    with pytest.raises(
        DataError, match=r"fails on the batch's inputs \(features int32\[None, 4\]\)"
    ):
        run_pair("tf2rec.legacy.deepfm:build", make_wrong, clicks, HPARAMS, **options)

    def make_broken(h):
        raise ValueError("n_fields must be positive")

    with pytest.raises(DataError, match="make_broken\\(hparams\\) failed: ValueError: n_fields"):
        run_pair("tf2rec.legacy.deepfm:build", make_broken, clicks, HPARAMS, **options)
