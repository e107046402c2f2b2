"""The `tf2rec` entry point: help, version, and clear errors for bad input."""

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
