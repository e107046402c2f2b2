"""Parity holds under every kernel configuration an x86-64 machine may run.

numpy's OpenBLAS, TensorFlow's oneDNN and XLA each pick their kernels for the CPU at run
time, and with them the order in which products are added; users run this suite in CI on
whatever runner they get. Each configuration reruns the parity tests and `tf2rec parity`
in fresh processes with:

- the CPU generation those libraries may use, capped to an older one than this CPU's
  (OPENBLAS_CORETYPE, ONEDNN_MAX_CPU_ISA, XLA's --xla_cpu_max_isa), or left as it is;
- oneDNN on or off (TF_ENABLE_ONEDNN_OPTS);
- 1 or 2 threads (TF_NUM_INTRAOP_THREADS, OPENBLAS_NUM_THREADS).

A check that passes in one configuration and fails in another is a bug in the check.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

GENERATIONS = {
    # name: (CPU flags it needs, OpenBLAS core type, oneDNN ISA cap, XLA ISA cap)
    "sse4.2": ({"sse4_2"}, "Prescott", "SSE41", "SSE4_2"),
    "avx": ({"avx"}, "Sandybridge", "AVX", "AVX"),
    "avx2": ({"avx2", "fma"}, "Haswell", "AVX2", "AVX2"),
    "this cpu": (set(), None, None, None),
}


def cpu_flags() -> set[str]:
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return set()
    for line in text.splitlines():
        if line.startswith("flags"):
            return set(line.split(":", 1)[1].split())
    return set()


def configured_environment(generation: str, onednn: str, threads: int) -> dict[str, str]:
    _, coretype, onednn_isa, xla_isa = GENERATIONS[generation]
    env = {
        **os.environ,
        "TF_ENABLE_ONEDNN_OPTS": onednn,
        "TF_NUM_INTRAOP_THREADS": str(threads),
        "OPENBLAS_NUM_THREADS": str(threads),
        "TF_CPP_MIN_LOG_LEVEL": "2",
    }
    if coretype:
        env["OPENBLAS_CORETYPE"] = coretype
        env["ONEDNN_MAX_CPU_ISA"] = onednn_isa
        env["XLA_FLAGS"] = f"{env.get('XLA_FLAGS', '')} --xla_cpu_max_isa={xla_isa}".strip()
    return env


@pytest.mark.slow
@pytest.mark.parametrize("threads", [1, 2])
@pytest.mark.parametrize("onednn", ["0", "1"], ids=["onednn-off", "onednn-on"])
@pytest.mark.parametrize("generation", list(GENERATIONS))
def test_parity_passes_under_kernel_configuration(generation, onednn, threads):
    needed = GENERATIONS[generation][0]
    if not needed <= cpu_flags():
        pytest.skip(f"this CPU lacks {', '.join(sorted(needed - cpu_flags()))}")
    env = configured_environment(generation, onednn, threads)

    suite = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/parity"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=1200,
    )
    assert suite.returncode == 0, suite.stdout[-6000:]

    cli = subprocess.run(
        [sys.executable, "-m", "tf2rec.tools.cli", "parity", "--json"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert cli.returncode == 0, cli.stdout[-6000:] + cli.stderr[-3000:]
    report = json.loads(cli.stdout)
    assert report["passed"]
    # the report names the configuration it ran under
    configuration = report["configuration"]
    assert configuration["TF_NUM_INTRAOP_THREADS"] == str(threads)
    assert configuration["TF_ENABLE_ONEDNN_OPTS"] == onednn
    assert f"({threads} threads)" in configuration["numpy BLAS"]
    bounded = [c for c in report["comparisons"] if c["kind"] == "different computation"]
    assert {c["tensor"] for c in bounded} == {
        "loss of every batch",
        "catalogue scores",
        "top-10 lists",
    }
    assert all(0 <= c["ratio"] <= 1 for c in bounded)
