"""A missing extra is named in one line; a reader that stops early is not an error."""

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


@pytest.mark.skipif(not __import__("os").path.exists("/dev/full"), reason="needs /dev/full")
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
