"""A parity run as people read it: a table (or JSON), the first failure with its likely
cause, and the kernel configuration of the machine that ran it."""

from __future__ import annotations

import json
import os
from dataclasses import asdict

import numpy as np

from tf2rec.tools.parity.compare import DIFFERENT, FLOAT64, SAME, Comparison

KIND = {SAME: "bitwise", DIFFERENT: "bound", FLOAT64: "float64"}


def kernel_configuration() -> dict[str, str]:
    """What chooses the kernels on this machine, for the report: a parity failure that
    depends on it is a bug in a check, and this says where to reproduce it."""
    import tensorflow as tf
    from threadpoolctl import threadpool_info

    blas = [
        f"{i.get('internal_api')} {i.get('architecture') or ''} ({i.get('num_threads')} threads)"
        for i in threadpool_info()
        if i.get("user_api") == "blas"
    ]
    environment = (
        "OPENBLAS_CORETYPE",
        "TF_ENABLE_ONEDNN_OPTS",
        "ONEDNN_MAX_CPU_ISA",
        "TF_NUM_INTRAOP_THREADS",
        "XLA_FLAGS",
    )
    return {
        "cpu": _cpu_name(),
        "numpy BLAS": ", ".join(blas) or "unknown",
        "TensorFlow": f"{tf.__version__} on "
        + ", ".join(sorted({d.device_type for d in tf.config.list_physical_devices()})),
        **{name: os.environ[name] for name in environment if name in os.environ},
    }


def _cpu_name() -> str:
    try:
        with open("/proc/cpuinfo") as info:
            for line in info:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    import platform

    return platform.processor() or platform.machine()


def _number(value: float | int | None) -> str:
    return "-" if value is None else f"{value:.3g}"


def table(results: list[Comparison], configuration: dict[str, str] | None = None) -> str:
    """The comparisons as a text table, why each check is of its kind, the kernel
    configuration, and a count."""
    reasons = list(dict.fromkeys(r.why for r in results))
    rows = [("check", "tensor", "mode", "max abs", "max ULP", "bound", "error/bound", "result")]
    rows += [
        (
            r.check,
            r.tensor,
            f"{KIND[r.kind]} [{reasons.index(r.why) + 1}]",
            _number(r.max_abs),
            _number(r.max_ulp),
            "bitwise" if r.kind == SAME else _number(r.bound),
            _number(r.ratio),
            ("pass" if r.passed else "FAIL") + (f" ({r.note})" if r.note else ""),
        )
        for r in results
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = [
        "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()
        for row in rows
    ]
    lines += [
        "",
        "bitwise: the same computation (operations, kernels) on both sides: 0 ULP apart.",
        "bound: a different computation, within a bound per element from floating-point",
        "error analysis; error/bound is the largest |ours - theirs| / bound, at most 1.",
        "float64: both sides in float64; bound 2^-24 max(|ours|, |theirs|), or the legacy",
        "model's own float32-float64 distance; error/bound at most 1.",
        *(f"[{i}] {why}" for i, why in enumerate(reasons, 1)),
    ]
    if configuration:
        lines.append("kernels: " + "; ".join(f"{k} {v}" for k, v in configuration.items()))
    failed = sum(not r.passed for r in results)
    lines.append(f"{len(results) - failed} passed, {failed} failed")
    first = first_failure(results)
    if first is not None:
        lines.append(f"first failure: {first.check}, {first.tensor}. Likely cause: {first.cause}")
    return "\n".join(lines)


def first_failure(results: list[Comparison]) -> Comparison | None:
    """The checks run in order forward, gradients, steps: the first failure is the one to
    look at, as the later ones usually follow from it."""
    return next((r for r in results if not r.passed), None)


def _finite_or_text(value):
    """JSON has no inf or NaN: such a number is written as the string "inf" or "nan"."""
    if isinstance(value, float) and not np.isfinite(value):
        return str(value)
    return value


def _as_dict(result: Comparison) -> dict:
    return {k: _finite_or_text(v) for k, v in asdict(result).items()}


def as_json(results: list[Comparison], configuration: dict[str, str] | None = None) -> str:
    return json.dumps(
        {
            "passed": all(r.passed for r in results),
            "first_failure": _as_dict(first) if (first := first_failure(results)) else None,
            "configuration": configuration or {},
            "comparisons": [_as_dict(r) for r in results],
        },
        indent=2,
        allow_nan=False,
    )
