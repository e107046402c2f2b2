"""`tf2rec.tf1` RNN cells inside `tf.compat.v1.nn.dynamic_rnn` and
`bidirectional_dynamic_rnn` (TF 2.21's, which still work with these cells) against the
same recurrences written in raw ops inside a `tf.compat.v1.while_loop` (bitwise), and one
GRU / LSTM step against the cells' documented equations in numpy."""

import numpy as np
import pytest

from tests.tf1.conftest import U32, gamma, pair_mismatches

PROGRAM = r'''
import numpy as np
import tensorflow as tf
tf.compat.v1.disable_v2_behavior()
v1 = tf.compat.v1
from tf2rec.tf1 import contrib, nn as tf_nn
from tests.tf1.graph_pair import run_pair

rng = np.random.default_rng(2)
results = {}
T, D, H = 5, 3, 4

def gru_step(x, h, scope):
    with v1.variable_scope(scope, reuse=v1.AUTO_REUSE):
        wg = v1.get_variable("gates/kernel", [D + H, 2 * H])
        bg = v1.get_variable("gates/bias", [2 * H], initializer=v1.constant_initializer(1.0))
        wc = v1.get_variable("candidate/kernel", [D + H, H])
        bc = v1.get_variable("candidate/bias", [H], initializer=v1.zeros_initializer())
    value = tf.sigmoid(tf.nn.bias_add(tf.matmul(tf.concat([x, h], 1), wg), bg))
    r, u = tf.split(value=value, num_or_size_splits=2, axis=1)
    c = tf.tanh(tf.nn.bias_add(tf.matmul(tf.concat([x, r * h], 1), wc), bc))
    return u * h + (1 - u) * c

def basic_lstm_step(x, state, scope, units, depth):
    c, h = state
    with v1.variable_scope(scope, reuse=v1.AUTO_REUSE):
        w = v1.get_variable("kernel", [depth + units, 4 * units])
        b = v1.get_variable("bias", [4 * units], initializer=v1.zeros_initializer())
    z = tf.nn.bias_add(tf.matmul(tf.concat([x, h], 1), w), b)
    i, j, f, o = tf.split(value=z, num_or_size_splits=4, axis=tf.constant(1))
    new_c = tf.add(tf.multiply(c, tf.sigmoid(tf.add(f, tf.constant(1.0)))),
                   tf.multiply(tf.sigmoid(i), tf.tanh(j)))
    return tf.multiply(tf.tanh(new_c), tf.sigmoid(o)), (new_c, None)

def peephole_lstm_step(x, state, scope, units, depth, proj):
    c_prev, m_prev = state
    with v1.variable_scope(scope, reuse=v1.AUTO_REUSE):
        w = v1.get_variable("kernel", [depth + proj, 4 * units])
        b = v1.get_variable("bias", [4 * units], initializer=v1.zeros_initializer())
        wf, wi, wo = (v1.get_variable(n, [units]) for n in ("w_f_diag", "w_i_diag", "w_o_diag"))
        p = v1.get_variable("projection/kernel", [units, proj])
    z = tf.nn.bias_add(tf.matmul(tf.concat([x, m_prev], 1), w), b)
    i, j, f, o = tf.split(value=z, num_or_size_splits=4, axis=1)
    c = tf.sigmoid(f + 1.0 + wf * c_prev) * c_prev + tf.sigmoid(i + wi * c_prev) * tf.tanh(j)
    m = tf.matmul(tf.sigmoid(o + wo * c) * tf.tanh(c), p)
    return m, c

def ref_loop(seq, step, state):
    """A while_loop over time as dynamic_rnn runs it (time-major TensorArrays)."""
    xs = v1.TensorArray(tf.float32, size=T).unstack(tf.transpose(seq, [1, 0, 2]))
    out = v1.TensorArray(tf.float32, size=T)
    def body(t, out, *state):
        output, new_state = step(xs.read(t), state)
        return (t + 1, out.write(t, output), *new_state)
    _, out, *_ = v1.while_loop(lambda t, *_: t < T, body, (tf.constant(0), out, *state))
    return tf.transpose(out.stack(), [1, 0, 2])

def zeros(n, like):
    return tf.zeros(tf.stack([tf.shape(like)[0], n]))

def gru_runtime(i):
    out, _ = v1.nn.dynamic_rnn(contrib.rnn.GRUCell(H), i["seq"], dtype=tf.float32)
    return {"out": out}, tf.reduce_sum(tf.square(out))

def gru_reference(i):
    with v1.variable_scope("rnn"):
        out = ref_loop(i["seq"], lambda x, s: (lambda h: (h, (h,)))(gru_step(x, s[0], "gru_cell")),
                       (zeros(H, i["seq"]),))
    return {"out": out}, tf.reduce_sum(tf.square(out))

def stack_runtime(i):
    cell = tf_nn.rnn_cell.MultiRNNCell([
        tf_nn.rnn_cell.BasicLSTMCell(H),
        tf_nn.rnn_cell.LSTMCell(3, use_peepholes=True, num_proj=2)])
    out, _ = v1.nn.dynamic_rnn(cell, i["seq"], dtype=tf.float32)
    return {"out": out}, tf.reduce_sum(tf.square(out))

def stack_reference(i):
    def step(x, s):
        c0, h0, c1, m1 = s
        with v1.variable_scope("multi_rnn_cell"):
            with v1.variable_scope("cell_0"):
                h0, (c0, _) = basic_lstm_step(x, (c0, h0), "basic_lstm_cell", H, D)
            with v1.variable_scope("cell_1"):
                m1, c1 = peephole_lstm_step(h0, (c1, m1), "lstm_cell", 3, H, 2)
        return m1, (c0, h0, c1, m1)
    seq = i["seq"]
    with v1.variable_scope("rnn"):
        out = ref_loop(seq, step, (zeros(H, seq), zeros(H, seq), zeros(3, seq), zeros(2, seq)))
    return {"out": out}, tf.reduce_sum(tf.square(out))

def bidi_runtime(i):
    (fw, bw), _ = v1.nn.bidirectional_dynamic_rnn(contrib.rnn.GRUCell(H), contrib.rnn.GRUCell(H),
                                                  i["seq"], dtype=tf.float32)
    return {"fw": fw, "bw": bw}, tf.reduce_sum(tf.square(fw)) + tf.reduce_sum(tf.square(bw))

def bidi_reference(i):
    seq = i["seq"]
    gru = lambda scope: (lambda x, s: (lambda h: (h, (h,)))(gru_step(x, s[0], scope)))
    with v1.variable_scope("bidirectional_rnn"):
        with v1.variable_scope("fw"):
            fw = ref_loop(seq, gru("gru_cell"), (zeros(H, seq),))
        with v1.variable_scope("bw"):
            bw = ref_loop(tf.reverse(seq, [1]), gru("gru_cell"), (zeros(H, seq),))
            bw = tf.reverse(bw, [1])
    return {"fw": fw, "bw": bw}, tf.reduce_sum(tf.square(fw)) + tf.reduce_sum(tf.square(bw))

seq = rng.normal(size=(6, T, D)).astype(np.float32)
for name, runtime, reference in (("gru", gru_runtime, gru_reference),
                                 ("stack", stack_runtime, stack_reference),
                                 ("bidi", bidi_runtime, bidi_reference)):
    results.update(run_pair(name, runtime, reference, {"seq": seq}))

# One step of each cell, for the numpy equations.
graph = tf.Graph()
with graph.as_default():
    x = tf.constant(rng.normal(size=(4, D)).astype(np.float32))
    h = tf.constant(rng.normal(size=(4, H)).astype(np.float32))
    c = tf.constant(rng.normal(size=(4, H)).astype(np.float32))
    gru_h, _ = contrib.rnn.GRUCell(H)(x, h, scope="gru")
    lstm_h, lstm_state = contrib.rnn.BasicLSTMCell(H)(x, contrib.rnn.LSTMStateTuple(c, h),
                                                      scope="lstm")
    grid = tf.constant(np.linspace(-20, 20, 400001, dtype=np.float32))
    with v1.Session() as sess:
        sess.run(v1.global_variables_initializer())
        fetch = dict(x=x, h=h, c=c, gru_h=gru_h, lstm_h=lstm_h, lstm_c=lstm_state.c,
                     grid=grid, grid_sigmoid=tf.sigmoid(grid), grid_tanh=tf.tanh(grid))
        fetch.update({v.op.name: v for v in v1.global_variables()})
        for key, value in sess.run(fetch).items():
            results["step/" + key] = value
np.savez("results.npz", **results)
'''


@pytest.mark.parametrize("pair", ["gru", "stack", "bidi"])
def test_cells_in_dynamic_rnn_equal_their_raw_while_loop_bitwise(tf1_results, pair):
    assert pair_mismatches(tf1_results, pair) == []


def _kernel_error(results, name, exact):
    """The largest error of TF's sigmoid / tanh kernel over a grid of 400,001 points in
    [-20, 20] (measured, since Eigen documents no bound), plus the error of one step of the
    grid times the function's slope bound, to cover the points between the grid's."""
    grid = results["step/grid"].astype(np.float64)
    measured = np.abs(results["step/grid_" + name] - exact(grid)).max()
    return measured + 1e-4  # grid spacing 1e-4, |slope| <= 1


def _sigmoid(z):
    return 1 / (1 + np.exp(-z))


def _matmul_bound(a, w):
    """gamma_(k+1) * (|a| @ |w| + |bias|): a dot product of k terms plus the bias add."""
    return gamma(a.shape[1] + 1) * (np.abs(a) @ np.abs(w))


def test_one_gru_step_follows_the_gru_equations(tf1_results):
    r = {k[5:]: v.astype(np.float64) for k, v in tf1_results.items() if k.startswith("step/")}
    x, h = r["x"], r["h"]
    # r, u = sigmoid([x, h] W_g + b_g) (r first); c = tanh([x, r * h] W_c + b_c);
    # h' = u * h + (1 - u) * c
    xh = np.concatenate([x, h], 1)
    z_g = xh @ r["gru/gates/kernel"] + r["gru/gates/bias"]
    rr, u = np.split(_sigmoid(z_g), 2, axis=1)
    xrh = np.concatenate([x, rr * h], 1)
    c = np.tanh(xrh @ r["gru/candidate/kernel"] + r["gru/candidate/bias"])
    expected = u * h + (1 - u) * c
    # propagate: sigmoid' <= 1/4, tanh' <= 1, each activation adds its kernel error; the
    # candidate's input r * h carries r's error times |h|; the last line adds 4 roundings
    e_sig, e_tanh = (
        _kernel_error(tf1_results, "sigmoid", _sigmoid),
        _kernel_error(tf1_results, "tanh", np.tanh),
    )
    g_abs = np.abs(np.concatenate([xh, np.ones((4, 1))], 1))
    e_gates = np.split(
        0.25 * _matmul_bound(g_abs, np.abs(np.vstack([r["gru/gates/kernel"], r["gru/gates/bias"]])))
        + e_sig,
        2,
        axis=1,
    )
    e_r, e_u = e_gates
    e_xrh = np.concatenate([np.zeros_like(x), e_r * np.abs(h) + U32 * np.abs(rr * h)], 1)
    wc = np.vstack([r["gru/candidate/kernel"], r["gru/candidate/bias"]])
    xrh1 = np.abs(np.concatenate([xrh, np.ones((4, 1))], 1))
    e_c = _matmul_bound(xrh1, np.abs(wc)) + e_xrh @ np.abs(r["gru/candidate/kernel"]) + e_tanh
    bound = (
        e_u * (np.abs(h) + np.abs(c))
        + np.abs(1 - u) * e_c
        + 4 * U32 * (np.abs(u * h) + np.abs((1 - u) * c) + 1)
    )
    assert np.all(np.abs(tf1_results["step/gru_h"] - expected) <= bound)
    # the bound is tight enough to tell r and u apart
    swapped = rr * h + (1 - rr) * c
    assert np.any(np.abs(swapped - expected) > bound)


def test_one_basic_lstm_step_follows_the_lstm_equations(tf1_results):
    r = {k[5:]: v.astype(np.float64) for k, v in tf1_results.items() if k.startswith("step/")}
    x, h, c = r["x"], r["h"], r["c"]
    xh1 = np.concatenate([x, h, np.ones((4, 1))], 1)
    w = np.vstack([r["lstm/kernel"], r["lstm/bias"]])
    i, j, f, o = np.split(xh1 @ w, 4, axis=1)
    # c' = c * sigmoid(f + forget_bias) + sigmoid(i) * tanh(j); h' = tanh(c') * sigmoid(o)
    new_c = c * _sigmoid(f + 1.0) + _sigmoid(i) * np.tanh(j)
    new_h = np.tanh(new_c) * _sigmoid(o)
    e_sig, e_tanh = (
        _kernel_error(tf1_results, "sigmoid", _sigmoid),
        _kernel_error(tf1_results, "tanh", np.tanh),
    )
    e_z = np.split(_matmul_bound(np.abs(xh1), np.abs(w)), 4, axis=1)
    e_i, e_j, e_f, e_o = e_z
    e_f = e_f + U32 * np.abs(f + 1.0)  # the forget bias add
    e_c = (
        np.abs(c) * (0.25 * e_f + e_sig)
        + np.abs(np.tanh(j)) * (0.25 * e_i + e_sig)
        + (e_j + e_tanh)
        + 3 * U32 * (np.abs(c) + 1)
    )
    assert np.all(np.abs(tf1_results["step/lstm_c"] - new_c) <= e_c)
    e_h = (e_c + e_tanh) + (0.25 * e_o + e_sig) + U32
    assert np.all(np.abs(tf1_results["step/lstm_h"] - new_h) <= e_h)
    without_forget_bias = c * _sigmoid(f) + _sigmoid(i) * np.tanh(j)
    assert np.any(np.abs(without_forget_bias - new_c) > e_c)
