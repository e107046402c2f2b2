"""Python 2 files: read, reported at their own lines, converted with the TF fixes in one
pass, and the converted training script trains as Python 2 ran it.

No Python 2 interpreter is needed: where a test depends on what Python 2 did, it says so
from Python 2's documentation.
"""

import ast
import math
import os
import pickle
import pickletools
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import tf2rec
from tf2rec.tools.cli import main
from tf2rec.tools.scan.python2 import to_python3

FIXTURES = Path(__file__).parents[1] / "fixtures"
TREE = FIXTURES / "python2"
FIXED = FIXTURES / "python2_fixed"
SOURCES = ["train.py", "ranker/__init__.py", "ranker/layers.py", "ranker/model.py",
           "ranker/vocab.py"]  # fmt: skip

GONE = "no longer exists in TF 2.21's `tensorflow`"
PRINT = "Python 2 `print` statement: a call of `print()` in Python 3"
EXPECTED = [
    ("ranker/layers.py", 10, 5, "PY201", PRINT),
    ("ranker/layers.py", 11, 12, "TF301",
     f"`tf.get_variable` creates variables by scoped name (`tf.get_variable` {GONE})"),
    ("ranker/layers.py", 16, 33, "TF902",
     "`tf.reduce_sum` takes other arguments in TF2: `reduction_indices=` is `axis=`"),
    ("ranker/model.py", 5, 1, "PY215",
     "`layers` is a module of this package: Python 3 needs a relative import"),
    ("ranker/model.py", 11, 14, "TF302",
     f"`tf.variable_scope` shares variables by name (`tf.variable_scope` {GONE})"),
    ("ranker/vocab.py", 3, 8, "PY216", "`cPickle` is `pickle` in Python 3"),
    ("ranker/vocab.py", 10, 26, "PY235",
     "`.split('\\t')` mixes `str` with the `bytes` a binary-mode file gives in Python 3"),
    ("ranker/vocab.py", 18, 17, "PY234",
     "iterating a set: its order changes from run to run in Python 3 (string hashing is "
     "randomised): iterate `sorted(...)`"),
    ("ranker/vocab.py", 24, 13, "PY232",
     "`known` holds a `filter` iterator in Python 3 (tested for truth): wrap the call in "
     "`list(...)`"),
    ("ranker/vocab.py", 24, 30, "PY213", "`d.has_key(k)` is `k in d` in Python 3"),
    ("ranker/vocab.py", 26, 9, "PY201", PRINT),
    ("ranker/vocab.py", 26, 34, "PY233",
     "`round` rounds halves to even in Python 3 (away from zero in Python 2) and returns an "
     "int"),
    ("ranker/vocab.py", 38, 15, "PY209",
     "Python 2 tuple parameter: Python 3 unpacks it in the body"),
    ("ranker/vocab.py", 45, 21, "PY210",
     "Python 2 `ur''` string: `'[\\\\s\\u3000]+'` in Python 3"),
    ("train.py", 8, 8, "PY216", "`cPickle` is `pickle` in Python 3"),
    ("train.py", 22, 12, "PY217",
     "`cPickle.load` of data Python 2 pickled needs `encoding=` in Python 3"),
    ("train.py", 29, 19, "PY231",
     "`/` floors integers in Python 2 and divides exactly in Python 3: `//` if both sides "
     "are integers"),
    ("train.py", 30, 14, "PY211", "`xrange` is `range` in Python 3"),
    ("train.py", 38, 30, "PY212", "`.iteritems()` is `.items()` in Python 3"),
    ("train.py", 39, 9, "PY201", PRINT),
    ("train.py", 42, 10, "TF105", "`Graph().as_default()` builds into an explicit graph"),
    ("train.py", 43, 16, "TF201",
     f"`tf.placeholder` declares a graph input (`tf.placeholder` {GONE})"),
    ("train.py", 44, 16, "TF201",
     f"`tf.placeholder` declares a graph input (`tf.placeholder` {GONE})"),
    ("train.py", 45, 17, "TF201",
     f"`tf.placeholder` declares a graph input (`tf.placeholder` {GONE})"),
    ("train.py", 48, 20, "TF401",
     "`tf.train.GradientDescentOptimizer` is a TF1 graph optimizer "
     f"(`tf.train.GradientDescentOptimizer` {GONE})"),
    ("train.py", 50, 14, "TF101",
     f"`tf.Session` creates a graph-mode session (`tf.Session` {GONE})"),
    ("train.py", 51, 13, "TF103", "`.run(...)` on a session executes a graph"),
    ("train.py", 51, 22, "TF304",
     "`tf.global_variables_initializer` is an op that initializes variables in a session "
     f"(`tf.global_variables_initializer` {GONE})"),
    ("train.py", 52, 26, "PY211", "`xrange` is `range` in Python 3"),
    ("train.py", 54, 32, "TF103", "`.run(...)` on a session executes a graph"),
    ("train.py", 55, 41, "TF104", "`feed_dict=` feeds graph placeholders"),
    ("train.py", 56, 21, "PY201", PRINT),
]  # fmt: skip


def test_the_python2_tree_gives_exactly_its_findings(monkeypatch):
    monkeypatch.chdir(TREE)
    report = tf2rec.scan(["."])
    found = [(f.path, f.line, f.column, f.rule_id, f.message) for f in report.findings]
    assert found == EXPECTED
    states = {f.path: f.state.value for f in report.files}
    assert states == {
        "train.py": "Python 2",
        "ranker/layers.py": "Python 2",
        "ranker/model.py": "Python 2",  # only its `import layers` says so
        "ranker/vocab.py": "Python 2",
        "ranker/__init__.py": "without TensorFlow",
    }
    assert report.readiness == 0.0  # four files to migrate, none ready


def test_a_python3_file_never_gets_python2_findings(tmp_path):
    """The same silent-change shapes in a file with nothing of Python 2: no PY2 finding."""
    path = tmp_path / "py3.py"
    path.write_text(
        "import tensorflow as tf\n"
        "pairs = zip([1], [2])\n"
        "for epoch in range(2):\n"
        "    for p in pairs:\n"
        "        print(p, round(2.5), len(p) / 2)\n"
        "vocab = {w: i for i, w in enumerate(set(['a']))}\n"
    )
    report = tf2rec.scan([path])
    assert [f.rule_id for f in report.findings if f.rule_id.startswith("PY")] == []
    assert report.files[0].state != tf2rec.FileState.PYTHON2


def copy_tree(target: Path) -> Path:
    shutil.copytree(TREE, target)
    return target


def test_fix_converts_and_applies_the_tf_fixes_byte_for_byte_and_a_second_run_is_a_no_op(
    tmp_path, capsys
):
    tree = copy_tree(tmp_path / "python2")
    assert main(["fix", "--write", str(tree)]) == 1  # findings are left for a person
    for name in SOURCES:
        text = (tree / name).read_bytes()
        assert text == (FIXED / name).read_bytes(), name
        ast.parse(text)  # Python 3 now
    capsys.readouterr()
    assert main(["fix", str(tree)]) == 1  # nothing to change; the findings left remain
    out, err = capsys.readouterr()
    assert out == "" and "Would fix 0 finding(s) in 0 file(s)" in err


def test_the_findings_fix_leaves_are_what_a_person_must_decide(tmp_path):
    """The filter result tested for truth, `round`,
    the set order, bytes from a binary file and the encoding of Python 2 pickles are
    reported, not rewritten; the rewrite of `len(users) / BATCH_SIZE` (both integers in
    every run) is done."""
    report = tf2rec.fix([copy_tree(tmp_path / "python2")])
    left = sorted(
        (Path(f.path).name, f.line, f.rule_id) for f in report.remaining if f.rule_id[:2] == "PY"
    )
    assert left == [
        ("train.py", 22, "PY217"),
        ("vocab.py", 10, "PY235"),
        ("vocab.py", 18, "PY234"),
        ("vocab.py", 24, "PY232"),
        ("vocab.py", 26, "PY233"),
    ]


def test_implicit_relative_imports_are_fixed_in_package_modules_only(tmp_path):
    tree = copy_tree(tmp_path / "python2")
    (tree / "layers.py").write_text("# a helper beside the script\n")
    script = tree / "train.py"
    script.write_text(script.read_text().replace("from ranker import model", "import layers"))
    tf2rec.fix([tree], write=True)
    assert "\nimport layers\n" in script.read_text()  # run by path: its folder is on sys.path
    assert "\nfrom . import layers\n" in (tree / "ranker" / "model.py").read_text()


def test_the_pickled_data_is_what_python2_wrote():
    """Python 2's cPickle (protocol 2) writes a `str` as SHORT_BINSTRING (bytes, "U"),
    where Python 3 writes text as BINUNICODE ("X"); Python 3's `pickle.load` decodes such
    strings as ASCII unless told `encoding=` (pickle documentation, "encoding and errors
    tell pickle how to decode 8-bit string instances pickled by Python 2")."""
    raw = (TREE / "data" / "interactions.pkl").read_bytes()
    opcodes = {op.name for op, _, _ in pickletools.genops(raw)}
    assert "SHORT_BINSTRING" in opcodes and "BINUNICODE" not in opcodes
    data = pickle.loads(raw)
    assert sorted(data) == ["item_init", "items", "labels", "user_init", "users"]


def test_conversion_keeps_every_byte_outside_its_spans_and_maps_positions_back():
    source = "x = 1  # one\r\nif x <> 2:\r\n\tprint >>log, `x`,  # keep\r\n"
    conversion = to_python3(source)
    assert conversion.text == (
        'x = 1  # one\r\nif x != 2:\r\n\tprint(repr(x), end=" ", file=log)  # keep\r\n'
    )
    assert [e.rule_id for e in conversion.edits] == ["PY206", "PY201", "PY204", "PY204",
                                                      "PY201"]  # fmt: skip
    ast.parse(conversion.text)
    # `x` inside repr(...) on line 3 of the converted text is the x between the backquotes
    converted_column = conversion.text.splitlines()[2].index("repr(x)") + 6
    assert conversion.original_position(3, converted_column) == (3, 16)
    assert to_python3(conversion.text).edits == ()  # a second conversion changes nothing


def test_print_forms_keep_python2_output():
    """Python 2's print statement (language reference, "The print statement"): items are
    separated by a space; a trailing comma ends with a space instead of a newline;
    `>>f` writes to f; `print (a, b)` prints the tuple (in a file of print statements)."""
    cases = {
        "print 'a', 1\n": "print('a', 1)\n",
        "print 'a',\n": "print('a', end=\" \")\n",
        "print >>f, 'a'\n": "print('a', file=f)\n",
        "print >>f\n": "print(file=f)\n",
        "print\n": "print()\n",
        "print\nprint ('a', 1)\n": "print()\nprint(('a', 1))\n",
        "print\nprint ('a')\n": "print()\nprint ('a')\n",
    }
    for before, after in cases.items():
        assert to_python3(before).text == after, before


def test_a_file_whose_prints_are_all_calls_keeps_them(tmp_path):
    """Code written for both Pythons prints with calls; `print('a', 1)` is left as it is
    in a file that has no print statement, even when other Python 2 names mark it."""
    assert to_python3("print('a', 1)\nfor i in xrange(2): pass\n").edits == ()


def test_neither_python2_nor_3_is_reported_and_the_rest_of_the_tree_is_still_fixed(tmp_path):
    tree = copy_tree(tmp_path / "python2")
    bad = tree / "ranker" / "broken.py"
    bad.write_text("import tensorflow as tf\nprint 'x'\ndef f(:\n    pass\n")
    report = tf2rec.fix([tree], write=True)
    (error,) = report.errors
    assert error.path.endswith("broken.py")
    assert error.error.startswith("not changed: file does not parse: neither Python 3 nor")
    assert "at line 3)" in error.error
    assert (tree / "train.py").read_bytes() == (FIXED / "train.py").read_bytes()


def test_select_does_not_hide_a_file_that_cannot_be_read(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text("import tensorflow as tf\nx = (\n")
    report = tf2rec.scan([tmp_path], select=["TF7"])
    assert [(f.rule_id, f.line) for f in report.findings] == [("TF001", 2)]


# ---- the converted training script trains as Python 2 ran it ----

BATCH_SIZE, EPOCHS, LEARNING_RATE = 16, 3, 0.5  # train.py's constants


def reference_losses(data: dict) -> list[float]:
    """The script's losses, computed with numpy in float64: logistic loss of user . item,
    plain SGD on the rows a batch looks up (repeated ids add up, as TF1's sparse update
    does). Batches as Python 2 made them: `len(users) / BATCH_SIZE` on two ints is floor
    division in Python 2 (language reference, "Binary arithmetic operations": plain
    integer division yields the floor), so the last partial batch is dropped."""
    import numpy as np

    users = np.asarray(data["users"])
    items = np.asarray(data["items"])
    labels = np.asarray(data["labels"], dtype=np.float64)
    user_emb = np.asarray(data["user_init"], dtype=np.float32).astype(np.float64)
    item_emb = np.asarray(data["item_init"], dtype=np.float32).astype(np.float64)
    batches = math.floor(len(users) / BATCH_SIZE)
    losses = []
    for _ in range(EPOCHS):
        for b in range(batches):
            rows = slice(b * BATCH_SIZE, (b + 1) * BATCH_SIZE)
            u, i, y = users[rows], items[rows], labels[rows]
            z = (user_emb[u] * item_emb[i]).sum(axis=1)
            losses.append(float(np.mean(np.maximum(z, 0) - z * y + np.log1p(np.exp(-abs(z))))))
            g = (1 / (1 + np.exp(-z)) - y) / len(u)
            grad_user, grad_item = g[:, None] * item_emb[i], g[:, None] * user_emb[u]
            np.subtract.at(user_emb, u, LEARNING_RATE * grad_user)
            np.subtract.at(item_emb, i, LEARNING_RATE * grad_item)
    return losses


@pytest.mark.slow
@pytest.mark.parametrize("tolerance", [2e-6])  # 6 printed decimals (5e-7) + float32 steps
def test_the_converted_script_trains_under_python3_with_the_reference_losses(tmp_path, tolerance):
    tree = copy_tree(tmp_path / "python2")
    tf2rec.fix([tree], write=True)
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2", "PYTHONPATH": ""}
    done = subprocess.run(
        [sys.executable, "train.py", "data/interactions.pkl"],
        cwd=tree,
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    printed = [line.split() for line in done.stdout.splitlines() if line.startswith("epoch")]
    data = pickle.loads((TREE / "data" / "interactions.pkl").read_bytes())
    expected = reference_losses(data)
    assert [(int(p[1]), int(p[3])) for p in printed] == [
        (epoch, step) for epoch in range(EPOCHS) for step in range(4)
    ]  # 72 interactions, batches of 16: Python 2's 72 / 16 == 4
    assert len(expected) == len(printed)
    for line, value in zip(printed, expected, strict=True):
        assert abs(float(line[5]) - value) <= tolerance, (line, value)


def test_tuple_parameters_and_raw_unicode_strings_keep_python2s_meaning():
    """Python 2 unpacked `def f((item, (clicks, views))):` on entry, and read `\\u3000` in
    `ur'[\\s\\u3000]+'` as the ideographic space while keeping `\\s` (its reference manual,
    "String literals"): the converted module does the same."""
    namespace: dict = {}
    exec(compile((FIXED / "ranker" / "vocab.py").read_text(), "vocab.py", "exec"), namespace)
    assert namespace["by_clicks"](("i7", (5, 9))) == (-5, 9)
    assert namespace["tokens"]("a\u3000b \t c\n") == ["a", "b", "c"]
    # an even run of backslashes before `u` is no escape: both backslashes stay
    converted = to_python3(r"s = ur'\u00e9\\u00e9 \d'" + "\n").text
    namespace = {}
    exec(converted, namespace)
    assert namespace["s"] == "\u00e9" + r"\\u00e9 \d"
