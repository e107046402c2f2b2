"""The three TF1 fixtures (tests/fixtures/tf1_runtime/) run on TF 2.21 + Keras 3 with TF1's
numbers after one `tf2rec fix --run-as-tf1 --write` and no hand edit.

The fixed script trains, and its losses and final checkpoint equal, bit for bit, those of the
same graph written by hand in raw `tf.compat.v1` ops (tests/fixtures/tf1_runtime/reference/),
started from the script's own step-0 checkpoint.
"""

import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from tests.tf1.conftest import ROOT
from tf2rec.tools.cli.main import main as cli

FIXTURES = ROOT / "tests" / "fixtures" / "tf1_runtime"
STEPS = 5


def test_one_fix_command_converts_every_fixture_with_nothing_left(tmp_path, capsys):
    for script in FIXTURES.glob("*.py"):
        shutil.copy(script, tmp_path)
    assert cli(["fix", "--run-as-tf1", "--write", str(tmp_path)]) == 0
    err = capsys.readouterr().err
    assert err.endswith("0 finding(s) need a manual change (`tf2rec scan` lists them): 0 "
                        "blocking (errors), 0 for compat mode (warnings, info).\n")  # fmt: skip
    rank = (tmp_path / "rank_model.py").read_text()
    # TF1's meanings kept: the initializer class, where, .value on an iterated shape, TF 1.0's sub
    assert "kernel_initializer=tf.compat.v1.random_normal_initializer,\n" in rank
    assert "loss_per_pair = tf.compat.v1.where(diff < 1.0," in rank
    assert "dims = [d.value for d in x.get_shape()]" in rank
    assert "diff = tf.compat.v1.subtract(scorer(pos), scorer(neg, reuse=True))" in rank
    assert rank.endswith(
        "if __name__ == '__main__':\n    tf.compat.v1.disable_v2_behavior()\n    main(sys.argv)\n"
    )
    # a second run finds nothing to do
    assert cli(["fix", "--run-as-tf1", str(tmp_path)]) == 0


def _run(args, cwd):
    out = subprocess.run(
        [sys.executable, *map(str, args)], capture_output=True, text=True, cwd=cwd, timeout=600
    )
    assert out.returncode == 0, out.stderr[-4000:]
    return [line for line in out.stdout.splitlines() if line.startswith("step ")]


def _checkpoint(prefix: Path) -> dict[str, np.ndarray]:
    import tensorflow as tf

    reader = tf.train.load_checkpoint(str(prefix))
    return {name: reader.get_tensor(name) for name in reader.get_variable_to_shape_map()}


@pytest.fixture(scope="module", params=["ctr_model", "session_gru", "rank_model"])
def trained(request, tmp_path_factory):
    name = request.param
    work = tmp_path_factory.mktemp(name)
    script = work / f"{name}.py"
    shutil.copy(FIXTURES / f"{name}.py", script)
    fixed = subprocess.run(
        [sys.executable, "-m", "tf2rec.tools.cli", "fix", "--run-as-tf1", "--write", script],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert fixed.returncode == 0, fixed.stderr
    losses = _run([script, work / "fixed", STEPS], work)
    reference = _run(
        [
            FIXTURES / "reference" / f"{name}_raw.py",
            work / "raw",
            work / "fixed" / "model.ckpt-0",
            STEPS,
        ],
        work,
    )
    return dict(name=name, work=work, losses=losses, reference=reference)


@pytest.mark.slow
def test_the_rewritten_fixture_trains_with_the_raw_graphs_losses(trained):
    assert len(trained["losses"]) == STEPS
    assert trained["losses"] == trained["reference"]
    assert all(np.isfinite(float(line.split()[-1])) for line in trained["losses"])


@pytest.mark.slow
def test_the_rewritten_fixtures_checkpoint_equals_the_raw_graphs_bitwise(trained):
    fixed = _checkpoint(trained["work"] / "fixed" / f"model.ckpt-{STEPS}")
    raw = _checkpoint(trained["work"] / "raw" / f"model.ckpt-{STEPS}")
    assert sorted(fixed) == sorted(raw)
    assert [k for k in fixed if fixed[k].tobytes() != raw[k].tobytes()] == []


@pytest.mark.slow
def test_fixture_specific_tf1_behaviour_is_kept(trained):
    work = trained["work"]
    if trained["name"] == "ctr_model":
        # tf.compat.v1.summary + merge_all + FileWriter wrote the scalars
        assert list((work / "fixed" / "logs").glob("events.out.tfevents.*"))
    if trained["name"] == "rank_model":
        # an uncalled tf.random_normal_initializer class keeps TF1's stddev 1.0 (TF2's
        # class defaults to 0.05): 200 draws, 5 standard errors (sigma / sqrt(2 n))
        kernel = _checkpoint(work / "fixed" / "model.ckpt-0")["scorer/hidden/kernel"]
        assert abs(kernel.std() - 1.0) <= 5 / np.sqrt(2 * kernel.size)


def test_the_names_the_fix_mode_moves_onto_the_runtime_are_the_runtimes_own():
    """The fixer reads the runtime's `__all__` lists from source (it never imports
    TensorFlow): they are what the imported modules hold, under both spellings it writes."""
    import functools
    import importlib

    import tf2rec.tf1
    from tf2rec.tools.scan import tf1_runtime

    for module in tf1_runtime.MODULES:
        imported = importlib.import_module(module.module)
        by_attribute = functools.reduce(getattr, module.attribute.split("."), tf2rec.tf1)
        assert by_attribute is imported
        assert frozenset(imported.__all__) == tf1_runtime.exported()[module.tf1]
        assert all(hasattr(imported, name) for name in imported.__all__)
