"""A 2018-style recommender package (tests/fixtures/recsys2018: a model class holding its
graph and session, a `utils.py` star-imported into it, dropout with keep_prob, keep_dims,
contrib regularizer and batch norm, a Python 2 helper) goes through `tf2rec fix` and then
only the edits the report calls manual, and trains on TF 2.21 with the very losses the
original gives under `tensorflow.compat.v1`: no silent change of meaning."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import tf2rec
from tf2rec.tools.cli import main

PACKAGE = Path(__file__).parents[1] / "fixtures" / "recsys2018"

# TF1's tf.contrib.layers as the original used them, on tensorflow.compat.v1: what the
# original ran against, which TF 2.21 no longer has.
RUN_ORIGINAL = """
import sys
import types
import tensorflow.compat.v1 as v1

v1.disable_v2_behavior()


def l2_regularizer(scale):
    return lambda weights: v1.multiply(scale, v1.nn.l2_loss(weights))


def batch_norm(inputs, decay=0.999, epsilon=0.001, is_training=True, scope=None):
    with v1.variable_scope(scope, "BatchNorm"):
        size = inputs.get_shape()[-1:]
        beta = v1.get_variable("beta", size, initializer=v1.zeros_initializer())
        moving_mean = v1.get_variable(
            "moving_mean", size, initializer=v1.zeros_initializer(), trainable=False)
        moving_variance = v1.get_variable(
            "moving_variance", size, initializer=v1.ones_initializer(), trainable=False)
        mean, variance = v1.nn.moments(inputs, [0])
        for variable, value in ((moving_mean, mean), (moving_variance, variance)):
            v1.add_to_collection(v1.GraphKeys.UPDATE_OPS,
                                 v1.assign_sub(variable, (variable - value) * (1 - decay)))
        mean, variance = v1.cond(is_training, lambda: (mean, variance),
                                 lambda: (moving_mean, moving_variance))
        return v1.nn.batch_normalization(inputs, mean, variance, beta, None, epsilon)


# the package's `import tensorflow as tf` is TF1's API, tf.contrib included
tf1 = types.ModuleType("tensorflow")
tf1.__dict__.update({name: getattr(v1, name) for name in dir(v1) if not name.startswith("__")})
tf1.contrib = types.SimpleNamespace(
    layers=types.SimpleNamespace(l2_regularizer=l2_regularizer, batch_norm=batch_norm))
sys.modules["tensorflow"] = tf1
sys.path.insert(0, ".")
exec(compile(open("train.py").read(), "train.py", "exec"), {"__name__": "__main__"})
"""

# What a person writes where the report calls for a manual change (its only blocking
# findings after the fix): the Python 2 print (`fix` rewrites the contrib regularizer to what
# TF1 computed); contrib's batch norm, by hand on compat.v1 (its defaults written out).
BATCH_NORM = """def batch_norm(inputs, decay=0.999, epsilon=0.001, is_training=True):
    with tf.compat.v1.variable_scope(None, "BatchNorm"):
        size = inputs.get_shape()[-1:]
        beta = tf.compat.v1.get_variable("beta", size, initializer=tf.zeros_initializer())
        moving_mean = tf.compat.v1.get_variable(
            "moving_mean", size, initializer=tf.zeros_initializer(), trainable=False)
        moving_variance = tf.compat.v1.get_variable(
            "moving_variance", size, initializer=tf.ones_initializer(), trainable=False)
        mean, variance = tf.nn.moments(inputs, [0])
        for variable, value in ((moving_mean, mean), (moving_variance, variance)):
            tf.compat.v1.add_to_collection(
                tf.compat.v1.GraphKeys.UPDATE_OPS,
                tf.compat.v1.assign_sub(variable, (variable - value) * (1 - decay)))
        mean, variance = tf.cond(is_training, lambda: (mean, variance),
                                 lambda: (moving_mean, moving_variance))
        return tf.nn.batch_normalization(inputs, mean, variance, beta, None, epsilon)


"""
MANUAL = {  # export_py2.py's print statement is converted by `fix` itself
    "utils.py": [
        ("def make_data(", BATCH_NORM + "def make_data("),
    ],
    "model.py": [
        ("tf.contrib.layers.batch_norm(h, decay=0.9, is_training=self.is_training)",
         "batch_norm(h, decay=0.9, is_training=self.is_training)"),
    ],
}  # fmt: skip


def run(harness: str | None, folder: Path) -> list[str]:
    argv = [sys.executable, "-c", harness] if harness else [sys.executable, "train.py"]
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2", "PYTHONPATH": ""}
    done = subprocess.run(argv, cwd=folder, capture_output=True, text=True, env=env, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout.split()


def test_fix_then_the_manual_edits_train_with_the_original_losses(tmp_path, capsys):
    original = run(RUN_ORIGINAL, PACKAGE)
    assert len(original) == 21 and all(float(v) > 0 for v in original)

    package = tmp_path / "recsys2018"
    shutil.copytree(PACKAGE, package)
    assert main(["fix", "--write", "--unsafe-fixes", str(package)]) == 1  # contrib is left
    assert (
        (package / "export_py2.py")
        .read_text()
        .endswith('    print("exported %d rows to %s" % (len(table), path))\n')
    )
    capsys.readouterr()
    blocking = {
        (Path(f.path).name, f.line)
        for f in tf2rec.scan([package]).findings
        if f.severity.label == "error"
    }
    # every line that still stops the package from running carries a finding; and the
    # regularization sum (model.py:31) stays an error until the losses show the penalty kept
    assert blocking == {("model.py", 26), ("model.py", 31)}
    for name, edits in MANUAL.items():
        text = (package / name).read_text()
        for before, after in edits:
            assert before in text, (name, before)
            text = text.replace(before, after)
        (package / name).write_text(text)
    left = [f.rule_id for f in tf2rec.scan([package]).findings if f.severity.label == "error"]
    assert left == ["TF905"]

    assert run(None, package) == original
