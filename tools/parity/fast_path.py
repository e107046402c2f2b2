"""The proof that a training path free to reorder and fuse (XLA's `jit_compile`) is the
legacy model: the same mathematics, rounded no worse.

A jit-compiled step runs XLA's kernels: its own matrix products, order of summation and
approximations of `exp`, `log`, `log1p` and `1/sqrt`. It cannot be bitwise, so it is
proven in two parts, from the harness's float32 and float64 runs of both sides:

1. **same math**: run in float64, the fast path equals the legacy model in float64 (every
   tensor within `2^-24 max|.|`, the harness's float64 check). A wrong epsilon, rate or
   formula fails here.
   An approximation off by 1e-4 relative (an `rsqrt`) fails here too: float64 leaves
   1e-16 of room, not 1e-4.
2. **rounding no worse**: in float32, the fast path ends no further from its own float64
   run than the legacy model ends from its float64 run, times `rounding_factor`. What
   float64 cannot see fails here: an approximation used for float32 only (a hardware
   1/sqrt estimate, 12 bits) or a fused computation that loses precision in float32.

The factor comes from measurement, not choice (`op_accuracy`): to first order a step's
float32 error is a sum of each operation's rounding error times that error's effect on the
result. The correctly rounded operations (`+ - * /`, `sqrt`) err by at most half an ulp on
both paths, and a sum of n terms has the same worst-case bound in any order (gamma_n);
what the paths do not share is the accuracy of the transcendental functions. If each of
XLA's approximations errs at most F times as much as TensorFlow's kernel for the same
function, the fast path's error bound is at most F times the legacy model's, so F is the
largest ratio of XLA's to TensorFlow's worst ulp error, measured here against float64 on
many inputs, and never below 1 (the shared, correctly rounded operations).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import numpy as np

from tf2rec.tools.parity.compare import DIFFERENT, Comparison

# The functions whose approximations XLA's CPU backend writes itself (LLVM IR emitted by
# XLA: polynomial exp and log, log1p, rsqrt), where TensorFlow's kernels use Eigen's.
OPS = ("exp", "log", "log1p", "rsqrt")

WHY_ROUNDING = (
    "float32 rounding of the jit-compiled steps, worst tensor in units of 2^-24 its scale: "
    "|fast float32 - fast float64| <= {factor:.3g} x |legacy float32 - legacy float64| "
    "(its worst over kernel configurations) + |fast float64 - legacy float64| "
    "({factor:.3g}: XLA's worst ulp error of exp, log, log1p and rsqrt over TensorFlow's, "
    "measured, at least 1)"
)


@dataclass(frozen=True)
class OpAccuracy:
    """The worst error, in float32 ulps of the exact (float64) result, of one function."""

    op: str
    tensorflow: float
    xla: float

    @property
    def ratio(self) -> float:
        return self.xla / self.tensorflow


def _inputs(op: str, n: int, rng: np.random.Generator) -> np.ndarray:
    """Float32 inputs over the function's whole useful range, plus a dense middle part."""
    half = n // 2
    if op == "exp":
        wide, dense = rng.uniform(-87.0, 88.0, half), rng.uniform(-10.0, 10.0, n - half)
    elif op == "log1p":
        wide, dense = np.exp(rng.uniform(-30.0, 30.0, half)), rng.uniform(0.0, 1.0, n - half)
    else:  # log, rsqrt: positive floats of every exponent
        wide, dense = np.exp(rng.uniform(-80.0, 80.0, half)), rng.uniform(0.5, 2.0, n - half)
    return np.concatenate([wide, dense]).astype(np.float32)


def _exact(op: str, x: np.ndarray) -> np.ndarray:
    x = x.astype(np.float64)
    return {
        "exp": np.exp,
        "log": np.log,
        "log1p": np.log1p,
        "rsqrt": lambda v: 1.0 / np.sqrt(v),
    }[op](x)


def _ulp_error(values: np.ndarray, exact: np.ndarray) -> float:
    """The largest |value - exact| in ulps of the float32 nearest the exact value (normal
    results only: below float32's normal range an ulp is no longer relative)."""
    normal = np.isfinite(exact) & (np.abs(exact) >= np.finfo(np.float32).tiny)
    ulp = np.spacing(np.abs(exact[normal]).astype(np.float32)).astype(np.float64)
    return float(np.max(np.abs(values[normal].astype(np.float64) - exact[normal]) / ulp))


def op_accuracy(n: int = 1 << 20, seed: int = 0) -> list[OpAccuracy]:
    """Each of `OPS` run by TensorFlow's kernel and inside an XLA computation on the same
    `n` float32 inputs, its worst ulp error against float64."""
    import tensorflow as tf

    functions = {"exp": tf.exp, "log": tf.math.log, "log1p": tf.math.log1p}
    functions["rsqrt"] = tf.math.rsqrt
    rng = np.random.default_rng(seed)
    accuracy = []
    for op in OPS:
        x = _inputs(op, n, rng)
        exact = _exact(op, x)
        errors = [
            _ulp_error(tf.function(functions[op], jit_compile=jit)(x).numpy(), exact)
            for jit in (False, True)
        ]
        accuracy.append(OpAccuracy(op, *errors))
    return accuracy


@cache
def rounding_factor() -> float:
    """F of the module docstring on this machine: max(1, XLA's worst ulp error / TF's)."""
    return max(1.0, *(a.ratio for a in op_accuracy()))


def rounding_check(
    optimizer: str,
    fast: tuple[dict, dict],
    legacy: tuple[list[dict], dict],
    factor: float,
    steps: int,
) -> Comparison:
    """Part 2 for one optimizer's state after the steps. `fast` is (float32 state, float64
    state), each {TF1 name: array}; `legacy` ([float32 states], float64 state): its float32
    runs under several kernel configurations.

    Each side's float32 error is its worst tensor's `max|float32 - float64|` in float32
    rounding units of that tensor's scale (`2^-24 max|float64|`): one number for the
    whole state, as rounding errors are random and a small tensor's largest one (a bias
    of 8 values) is a sample of a few, while the worst over the state is stable. The
    bound is `factor` times the legacy model's largest over its runs, plus part 1's
    distance `max|fast float64 - legacy float64|` in the same units (the triangle
    inequality: the two float64 results are not the same numbers)."""
    fast32, fast64 = fast
    legacy32s, legacy64 = legacy
    error, own, apart, worst = 0.0, 0.0, 0.0, ""
    for name, exact in legacy64.items():
        if name not in fast32 or name not in fast64 or not np.issubdtype(exact.dtype, np.floating):
            continue
        unit = _unit(exact)
        if unit == 0:
            continue
        ours = _distance(fast32[name], fast64[name]) / unit
        if ours > error:
            error, worst = ours, name
        own = max([own] + [_distance(run[name], exact) / unit for run in legacy32s if name in run])
        apart = max(apart, _distance(fast64[name], exact) / unit)
    bound = factor * own + apart
    ratio = 0.0 if error == 0 else (error / bound if bound > 0 else float("inf"))
    if np.isnan(error):
        ratio = float("inf")
    check = f"float32 rounding after {steps} steps ({optimizer})"
    why = WHY_ROUNDING.format(factor=factor)
    note = f"worst tensor {worst}: {error:.3g} float32 units; legacy model's worst {own:.3g}"
    return Comparison(check, "the trained state", DIFFERENT, ratio <= 1.0, why, error, None,
                      bound, ratio, note)  # fmt: skip


def _unit(exact: np.ndarray) -> float:
    """float32's rounding unit at the tensor's scale."""
    return 2.0**-24 * float(np.max(np.abs(exact), initial=0.0))


def _distance(a, b) -> float:
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    if a.size == 0:
        return 0.0
    return float(np.max(np.abs(a - b)))
