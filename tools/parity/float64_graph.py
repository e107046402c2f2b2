"""The legacy graph in float64: the same program, every float32 tensor a float64 one.

Float64 equivalence (see `compare`) runs the TF1 model as written, in float64, without
touching its code: the GraphDef its `build` made is rewritten so that every float32 dtype
of every op (and of the functions in its library) becomes float64, and every float32
constant becomes a float64 one. Variables become float64 variables; the harness loads them
with the float32 start values, so both precisions start from the same weights.

A float32 constant holds a literal the code wrote, rounded to float32 (`0.999` is stored as
0.99900001287...). Its float64 value is the float64 number of its shortest decimal form,
which is that literal: the value the Keras side, which writes the same literal in Python,
computes with in float64. (Taking the float32 value itself would leave Adam's 1 - beta2
1.3e-5 away from the Keras side's, a wrong migration's size of difference.)

An op whose kernel has no float64 version on the CPU cannot run so; `missing_kernels` names
such ops before anything runs, so that the error names them instead of TensorFlow's run-time
message.
"""

from __future__ import annotations

import numpy as np
from tensorflow.core.framework import graph_pb2, types_pb2
from tensorflow.python.framework import kernels, tensor_util

FLOAT, DOUBLE = types_pb2.DT_FLOAT, types_pb2.DT_DOUBLE
FLOAT_REF, DOUBLE_REF = types_pb2.DT_FLOAT_REF, types_pb2.DT_DOUBLE_REF
WIDER = {FLOAT: DOUBLE, FLOAT_REF: DOUBLE_REF}


def as_literals(values: np.ndarray) -> np.ndarray:
    """float32 values -> the float64 values of their shortest decimal forms."""
    flat = np.asarray(values, np.float32).ravel()
    wide = np.array([float(np.format_float_positional(v, unique=True)) for v in flat.tolist()])
    return wide.astype(np.float64).reshape(np.shape(values))


def to_float64(graph_def: graph_pb2.GraphDef) -> graph_pb2.GraphDef:
    """A copy of `graph_def` computing in float64 wherever it computed in float32."""
    wide = graph_pb2.GraphDef()
    wide.CopyFrom(graph_def)
    for node in wide.node:
        _widen_node(node)
    for function in wide.library.function:
        for arg in (*function.signature.input_arg, *function.signature.output_arg):
            arg.type = WIDER.get(arg.type, arg.type)
        for node in function.node_def:
            _widen_node(node)
    return wide


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
                if k.device_type == device
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
