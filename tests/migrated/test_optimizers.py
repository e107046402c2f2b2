"""The TF1-compatible optimizers, against numpy versions of TF1's update rules."""

import numpy as np
import pytest
import tensorflow as tf

from tf2rec.migrated import TF1SGD, TF1Adagrad, TF1Adam


def sparse(rows, values, n_rows=6):
    return tf.IndexedSlices(
        tf.constant(values, tf.float32), tf.constant(rows, tf.int32), tf.constant([n_rows, 2])
    )


ROWS = [1, 4, 1]  # row 1 repeated
VALUES = np.array([[0.5, -1.0], [2.0, 0.25], [0.5, 3.0]], np.float32)
SUMMED = {1: VALUES[0] + VALUES[2], 4: VALUES[1]}


# jit_compile: the update inside one XLA computation, as in a model compiled with
# jit_compile=True, where TensorFlow's Unique and sparse Adagrad kernels cannot run
XLA = pytest.mark.parametrize("jit_compile", [False, True], ids=["tf-kernels", "xla"])


def applied(optimizer, jit_compile: bool):
    """`optimizer.apply` as one traced step, compiled by XLA with `jit_compile`."""
    return tf.function(lambda g, v: optimizer.apply([g], [v]), jit_compile=jit_compile)


def table():
    return tf.Variable(np.arange(12, dtype=np.float32).reshape(6, 2) / 10)


@XLA
def test_sgd_touches_only_the_batch_rows(jit_compile):
    var = table()
    before = var.numpy()
    applied(TF1SGD(0.1), jit_compile)(sparse(ROWS, VALUES), var)
    expected = before.copy()
    for r, v in zip(ROWS, VALUES, strict=True):
        expected[r] -= 0.1 * v
    np.testing.assert_allclose(var.numpy(), expected, rtol=1e-6)


def test_sgd_subtracts_each_occurrence_of_an_id_in_turn_bit_for_bit():
    """TF1's scatter_sub semantics, in a fixed order (TensorFlow's own kernel splits the
    rows among threads, so its last bits vary from run to run)."""
    rng = np.random.default_rng(3)
    initial = rng.normal(size=(50, 4)).astype(np.float32)
    ids = rng.integers(0, 50, size=400).astype(np.int32)  # every id about 8 times
    rows = rng.normal(size=(400, 4)).astype(np.float32)
    var = tf.Variable(initial)
    opt = TF1SGD(0.1)
    step = tf.function(lambda g: opt.apply([g], [var]))  # as fit runs it
    step(tf.IndexedSlices(tf.constant(rows), tf.constant(ids), tf.constant([50, 4])))
    expected = initial.copy()
    scaled = rows * np.float32(0.1)
    for i, row in zip(ids, scaled, strict=True):
        expected[i] -= row
    np.testing.assert_array_equal(var.numpy(), expected)


@XLA
def test_adagrad_sums_repeated_ids_before_squaring(jit_compile):
    var = table()
    before = var.numpy()
    opt = TF1Adagrad(0.1)
    applied(opt, jit_compile)(sparse(ROWS, VALUES), var)
    expected = before.copy()
    for r, g in SUMMED.items():
        accum = 0.1 + g * g
        expected[r] -= 0.1 * g / np.sqrt(accum)
    np.testing.assert_allclose(var.numpy(), expected, rtol=1e-6)


@XLA
@pytest.mark.parametrize("lazy", [False, True])
def test_adam_sparse_update(lazy, jit_compile):
    var = table()
    before = var.numpy()
    opt = TF1Adam(0.01, lazy=lazy)
    step = applied(opt, jit_compile)
    step(sparse(ROWS, VALUES), var)
    step(sparse([2], [[1.0, 1.0]], n_rows=6), var)  # second step touches another row
    m = np.zeros((6, 2))
    v = np.zeros((6, 2))
    expected = before.astype(np.float64)
    for step, grads in enumerate([SUMMED, {2: np.ones(2)}], start=1):
        alpha = 0.01 * np.sqrt(1 - 0.999**step) / (1 - 0.9**step)
        rows = list(grads) if lazy else range(6)
        for r in rows:
            g = grads.get(r, np.zeros(2))
            m[r] = 0.9 * m[r] + 0.1 * g
            v[r] = 0.999 * v[r] + 0.001 * g * g
            expected[r] -= alpha * m[r] / (np.sqrt(v[r]) + 1e-8)
    np.testing.assert_allclose(var.numpy(), expected, rtol=1e-5, atol=1e-7)
    # rows that were never in a batch stay where they were
    moved = np.abs(var.numpy() - before).sum(axis=1) > 0
    assert moved.tolist() == [False, True, True, False, True, False]
    assert float(opt.beta_1_power.numpy()) == pytest.approx(0.9**3)


def test_config_round_trip():
    for opt in (TF1SGD(0.2), TF1Adagrad(0.3), TF1Adam(0.4, lazy=True)):
        clone = type(opt).from_config(opt.get_config())
        assert clone.get_config() == opt.get_config()


def tf1_trained(optimizer, initial: np.ndarray, batches, slots: list[str]):
    """The table and its `slots` after the TF1 `optimizer` (a `tf.compat.v1.train` one)
    applies `batches` of (ids, rows) sparse gradients in a TF1 graph, as the legacy model
    trains."""
    graph = tf.Graph()
    with graph.as_default():
        var = tf.compat.v1.get_variable("table", initializer=initial, use_resource=False)
        ids = tf.compat.v1.placeholder(tf.int32, [None])
        rows = tf.compat.v1.placeholder(tf.float32, [None, initial.shape[1]])
        train = optimizer.apply_gradients([(tf.IndexedSlices(rows, ids, initial.shape), var)])
        with tf.compat.v1.Session(graph=graph) as sess:
            sess.run(tf.compat.v1.global_variables_initializer())
            for batch_ids, batch_rows in batches:
                sess.run(train, {ids: batch_ids, rows: batch_rows})
            return sess.run([var] + [optimizer.get_slot(var, name) for name in slots])


def sparse_batches(seed: int, rows: int, dim: int):
    """Batches of sparse gradients with repeated ids, of different sizes, with rows from
    1e-9 to 1 (where Adam turns last-bit differences into lr-sized steps)."""
    rng = np.random.default_rng(seed)
    batches = []
    for size in (40, 40, 25, 40):
        ids = rng.integers(0, rows, size=size).astype(np.int32)
        scale = 10.0 ** rng.integers(-9, 1, size=(size, 1))
        batches.append((ids, (rng.normal(size=(size, dim)) * scale).astype(np.float32)))
    return batches


def test_adam_sparse_update_is_tf1s_to_the_bit():
    """Repeated ids, batches of different sizes and gradients near epsilon (where Adam
    turns last-bit differences into lr-sized steps), against TF1's own optimizer."""
    initial = np.random.default_rng(7).normal(0, 0.05, size=(300, 8)).astype(np.float32)
    batches = sparse_batches(7, 300, 8)
    expected = tf1_trained(tf.compat.v1.train.AdamOptimizer(0.01), initial, batches, ["m", "v"])

    var = tf.Variable(initial)
    opt = TF1Adam(0.01)
    step = tf.function(lambda g: opt.apply([g], [var]))  # as fit runs it
    for ids, rows in batches:
        step(tf.IndexedSlices(tf.constant(rows), tf.constant(ids), tf.constant([300, 8])))
    m, v = opt._momentums[0], opt._velocities[0]
    for name, want, got in zip("var m v".split(), expected, (var, m, v), strict=True):
        np.testing.assert_array_equal(got.numpy(), want, err_msg=name)


def test_repeated_ids_are_summed_in_xla_as_tf1_sums_them():
    """Inside one XLA computation (compile(jit_compile=True)) TensorFlow's Unique cannot
    run; the XLA version gives each id's summed rows, bit for bit TF1's (batch order)."""
    from tf2rec.migrated.optimizers import _sum_duplicates, _sum_duplicates_in_xla

    for ids, rows in sparse_batches(5, 30, 4):
        gradient = tf.IndexedSlices(tf.constant(rows), tf.constant(ids), tf.constant([30, 4]))
        at, summed = tf.function(
            lambda g: _sum_duplicates_in_xla(g, 30, tf.float32), jit_compile=True
        )(gradient)
        unique, expected = _sum_duplicates(gradient, tf.float32)
        at, summed = at.numpy(), summed.numpy()
        kept = at < 30  # the other positions hold the id past the table, and zero rows
        assert at[kept].tolist() == unique.numpy().tolist()  # first-occurrence order
        np.testing.assert_array_equal(summed[kept], expected.numpy())
        assert not summed[~kept].any()


def test_adagrad_sparse_update_is_tf1s_to_the_bit():
    initial = np.random.default_rng(7).normal(0, 0.05, size=(300, 8)).astype(np.float32)
    batches = sparse_batches(7, 300, 8)
    optimizer = tf.compat.v1.train.AdagradOptimizer(0.05)
    want_var, want_accum = tf1_trained(optimizer, initial, batches, ["accumulator"])

    var = tf.Variable(initial)
    opt = TF1Adagrad(0.05)
    step = tf.function(lambda g: opt.apply([g], [var]))  # as fit runs it
    for ids, rows in batches:
        step(tf.IndexedSlices(tf.constant(rows), tf.constant(ids), tf.constant([300, 8])))
    np.testing.assert_array_equal(opt._accumulators[0].numpy(), want_accum)
    np.testing.assert_array_equal(var.numpy(), want_var)
