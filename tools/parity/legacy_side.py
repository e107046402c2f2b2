"""The legacy half of the parity harness, run in its own process (TF1 behaviour is global).

    python -m tf2rec.tools.parity.legacy_side WORKDIR

reads `WORKDIR/job.json` (the legacy `build` function, hparams, optimizers, learning rate,
steps, an optional starting checkpoint, the seed of the random ops' values) and
`WORKDIR/batches.npz`, and writes for each optimizer `init-<optimizer>/` (the starting
checkpoint, slots included) and `final-<optimizer>/` (after the steps), and `legacy.npz`:
the outputs and loss of every batch (eval feeds), the gradients of the first batch (train
feeds), and the values fed to the random ops.

Random ops (dropout's uniform draws) in the loss's graph are fed values drawn here, one
array per op and step, so that the migrated side can use the very same ones: the checks
cover dropout instead of skipping it.
"""

import functools
import json
import os
import sys

import numpy as np
import tensorflow.compat.v1 as tf
from tensorflow.core.protobuf import rewriter_config_pb2

from tf2rec.interactions import DataError
from tf2rec.interactions.model_files import CHECKPOINT_PREFIX
from tf2rec.tools.parity.pair import check_description, load_object, step_count

tf.disable_v2_behavior()
tf.logging.set_verbosity(tf.logging.ERROR)

RANDOM_OPS = {"RandomUniform", "RandomStandardNormal", "TruncatedNormal"}


def random_ops(loss):
    """The random ops the loss depends on, in the order they were created. Variables'
    initializers are not among them: the loss reads variables, not their initial values."""
    seen, stack, found = set(), [loss.op], []
    while stack:
        op = stack.pop()
        if op.name in seen:
            continue
        seen.add(op.name)
        if op.type in RANDOM_OPS:
            found.append(op)
        stack.extend(t.op for t in op.inputs)
        stack.extend(op.control_inputs)
    return sorted(found, key=lambda op: op._id)


def draw(op, shape, rng):
    if op.type == "RandomUniform":
        return rng.random(shape, dtype=np.float32)
    return rng.standard_normal(shape, dtype=np.float32)


def _feed(description, batches, step, extra, random_values=(), *, randoms):
    """The feed_dict of one step: its batch, the extra feeds, its random values."""
    fed = {placeholder: batches[key][step] for key, placeholder in description["inputs"].items()}
    fed.update(extra or {})
    for op, values in zip(randoms, random_values, strict=False):
        fed[op.outputs[0]] = values[step]
    return fed


def session_config():
    """As the legacy trainer runs, but without Grappler's arithmetic optimizer (see the
    harness's docstring: it reorders sums according to how a graph happens to be built)."""
    config = tf.ConfigProto(allow_soft_placement=True)
    config.graph_options.rewrite_options.arithmetic_optimization = (
        rewriter_config_pb2.RewriterConfig.OFF
    )
    return config


def run(workdir):
    with open(os.path.join(workdir, "job.json")) as f:
        job = json.load(f)
    build = load_object(job["legacy"], "--legacy")
    with np.load(os.path.join(workdir, "batches.npz")) as data:
        batches = {key: data[key] for key in data.files}
    steps = min(job["steps"], step_count(batches))
    out = {}
    rng = np.random.default_rng(job["seed"])
    random_values = None
    for index, optimizer in enumerate(job["optimizers"]):
        hparams = dict(job["hparams"], optimizer=optimizer, lr=job["lr"])
        graph = tf.Graph()
        with graph.as_default():
            description = check_description(build(hparams), job["legacy"])
            train_op = description.get("train_op")
            if train_op is None:
                step = tf.train.get_or_create_global_step()
                with tf.control_dependencies(tf.get_collection(tf.GraphKeys.UPDATE_OPS)):
                    train_op = description["optimizer"].minimize(
                        description["loss"], global_step=step
                    )
            trainable = tf.trainable_variables()
            gradients = [
                tf.convert_to_tensor(g) for g in tf.gradients(description["loss"], trainable)
            ]
            variables = description.get("variables") or tf.global_variables()
            saver = tf.train.Saver(var_list=variables, max_to_keep=None)
            randoms = random_ops(description["loss"])
            init = tf.global_variables_initializer()
        feed = functools.partial(_feed, description, batches, randoms=randoms)
        with tf.Session(graph=graph, config=session_config()) as sess:
            sess.run(init)
            if job.get("legacy_checkpoint"):
                with graph.as_default():
                    _restore(sess, job["legacy_checkpoint"], variables)
            saver.save(sess, os.path.join(workdir, "init-" + optimizer, CHECKPOINT_PREFIX))
            if random_values is None:  # once, for every optimizer: per op and step
                shapes = sess.run(
                    [op.inputs[0] for op in randoms], feed(0, description.get("train_feeds"))
                )
                random_values = [
                    np.stack([draw(op, shape, rng) for _ in range(steps)])
                    for op, shape in zip(randoms, shapes, strict=True)
                ]
            if index == 0:  # the forward pass and gradients do not depend on the optimizer
                names = list(description["outputs"])
                fetches = [description["outputs"][n] for n in names] + [description["loss"]]
                values = [
                    sess.run(fetches, feed(step, description.get("eval_feeds")))
                    for step in range(steps)
                ]
                for position, name in enumerate(names):
                    out["output/" + name] = np.stack([v[position] for v in values])
                out["loss"] = np.array([v[-1] for v in values], np.float32)
                grads = sess.run(gradients, feed(0, description.get("train_feeds"), random_values))
                for variable, value in zip(trainable, grads, strict=True):
                    out["grad/" + variable.op.name] = value
                for position, (op, values) in enumerate(zip(randoms, random_values, strict=True)):
                    out[f"random/{position}"] = values
                    out[f"random_op/{position}"] = np.array(f"{op.name} ({op.type})")
            for step in range(steps):
                sess.run(train_op, feed(step, description.get("train_feeds"), random_values))
            saver.save(sess, os.path.join(workdir, "final-" + optimizer, CHECKPOINT_PREFIX))
    np.savez(os.path.join(workdir, "legacy.npz"), **out)


def _restore(sess, prefix, variables):
    """The checkpoint's values of the variables it holds (the model's weights, say)."""
    held = set(tf.train.load_checkpoint(prefix).get_variable_to_shape_map())
    tf.train.Saver(var_list=[v for v in variables if v.op.name in held]).restore(sess, prefix)


if __name__ == "__main__":
    sys.path.insert(0, os.getcwd())  # the user's modules, as `python -m` from their project
    try:
        run(sys.argv[1])
    except DataError as err:  # a mistake in the pair or the batches: one line, exit 2
        print(err, file=sys.stderr)
        sys.exit(2)
