"""The `tf2rec` entry point: help, version, and clear errors for bad input."""

import json
import subprocess
import sys

from tf2rec.tools.cli import main


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "tf2rec.tools.cli", *args], capture_output=True, text=True
    )


def test_help_lists_commands():
    out = run("--help")
    assert out.returncode == 0
    assert "usage: tf2rec" in out.stdout and "data" in out.stdout


def test_version():
    out = run("--version")
    assert out.returncode == 0 and out.stdout.startswith("tf2rec 0.")


def test_unknown_command_is_a_usage_error():
    out = run("frobnicate")
    assert out.returncode == 2 and "invalid choice: 'frobnicate'" in out.stderr


def test_data_on_missing_file_is_one_clear_line(tmp_path, capsys):
    assert main(["data", "--data", str(tmp_path / "missing.csv")]) == 2
    err = capsys.readouterr().err
    assert (
        err == f"tf2rec data: error: {tmp_path / 'missing.csv'}: no such file; "
        "check the path passed as --data\n"
    )


def test_data_summary_of_a_file(tmp_path, capsys):
    path = tmp_path / "u.data"
    path.write_text("".join(f"{u}\t{i}\t4\t{100 + i}\n" for u in (1, 2) for i in range(1, 5)))
    assert main(["data", "--data", str(path)]) == 0
    out = capsys.readouterr().out
    assert "8 interactions, 2 users, 4 items" in out
    assert "validation 2 and test 2 users" in out


def test_an_unexpected_error_is_one_line_and_debug_shows_the_traceback(monkeypatch, capsys):
    from tf2rec.tools.cli import rules

    def broken(args):
        raise RuntimeError("the harness lost its way\nsecond line")

    monkeypatch.setattr(rules, "run", broken)
    assert main(["rules"]) == 2
    assert capsys.readouterr().err == (
        "tf2rec rules: unexpected error: RuntimeError: the harness lost its way "
        "(rerun with --debug for the traceback)\n"
    )
    try:
        main(["rules", "--debug"])
    except RuntimeError as err:
        assert "lost its way" in str(err)
    else:
        raise AssertionError("--debug should let the traceback through")


def test_a_closed_pipe_ends_the_command_quietly(tmp_path):
    """`tf2rec scan . | head -1`: the reader stops early (the report, 3,000 lines, is more
    than a pipe holds); no traceback, nothing on stderr."""
    import subprocess
    import sys

    (tmp_path / "a.py").write_text("import tensorflow as tf\n" + "s = tf.Session()\n" * 3000)
    run = subprocess.run(
        f"{sys.executable} -m tf2rec.tools.cli scan a.py | head -1",
        shell=True,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.stdout.startswith("a.py:2:5: TF101") and run.stdout.count("\n") == 1
    assert run.stderr == ""


RATINGS_CSV = "userId,movieId,rating,timestamp\n1,2,4.0,100\n1,3,4.0,101\n1,4,4.0,102\n"


def test_the_data_format_is_data_format_and_format_still_works(tmp_path, capsys):
    path = tmp_path / "ratings.csv"
    path.write_text(RATINGS_CSV)
    assert main(["data", "--data", str(path)]) == 0  # auto: MovieLens ratings.csv
    assert "3 interactions, 1 users, 3 items" in capsys.readouterr().out
    expected = (
        f"tf2rec data: error: {path}:1: expected 4 fields, found 1; fix the row, or pass "
        "skip_bad_rows=True (CLI: --skip-bad-rows) to drop bad rows (4 such row(s) in the "
        "file)\n"
    )
    for spelling in ("--data-format", "--format"):  # read as u.data: tab-separated
        assert main(["data", "--data", str(path), spelling, "ml-100k"]) == 2
        assert capsys.readouterr().err == expected


def test_scan_json_is_format_json(tmp_path, capsys):
    (tmp_path / "model.py").write_text(
        "import tensorflow as tf\nx = tf.placeholder(tf.float32, [None, 3])\n"
    )
    outputs = []
    for flags in (["--json"], ["--format", "json"]):
        assert main(["scan", str(tmp_path), "--fail-on", "never", *flags]) == 0
        outputs.append(capsys.readouterr().out)
    assert outputs[0] == outputs[1]
    assert [f["rule"] for f in json.loads(outputs[0])["findings"]] == ["TF110", "TF201"]
