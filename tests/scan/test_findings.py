"""Exact findings (rule, line, column, severity) on TF1-style fixture files."""

from pathlib import Path

from tf2rec.tools.scan.rules import RULES
from tf2rec.tools.scan.runner import scan_paths

from . import FIXTURES, SAMPLES, TEMPLATES


def scan(name: str):
    result = scan_paths([SAMPLES[name]], RULES)
    return [(f.rule_id, f.line, f.column, f.severity.label) for f in result.findings]


def test_names_are_resolved_through_every_kind_of_import():
    assert scan("aliased_imports.py") == [
        ("TF501", 3, 1, "error"),  # import tensorflow.contrib.slim as slim
        ("TF501", 6, 1, "error"),  # from tensorflow.contrib import rnn
        ("TF506", 7, 1, "error"),  # from tensorflow.python.ops import variable_scope as vs
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
        ("TF702", 19, 25, "error"),
        ("TF704", 20, 19, "error"),
    ]


def test_python2_file_is_one_finding_with_the_hint_and_stays_untouched():
    before = (FIXTURES / "python2_script.py").read_bytes()
    result = scan_paths([FIXTURES / "python2_script.py"], RULES)
    (finding,) = result.findings
    assert (finding.rule_id, finding.line, finding.column) == ("TF001", 4, 1)
    assert "Missing parentheses in call to 'print'" in finding.message
    assert "this looks like Python 2" in finding.message
    assert (FIXTURES / "python2_script.py").read_bytes() == before


def test_broken_file_is_one_finding_and_stays_untouched():
    before = (FIXTURES / "broken.py").read_bytes()
    result = scan_paths([FIXTURES / "broken.py"], RULES)
    assert [(f.rule_id, f.line, f.column, f.message) for f in result.findings] == [
        ("TF001", 3, 10, "file does not parse: '(' was never closed")
    ]
    assert (FIXTURES / "broken.py").read_bytes() == before


def test_tab_space_mix_is_reported(tmp_path):
    path = tmp_path / "tabs.py"
    path.write_text("import tensorflow as tf\nif True:\n\tx = 1\n        y = 2\n")
    (finding,) = scan_paths([path], RULES).findings
    assert (finding.rule_id, finding.line) == ("TF001", 4)
    assert "inconsistent use of tabs and spaces" in finding.message


def test_a_file_without_tensorflow_is_skipped():
    result = scan_paths([FIXTURES / "no_tensorflow.py"], RULES)
    assert result.findings == [] and result.files_skipped == 1


def test_legacy_model_reports_every_idiom_it_uses():
    legacy = Path(__file__).parents[2] / "legacy"
    found = {f.rule_id for f in scan_paths([legacy], RULES).findings}
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
