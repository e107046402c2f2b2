"""Where `tf2rec scan` writes its report and baseline: never over a file it reads, through a
link to its target, straight into a FIFO or a device (`-o /dev/stdout`)."""

import os
import stat
import subprocess
import sys
import threading

import pytest

from tests.cli import exit_code

TF1 = "import tensorflow as tf\ny = tf.log(x)\n"
REPORT = (
    "a.py:2:5: TF802 [error] `tf.log` was renamed in TF2; use `tf.math.log`\n"
    "Found 1 finding(s) in 1 of 1 file(s): 1 error, 0 warning, 0 info. Files: 1 blocked, 0 run "
    "in compat mode, 0 ready (0% ready); 0 without TensorFlow. `tf2rec rules ID` explains a "
    "rule.\n"
)


@pytest.fixture
def here(tmp_path, monkeypatch):
    (tmp_path / "a.py").write_text(TF1)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _only(folder, *names):
    assert sorted(p.name for p in folder.iterdir()) == sorted(names)


def test_the_report_is_refused_over_a_scanned_source(here, capsys):
    assert exit_code(["scan", "a.py", "-o", "a.py"]) == 2
    assert capsys.readouterr().err == (
        "tf2rec scan: error: --output a.py is also an input of this command (a.py); writing "
        "it would replace what is read: choose another file\n"
    )
    assert (here / "a.py").read_text() == TF1
    _only(here, "a.py")


def test_the_report_is_refused_over_a_source_found_in_a_folder(here, capsys):
    (here / "pkg").mkdir()
    (here / "pkg" / "b.py").write_text(TF1)
    assert exit_code(["scan", ".", "-o", "pkg/b.py"]) == 2
    assert "error: --output pkg/b.py is also an input of this command (pkg/b.py)" in (
        capsys.readouterr().err
    )
    assert (here / "pkg" / "b.py").read_text() == TF1
    assert (here / "a.py").read_text() == TF1


def test_the_report_is_refused_over_the_baseline_it_reads(here, capsys):
    assert exit_code(["scan", "a.py", "--baseline", "b.json"]) == 0
    baseline = (here / "b.json").read_text()
    assert exit_code(["scan", "a.py", "--baseline", "b.json", "-o", "b.json"]) == 2
    assert "error: --output b.json is also an input of this command (b.json)" in (
        capsys.readouterr().err
    )
    assert (here / "b.json").read_text() == baseline


def test_a_new_baseline_and_the_report_cannot_share_a_name(here, capsys):
    assert exit_code(["scan", "a.py", "--baseline", "c.json", "-o", "c.json"]) == 2
    assert capsys.readouterr().err == (
        "tf2rec scan: error: --output c.json and --baseline c.json are the same file; write "
        "the report elsewhere\n"
    )
    _only(here, "a.py")


@pytest.mark.parametrize("content", [TF1, '{"rules": []}\n'])
def test_update_baseline_never_writes_over_a_file_that_is_not_a_baseline(here, capsys, content):
    (here / "other").write_text(content)
    target = "a.py" if content == TF1 else "other"
    assert exit_code(["scan", "a.py", "--baseline", target, "--update-baseline"]) == 2
    assert capsys.readouterr().err == (
        f"tf2rec scan: error: --baseline {target} exists and is not a baseline tf2rec wrote; "
        "refusing to replace it: name a new file, or delete that one if it is an old baseline\n"
    )
    assert (here / "a.py").read_text() == TF1
    assert (here / "other").read_text() == content


def test_update_baseline_needs_a_baseline(here, capsys):
    assert exit_code(["scan", "a.py", "--update-baseline"]) == 2
    assert capsys.readouterr().err == (
        "tf2rec scan: error: --update-baseline needs --baseline FILE\n"
    )


def test_update_baseline_rewrites_a_baseline(here, capsys):
    (here / "b.json").write_text('{"version": 1, "fingerprints": ["gone"]}\n')
    assert exit_code(["scan", "a.py", "--baseline", "b.json", "--update-baseline"]) == 0
    assert '"gone"' not in (here / "b.json").read_text()


def test_the_report_goes_through_a_link_which_stays(here, capsys):
    (here / "reports").mkdir()
    (here / "reports" / "latest.txt").write_text("old report\n")
    (here / "latest.txt").symlink_to("reports/latest.txt")
    assert exit_code(["scan", "a.py", "-o", "latest.txt"]) == 1
    assert os.readlink(here / "latest.txt") == "reports/latest.txt"
    assert (here / "reports" / "latest.txt").read_text() == REPORT


def test_the_report_goes_into_a_fifo_which_stays(here, capsys):
    os.mkfifo(here / "pipe")
    read = []
    reader = threading.Thread(target=lambda: read.append((here / "pipe").read_text()))
    reader.start()
    assert exit_code(["scan", "a.py", "-o", "pipe"]) == 1
    reader.join(10)
    assert read == [REPORT]
    assert stat.S_ISFIFO(os.stat(here / "pipe").st_mode)


def test_dash_o_dev_stdout_prints_the_report(here):
    done = subprocess.run(
        [sys.executable, "-m", "tf2rec.tools.cli", "scan", "a.py", "-o", "/dev/stdout"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert (done.returncode, done.stdout, done.stderr) == (1, REPORT, "")


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="no /dev/full here")
def test_a_full_device_is_one_line_and_stays_a_device(here, capsys):
    assert exit_code(["scan", "a.py", "-o", "/dev/full"]) == 2
    assert capsys.readouterr().err == (
        "tf2rec scan: error: cannot write --output /dev/full: No space left on device\n"
    )
    assert stat.S_ISCHR(os.stat("/dev/full").st_mode)


@pytest.mark.parametrize("option", ["-o", "--baseline"])
def test_an_empty_output_path_is_an_error(here, capsys, option):
    assert exit_code(["scan", "a.py", option, ""]) == 2
    assert capsys.readouterr().err.endswith("an empty path; name a file or a folder\n")
    _only(here, "a.py")
