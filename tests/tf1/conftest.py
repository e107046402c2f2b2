"""TF1 graph mode is process-wide (`disable_v2_behavior()`), so each test file builds its
graphs in one subprocess of its own: the program saves the arrays it computed to an `.npz`
and the tests compare them in this process."""

import os
from pathlib import Path

import numpy as np
import pytest

from tests.processes import run_program

ROOT = Path(__file__).resolve().parents[2]


def run_tf1_program(code: str, workdir: Path, timeout: float = 600) -> dict[str, np.ndarray]:
    """Run `code` (which saves `results.npz` in its working directory) in a fresh process."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "TF_CPP_MIN_LOG_LEVEL": "2"}
    run_program(code, workdir, timeout=timeout, env=env)
    with np.load(workdir / "results.npz") as data:
        return {key: data[key] for key in data.files}


@pytest.fixture(scope="module")
def tf1_results(request, tmp_path_factory):
    """The arrays of the test module's `PROGRAM`, computed once per module."""
    workdir = tmp_path_factory.mktemp(request.module.__name__.rpartition(".")[2])
    return run_tf1_program(request.module.PROGRAM, workdir)


def bitwise_equal(a, b) -> bool:
    """Same shape and the same bits (so -0.0 differs from 0.0 and NaNs compare)."""
    a, b = np.asarray(a), np.asarray(b)
    return a.shape == b.shape and a.dtype == b.dtype and a.tobytes() == b.tobytes()


U32 = 2.0**-24  # float32 unit roundoff


def gamma(n: int) -> float:
    """Higham's gamma_n = n u / (1 - n u): a float32 sum or dot product of n terms is within
    gamma_n * sum|terms| of the exact value, in any order."""
    return n * U32 / (1 - n * U32)


def pair_mismatches(results, prefix):
    """The arrays where the runtime side and the raw-ops side differ in any bit."""
    head = f"{prefix}/runtime/"
    keys = sorted(k[len(head) :] for k in results if k.startswith(head))
    assert keys, f"no results for {prefix}"
    return [
        k for k in keys if not bitwise_equal(results[head + k], results[f"{prefix}/reference/{k}"])
    ]
