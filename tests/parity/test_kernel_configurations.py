"""Parity holds under every kernel configuration an x86-64 machine may run.

numpy's OpenBLAS, TensorFlow's oneDNN and XLA each pick their kernels for the CPU at run
time, and with them the order in which products are added; users run this suite in CI on
whatever runner they get. Each configuration reruns the parity tests of both pairs and
`tf2rec parity` (the two-tower pair, and the DeepFM pair through --legacy / --migrated) in
fresh processes with:

- the CPU generation those libraries may use, capped to an older one than this CPU's
  (OPENBLAS_CORETYPE, ONEDNN_MAX_CPU_ISA, XLA's --xla_cpu_max_isa), or left as it is;
- oneDNN on or off (TF_ENABLE_ONEDNN_OPTS);
- 1 or 2 threads (TF_NUM_INTRAOP_THREADS, OPENBLAS_NUM_THREADS).

A check that passes in one configuration and fails in another is a bug in the check.
"""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from tf2rec.interactions.ctr import synthetic_clicks
from tf2rec.migrated.deepfm import NAME_MAP_FILE
from tf2rec.tools.parity.kernels import GENERATIONS, configured_environment, cpu_flags

ROOT = Path(__file__).resolve().parents[2]
# the checks of both pairs; the wrong migrations and the plugin test messages, not kernels
SUITE = [
    "tests/parity/test_parity.py",
    "tests/parity/test_pairs.py::test_the_deepfm_pair_is_bitwise",
]


@pytest.mark.slow
@pytest.mark.parametrize("threads", [1, 2])
@pytest.mark.parametrize("onednn", ["0", "1"], ids=["onednn-off", "onednn-on"])
@pytest.mark.parametrize("generation", list(GENERATIONS))
def test_parity_passes_under_kernel_configuration(generation, onednn, threads, tmp_path):
    needed = GENERATIONS[generation][0]
    if not needed <= cpu_flags():
        pytest.skip(f"this CPU lacks {', '.join(sorted(needed - cpu_flags()))}")
    env = configured_environment(generation, onednn, threads)

    suite = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *SUITE],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=1200,
    )
    assert suite.returncode == 0, suite.stdout[-6000:]

    report = run_cli(["parity", "--mode", "bitwise", "--json"], env)
    assert report["passed"]
    # the report names the configuration it ran under
    configuration = report["configuration"]
    assert configuration["TF_NUM_INTRAOP_THREADS"] == str(threads)
    assert configuration["TF_ENABLE_ONEDNN_OPTS"] == onednn
    assert f"({threads} threads)" in configuration["numpy BLAS"]
    bounded = [c for c in report["comparisons"] if c["kind"] == "different computation"]
    assert {c["tensor"] for c in bounded} == {"loss of every batch"}
    assert all(0 <= c["ratio"] <= 1 for c in bounded)

    fields = (50, 20, 10, 5)
    np.savez(tmp_path / "clicks.npz", **synthetic_clicks(5_000, fields).batches(128, steps=20))
    hparams = json.dumps({"n_features": sum(fields), "n_fields": len(fields)})
    pair = ["--legacy", "tf2rec.legacy.deepfm:build", "--migrated", "tf2rec.migrated.deepfm:make"]
    options = ["--hparams", hparams, "--map", str(NAME_MAP_FILE), "--labels", "label"]
    batches = ["--batches", str(tmp_path / "clicks.npz")]
    report = run_cli(["parity", *pair, *batches, *options, "--mode", "bitwise", "--json"], env)
    assert report["passed"]
    same = [c for c in report["comparisons"] if c["kind"] == "same computation"]
    assert len(same) > 100 and all(c["max_ulp"] == 0 for c in same)


def run_cli(argv: list[str], env: dict[str, str]) -> dict:
    done = subprocess.run(
        [sys.executable, "-m", "tf2rec.tools.cli", *argv],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stdout[-6000:] + done.stderr[-3000:]
    return json.loads(done.stdout)


def test_a_configuration_sets_its_caps_and_this_cpu_clears_them():
    capped = configured_environment("sse4.2", "0", 1, base={"XLA_FLAGS": "--xla_dump_to=x"})
    assert capped["OPENBLAS_CORETYPE"] == "Prescott" and capped["ONEDNN_MAX_CPU_ISA"] == "SSE41"
    assert capped["XLA_FLAGS"] == "--xla_dump_to=x --xla_cpu_max_isa=SSE4_2"
    assert capped["TF_ENABLE_ONEDNN_OPTS"] == "0" and capped["OPENBLAS_NUM_THREADS"] == "1"
    own = configured_environment("this cpu", "1", 2, base=capped)
    assert "OPENBLAS_CORETYPE" not in own and "ONEDNN_MAX_CPU_ISA" not in own
    assert own["XLA_FLAGS"] == "--xla_dump_to=x" and own["TF_NUM_INTRAOP_THREADS"] == "2"
