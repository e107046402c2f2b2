"""Files of any size and depth: parsed in pieces exactly as whole, scanned at any depth CPython
compiles, one finding for a file it cannot, and the run goes on with the others."""

import ast
import subprocess
import sys

import pytest

from tests.cli import exit_code
from tf2rec.tools.scan.engine import scan_source
from tf2rec.tools.scan.fixer import fix_source
from tf2rec.tools.scan.parse import parse_pieces
from tf2rec.tools.scan.rules import RULES

# lines in column 0 inside a string, a bracket, a continuation; else / except blocks
TRICKY = (
    "x = 1\n" * 300
    + '"""Docs.\ndef looks_like_code():\n    pass\n"""\n'
    + "table = {\n1: 2,\n}\n"
    + "total = 1 + \\\n2\n"
    + "if total:\n    pass\nelse:\n    pass\n"
    + "try:\n    pass\nexcept ValueError:\n    pass\nfinally:\n    pass\n"
    + "@decorator\ndef f():\n    return '''\nnot code: )\n'''\n"
    + "y = 2\r\nz = 3\n" * 300
)


def _all_statements(source: str, piece: int) -> str:
    body = [statement for tree in parse_pieces(source, "t.py", piece) for statement in tree.body]
    return ast.dump(ast.Module(body=body, type_ignores=[]), include_attributes=True)


@pytest.mark.parametrize("piece", [1, 7, 64, 1000, 10**9])
def test_pieces_parse_exactly_as_the_whole_file(piece):
    assert _all_statements(TRICKY, piece) == ast.dump(ast.parse(TRICKY), include_attributes=True)


def test_a_syntax_error_after_many_pieces_is_the_one_cpython_reports():
    source = "x = 1\n" * 500 + "def broken(:\n" + "y = 2\n" * 500
    with pytest.raises(SyntaxError) as whole:
        ast.parse(source)
    with pytest.raises(SyntaxError) as pieces:
        list(parse_pieces(source, "t.py", piece=64))
    assert (
        (pieces.value.lineno, pieces.value.msg)
        == (whole.value.lineno, whole.value.msg)
        == (
            501,
            "invalid syntax",
        )
    )


def test_deep_code_that_cpython_compiles_is_scanned_to_its_end():
    branches = "".join(f"elif mode == {i}:\n    pass\n" for i in range(1, 1400))
    source = (
        "import tensorflow as tf\n"
        "if mode == 0:\n    pass\n" + branches + "else:\n    sess = tf.Session()\n"
        "total = " + " + ".join(["tf.log(x)"] * 1400) + "\n"
    )
    compile(source, "deep.py", "exec")  # CPython compiles it
    findings = scan_source("deep.py", source, [rule() for rule in RULES])
    session_line = source.count("\n", 0, source.index("sess = "))
    assert ("TF101", session_line + 1) in {(f.rule_id, f.line) for f in findings}
    assert sum(f.rule_id == "TF802" for f in findings) == 1400
    fixed = fix_source("deep.py", source, [rule() for rule in RULES]).fixed
    assert fixed.count("tf.math.log(x)") == 1400 and "tf.log(" not in fixed


@pytest.mark.parametrize(
    "expression",
    ["-" * 5000 + "1", " + ".join(["1"] * 5000)],
    ids=["too-deep-for-the-parser", "too-deep-for-ast"],
)
def test_a_file_too_deep_for_cpython_is_one_finding_and_the_run_goes_on(
    tmp_path, capsys, expression
):
    (tmp_path / "deep.py").write_text(f"import tensorflow as tf\nx = {expression}\n")
    (tmp_path / "model.py").write_text("import tensorflow as tf\ny = tf.log(x)\n")
    assert exit_code(["scan", str(tmp_path), "--format", "json", "--fail-on", "never"]) == 0
    report = __import__("json").loads(capsys.readouterr().out)
    found = sorted((f["path"].rsplit("/", 1)[1], f["rule"]) for f in report["findings"])
    assert found == [("deep.py", "TF002"), ("model.py", "TF802")]
    assert exit_code(["fix", "--write", str(tmp_path)]) == 2  # a file left as it was
    assert (tmp_path / "model.py").read_text() == "import tensorflow as tf\ny = tf.math.log(x)\n"
    assert (tmp_path / "deep.py").read_text() == f"import tensorflow as tf\nx = {expression}\n"
    assert "deep.py: not changed: file not analysed" in capsys.readouterr().err


def test_scanning_never_loads_libcst(tmp_path):
    """libcst parses only what `fix` rewrites: a scan does without it (and its start-up)."""
    (tmp_path / "train.py").write_text("import tensorflow as tf\ny = tf.log(x)\n")
    code = (
        "import sys\nfrom tf2rec.tools.cli import main\n"
        f"main(['scan', {str(tmp_path)!r}, '--fail-on', 'never'])\n"
        "assert 'libcst' not in sys.modules and 'pandas' not in sys.modules\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert "TF802" in done.stdout


EVERY_SYNTAX = """
import tensorflow as tf
from __future__ import annotations  # noqa


@tf.function
async def step(x, /, y=tf.log(1.0), *args, z, w=None, **kw) -> tf.Tensor:
    global counter
    async with lock as held:
        async for item in stream:
            await item
    return [a async for a in stream if (n := tf.log(a))]


def outer():
    value = 1

    def inner():
        nonlocal value
        return lambda q, *, r=tf.log(2.0): q

    return inner


match command:
    case None | True:
        pass
    case {"key": tf.float32, **rest}:
        pass
    case Point(x=0, y=tf.int32) as p if p:
        pass
    case [first, *others]:
        pass
    case _:
        pass

try:
    pass
except* ValueError as group:
    pass

table = {**defaults, "k": tf.log(3.0), None: 1}
text = f"{tf.log(4.0)!r:>{width}} and {'nested'}"
x: tf.Tensor = tf.log(5.0)[1:2, ::3]
del x
"""


def test_every_kind_of_syntax_is_walked():
    findings = scan_source("every.py", EVERY_SYNTAX, [rule() for rule in RULES])
    logs = sorted(f.line for f in findings if f.rule_id == "TF802")
    lines = [i + 1 for i, text in enumerate(EVERY_SYNTAX.splitlines()) if "tf.log(" in text]
    assert logs == lines and len(lines) == 6


def test_rules_hold_only_the_calls_they_look_back_at():
    """A rule that keeps calls for a later look keeps only those of its own names: held
    nodes keep their trees alive, and every call of a large file held most of its trees
    (a 5 MB file peaked at 109 MB traced, 37 MB once each piece's tree was freed)."""
    from tf2rec.tools.scan.rules.removed import ContribRule
    from tf2rec.tools.scan.rules.tf1_meaning import UncalledInitializerRule

    layer = (
        "def layer_{i}(x, is_training):\n"
        "    w = tf.get_variable('w{i}', [8, 8], initializer=tf.random_normal_initializer(0.1))\n"
        "    h = tf.nn.relu(tf.matmul(x, w))\n"
        "    return tf.contrib.layers.batch_norm(h, is_training=is_training)\n\n\n"
    )
    source = "import tensorflow as tf\n\n\n" + "".join(layer.format(i=i) for i in range(300))
    contrib, initializers = ContribRule(), UncalledInitializerRule()
    findings = scan_source("m.py", source, [contrib, initializers])
    assert len(findings) == 300  # each batch_norm; the initializers are called
    assert [ast.unparse(call.func) for call in contrib.calls.values()] == [
        "tf.contrib.layers.batch_norm"
    ] * 300
    assert {ast.unparse(f) for f in initializers.called.values()} == {
        "tf.random_normal_initializer"
    }
    assert len(initializers.called) == 300
