"""TF2 code scans clean: names that exist in TF 2.21 (module dunders, `tf.raw_ops`,
`tf.__internal__`, the protocol buffers under `tensorflow.core`) are never findings, while
what Keras 3 really removed still is."""

from pathlib import Path

import pytest

from tests.cli import exit_code
from tf2rec.tools.scan import tf_api

ROOT = Path(__file__).parents[2]
TF2 = ROOT / "tests" / "fixtures" / "tf2"


def scan_lines(capsys, *paths) -> tuple[int, list[str]]:
    code = exit_code(["scan", "--fail-on", "error", *map(str, paths)])
    return code, capsys.readouterr().out.splitlines()


@pytest.mark.parametrize("fixture", ["tfrs_retrieval.py", "keras_rs_ranking.py"])
def test_recommenders_written_for_tf2_have_no_findings(capsys, fixture):
    code, lines = scan_lines(capsys, TF2 / fixture)
    assert code == 0
    assert lines == [
        "No findings in 1 file(s). Files: 0 blocked, 0 run in compat mode, 1 ready (100% ready);"
        " 0 without TensorFlow."
    ]


def test_the_projects_own_migrated_model_has_no_errors(capsys, monkeypatch):
    monkeypatch.chdir(ROOT)
    code, lines = scan_lines(capsys, "migrated")
    assert code == 0
    # what is left is real: a private module that still imports, and the default graph it reads
    assert lines[:-1] == [
        "migrated/optimizers.py:215:5: TF506 [warning] `tensorflow.python.ops.control_flow_util`"
        " imports TensorFlow's private implementation (still there in 2.21)",
        "migrated/optimizers.py:217:57: TF106 [warning] `tf.compat.v1.get_default_graph` reaches"
        " for the global default graph",
    ]
    assert "0 error" in lines[-1] and "0 blocked" in lines[-1]


def test_what_keras_3_removed_is_still_found_among_tf2_names(capsys, monkeypatch):
    monkeypatch.chdir(TF2)
    code, lines = scan_lines(capsys, "keras2_leftovers.py")
    assert code == 1
    assert [line.split(" [")[0] for line in lines[:-1]] == [
        "keras2_leftovers.py:8:10: TF803",  # tf.keras.layers.experimental.preprocessing
        "keras2_leftovers.py:10:50: TF706",  # lr=
        "keras2_leftovers.py:11:1: TF705",  # fit_generator
        "keras2_leftovers.py:12:8: TF803",  # tf.__internal__.nest.flatten: not in TF 2.21
        "keras2_leftovers.py:13:8: TF803",  # tf.raw_ops.NoSuchKernel
    ]
    assert "`tf.keras.layers.experimental.preprocessing.StringLookup` exists in neither" in lines[0]


@pytest.mark.parametrize(
    "name",
    [
        "tf.__version__",
        "tf.__file__",
        "tf.__path__",
        "tf.__git_version__",
        "tf.nn.__name__",
        "tf.raw_ops.ResourceApplyAdam",
        "tf.__internal__.tracking.AutoTrackable",
        "tf.__operators__.add",
        "tf.core.protobuf.config_pb2",
        "tf.core.protobuf.config_pb2.ConfigProto",
        "tf.tsl.profiler.protobuf.xplane_pb2",
    ],
)
def test_names_that_exist_in_tf_2_21(name):
    assert tf_api.exists(name, "v2")


@pytest.mark.parametrize(
    "name",
    [
        "tf.contrib.__version__",  # the module is gone, so are its attributes
        "tf.raw_ops.NoSuchKernel",
        "tf.__internal__.nest.flatten",
        "tf.keras.layers.experimental",
        "tf.core.no_such_pb2",
        "tf.tsl.protobuf.error_codes_pb2",  # moved to tensorflow.compiler.xla.tsl
    ],
)
def test_names_that_do_not(name):
    assert not tf_api.exists(name, "v2")


def test_tf2_where_and_summaries_are_not_tf1_meaning_changes(tmp_path, capsys):
    """`tf.where(c, x, y)` and `tf.summary.scalar(name, value)` are TF2's own calls in TF2
    code: TF907 and TF908 report them only in files that build TF1 graphs."""
    (tmp_path / "masked.py").write_text(
        "import keras\nimport tensorflow as tf\n\n\n"
        "class Masked(keras.layers.Layer):\n"
        "    def call(self, scores, mask):\n"
        "        tf.summary.scalar('mean_score', tf.reduce_mean(scores))\n"
        "        return tf.where(mask, scores, tf.fill(tf.shape(scores), -1e9))\n"
    )
    code, lines = scan_lines(capsys, tmp_path / "masked.py")
    assert (code, lines[:-1]) == (0, [])
