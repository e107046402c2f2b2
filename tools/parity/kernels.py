"""The kernel configurations an x86-64 machine may run a model under, as environments.

numpy's OpenBLAS, TensorFlow's oneDNN and XLA each pick their kernels for the CPU at run
time, and with them the order in which products are added. A configuration is:

- the CPU generation those libraries may use, capped to an older one than this CPU's
  (OPENBLAS_CORETYPE, ONEDNN_MAX_CPU_ISA, XLA's --xla_cpu_max_isa), or left as it is;
- oneDNN on or off (TF_ENABLE_ONEDNN_OPTS);
- the number of threads (TF_NUM_INTRAOP_THREADS, OPENBLAS_NUM_THREADS).

`ENVELOPE` are the two configurations the parity harness reruns the legacy model under
to measure how far it ends from itself: the oldest generation with oneDNN off on one
thread, and this CPU's own kernels with oneDNN on and two threads. One of the two always
differs from whatever configuration the harness itself runs under.
"""

from __future__ import annotations

import os
from pathlib import Path

GENERATIONS = {
    # name: (CPU flags it needs, OpenBLAS core type, oneDNN ISA cap, XLA ISA cap)
    "sse4.2": ({"sse4_2"}, "Prescott", "SSE41", "SSE4_2"),
    "avx": ({"avx"}, "Sandybridge", "AVX", "AVX"),
    "avx2": ({"avx2", "fma"}, "Haswell", "AVX2", "AVX2"),
    "this cpu": (set(), None, None, None),
}

# (generation, oneDNN "0"/"1", threads)
ENVELOPE = (("sse4.2", "0", 1), ("this cpu", "1", 2))


def describe(generation: str, onednn: str, threads: int) -> str:
    """'sse4.2, oneDNN off, 1 thread'."""
    plural = "s" if threads != 1 else ""
    return f"{generation}, oneDNN {'on' if onednn == '1' else 'off'}, {threads} thread{plural}"


def cpu_flags() -> set[str]:
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return set()
    for line in text.splitlines():
        if line.startswith("flags"):
            return set(line.split(":", 1)[1].split())
    return set()


def configured_environment(
    generation: str, onednn: str, threads: int, base: dict[str, str] | None = None
) -> dict[str, str]:
    """`base` (this process's environment) with the configuration's variables set; any
    CPU cap `base` had is removed for "this cpu"."""
    _, coretype, onednn_isa, xla_isa = GENERATIONS[generation]
    env = dict(os.environ if base is None else base)
    env.update(
        TF_ENABLE_ONEDNN_OPTS=onednn,
        TF_NUM_INTRAOP_THREADS=str(threads),
        OPENBLAS_NUM_THREADS=str(threads),
        TF_CPP_MIN_LOG_LEVEL="2",
    )
    flags = [f for f in env.get("XLA_FLAGS", "").split() if not f.startswith("--xla_cpu_max_isa")]
    for name in ("OPENBLAS_CORETYPE", "ONEDNN_MAX_CPU_ISA"):
        env.pop(name, None)
    if coretype:
        env["OPENBLAS_CORETYPE"] = coretype
        env["ONEDNN_MAX_CPU_ISA"] = onednn_isa
        flags.append(f"--xla_cpu_max_isa={xla_isa}")
    if flags:
        env["XLA_FLAGS"] = " ".join(flags)
    else:
        env.pop("XLA_FLAGS", None)
    return env
