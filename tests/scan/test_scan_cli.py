"""`tf2rec scan` / `tf2rec rules` as users run them: formats, exit codes, config, baseline."""

import hashlib
import json
import os
import shutil
from pathlib import Path
from unittest.mock import ANY

import jsonschema
import pytest

from tf2rec.tools.cli import main

from . import SAMPLES

# the standard's own schema, kept in the repository (tests/data/NOTICE.md)
SARIF_SCHEMA = Path(__file__).parents[1] / "data" / "sarif-schema-2.1.0.json"


@pytest.fixture
def project(tmp_path, monkeypatch):
    """A copy of the fixtures as the current directory (with no pyproject.toml above it)."""
    (tmp_path / "src").mkdir()
    for name, path in SAMPLES.items():
        shutil.copy(path, tmp_path / "src" / name)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def scan(capsys, *args: str) -> tuple[int, str, str]:
    try:
        code = main(["scan", *args])
    except SystemExit as stop:
        code = stop.code
    out, err = capsys.readouterr()
    return code, out, err


def test_text_output_is_ruff_style_and_exit_code_1(project, capsys):
    code, out, _ = scan(capsys, "src/keras2_model.py")
    assert code == 1
    assert out.splitlines()[0] == (
        "src/keras2_model.py:10:20: TF701 [error] `.compiled_loss` does not exist in Keras 3"
    )
    assert out.splitlines()[-1].startswith("Found 7 finding(s) in 1 of 1 file(s): 5 error, ")


@pytest.mark.parametrize("fail_on, expected", [("error", 1), ("never", 0), ("info", 1)])
def test_fail_on(project, capsys, fail_on, expected):
    assert scan(capsys, "src/keras2_model.py", "--fail-on", fail_on)[0] == expected


def test_only_warnings_pass_fail_on_error(project, capsys):
    path = project / "warn.py"
    path.write_text("import tensorflow.compat.v1 as tf\nsess = tf.Session()\n")
    assert scan(capsys, str(path), "--fail-on", "error")[0] == 0
    assert scan(capsys, str(path), "--fail-on", "warning")[0] == 1


def test_clean_file_exits_0(project, capsys):
    code, out, _ = scan(capsys, "src/no_tensorflow.py")
    assert (code, out) == (
        0,
        "No findings in 1 file(s). Files: 0 blocked, 0 run in compat mode, 0 ready "
        "(100% ready); 1 without TensorFlow.\n",
    )


def test_usage_errors_exit_2(project, capsys):
    code, _, err = scan(capsys, "missing_dir")
    assert code == 2 and "missing_dir: no such file or directory" in err
    code, _, err = scan(capsys, "src", "--select", "XX9")
    assert code == 2 and "unknown rule or prefix 'XX9'" in err
    assert scan(capsys, "src", "--format", "yaml")[0] == 2


def test_select_and_ignore_by_prefix(project, capsys):
    _, out, _ = scan(capsys, "src/aliased_imports.py", "--select", "TF5", "--ignore", "TF506")
    assert {line.split()[1] for line in out.splitlines()[:-1]} == {"TF501"}


def test_inline_suppression(project, capsys):
    path = project / "s.py"
    path.write_text(
        "import tensorflow as tf\n"
        "a = tf.placeholder(tf.float32)  # tf2rec: ignore[TF201, TF110]\n"
        "b = tf.Session()  # tf2rec: ignore\n"
        "c = tf.placeholder(tf.float32)  # tf2rec: ignore[TF101]\n"
    )
    _, out, _ = scan(capsys, str(path))
    assert [line.split(":")[1] for line in out.splitlines()[:-1]] == ["4"]


def test_defaults_from_pyproject(project, capsys):
    (project / "pyproject.toml").write_text(
        '[tool.tf2rec]\nselect = ["TF7"]\nexclude = ["*/aliased_*"]\nfail-on = "never"\n'
    )
    code, out, _ = scan(capsys, "src")
    assert code == 0
    # broken.py does not parse: reported whatever the selection
    assert {line.split()[1] for line in out.splitlines()[:-1]} == {
        "TF001",
        "TF701",
        "TF702",
        "TF703",
        "TF704",
    }
    (project / "pyproject.toml").write_text('[tool.tf2rec]\nfail_on = "never"\n')
    code, _, err = scan(capsys, "src")
    assert code == 2 and "unknown key 'fail_on' in [tool.tf2rec]" in err


@pytest.mark.parametrize(
    ("pyproject", "message"),
    [
        ("[tool]\ntf2rec = 3\n", "tool.tf2rec must be a table ([tool.tf2rec]), got 3"),
        ("[tool.tf2rec]\nignore=[1]\n", "[tool.tf2rec] ignore must be a list of strings, got [1]"),
        ("[tool.tf2rec]\njobs = true\n", "[tool.tf2rec] jobs must be a whole number, got True"),
        ("[tool.tf2rec]\nfail-on = 1\n", "[tool.tf2rec] fail-on must be a string, got 1"),
    ],
)  # fmt: skip
def test_a_setting_of_the_wrong_type_is_one_line_naming_it(project, capsys, pyproject, message):
    (project / "pyproject.toml").write_text(pyproject)
    code, _, err = scan(capsys, "src")
    assert (code, err) == (2, f"tf2rec scan: error: {project / 'pyproject.toml'}: {message}\n")


def test_a_pyproject_that_is_not_utf8_is_named(project, capsys):
    (project / "pyproject.toml").write_bytes(b"\xd0\xff[tool]\n")
    code, _, err = scan(capsys, "src")
    assert (code, err) == (
        2,
        f"tf2rec scan: error: {project / 'pyproject.toml'}: not UTF-8 text (byte 0); "
        "TOML files are UTF-8\n",
    )


@pytest.mark.parametrize("baseline", ["/dev/zero", "fifo"])
def test_a_baseline_that_is_no_regular_file_is_refused_without_reading_it(
    project, capsys, baseline
):
    if baseline == "fifo":
        os.mkfifo(project / "fifo")  # reading it would wait for a writer forever
    code, _, err = scan(capsys, "src", "--baseline", baseline)
    assert (code, err) == (
        2,
        f"tf2rec scan: error: {baseline}: not a regular file; a baseline is a JSON file "
        "tf2rec writes\n",
    )


def test_a_baseline_nested_too_deep_is_not_a_baseline(project, capsys):
    (project / "deep.json").write_text("[" * 100_000 + "]" * 100_000)
    code, _, err = scan(capsys, "src", "--baseline", "deep.json")
    assert code == 2 and err.startswith("tf2rec scan: error: deep.json: not a tf2rec baseline (")


def test_a_path_too_long_for_the_file_system_is_one_line(project, capsys):
    name = "a" * 300 + ".py"
    code, _, err = scan(capsys, name)
    assert (code, err) == (2, f"tf2rec scan: error: {name}: File name too long; check the path\n")


def test_baseline_reports_only_new_findings(project, capsys):
    code, _, err = scan(capsys, "src", "--baseline", "baseline.json")
    assert code == 0 and "baseline baseline.json written with 28 finding(s)" in err
    assert scan(capsys, "src", "--baseline", "baseline.json")[0] == 0
    # unrelated edits move lines: old findings stay known; a new idiom is reported
    path = project / "src" / "keras2_model.py"
    path.write_text("# moved\n\n" + path.read_text() + "sess = tf.Session()\n")
    code, out, _ = scan(capsys, "src", "--baseline", "baseline.json")
    assert code == 1
    assert out.splitlines()[0] == (
        "src/keras2_model.py:23:8: TF101 [error] `tf.Session` creates a graph-mode session "
        "(`tf.Session` no longer exists in TF 2.21's `tensorflow`)"
    )
    (project / "bad.json").write_text("[]")
    code, _, err = scan(capsys, "src", "--baseline", "bad.json")
    assert code == 2 and "not a tf2rec baseline" in err


def _print(rule: str, path: str, line_text: str) -> str:
    """A fingerprint as `finding.fingerprinted` documents it (first occurrence)."""
    raw = "\0".join((rule, path, line_text, "0"))
    return hashlib.sha256(raw.encode()).hexdigest()[:32]


def test_a_baseline_an_older_version_wrote_is_read_with_a_note(tmp_path, monkeypatch, capsys):
    """Version 1 put TF902 at the call's first line: that fingerprint no longer matches, the
    finding shows as new and one note says what to do; the unmoved one stays known."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "m.py").write_text(
        "import tensorflow as tf\n"
        "y = tf.log(x)\n"
        "s = tf.reduce_sum(y,\n"
        "                  keep_dims=True)\n"
    )
    old = [
        _print("TF802", "m.py", "y = tf.log(x)"),
        _print("TF902", "m.py", "s = tf.reduce_sum(y,"),
    ]
    (tmp_path / "old.json").write_text(json.dumps({"version": 1, "fingerprints": old}))
    code, out, err = scan(capsys, "m.py", "--baseline", "old.json")
    assert code == 1
    assert out.splitlines()[0] == (
        "m.py:4:19: TF902 [error] `tf.reduce_sum` takes other arguments in TF2: `keep_dims=` "
        "is `keepdims=`"
    )
    assert err == (
        "note: baseline old.json was written by an older tf2rec (version 1): renamed keywords "
        "and dropout's keep probability are now found at the argument, so those findings may "
        "show as new; run the scan with --update-baseline to record them again\n"
    )
    code, _, err = scan(capsys, "m.py", "--baseline", "old.json", "--update-baseline")
    assert json.loads((tmp_path / "old.json").read_text())["version"] == 2
    assert scan(capsys, "m.py", "--baseline", "old.json") == (0, ANY, "")


def test_jobs_give_the_same_report(project, capsys):
    one = scan(capsys, "src", "--format", "json")[1]
    two = scan(capsys, "src", "--format", "json", "--jobs", "2")[1]
    assert one == two


def test_json_schema_fields(project, capsys):
    code, out, _ = scan(capsys, "src", "--format", "json", "--output", "report.json")
    assert code == 1 and out == ""
    report = json.loads((project / "report.json").read_text())
    assert report["schema_version"] == 3 and report["files_scanned"] == 5
    assert report["summary"]["by_rule"]["TF501"] == 4
    first = report["findings"][0]
    assert set(first) == {
        "rule",
        "name",
        "severity",
        "path",
        "line",
        "column",
        "end_line",
        "end_column",
        "message",
        "replacement",
        "migrated",
        "fixable",
        "fingerprint",
    }
    assert (first["path"], first["line"], first["rule"]) == ("src/aliased_imports.py", 3, "TF501")
    # three with TensorFlow or a syntax error are blocked, the Python 2 one has its own
    # state (to migrate, not ready); no_tensorflow.py is apart
    assert report["readiness"] == 0.0
    assert report["files"] == {
        "blocked": 3,
        "compat": 0,
        "ready": 0,
        "python_2": 1,
        "without_tensorflow": 1,
    }
    assert report["file_status"]["src/no_tensorflow.py"] == "without TensorFlow"
    assert report["file_status"]["src/python2_script.py"] == "Python 2"


def test_markdown_has_summary_tables_and_readiness(project, capsys):
    out = scan(capsys, "src", "--format", "markdown")[1]
    assert (
        "**Migration readiness: 0%** (0 of 4 files with TensorFlow ready; 3 blocked, 0 run in "
        "compat mode, 1 Python 2; 1 without TensorFlow)"
    ) in out
    assert "| `TF501` contrib | error | 4 |" in out
    assert "| `src/aliased_imports.py` | blocked | 6 | 10 | 0 |" in out
    # each file's findings, line by line, in a collapsible section
    assert "<details><summary><code>src/aliased_imports.py</code>: blocked</summary>" in out
    assert "| 9 | `TF201` | error | `tf.placeholder` declares a graph input" in out


def test_sarif_is_valid_2_1_0_with_rules_and_relative_paths(project, capsys):
    out = scan(capsys, "src", "--format", "sarif")[1]
    log = json.loads(out)
    jsonschema.validate(log, json.loads(SARIF_SCHEMA.read_text()))
    run = log["runs"][0]
    rules = {r["id"]: r for r in run["tool"]["driver"]["rules"]}
    assert "TF501" in rules and rules["TF501"]["help"]["markdown"].startswith("# TF501")
    result = run["results"][0]
    assert result["locations"][0]["physicalLocation"]["artifactLocation"] == {
        "uri": "src/aliased_imports.py",
        "uriBaseId": "%SRCROOT%",
    }
    assert run["tool"]["driver"]["rules"][result["ruleIndex"]]["id"] == result["ruleId"]
    assert len(result["partialFingerprints"]["primaryLocationLineHash"]) == 32
    assert run["properties"]["fileStates"]["src/python2_script.py"] == "Python 2"
    assert run["properties"]["fileStates"]["src/broken.py"] == "blocked"


def test_rules_command(capsys):
    assert main(["rules"]) == 0
    listing = capsys.readouterr().out
    assert listing.count("\n") >= 40
    line = "TF101  error/warning  fix         session                  `tf.Session` creates"
    assert line in listing
    assert main(["rules", "tf502"]) == 0
    assert capsys.readouterr().out.startswith("# TF502 v1-layers (error)")
    assert main(["rules", "TF999"]) == 2
    assert "unknown rule 'TF999'" in capsys.readouterr().err


def test_exclude_glob(project, capsys):
    _, out, _ = scan(
        capsys, "src", "--exclude", "*/aliased_*", "--exclude", "*keras2*", "--format", "json"
    )
    assert {f["path"] for f in json.loads(out)["findings"]} == {
        "src/broken.py",
        "src/python2_script.py",
    }


def test_unreadable_file_is_reported_and_the_others_still_scanned(project, capsys):
    (project / "src" / "latin1.py").write_bytes(b"import tensorflow as tf\n# caf\xe9\n")
    code, out, _ = scan(capsys, "src")
    assert code == 2
    assert (
        "error: src/latin1.py: not utf-8 text (invalid continuation byte at byte 29); declare "
        "its encoding in a coding line (`# -*- coding: latin-1 -*-`)"
    ) in out
    assert "src/keras2_model.py:10:20: TF701" in out


def test_a_file_with_a_coding_line_is_read_as_declared_and_a_fifo_is_skipped(project, capsys):
    (project / "src" / "latin1.py").write_bytes(
        b"# -*- coding: latin-1 -*-\nimport tensorflow as tf\ns = tf.Session()  # caf\xe9\n"
    )
    os.mkfifo(project / "src" / "pipe.py")  # reading it would wait forever
    code, out, _ = scan(capsys, "src/latin1.py", "src/pipe.py")
    assert code == 2
    assert "src/latin1.py:3:5: TF101" in out
    assert "error: src/pipe.py: not a regular file (a FIFO, socket or device); skipped" in out


def test_the_scanners_public_names_import_no_tensorflow_keras_or_pandas():
    """`import tf2rec` and its scanner's names: what a pre-commit hook or a CI lint job loads."""
    import subprocess
    import sys

    code = (
        "import sys, tf2rec\n"
        "names = ['scan', 'fix', 'ScanReport', 'FixReport', 'render_report', 'RULES',\n"
        "         'rule_page', 'write_baseline', 'scan_settings', 'UsageError']\n"
        "[getattr(tf2rec, n) for n in names]\n"
        "print(sorted(m for m in ('tensorflow', 'keras', 'pandas', 'libcst') if m in sys.modules))"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert run.stdout.strip() == "[]"
