"""The three TF1 fixtures (tests/fixtures/tf1_runtime/) run on TF 2.21 + Keras 3 with TF1's
numbers once rewritten onto `tf.compat.v1` and tf2rec.tf1.

`REWRITE` is the rewrite the fix mode is to perform, written out as a small reviewed list of
text substitutions (the spec for that mode): the runtime replaces `tf.layers`, `tf.contrib`
and `tf.nn.rnn_cell`; TF 1.0 renames get their TF 1.x names; every other TF name is spelled
through `tf.compat.v1` (its initializers, `where` and `summary` keep TF1's meaning);
`disable_v2_behavior()` runs where the program starts. The rewritten script then trains, and
its losses and final checkpoint equal, bit for bit, those of the same graph written by hand
in raw `tf.compat.v1` ops (tests/fixtures/tf1_runtime/reference/), started from the
script's own step-0 checkpoint.
"""

import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from tests.tf1.conftest import ROOT

FIXTURES = ROOT / "tests" / "fixtures" / "tf1_runtime"
STEPS = 5

REWRITE = [
    (
        r"^import tensorflow as tf$",
        "import tensorflow as tf\nfrom tf2rec import tf1 as tf1_runtime\n\n"
        "tf.compat.v1.disable_v2_behavior()",
    ),
    (r"\btf\.contrib\.", "tf1_runtime.contrib."),
    (r"\btf\.layers\.", "tf1_runtime.layers."),
    (r"\btf\.nn\.rnn_cell\.", "tf1_runtime.nn.rnn_cell."),
    (r"\btf\.sub\(", "tf.subtract("),  # TF 1.0 renames: tf.sub, tf.mul, tf.neg, ...
    (r"\btf\.(?!compat\.)", "tf.compat.v1."),
]


def rewrite(source: str) -> str:
    for pattern, replacement in REWRITE:
        source = re.sub(pattern, replacement, source, flags=re.MULTILINE)
    return source


def test_the_rewrite_spells_every_tf1_name_through_compat_or_the_runtime():
    fixed = rewrite(
        "import tensorflow as tf\nh = tf.layers.dense(tf.sub(a, b), 3)\n"
        "c = tf.contrib.rnn.GRUCell(4)\nw = tf.where(m, x, y)\n"
    )
    assert fixed == (
        "import tensorflow as tf\nfrom tf2rec import tf1 as tf1_runtime\n\n"
        "tf.compat.v1.disable_v2_behavior()\n"
        "h = tf1_runtime.layers.dense(tf.compat.v1.subtract(a, b), 3)\n"
        "c = tf1_runtime.contrib.rnn.GRUCell(4)\nw = tf.compat.v1.where(m, x, y)\n"
    )


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
    script.write_text(rewrite((FIXTURES / f"{name}.py").read_text()))
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
