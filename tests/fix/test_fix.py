"""`tf2rec fix`: byte-exact rewrites, idempotence, safety, and a rewritten script that runs."""

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

from tf2rec.tools.cli import main
from tf2rec.tools.scan.fixer import fix_source
from tf2rec.tools.scan.rules import RULES

FIXTURES = Path(__file__).parents[1] / "fixtures"
# the rules of the default `fix` (those of `--run-as-tf1` keep the code TF1 code)
RULES = [rule for rule in RULES if rule.mode == "migrate"]


def fixed(code: str) -> str:
    return fix_source("example.py", code, [rule() for rule in RULES]).fixed


def test_compat_v1_fix_keeps_the_files_alias_and_moves_imported_names():
    code = (
        "import tensorflow as tflow\n"
        "from tensorflow import Session, constant as c  # note\n"
        "x = tflow.placeholder(tflow.float32)\n"
        "s = Session()\n"
    )
    assert fixed(code) == (
        "import tensorflow as tflow\n"
        "from tensorflow import constant as c  # note\n"
        "from tensorflow.compat.v1 import Session\n"
        "x = tflow.compat.v1.placeholder(tflow.float32)\n"
        "s = Session()\n"
    )


def test_graph_mode_call_comes_after_the_import_it_needs():
    """`tf` is bound on line 1 only after `numpy`: the call goes after that whole line, and
    after an import of the alias that comes later than the leading ones."""
    unsafe = [rule() for rule in RULES]
    code = "import numpy as np; import tensorflow as tf; x = 1\ns = tf.Session()\n"
    assert fix_source("a.py", code, unsafe, unsafe_fixes=True).fixed == (
        "import numpy as np; import tensorflow as tf; x = 1\n"
        "tf.compat.v1.disable_eager_execution()\n"
        "s = tf.compat.v1.Session()\n"
    )
    code = '"""Doc."""\nX = 1\nimport tensorflow as tf\n\ns = tf.compat.v1.Session()\n'
    assert fix_source("a.py", code, unsafe, unsafe_fixes=True).fixed == (
        '"""Doc."""\nX = 1\nimport tensorflow as tf\ntf.compat.v1.disable_eager_execution()\n'
        "\ns = tf.compat.v1.Session()\n"
    )
    inside = "def main():\n    import tensorflow as tf\n    s = tf.compat.v1.Session()\n"
    assert fix_source("a.py", inside, unsafe, unsafe_fixes=True).fixed == inside  # no module alias


def test_a_main_block_in_single_quotes_makes_a_script():
    code = (
        "import tensorflow as tf\nx = tf.compat.v1.placeholder(tf.float32)\n"
        "if __name__ == '__main__':\n    pass\n"
    )
    (finding,) = [
        f for f in fix_source("a.py", code, [r() for r in RULES]).remaining if f.rule_id == "TF110"
    ]
    assert finding.severity.label == "error"


def test_a_fix_keeps_the_bytes_around_its_node_and_never_drops_a_comment():
    code = "import tensorflow as tf\nd = (x.shape[1]\n     .value)\nv = f'{tf.log(x)}'\n"
    assert fixed(code) == "import tensorflow as tf\nd = (x.shape[1])\nv = f'{tf.math.log(x)}'\n"
    commented = "import tensorflow as tf\nd = (x.shape[1]  # width\n     .value)\n"
    result = fix_source("a.py", commented, [r() for r in RULES])
    assert result.fixed == commented  # dropping `.value` would drop the comment too
    assert [f.rule_id for f in result.remaining] == ["TF904"] and not result.applied


def test_names_that_already_work_or_change_meaning_are_left_alone():
    code = (
        "import tensorflow.compat.v1 as tf\n"
        "x = tf.placeholder(tf.float32)  # runs under compat.v1: not touched\n"
        "print(tf.Print(x, [x]))\n"
    )
    assert fixed(code) == code


def test_untouched_code_keeps_its_exact_bytes():
    code = (
        "import tensorflow as tf\r\n"
        "# a comment   with   spaces\r\n"
        "\r\n"
        "y = tf.log(x)   ;  z = 'single'  # trailing\r\n"
        'w = "double"\r\n'
    )
    assert fixed(code) == code.replace("tf.log(", "tf.math.log(")


def test_the_training_script_fixture_byte_for_byte_and_idempotent(tmp_path, capsys):
    target = tmp_path / "tf1_train.py"
    shutil.copy(FIXTURES / "fix" / "tf1_train.py", target)
    os.chmod(target, 0o754)
    assert main(["fix", "--write", str(target)]) == 1  # manual changes remain (sessions)
    assert target.read_bytes() == (FIXTURES / "fix" / "tf1_train.fixed.py").read_bytes()
    assert oct(target.stat().st_mode & 0o777) == oct(0o754)
    capsys.readouterr()
    main(["fix", str(target)])
    out, err = capsys.readouterr()
    assert out == "" and "Would fix 0 finding(s) in 0 file(s)" in err


def test_dry_run_prints_a_diff_and_writes_nothing(tmp_path, capsys):
    target = tmp_path / "s.py"
    target.write_text("import tensorflow as tf\ny = tf.log(x)\n")
    assert main(["fix", str(target)]) == 1
    out, err = capsys.readouterr()
    assert "-y = tf.log(x)\n+y = tf.math.log(x)\n" in out
    assert "Would fix 1 finding(s) in 1 file(s)" in err and "--write" in err
    assert target.read_text() == "import tensorflow as tf\ny = tf.log(x)\n"


def test_the_summary_separates_blocking_from_compat_findings(tmp_path, capsys):
    (tmp_path / "model.py").write_text(
        "import tensorflow as tf\n"
        "x = tf.placeholder(tf.float32)\n"  # fixed: compat.v1 spelling, still a warning
        "y = tf.nn.dropout(x, 0.5)\n"  # fixed: rate=1 - 0.5
        "h = tf.contrib.layers.fully_connected(x, 8)\n"  # blocking: no exact fix
    )
    # neither Python 3 nor Python 2 (the print statement alone would be converted)
    (tmp_path / "helpers.py").write_text("def show(x):\n    print x\n    return = x\n")
    assert main(["fix", str(tmp_path)]) == 2  # a file that does not parse
    # left: the contrib layer (error), the placeholder and TF110 on it (warnings)
    err = capsys.readouterr().err.splitlines()[-1]
    assert err == (
        "Would fix 2 finding(s) in 1 file(s); 3 finding(s) need a manual change "
        "(`tf2rec scan` lists them): 1 blocking (errors), 2 for compat mode (warnings, info); "
        "1 file(s) do not parse. Run with --write to apply."
    )


def test_python2_is_converted_broken_and_read_only_files_are_left_and_others_fixed(
    tmp_path, capsys
):
    shutil.copy(FIXTURES / "scan" / "python2_script.py", tmp_path / "py2.py")
    broken = tmp_path / "broken.py"
    broken.write_text("import tensorflow as tf\nprint 'x'\ny = = tf.log(x)\n")
    locked = tmp_path / "locked.py"
    locked.write_text("import tensorflow as tf\ny = tf.log(x)\n")
    locked.chmod(0o444)
    good = tmp_path / "good.py"
    good.write_text("import tensorflow as tf\ny = tf.log(x)\n")
    assert main(["fix", "--write", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert (
        f"error: {broken}: not changed: file does not parse: neither Python 3 nor Python 2 "
        "(invalid syntax at line 3)" in err
    )
    assert broken.read_text() == "import tensorflow as tf\nprint 'x'\ny = = tf.log(x)\n"
    assert (tmp_path / "py2.py").read_text() == (
        "import tensorflow as tf\n\nsess = tf.compat.v1.Session()\n"
        'print("loss:", sess.run(tf.constant(1.0)))\n'
    )
    assert good.read_text() == "import tensorflow as tf\ny = tf.math.log(x)\n"
    if os.geteuid() != 0:
        assert f"error: {locked}: read-only; not changed" in err
        assert locked.read_text() == "import tensorflow as tf\ny = tf.log(x)\n"


def test_read_only_file_message(tmp_path, capsys, monkeypatch):
    """The permission check, independent of running as root (which may write anyway)."""
    locked = tmp_path / "locked.py"
    locked.write_text("import tensorflow as tf\ny = tf.log(x)\n")
    real_access = os.access
    monkeypatch.setattr(
        os, "access", lambda p, mode: False if str(p) == str(locked) else real_access(p, mode)
    )
    assert main(["fix", "--write", str(locked)]) == 2
    assert f"error: {locked}: read-only; not changed" in capsys.readouterr().err
    assert locked.read_text() == "import tensorflow as tf\ny = tf.log(x)\n"


RUN_ORIGINAL = """
    import sys
    import tensorflow.compat.v1 as v1
    v1.disable_v2_behavior()
    sys.modules["tensorflow"] = v1  # the script's `import tensorflow as tf` is TF1's API
    exec(compile(open(sys.argv[1]).read(), sys.argv[1], "exec"), {"__name__": "__main__"})
"""
RUN_FIXED = """
    import sys
    import tensorflow as tf
    tf.compat.v1.disable_v2_behavior()  # graph mode, as TF1 ran it
    exec(compile(open(sys.argv[1]).read(), sys.argv[1], "exec"), {"__name__": "__main__"})
"""


def run_script(harness: str, path: Path) -> str:
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"}
    out = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(harness), str(path)],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert out.returncode == 0, out.stderr[-2000:]
    return out.stdout.strip().splitlines()[-1]


def test_the_rewritten_script_runs_on_tf2_and_gives_the_same_loss():
    before = run_script(RUN_ORIGINAL, FIXTURES / "fix" / "tf1_train.py")
    after = run_script(RUN_FIXED, FIXTURES / "fix" / "tf1_train.fixed.py")
    assert float(before) > 0 and after == before


def test_fixable_flag_in_the_json_report(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    Path("s.py").write_text("import tensorflow as tf\ny = tf.log(x)\nsess = tf.Session()\n")
    main(["scan", "s.py", "--format", "json"])
    findings = json.loads(capsys.readouterr().out)["findings"]
    assert [(f["rule"], f["fixable"]) for f in findings] == [
        ("TF802", True),
        ("TF101", True),
        ("TF110", False),  # its fix is opt-in (--unsafe-fixes), so not counted as fixable
    ]


def test_rename_table_agrees_with_tf_2_21():
    """Every renamed name is gone from TF 2.21 and its new name exists (from the API table)."""
    from tf2rec.tools.scan.rules.renames import CASTS, RENAMES
    from tf2rec.tools.scan.tf_api import exists

    for old, new in RENAMES.items():
        assert not exists(old, "v2") and exists(new, "v2"), (old, new)
    for old in CASTS:
        assert not exists(old, "v2") and exists(old, "v1")
    assert exists("tf.numpy_function", "v2") and not exists("tf.py_func", "v2")


def test_fix_never_imports_tensorflow(tmp_path):
    target = tmp_path / "s.py"
    target.write_text("import tensorflow as tf\ny = tf.log(x)\n")
    code = (
        "import sys\nfrom tf2rec.tools.cli import main\n"
        f"main(['fix', '--write', {str(target)!r}])\n"
        "print('tensorflow' in sys.modules, file=sys.stderr)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.stderr.strip().splitlines()[-1] == "False"
    assert target.read_text() == "import tensorflow as tf\ny = tf.math.log(x)\n"


def test_rule_page_shows_the_fix(capsys):
    assert main(["rules", "TF802"]) == 0
    page = capsys.readouterr().out
    assert "## Fix safety\nSafe: `tf2rec fix` applies it." in page
    assert "+y = tf.math.log(x) + tf.cast(" in page


def test_unsafe_fixes_are_applied_only_when_asked_for(tmp_path, capsys):
    script = tmp_path / "train.py"
    script.write_text(
        "import tensorflow as tf\n"
        "x = tf.placeholder(tf.float32)\n"
        'if __name__ == "__main__":\n'
        "    print(x)\n"
    )
    assert main(["fix", "--write", str(script)]) == 1
    assert "disable_eager_execution" not in script.read_text()
    assert main(["fix", "--write", "--unsafe-fixes", str(script)]) == 1
    assert script.read_text() == (  # before any of its code runs
        "import tensorflow as tf\n"
        "tf.compat.v1.disable_eager_execution()\n"
        "x = tf.compat.v1.placeholder(tf.float32)\n"
        'if __name__ == "__main__":\n'
        "    print(x)\n"
    )
    capsys.readouterr()
