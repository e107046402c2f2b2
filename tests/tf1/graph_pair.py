"""Run a runtime-built graph and its raw `tf.compat.v1` reference side by side (inside a
test's subprocess, after `disable_v2_behavior()`).

Each side is built in a graph of its own by a function `build(inputs) -> (outputs, loss)`
from the same placeholders. The reference's variables start from the runtime's initial
values, matched by name (so a name the runtime got wrong is a KeyError naming it). Both then
compute the outputs, the gradients of the loss and a few steps of TF1's
GradientDescentOptimizer (running `UPDATE_OPS` with each step, as TF1 code had to).

Both sessions run with Grappler's arithmetic optimizer off: it may reorder the additions of
an `AddN` by node names (which a hand-written reference does not share), and the proof is
about the graph as built, not about a rewrite of it.
"""

import numpy as np
import tensorflow as tf
from tensorflow.core.protobuf import rewriter_config_pb2

v1 = tf.compat.v1


def _config():
    config = v1.ConfigProto()
    config.graph_options.rewrite_options.arithmetic_optimization = (
        rewriter_config_pb2.RewriterConfig.OFF
    )
    return config


def _side(build, feeds, steps, lr, initial, seed):
    graph = tf.Graph()
    with graph.as_default():
        v1.set_random_seed(seed)
        inputs = {
            name: v1.placeholder(
                tf.as_dtype(value.dtype), [None, *value.shape[1:]] if value.ndim else [], name=name
            )
            for name, value in feeds.items()
        }
        outputs, loss = build(inputs)
        variables = v1.global_variables()
        trainable = v1.trainable_variables()
        grads = [
            tf.convert_to_tensor(g) if isinstance(g, tf.IndexedSlices) else g
            for g in tf.gradients(loss, trainable)
        ]  # embeddings: dense for comparing
        with tf.control_dependencies(v1.get_collection(v1.GraphKeys.UPDATE_OPS)):
            train = v1.train.GradientDescentOptimizer(lr).minimize(loss)
        init = v1.global_variables_initializer()
    feed = {inputs[name]: value for name, value in feeds.items()}
    result = {}
    with v1.Session(graph=graph, config=_config()) as sess:
        sess.run(init)
        if initial is None:
            initial = {v.op.name: sess.run(v) for v in variables}
        else:
            for v in variables:
                v.load(initial[v.op.name], sess)
        for key, value in sess.run(outputs, feed).items():
            result["out/" + key] = value
        for v, g in zip(trainable, sess.run(grads, feed), strict=True):
            result["grad/" + v.op.name] = g
        result["losses"] = np.array([sess.run([loss, train], feed)[0] for _ in range(steps)])
        for v in variables:
            result["var/" + v.op.name] = sess.run(v)
    return result, initial


def run_pair(prefix, runtime, reference, feeds, steps=3, lr=0.1, seed=7):
    """`{prefix/runtime/..., prefix/reference/...}` arrays of both sides."""
    runtime_result, initial = _side(runtime, feeds, steps, lr, None, seed)
    reference_result, _ = _side(reference, feeds, steps, lr, initial, seed)
    out = {f"{prefix}/runtime/{k}": v for k, v in runtime_result.items()}
    out.update({f"{prefix}/reference/{k}": v for k, v in reference_result.items()})
    return out


def pair_keys(results, prefix):
    """The keys a pair computed, without the side: `out/y`, `grad/dense/kernel`, ..."""
    head = f"{prefix}/runtime/"
    return sorted(k[len(head) :] for k in results if k.startswith(head))
