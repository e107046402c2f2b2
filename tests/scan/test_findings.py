"""Exact findings (rule, line, column, severity) on TF1-style fixture files."""

import json
from pathlib import Path

import tf2rec
from tf2rec.tools.scan.rules import RULES

from . import FIXTURES, SAMPLES, TEMPLATES


def scan(name: str):
    result = tf2rec.scan([SAMPLES[name]])
    return [(f.rule_id, f.line, f.column, f.severity.label) for f in result.findings]


def test_names_are_resolved_through_every_kind_of_import():
    assert scan("aliased_imports.py") == [
        ("TF501", 3, 1, "error"),  # import tensorflow.contrib.slim as slim
        ("TF501", 6, 1, "error"),  # from tensorflow.contrib import rnn
        ("TF506", 7, 1, "warning"),  # private, but variable_scope still imports on TF 2.21
        ("TF110", 9, 5, "warning"),  # needs graph mode: nothing turns eager execution off
        ("TF201", 9, 5, "error"),  # tflow.placeholder: gone from TF2's namespace
        ("TF302", 10, 6, "warning"),  # vs.variable_scope = compat.v1 variable_scope
        ("TF303", 10, 31, "warning"),  # reuse=tf1.AUTO_REUSE
        ("TF501", 11, 9, "error"),  # slim.fully_connected
        ("TF501", 12, 12, "error"),  # rnn.LSTMCell
        ("TF401", 14, 12, "warning"),  # tf1.train.AdamOptimizer (compat.v1 still has it)
        ("TF402", 14, 12, "warning"),  # .minimize(..., global_step=...)
        ("TF403", 14, 69, "warning"),
        ("TF101", 15, 8, "error"),  # Session from `from tensorflow import Session`
        ("TF103", 16, 1, "warning"),
        ("TF304", 16, 10, "warning"),
        ("TF103", 17, 7, "warning"),  # the feed_dict on this line is suppressed inline
    ]


def test_keras2_idioms():
    assert scan("keras2_model.py") == [
        ("TF701", 10, 20, "error"),
        ("TF701", 13, 9, "error"),
        ("TF703", 17, 1, "error"),
        ("TF101", 17, 15, "warning"),  # tf.compat.v1.Session
        ("TF110", 17, 15, "warning"),  # ... which needs graph mode
        ("TF702", 19, 25, "error"),
        ("TF704", 20, 19, "error"),
    ]


def test_python2_file_is_read_as_python2_its_findings_at_its_own_lines_and_untouched():
    """Python 3 rejects the print statement (line 4); read as Python 2, the TF findings
    are those of its Python 3 spelling, at the columns of the original text."""
    before = (FIXTURES / "python2_script.py").read_bytes()
    result = tf2rec.scan([FIXTURES / "python2_script.py"])
    assert [(f.rule_id, f.line, f.column) for f in result.findings] == [
        ("TF101", 3, 8),
        ("TF110", 3, 8),
        ("PY201", 4, 1),
        ("TF103", 4, 16),  # `sess.run` after `print "loss:", `
    ]
    assert result.files[0].state == tf2rec.FileState.PYTHON2
    assert (FIXTURES / "python2_script.py").read_bytes() == before


def test_broken_file_is_one_finding_and_stays_untouched():
    before = (FIXTURES / "broken.py").read_bytes()
    result = tf2rec.scan([FIXTURES / "broken.py"])
    assert [(f.rule_id, f.line, f.column, f.message) for f in result.findings] == [
        ("TF001", 3, 10, "file does not parse: '(' was never closed")
    ]
    assert (FIXTURES / "broken.py").read_bytes() == before


def test_tab_space_mix_is_read_as_python2_did(tmp_path):
    """Python 2 read a tab as indentation to column 8, so lines 3 and 4 are one block;
    Python 3 refuses the mix (TabError)."""
    path = tmp_path / "tabs.py"
    path.write_text("import tensorflow as tf\nif True:\n\tx = 1\n        y = 2\n")
    (finding,) = tf2rec.scan([path]).findings
    assert (finding.rule_id, finding.line, finding.column) == ("PY208", 3, 1)


def test_a_file_neither_python3_nor_python2_is_reported_at_its_first_bad_line(tmp_path):
    path = tmp_path / "bad.py"
    path.write_text("import tensorflow as tf\nprint 'x'\nx = = 1\n")
    (finding,) = tf2rec.scan([path]).findings
    assert (finding.rule_id, finding.line, finding.column) == ("TF001", 3, 5)
    assert finding.message == (
        "file does not parse: neither Python 3 nor Python 2 (invalid syntax at line 3)"
    )


def test_a_file_without_tensorflow_is_skipped():
    result = tf2rec.scan([FIXTURES / "no_tensorflow.py"])
    assert result.findings == [] and result.counts[tf2rec.FileState.NO_TENSORFLOW] == 1


def test_a_python2_helper_without_tensorflow_is_reported_too(tmp_path):
    path = tmp_path / "helpers.py"
    path.write_text("import os\n\ndef show(x):\n    print x\n")
    result = tf2rec.scan([path])
    assert [(f.rule_id, f.line, f.column) for f in result.findings] == [("PY201", 4, 5)]
    assert not result.files[0].mentions_tensorflow
    assert result.files[0].state == tf2rec.FileState.PYTHON2


def _findings(root: Path, *files: str) -> list[tuple[str, str, int]]:
    result = tf2rec.scan([root / f for f in files])
    return [(Path(f.path).name, f.rule_id, f.line) for f in result.findings]


def test_star_imports_of_project_modules_bind_their_tensorflow_names(tmp_path):
    package = tmp_path / "recsys"
    (package / "nets").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "nets" / "__init__.py").write_text("")
    (package / "utils.py").write_text(
        "import tensorflow as tf\nfrom tensorflow.contrib import layers\nimport numpy as np\n"
    )
    (package / "config.py").write_text(
        "import tensorflow as tf\nimport tensorflow as _tf\n__all__ = ['flags']\nflags = 1\n"
    )
    (package / "model.py").write_text("from utils import *\nx = tf.placeholder(tf.float32)\n")
    (package / "nets" / "deep.py").write_text(
        "from ..utils import *\nreg = layers.l2_regularizer(0.1)\nw = tf.get_variable('w', [2])\n"
    )
    (package / "chain.py").write_text("from model import *\ns = tf.Session()\n")
    # __all__ leaves tf out, and private names never travel
    (package / "quiet.py").write_text("from config import *\ns = tf.Session()\n")
    # `from utils import *` in a package is Python 2's implicit relative import (PY215)
    assert sorted(_findings(package, "model.py", "nets/deep.py", "chain.py", "quiet.py")) == [
        ("chain.py", "PY215", 1),
        ("chain.py", "TF101", 2),
        ("chain.py", "TF110", 2),
        ("deep.py", "TF301", 3),
        ("deep.py", "TF501", 2),
        ("model.py", "PY215", 1),
        ("model.py", "TF110", 2),
        ("model.py", "TF201", 2),
        ("quiet.py", "PY215", 1),
    ]


def test_sessions_and_graphs_held_on_objects(tmp_path):
    (tmp_path / "model.py").write_text(
        "import tensorflow as tf\n"
        "class Model(object):\n"
        "    def __init__(self):\n"
        "        self.graph = tf.Graph()\n"
        "        with self.graph.as_default():\n"
        "            self.x = tf.placeholder(tf.float32)\n"
        "        self.session = tf.Session(graph=self.graph)\n"
        "    def predict(self, batch):\n"
        "        return self.session.run(self.y, {self.x: batch})\n"
    )
    found = [(rule, line) for _, rule, line in _findings(tmp_path, "model.py")]
    assert ("TF105", 5) in found  # self.graph.as_default()
    assert ("TF103", 9) in found and ("TF104", 9) in found  # run on self.session, fed positionally


def test_legacy_model_reports_every_idiom_it_uses():
    legacy = Path(__file__).parents[2] / "legacy"
    found = {f.rule_id for f in tf2rec.scan([legacy]).findings}
    assert found == {
        "TF101",
        "TF103",
        "TF104",
        "TF105",
        "TF108",
        "TF109",
        "TF201",
        "TF301",
        "TF302",
        "TF304",
        "TF305",
        "TF401",
        "TF402",
        "TF403",
        "TF404",
        "TF405",
        "TF407",
        "TF504",
        "TF905",  # legacy/sasrec.py's l2 through REGULARIZATION_LOSSES
    }


def test_the_scanner_never_imports_tensorflow():
    import subprocess
    import sys

    code = (
        "import sys\nfrom tf2rec.tools.cli import main\n"
        f"main(['scan', {str(FIXTURES)!r}, {str(TEMPLATES)!r}, '--fail-on', 'never'])\n"
        "print('tensorflow' in sys.modules, 'keras' in sys.modules, file=sys.stderr)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.stderr.strip().splitlines()[-1] == "False False"


def test_parameters_spellings_and_datasets(tmp_path):
    (tmp_path / "layers.py").write_text(
        "import tensorflow as tf\n"
        "from tensorflow.contrib.layers import batch_norm\n"
        "def layer(x, batch_norm=True):\n"
        "    if batch_norm:\n"  # the parameter, not the contrib function
        "        x = x * 2\n"
        "    return x\n"
        "x = tf.compat.v1.placeholder(tf.float32)\n"
        "ds = tf.data.TFRecordDataset(files).map(parse).batch(32)\n"
        "it = ds.make_one_shot_iterator()\n"
        "with tf.compat.v1.variable_scope('a', reuse=None):\n"
        "    pass\n"
    )
    result = tf2rec.scan([tmp_path / "layers.py"])
    found = {(f.rule_id, f.line): f for f in result.findings}
    assert sorted(found) == [
        ("TF110", 7),
        ("TF201", 7),
        ("TF302", 10),
        ("TF501", 2),
        ("TF601", 9),
    ]
    # after `tf2rec fix`, the message names the spelling in the file
    assert found["TF201", 7].message == "`tf.compat.v1.placeholder` declares a graph input"
    assert found["TF601", 9].severity.label == "error"  # TF2 datasets have no iterators


def test_tf1_distributed_idioms_name_the_tf2_strategy_and_the_command():
    path = Path(__file__).parents[1] / "fixtures" / "distributed" / "between_graph.py"
    result = tf2rec.scan([path], select=["TF41"])
    assert [(f.rule_id, f.line, f.column, f.severity.label) for f in result.findings] == [
        ("TF410", 16, 14, "error"),  # tf.train.Server(cluster, job_name=..., task_index=...)
        ("TF411", 21, 20, "error"),  # tf.device(tf.train.replica_device_setter(...))
        ("TF412", 35, 15, "error"),  # tf.train.SyncReplicasOptimizer(...)
        ("TF413", 42, 44, "warning"),  # MonitoredTrainingSession(..., is_chief=...)
    ]
    pages = {r.id: r.replacement for r in RULES if r.id in ("TF410", "TF412")}
    for replacement in pages.values():
        assert "MultiWorkerMirroredStrategy" in replacement
        assert "tf2rec cluster local --workers 2 -- tf2rec train --strategy multi-worker" in (
            replacement
        )


def test_a_renamed_keyword_on_a_continuation_line_is_found_and_marked_where_it_is(tmp_path):
    """The finding, and the SARIF region a code-review tool highlights, cover the keyword
    itself, not the call's first line."""
    from tf2rec.tools.scan.reports import sarif

    (tmp_path / "att.py").write_text(
        "import tensorflow as tf\n"
        "scores = tf.reduce_sum(q * k,\n"
        "                       keep_dims=True)\n"
    )
    report = tf2rec.scan([tmp_path], select=["TF902"])
    (finding,) = report.findings
    assert (finding.line, finding.column, finding.end_line, finding.end_column) == (3, 24, 3, 38)
    (result,) = json.loads("".join(sarif(report)))["runs"][0]["results"]
    assert result["locations"][0]["physicalLocation"]["region"] == {
        "startLine": 3,
        "startColumn": 24,
        "endLine": 3,
        "endColumn": 38,
    }
