"""A missing extra is named in one line; a reader that stops early is not an error."""

import contextlib
import os
import re
import subprocess
import sys

import pytest

from tf2rec.tools.extras import MissingExtra, extra_needed, missing_extra


@pytest.mark.parametrize(
    ("module", "what", "extra"),
    [
        ("pandas", "pandas", "train"),
        ("keras.src", "Keras 3", "train"),
        ("pytest", "pytest", "parity"),
        ("matplotlib.pyplot", "matplotlib", "plot"),
    ],
)
def test_each_missing_module_names_its_extra(module, what, extra):
    assert missing_extra(ModuleNotFoundError(f"No module named '{module}'", name=module)) == (
        f"this command needs {what} (the `{extra}` extra): pip install 'tf2rec[{extra}]'"
    )


def test_a_missing_tensorflow_names_both_builds_and_bring_your_own():
    line = missing_extra(ModuleNotFoundError(name="tensorflow.python"))
    assert line.startswith("this command needs TensorFlow 2.21, which the base install leaves out")
    for extra in ("'tf2rec[tensorflow-cpu]'", "'tf2rec[tensorflow]'", "'tf2rec[train]'"):
        assert extra in line


def test_a_module_no_extra_brings_is_left_as_it_is():
    with pytest.raises(ModuleNotFoundError, match="not_a_dependency"):
        with extra_needed():
            import not_a_dependency  # noqa: F401
    with pytest.raises(MissingExtra, match=r"tf2rec\[parity\]"):
        with extra_needed():
            raise ModuleNotFoundError("No module named 'threadpoolctl'", name="threadpoolctl")


def test_tf2rec_piped_into_head_prints_no_traceback():
    command = [sys.executable, "-m", "tf2rec.tools.cli", "rules"]
    reader = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert re.match(rb"(PY2\d\d|TF\d\d\d) ", reader.stdout.readline())  # a rule's line
    reader.stdout.close()  # the reader (`head -1`) has what it wanted
    assert reader.wait(timeout=60) == 141  # 128 + SIGPIPE
    assert reader.stderr.read() == b""  # no traceback, no "Exception ignored" at exit


def test_bench_plot_without_matplotlib_is_one_line_before_any_run(capsys, monkeypatch):
    from importlib import util

    from tests.cli import exit_code

    real = util.find_spec
    monkeypatch.setattr(
        util, "find_spec", lambda name, *a: None if name == "matplotlib" else real(name, *a)
    )
    assert exit_code(["bench", "train", "--plot", "out.png", "--sizes", "10000"]) == 2
    assert capsys.readouterr().err == (
        "tf2rec bench: error: --plot: this command needs matplotlib (the `plot` extra): "
        "pip install 'tf2rec[plot]'\n"
    )


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full")
@pytest.mark.parametrize("argv", [["rules"], ["rules", "TF101"], ["scan", "model.py"]])
def test_standard_output_on_a_full_device_is_one_line(tmp_path, argv):
    """`tf2rec rules > /dev/full` ended in 'unexpected error: OSError: [Errno 28]'."""
    (tmp_path / "model.py").write_text("import tensorflow as tf\ny = tf.log(x)\n")
    with open("/dev/full", "w") as full:
        done = subprocess.run(
            [sys.executable, "-m", "tf2rec.tools.cli", *argv],
            stdout=full,
            stderr=subprocess.PIPE,
            text=True,
            cwd=tmp_path,
            timeout=60,
        )
    assert done.returncode == 2
    assert done.stderr == (
        f"tf2rec {argv[0]}: error: cannot write to standard output (No space left on device); "
        "free some space where it goes, or send it elsewhere\n"
    )


@pytest.mark.parametrize("command", [["fix", "--write"], ["scan"]])
def test_sigterm_during_a_parallel_run_ends_it_and_its_workers(tmp_path, command):
    """SIGTERM killed only the parent of `fix --write -j 2`: its two pool workers, each
    waiting on the other over the result pipe, stayed forever."""
    import signal
    import time

    body = "import tensorflow as tf\n" + "".join(f"y{i} = tf.log(x)\n" for i in range(300))
    for n in range(200):
        (tmp_path / f"f{n}.py").write_text(body)
    child = subprocess.Popen(
        [sys.executable, "-m", "tf2rec.tools.cli", *command, "-j", "2", "."],
        cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
        start_new_session=True,
    )  # fmt: skip
    time.sleep(1.5)
    child.send_signal(signal.SIGTERM)
    try:
        _, err = child.communicate(timeout=60)
        time.sleep(0.5)
        left = subprocess.run(["pgrep", "-s", str(child.pid)], capture_output=True, text=True)
    finally:  # a hang must not outlive the test
        with contextlib.suppress(ProcessLookupError):
            os.killpg(child.pid, signal.SIGKILL)
    assert child.returncode == 128 + signal.SIGTERM
    assert err.splitlines()[-1] == f"tf2rec {command[0]}: terminated"
    assert left.stdout == ""  # no process of its session is left
    for n in range(200):  # each file is whole: the old text or the fixed one
        text = (tmp_path / f"f{n}.py").read_text()
        assert text in (body, body.replace("tf.log(", "tf.math.log("))


@pytest.mark.parametrize("argv", [["rules", "TF101"], ["scan", "model.py"], ["fix", "model.py"]])
def test_a_closed_standard_output_is_one_line(tmp_path, argv):
    """`tf2rec scan x.py >&-`: Python sets sys.stdout to None, and the first write was
    'unexpected error: AttributeError'."""
    (tmp_path / "model.py").write_text("import tensorflow as tf\ny = tf.log(x)\n")
    done = subprocess.run(
        [sys.executable, "-m", "tf2rec.tools.cli", *argv],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, cwd=tmp_path,
        timeout=60, preexec_fn=lambda: os.close(1),
    )  # fmt: skip
    assert done.returncode == 2
    assert done.stderr.splitlines()[-1] == (
        f"tf2rec {argv[0]}: error: cannot write to standard output (Bad file descriptor); "
        "redirect it to a file, or to /dev/null"
    )


def test_a_current_folder_that_was_deleted_is_one_line(tmp_path):
    gone = tmp_path / "gone"
    gone.mkdir()
    done = subprocess.run(
        ["bash", "-c", f'cd "{gone}" && rmdir "{gone}" && exec "$0" -m tf2rec.tools.cli scan .',
         sys.executable],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 2
    assert done.stderr == (
        "tf2rec scan: error: the current folder no longer exists (deleted since the shell "
        "entered it); cd to one that exists\n"
    )
