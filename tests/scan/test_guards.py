"""What scan and fix refuse or skip, and say so: an empty path, a folder or file the user
cannot read, a file or line past the sizes the scanner reads (with its memory measured)."""

import os
import subprocess
import sys

import pytest

import tf2rec
from tests.cli import exit_code, run_unprivileged
from tf2rec.tools.scan.parse import MAX_STATEMENT
from tf2rec.tools.scan.runner import MAX_FILE_BYTES, MAX_LINE_BYTES, long_line

TF1 = "import tensorflow as tf\ny = tf.log(x)\n"


@pytest.mark.parametrize("command", [["fix", "--write"], ["scan"]])
def test_an_empty_path_is_an_error_and_nothing_is_written(tmp_path, monkeypatch, capsys, command):
    (tmp_path / "model.py").write_text(TF1)
    monkeypatch.chdir(tmp_path)
    assert exit_code([*command, ""]) == 2
    assert capsys.readouterr().err == (
        f"tf2rec {command[0]}: error: an empty path was given; name a file or a folder "
        "('.' for here)\n"
    )
    assert (tmp_path / "model.py").read_text() == TF1


def test_a_folder_that_cannot_be_read_is_listed_and_fails_the_scan(tmp_path):
    (tmp_path / "model.py").write_text(TF1)
    locked = tmp_path / "locked"
    locked.mkdir()
    (locked / "hidden.py").write_text(TF1)
    locked.chmod(0)
    try:
        scanned = run_unprivileged(["scan", str(tmp_path)])
        assert scanned.returncode == 2, scanned.stderr
        assert f"error: {locked}: folder not read (Permission denied); skipped" in scanned.stdout
        fixed = run_unprivileged(["fix", "--write", str(tmp_path)])
        assert fixed.returncode == 2, fixed.stderr
        assert f"error: {locked}: folder not read (Permission denied); skipped\n" in fixed.stderr
    finally:
        locked.chmod(0o755)
    assert (locked / "hidden.py").read_text() == TF1
    assert (tmp_path / "model.py").read_text() == "import tensorflow as tf\ny = tf.math.log(x)\n"


def test_a_file_that_cannot_be_read_is_listed_and_fails_the_fix(tmp_path):
    secret = tmp_path / "secret.py"
    secret.write_text(TF1)
    secret.chmod(0)
    fixed = run_unprivileged(["fix", "--write", str(tmp_path)])
    assert fixed.returncode == 2, fixed.stderr
    assert f"error: {secret}: cannot read (Permission denied)\n" in fixed.stderr
    secret.chmod(0o644)
    assert secret.read_text() == TF1


def test_the_first_long_line_is_found_by_its_number():
    limit = 100
    assert long_line(b"x\n" * 1000, limit) is None
    assert long_line(b"a" * limit + b"\n", limit) is None
    assert long_line(b"a\r\n" * 7 + b"b" * (limit + 1) + b"\nc\n" + b"d" * 500, limit) == 8
    assert long_line(b"x\n" * 3 + b"y" * (limit + 1), limit) == 4
    assert long_line(b"q" * (limit // 2 + 1) + b"\n" + b"r" * (limit // 2 + 1), limit) is None


def test_a_line_past_the_limit_is_skipped_with_its_number(tmp_path):
    path = tmp_path / "generated.py"
    path.write_text(TF1 + "x = [" + "1, " * (MAX_LINE_BYTES // 3) + "]\n")
    report = tf2rec.scan([path])
    assert [(r.path, r.error) for r in report.unreadable] == [
        (
            str(path),
            f"line 3 is longer than the {MAX_LINE_BYTES:,} bytes tf2rec reads; skipped "
            "(a generated file? exclude it with --exclude)",
        )
    ]
    assert report.exit_code() == 2


def test_a_statement_past_the_limit_is_skipped_by_scan_and_fix(tmp_path):
    path = tmp_path / "table.py"
    path.write_text(TF1 + "TABLE = [\n" + "1,\n" * (MAX_STATEMENT // 3 + 10) + "]\n")
    expected = (
        f"the statement at line 3 is longer than the {MAX_STATEMENT:,} characters tf2rec "
        "parses at once; skipped (a generated file? exclude it with --exclude)"
    )
    assert [r.error for r in tf2rec.scan([path]).unreadable] == [expected]
    fixed = tf2rec.fix([path], write=True)
    assert [f.error for f in fixed.errors] == [expected]
    assert path.read_text().startswith(TF1)


# The child scans a one-line file, then the file given, and prints the growth of its peak
# resident set (VmHWM: what this process itself touched) in bytes.
_PEAK = """
import sys
from pathlib import Path
import tf2rec

def peak():
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024

small = Path(sys.argv[2])
small.write_text("import tensorflow as tf\\n")
tf2rec.scan([small])
before = peak()
report = tf2rec.scan([sys.argv[1]])
print(peak() - before, report.unreadable[0].error)
"""


@pytest.mark.skipif(not os.path.exists("/proc/self/status"), reason="reads Linux's VmHWM")
@pytest.mark.parametrize(
    ("name", "text", "reason"),
    [
        ("list50.py", "x = [" + "1, " * (50_000_000 // 3) + "]\n", "bytes, more than the"),
        ("statements.py", "a=1;" * 3_500_000 + "\n", "bytes, more than the"),
        ("line7.py", "x = [" + "1, " * (7_000_000 // 3) + "]\n", "line 1 is longer than"),
        ("rows7.py", "x = [\n" + "1,\n" * (7_000_000 // 3) + "]\n", "statement at line 1"),
    ],
)
def test_a_huge_file_or_line_is_skipped_within_a_bounded_memory(tmp_path, name, text, reason):
    path = tmp_path / name
    path.write_text(text)
    size = path.stat().st_size
    done = subprocess.run(
        [sys.executable, "-c", _PEAK, str(path), str(tmp_path / "small.py")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    growth, error = done.stdout.split(" ", 1)
    assert reason in error
    # read and decoded at most (8 MB at most), plus one piece's tree: 250 MB at most
    assert int(growth) < min(size, MAX_FILE_BYTES) * 3 + 250 * 2**20, (growth, size)
