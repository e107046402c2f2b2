"""`tf2rec fix --run-as-tf1`: what it converts, the one line per API it cannot, the files it
cannot fully convert, and that the default `fix` and `scan` are not touched by it.

The fixtures' training with TF1's numbers after the mode is tests/tf1/test_fixtures.py.
"""

import ast
import textwrap

import tf2rec
from tf2rec.tools.cli import main

# a 2017 script: contrib.slim and tf.estimator have no TF 2.21 home and no runtime one
BLOCKED = textwrap.dedent(
    """\
    import tensorflow as tf
    slim = tf.contrib.slim

    def model_fn(features, labels, mode):
        net = slim.fully_connected(features['x'], 10)
        return tf.estimator.EstimatorSpec(mode, predictions=net)

    if __name__ == '__main__':
        est = tf.estimator.Estimator(model_fn)
    """
)


def test_an_api_neither_tf_nor_the_runtime_has_is_one_line_naming_it_and_what_to_do(tmp_path):
    (tmp_path / "train.py").write_text(BLOCKED)
    report = tf2rec.fix([tmp_path], run_as_tf1=True)
    left = [(f.line, f.column, f.rule_id, f.severity.label, f.message) for f in report.remaining]
    assert left == [
        (
            3,
            8,
            "TF520",
            "error",
            "`tf.contrib.slim` is in neither TF 2.21 nor tf2rec.tf1: TF 2 has no tf.contrib: "
            "replace it with tf.compat.v1 ops",
        ),
        (
            7,
            12,
            "TF521",
            "error",
            "`tf.estimator.EstimatorSpec` is in neither TF 2.21's tf.compat.v1 nor tf2rec.tf1: "
            "write this line with tf.compat.v1 ops",
        ),
        (
            10,
            11,
            "TF521",
            "error",
            "`tf.estimator.Estimator` is in neither TF 2.21's tf.compat.v1 nor tf2rec.tf1: "
            "write this line with tf.compat.v1 ops",
        ),
    ]
    # what can be converted is (`slim = tf.contrib.slim` runs at import: the switch goes
    # after the imports), the blocking lines stay exactly as written; the lines reported are
    # those of the converted file
    (changed,) = report.changed
    assert changed.fixed == BLOCKED.replace(
        "import tensorflow as tf\n",
        "import tensorflow as tf\ntf.compat.v1.disable_v2_behavior()\n",
    )


def test_the_command_lists_each_file_it_cannot_fully_convert_with_its_lines(tmp_path, capsys):
    (tmp_path / "train.py").write_text(BLOCKED)
    (tmp_path / "model.py").write_text("import tensorflow as tf\nw = tf.get_variable('w', [3])\n")
    assert main(["fix", "--run-as-tf1", "--write", str(tmp_path)]) == 1
    err = capsys.readouterr().err.splitlines()
    train = tmp_path / "train.py"
    assert err[:4] == [
        f"{train}: not fully converted, 3 line(s) to change:",
        f"  {train}:3:8: TF520 `tf.contrib.slim` is in neither TF 2.21 nor tf2rec.tf1: TF 2 "
        "has no tf.contrib: replace it with tf.compat.v1 ops",
        f"  {train}:7:12: TF521 `tf.estimator.EstimatorSpec` is in neither TF 2.21's "
        "tf.compat.v1 nor tf2rec.tf1: write this line with tf.compat.v1 ops",
        f"  {train}:10:11: TF521 `tf.estimator.Estimator` is in neither TF 2.21's "
        "tf.compat.v1 nor tf2rec.tf1: write this line with tf.compat.v1 ops",
    ]
    assert len(err) == 5  # then the summary line
    assert (tmp_path / "model.py").read_text() == (
        "import tensorflow as tf\ntf.compat.v1.disable_v2_behavior()\n"
        "w = tf.compat.v1.get_variable('w', [3])\n"
    )
    ast.parse(train.read_text())


def test_a_python_2_file_is_converted_in_the_same_pass(tmp_path, capsys):
    (tmp_path / "old.py").write_text(
        "import tensorflow as tf\n"
        "x = tf.placeholder(tf.float32)\n"
        "for i in xrange(3):\n"
        "    print x, i  # Python 2 printed 'x i'\n"
    )
    assert main(["fix", "--run-as-tf1", "--write", str(tmp_path)]) == 0
    assert (tmp_path / "old.py").read_text() == (
        "import tensorflow as tf\n"
        "tf.compat.v1.disable_v2_behavior()\n"
        "x = tf.compat.v1.placeholder(tf.compat.v1.float32)\n"
        "for i in range(3):\n"
        "    print(x, i)  # Python 2 printed 'x i'\n"
    )


def test_a_file_that_does_not_parse_is_named_and_left_as_it_was(tmp_path, capsys):
    source = "import tensorflow as tf\nx = tf.placeholder(tf.float32)\ndef f(:\n    pass\n"
    (tmp_path / "old.py").write_text(source)
    assert main(["fix", "--run-as-tf1", "--write", str(tmp_path)]) == 2
    err = capsys.readouterr().err.splitlines()
    assert err[0].startswith(f"error: {tmp_path / 'old.py'}: not changed: file does not parse")
    assert (tmp_path / "old.py").read_text() == source


def test_imports_of_the_lost_modules_point_at_the_runtime_and_a_second_run_changes_nothing(
    tmp_path,
):
    (tmp_path / "net.py").write_text(
        "import tensorflow as tf\n"
        "from tensorflow.contrib import layers\n"
        "import tensorflow.contrib.rnn as rnn\n"
        "from tensorflow.nn import rnn_cell\n\n"
        "def net(x):\n"
        "    cell = rnn_cell.GRUCell(8)\n"
        "    return layers.fully_connected(x, 4), rnn.LSTMCell(4), tf.layers.dense(x, 2)\n"
    )
    tf2rec.fix([tmp_path], run_as_tf1=True, write=True)
    fixed = (tmp_path / "net.py").read_text()
    assert fixed == (
        "import tensorflow as tf\n"
        "from tf2rec import tf1 as tf1_runtime\n"
        "from tf2rec.tf1.contrib import layers\n"
        "import tf2rec.tf1.contrib.rnn as rnn\n"
        "from tf2rec.tf1.nn import rnn_cell\n\n"
        "def net(x):\n"
        "    cell = rnn_cell.GRUCell(8)\n"
        "    return layers.fully_connected(x, 4), rnn.LSTMCell(4), tf1_runtime.layers.dense(x, 2)\n"
    )
    again = tf2rec.fix([tmp_path], run_as_tf1=True)
    assert again.changed == [] and again.remaining == []


def test_without_the_mode_fix_and_scan_never_use_its_rules(tmp_path):
    (tmp_path / "a.py").write_text("import tensorflow as tf\nh = tf.layers.dense(x, 3)\n")
    scanned = {f.rule_id for f in tf2rec.scan([tmp_path]).findings}
    fixed = tf2rec.fix([tmp_path])
    assert scanned == {"TF502"}
    assert {f.rule_id for f in fixed.remaining} == {"TF502"} and fixed.changed == []
