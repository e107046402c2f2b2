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

import json
import os
import sys

import numpy as np
import tensorflow.compat.v1 as tf
from tensorflow.python.ops import control_flow_util

from tf2rec.interactions import DataError
from tf2rec.interactions.model_files import CHECKPOINT_PREFIX
from tf2rec.tools.parity.float64_graph import missing_kernels, to_float64
from tf2rec.tools.parity.pair import check_description, load_object, step_count

tf.disable_v2_behavior()
tf.logging.set_verbosity(tf.logging.ERROR)

RANDOM_OPS = {"RandomUniform", "RandomStandardNormal", "TruncatedNormal"}


def random_ops(loss):
    """The random ops the loss depends on, in the order they were created. Variables'
    initializers are not among them: the loss reads variables, not their initial values."""
    return sorted(
        (op for op in _dependencies(loss) if op.type in RANDOM_OPS), key=lambda op: op._id
    )


def _dependencies(tensor):
    seen, stack = set(), [tensor.op]
    while stack:
        op = stack.pop()
        if op.name in seen:
            continue
        seen.add(op.name)
        yield op
        stack.extend(t.op for t in op.inputs)
        stack.extend(op.control_inputs)


def while_loop_of(op) -> str | None:
    """The name of the innermost `tf.while_loop` whose body holds `op` (dynamic_rnn's is
    `rnn/while`), or None: such an op runs once per iteration, so one fed value per step
    cannot stand for its draws."""
    context = control_flow_util.GetContainingWhileContext(op._get_control_flow_context())
    return None if context is None else context.name.removesuffix("/while_context")


def candidate_samplers(loss) -> list[str]:
    """'name (OpType)' of the candidate samplers the loss depends on (sampled softmax, NCE)."""
    return sorted(f"{op.name} ({op.type})" for op in _dependencies(loss) if _is_sampler(op))


def _is_sampler(op) -> bool:
    return op.type.endswith("CandidateSampler")


SAMPLERS = (
    "the legacy loss depends on candidate sampler op(s) {}: they draw item ids that parity "
    "cannot give the Keras model (Keras has no sampled softmax, and the ids are no float "
    "tensor to feed). Make the sampled ids an input of both models (a placeholder your "
    "batches fill, as the self-attention pair's negative items are), or compare the full "
    "softmax loss"
)


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
    """As the legacy trainer runs, but with the program as written: Grappler off (its
    constant folding, arithmetic optimizer, remapper fusions, layout and loop optimizers
    rewrite arithmetic according to how a graph happens to be built and what it knows of
    its shapes, differently in each graph; see the harness's docstring)."""
    config = tf.ConfigProto(allow_soft_placement=True)
    config.graph_options.rewrite_options.disable_meta_optimizer = True
    return config


class _SeedWatchingGraph(tf.Graph):
    """A graph that knows whether the user's code set its seed (`tf.set_random_seed`)."""

    user_seed: int | None = None

    @property
    def seed(self):
        return tf.Graph.seed.fget(self)

    @seed.setter
    def seed(self, value):
        self.user_seed = value
        tf.Graph.seed.fset(self, value)


class LegacyGraph:
    """The legacy model's graph with what the harness runs in it: the description's
    tensors, the train op, the gradients of the loss, the variables, the random ops."""

    def __init__(self, graph, description, train_op, gradients, variables, randoms, looped=()):
        self.graph = graph
        self.description = description
        self.train_op = train_op
        self.gradients = gradients  # [(variable name, gradient tensor)], trainable order
        self.variables = variables
        self.randoms = randoms  # fed, one value per step
        self.looped = list(looped)  # [(op name and type, while_loop)]: drawn per iteration

    @classmethod
    def build(cls, build, hparams, reference, seed=0):
        graph = _SeedWatchingGraph()
        # the process runs with op determinism, under which a random op of a graph without a
        # seed raises; where the user's code sets none, the harness's seed stands in for it
        tf.Graph.seed.fset(graph, seed)
        with graph.as_default():
            description = check_description(build(hparams), reference)
            train_op = description.get("train_op")
            if train_op is None:
                step = tf.train.get_or_create_global_step()
                with tf.control_dependencies(tf.get_collection(tf.GraphKeys.UPDATE_OPS)):
                    train_op = description["optimizer"].minimize(
                        description["loss"], global_step=step
                    )
            trainable = tf.trainable_variables()
            gradients = tf.gradients(description["loss"], trainable)
            pairs = [
                (v.op.name, tf.convert_to_tensor(g) if g is not None else None)
                for v, g in zip(trainable, gradients, strict=True)
            ]
            variables = description.get("variables") or tf.global_variables()
            samplers = candidate_samplers(description["loss"])
            if samplers:
                raise DataError(SAMPLERS.format(", ".join(samplers[:3])))
            randoms, looped = [], []
            for op in random_ops(description["loss"]):
                loop = while_loop_of(op)
                if loop is None:
                    randoms.append(op)
                else:
                    looped.append((f"{op.name} ({op.type})", loop))
        return cls(graph, description, train_op, pairs, variables, randoms, looped)

    def in_float64(self):
        """The same program in float64 (`float64_graph`), its tensors found by name."""
        with self.graph.as_default():
            meta = tf.train.export_meta_graph(graph=self.graph)
        wide = to_float64(meta.graph_def)
        missing = missing_kernels(wide)
        if missing:
            raise DataError(
                "float64 mode: the legacy graph has op(s) with no float64 kernel: "
                + ", ".join(missing[:5])
                + "; run with --mode bitwise, or compute them with ops that have one"
            )
        meta.graph_def.CopyFrom(wide)
        graph = tf.Graph()
        with graph.as_default():
            try:
                tf.train.import_meta_graph(meta, clear_devices=True)
            except ValueError as err:
                raise DataError(
                    f"float64 mode: the legacy graph does not run in float64: "
                    f"{str(err).splitlines()[0]}"
                ) from None
            by_name = {v.op.name: v for v in tf.global_variables() + tf.local_variables()}
        return LegacyGraph(
            graph,
            _renamed(self.description, graph),
            graph.get_operation_by_name(self.train_op.name),
            [(name, _find(graph, g)) for name, g in self.gradients],
            [by_name[v.op.name] for v in self.variables],
            [graph.get_operation_by_name(op.name) for op in self.randoms],
            self.looped,
        )

    def initializer(self):
        with self.graph.as_default():
            return tf.group(tf.global_variables_initializer(), tf.local_variables_initializer())

    def feed(self, batches, step, extra_key, random_values=()):
        """The feed_dict of one step: its batch, the train or eval feeds, its random values."""
        return _feed(
            self.description,
            batches,
            step,
            self.description.get(extra_key),
            random_values,
            randoms=self.randoms,
        )


def _find(graph, item):
    """The tensor or op of `item`'s name in `graph` (None stays None)."""
    if item is None:
        return None
    if isinstance(item, tf.Operation):
        return graph.get_operation_by_name(item.name)
    return graph.get_tensor_by_name(item.name)


def _renamed(description, graph):
    """The description with every tensor and op replaced by its namesake in `graph`."""
    out = dict(description)
    for key in ("inputs", "outputs"):
        out[key] = {name: _find(graph, t) for name, t in description[key].items()}
    for key in ("train_feeds", "eval_feeds"):
        if description.get(key):
            out[key] = {_find(graph, t): v for t, v in description[key].items()}
    out["loss"] = _find(graph, description["loss"])
    return out


def run(workdir):
    """The job in `workdir` (see the module docstring). A float64 job runs the float32
    program too, into `workdir/float32`: how far the legacy model's own float32 results are
    from its float64 ones is the size of a float32 rounding difference, tensor by tensor."""
    with open(os.path.join(workdir, "job.json")) as f:
        job = json.load(f)
    build = load_object(job["legacy"], "--legacy")
    with np.load(os.path.join(workdir, "batches.npz")) as data:
        batches = {key: data[key] for key in data.files}
    job["steps"] = min(job["steps"], step_count(batches))
    draws = RandomValues(job["seed"], job["steps"])
    if job.get("precision") == "float64":
        narrow = os.path.join(workdir, "float32")
        _run_in(narrow, job, build, _narrowed(batches), draws, float64=False)
        _run_in(workdir, job, build, batches, draws, float64=True, start=narrow)
    else:
        _run_in(workdir, job, build, batches, draws, float64=False)


class RandomValues:
    """The values fed to the random ops: drawn once (float32), the same in every run."""

    def __init__(self, seed, steps):
        self.rng, self.steps, self.values = np.random.default_rng(seed), steps, None

    def get(self, sess, legacy, batches):
        if self.values is None:
            shapes = [op.inputs[0] for op in legacy.randoms]
            # a random op in a tf.cond branch (dropout under an is_training flag): TF1 marks
            # the branch's ops unfetchable, but they run, and can be fetched, when the
            # train feeds take that branch
            legacy.graph._unfetchable_ops.difference_update(t.op for t in shapes)
            shapes = sess.run(shapes, legacy.feed(batches, 0, "train_feeds"))
            self.values = [
                np.stack([draw(op, shape, self.rng) for _ in range(self.steps)])
                for op, shape in zip(legacy.randoms, shapes, strict=True)
            ]
        return self.values


def _narrowed(batches):
    return {k: v.astype(np.float32) if v.dtype == np.float64 else v for k, v in batches.items()}


def _run_in(workdir, job, build, batches, draws, *, float64, start=None):
    """Every optimizer's run in one precision: `init-*` (from `start`'s, when given),
    `final-*` and `legacy.npz` in `workdir`."""
    os.makedirs(workdir, exist_ok=True)
    out = {}
    for index, optimizer in enumerate(job["optimizers"]):
        hparams = dict(job["hparams"], optimizer=optimizer, lr=job["lr"])
        legacy = LegacyGraph.build(build, hparams, job["legacy"], job["seed"])
        if legacy.graph.user_seed is None:
            out["seed/graph"] = np.array(job["seed"])  # set by the harness: reported
        init = os.path.join(workdir, "init-" + optimizer)
        values = _start(legacy, job, init, start and os.path.join(start, "init-" + optimizer))
        if float64:
            legacy = legacy.in_float64()
        with tf.Session(graph=legacy.graph, config=session_config()) as sess:
            sess.run(legacy.initializer())
            for variable in legacy.variables:
                variable.load(values[variable.op.name].astype(variable.dtype.as_numpy_dtype), sess)
            random_values = draws.get(sess, legacy, batches)
            if index == 0:  # the forward pass and gradients do not depend on the optimizer
                out.update(
                    _forward_and_gradients(sess, legacy, batches, job["steps"], random_values)
                )
            for step in range(job["steps"]):
                sess.run(legacy.train_op, legacy.feed(batches, step, "train_feeds", random_values))
            with legacy.graph.as_default():
                saver = tf.train.Saver(var_list=legacy.variables, max_to_keep=None)
            saver.save(sess, os.path.join(workdir, "final-" + optimizer, CHECKPOINT_PREFIX))
    np.savez(os.path.join(workdir, "legacy.npz"), **out)


def _start(legacy, job, folder, given=None):
    """The start values (float32): the initializers', or the job's checkpoint's, or those
    saved in `given`; saved as `folder`'s checkpoint (the migrated side starts from it)."""
    with tf.Session(graph=legacy.graph, config=session_config()) as sess:
        sess.run(legacy.initializer())
        checkpoint = given and os.path.join(given, CHECKPOINT_PREFIX)
        if checkpoint or job.get("legacy_checkpoint"):
            with legacy.graph.as_default():
                _restore(sess, checkpoint or job["legacy_checkpoint"], legacy.variables)
        with legacy.graph.as_default():
            saver = tf.train.Saver(var_list=legacy.variables, max_to_keep=None)
        saver.save(sess, os.path.join(folder, CHECKPOINT_PREFIX))
        values = sess.run(legacy.variables)
    return {v.op.name: value for v, value in zip(legacy.variables, values, strict=True)}


def _forward_and_gradients(sess, legacy, batches, steps, random_values):
    """The outputs and loss of every batch (eval feeds), the first batch's gradients (train
    feeds), the random values and the op types the forward pass runs."""
    out = {}
    names = list(legacy.description["outputs"])
    fetches = [legacy.description["outputs"][n] for n in names] + [legacy.description["loss"]]
    values = [sess.run(fetches, legacy.feed(batches, step, "eval_feeds")) for step in range(steps)]
    for position, name in enumerate(names):
        out["output/" + name] = np.stack([v[position] for v in values])
    out["loss"] = np.array([v[-1] for v in values])
    present = [(name, g) for name, g in legacy.gradients if g is not None]
    grads = sess.run([g for _, g in present], legacy.feed(batches, 0, "train_feeds", random_values))
    for (name, _), value in zip(present, grads, strict=True):
        out["grad/" + name] = value
    for position, (op, drawn) in enumerate(zip(legacy.randoms, random_values, strict=True)):
        out[f"random/{position}"] = drawn
        out[f"random_op/{position}"] = np.array(f"{op.name} ({op.type})")
    for position, (op, loop) in enumerate(legacy.looped):
        out[f"random_in_loop/{position}"] = np.array([op, loop])
    out["ops/forward"] = np.array(sorted(op_types(fetches)))
    return out


def op_types(fetches) -> set[str]:
    """The types of the ops the fetches depend on."""
    seen, stack, types = set(), [t.op for t in fetches], set()
    while stack:
        op = stack.pop()
        if op.name in seen:
            continue
        seen.add(op.name)
        types.add(op.type)
        stack.extend(t.op for t in op.inputs)
        stack.extend(op.control_inputs)
    return types


def _restore(sess, prefix, variables):
    """The checkpoint's values of the variables it holds (the model's weights, say), once it
    is known to be this model's (`checkpoint_mismatch`)."""
    try:
        shapes = tf.train.load_checkpoint(prefix).get_variable_to_shape_map()
    except (tf.errors.OpError, ValueError) as err:
        raise DataError(
            f"checkpoint {prefix}: cannot read it ({str(err).strip().splitlines()[0]}); give "
            "the prefix of a TF1 checkpoint (DIR/model.ckpt-N)"
        ) from None
    mismatch = checkpoint_mismatch(shapes, variables, tf.trainable_variables())
    if mismatch:
        raise DataError(f"checkpoint {prefix} is not this model's: {mismatch}")
    held = [v for v in variables if v.op.name in shapes]
    tf.train.Saver(var_list=held).restore(sess, prefix)


def checkpoint_mismatch(shapes: dict, variables, weights) -> str | None:
    """What tells a checkpoint (name -> shape) from one of this model: a weight (trainable
    variable) it lacks, or a variable it holds with another shape; None when it fits. Slots
    of an optimizer it was not trained with may be missing: they start as initialised."""
    missing = sorted(v.op.name for v in weights if v.op.name not in shapes)
    reshaped = [
        f"{v.op.name} is {list(shapes[v.op.name])} there, {v.shape.as_list()} here"
        for v in variables
        if v.op.name in shapes and list(shapes[v.op.name]) != v.shape.as_list()
    ]
    parts = []
    if missing:
        more = f" and {len(missing) - 3} more" if len(missing) > 3 else ""
        parts.append(f"it lacks {', '.join(missing[:3])}{more}")
    parts += reshaped[:3]
    return "; ".join(parts) or None


if __name__ == "__main__":
    sys.path.insert(0, os.getcwd())  # the user's modules, as `python -m` from their project
    try:
        run(sys.argv[1])
    except DataError as err:  # a mistake in the pair or the batches: one line, exit 2
        print(err, file=sys.stderr)
        sys.exit(2)
