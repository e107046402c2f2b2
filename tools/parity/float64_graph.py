"""The legacy graph in float64: the same program, every float32 tensor a float64 one.

Float64 equivalence (see `compare`) runs the TF1 model as written, in float64, without
touching its code: the GraphDef its `build` made is rewritten so that every float32 dtype
of every op (and of the functions in its library) becomes float64, and every float32
constant becomes a float64 one. Variables become float64 variables; the harness loads them
with the float32 start values, so both precisions start from the same weights.

A float32 constant holds a value the code wrote, rounded to float32 (`0.999` is stored as
0.99900001287...). Its float64 value is the number the code most likely meant
(`as_literal`): the short decimal literal, or the square root of an integer (attention's
and the embeddings' scales), the value the Keras side, which writes the same expression in
Python, computes with in float64. (Taking the float32 value itself would leave Adam's
1 - beta2 1.3e-5 away from the Keras side's, a wrong migration's size of difference; and
sqrt(32)'s float32 rounding, 1.7e-8 away, moved the self-attention pair's results by half
of float32's rounding.)

Fused batch normalisation (`FusedBatchNormV3` and its gradient, float32 kernels only, and
what `tf.contrib.layers.batch_norm` runs by default) is replaced by the same computation in
float64 ops (`float64_batch_norm`). Any other op whose kernel has no float64 version on the
CPU cannot run so; `missing_kernels` names such ops before anything runs, so that the error
names them instead of TensorFlow's run-time message.
"""

from __future__ import annotations

from collections import defaultdict

import numpy as np
from tensorflow.core.framework import graph_pb2, types_pb2
from tensorflow.python.framework import kernels, op_def_registry, tensor_util

from tf2rec.tools.parity.float64_batch_norm import replace_fused_batch_norms

FLOAT, DOUBLE = types_pb2.DT_FLOAT, types_pb2.DT_DOUBLE
FLOAT_REF, DOUBLE_REF = types_pb2.DT_FLOAT_REF, types_pb2.DT_DOUBLE_REF
WIDER = {FLOAT: DOUBLE, FLOAT_REF: DOUBLE_REF}


def as_literals(values: np.ndarray) -> np.ndarray:
    """float32 values -> the float64 values the code most likely wrote (`as_literal`)."""
    flat = np.asarray(values, np.float32).ravel()
    # each element as a float32 scalar: its shortest form is float32's, not float64's
    wide = np.array([as_literal(v) for v in flat], np.float64)
    return wide.reshape(np.shape(values))


def as_literal(value: np.float32) -> float:
    """The float64 number a float32 constant stands for: a decimal literal of up to six
    significant digits (how hyper-parameters are written: 0.999, 1e-8, 0.2), else the
    square root of an integer or its inverse (the scales of attention and of embeddings,
    `d ** 0.5`), else the float32 value itself. Each candidate is taken only when it
    rounds to `value` in float32, so the graph's own constant is never changed by more
    than float32's rounding."""
    value = np.float32(value)
    shortest = np.format_float_scientific(value, unique=True)
    digits = len(shortest.split("e")[0].replace("-", "").replace(".", "").rstrip("0"))
    if digits <= 6:
        return float(shortest)
    if np.isfinite(value) and value > 0:
        square, inverse = np.round(float(value) ** 2), np.round(float(value) ** -2)
        for candidate in (np.sqrt(square), 1 / np.sqrt(inverse) if inverse else 0.0):
            if np.float32(candidate) == value:
                return float(candidate)
    return float(value)


def to_float64(graph_def: graph_pb2.GraphDef) -> graph_pb2.GraphDef:
    """A copy of `graph_def` computing in float64 wherever it computed in float32."""
    wide = graph_pb2.GraphDef()
    wide.CopyFrom(graph_def)
    replace_fused_batch_norms(wide, as_literal)
    carriers = _fixed_float_carriers(wide)
    for node in wide.node:
        if node.name not in carriers:
            _widen_node(node)
    for function in wide.library.function:
        for arg in (*function.signature.input_arg, *function.signature.output_arg):
            arg.type = WIDER.get(arg.type, arg.type)
        for node in function.node_def:
            _widen_node(node)
    return wide


PASS_THROUGH = {"Enter", "Exit", "Merge", "Switch", "NextIteration", "Identity", "StopGradient"}
SUMS = {"Add", "AddV2", "AddN"}  # the gradient of a flow that enters a loop sums flows
FEEDERS = PASS_THROUGH | SUMS | {"Const", "ZerosLike"}


def _fixed_float_carriers(graph_def: graph_pb2.GraphDef) -> set[str]:
    """The nodes that carry a TensorArray's flow, a tensor float32 by its op's definition,
    not by a type attribute (`dynamic_rnn` gathers its outputs in a TensorArray): a while
    loop's Enter, Merge, Switch, NextIteration and Exit, and in the loop's gradient the
    stacks it is pushed on and popped from, the sums of flows and the zero they start
    from. They stay float32, as the TensorArray ops reading the flow expect."""
    nodes = {node.name: node for node in graph_def.node}
    consumers, pops = defaultdict(list), defaultdict(list)
    for node in graph_def.node:
        for source in node.input:
            consumers[_producer(source)].append(node)
        if node.op == "StackPopV2":
            pops[_stack_of(node, nodes)].append(node)
    fixed = {
        f"{node.name}:{index}"
        for node in graph_def.node
        if node.op.startswith("TensorArray")
        for index in _fixed_float_outputs(node.op)
    }
    carriers, work = set(), list({_producer(name) for name in fixed})

    def carry(node) -> None:
        if node.name not in carriers:
            carriers.add(node.name)
            fixed.update({f"{node.name}:0", f"{node.name}:1"})
            work.append(node.name)

    while work:
        name = work.pop()
        for consumer in consumers[name]:
            if _takes_a_flow(consumer, fixed):
                carry(consumer)
        node = nodes.get(name)
        if name in carriers and node.op.removeprefix("Ref") in PASS_THROUGH:
            for source in node.input:  # the start of a carried value: a zero, a sum
                producer = nodes.get(_producer(source))
                if producer is not None and producer.op in FEEDERS:
                    carry(producer)
        if name in carriers and node.op == "StackPushV2":
            stack = nodes.get(_stack_of(node, nodes))
            for carried in ([stack] if stack else []) + pops[stack.name if stack else ""]:
                carry(carried)
    return carriers


def _fixed_float_outputs(op: str) -> list[int]:
    """The indices of `op`'s outputs that are float32 by definition (a TensorArray's flow)."""
    outputs = op_def_registry.get(op).output_arg
    if any(arg.number_attr or arg.type_list_attr for arg in outputs):
        return []
    return [index for index, arg in enumerate(outputs) if arg.type == FLOAT]


def _takes_a_flow(node, fixed) -> bool:
    """A pass-through, a stack push or a sum given a flow where its type is an attribute."""
    if node.op.removeprefix("Ref") not in PASS_THROUGH | SUMS | {"StackPushV2"}:
        return False
    data = [_output_name(source) for source in node.input if not source.startswith("^")]
    arguments = _input_arguments(node)
    return any(
        source in fixed and (arg is None or arg.type_attr)
        for source, arg in zip(data, arguments + [None] * len(data), strict=False)
    )


def _producer(source: str) -> str:
    return source.removeprefix("^").split(":")[0]


def _input_arguments(node) -> list:
    """The op definition's argument of each of `node`'s data inputs, in order."""
    try:
        op_def = op_def_registry.get(node.op)
    except Exception:  # an op of a library not loaded here
        op_def = None
    if op_def is None:
        return []
    arguments = []
    for arg in op_def.input_arg:
        count = 1
        if arg.number_attr:
            count = node.attr[arg.number_attr].i
        elif arg.type_list_attr:
            count = len(node.attr[arg.type_list_attr].list.type)
        arguments += [arg] * count
    return arguments


def _stack_of(node, nodes) -> str:
    """The StackV2 node whose handle reaches `node`'s first input (through Enter nodes)."""
    name = _producer(node.input[0])
    while name in nodes and nodes[name].op in ("Enter", "Identity"):
        name = _producer(nodes[name].input[0])
    return name


def _output_name(source: str) -> str:
    return source if ":" in source or source.startswith("^") else source + ":0"


def _widen_node(node) -> None:
    for value in node.attr.values():
        if value.HasField("type"):
            value.type = WIDER.get(value.type, value.type)
        elif value.HasField("list") and value.list.type:
            widened = [WIDER.get(t, t) for t in value.list.type]
            del value.list.type[:]
            value.list.type.extend(widened)
        elif value.HasField("tensor") and value.tensor.dtype == FLOAT:
            literal = as_literals(tensor_util.MakeNdarray(value.tensor))
            value.tensor.CopyFrom(tensor_util.make_tensor_proto(literal, dtype=np.float64))


def missing_kernels(graph_def: graph_pb2.GraphDef, device: str = "CPU") -> list[str]:
    """'name (OpType)' of every node that computes in float64 and has no `device` kernel
    for its types (FusedBatchNormV3, say, whose kernels are float32 and below)."""
    missing, known = [], {}
    for node in graph_def.node:
        types = {key: _types(value) for key, value in node.attr.items()}
        if not any(DOUBLE in found or DOUBLE_REF in found for found in types.values()):
            continue
        if node.op not in known:
            known[node.op] = [
                k
                for k in kernels.get_registered_kernels_for_op(node.op).kernel
                if k.device_type in (device, "DEFAULT")  # DEFAULT: any device's
            ]
        if not any(_accepts(kernel, types) for kernel in known[node.op]):
            missing.append(f"{node.name} ({node.op})")
    return missing


def _types(value) -> set[int]:
    if value.HasField("type"):
        return {value.type}
    if value.HasField("list"):
        return set(value.list.type)
    return set()


def _accepts(kernel, types: dict[str, set[int]]) -> bool:
    for constraint in kernel.constraint:
        allowed = set(constraint.allowed_values.list.type)
        given = types.get(constraint.name, set())
        if given and not given <= allowed:
            return False
    return True
