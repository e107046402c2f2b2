"""Running the `tf2rec` entry point inside a test, or in a process of its own."""

import subprocess
import sys

from tf2rec.tools.cli import main


def exit_code(argv: list[str]) -> int:
    """main()'s return value, or the code argparse exits with."""
    try:
        return main(argv)
    except SystemExit as stop:
        return stop.code


def run_tf2rec(*args: str, timeout: float = 600) -> subprocess.CompletedProcess:
    """`tf2rec ARGS` in a fresh process, as a user runs it (the TF1 commands switch TensorFlow's
    behaviour for the whole process), its output captured as text."""
    return subprocess.run(
        [sys.executable, "-m", "tf2rec.tools.cli", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def result_rows(stdout: str, *models: str) -> dict[str, list[str]]:
    """The rows of the results table a training command prints, by model, split into words."""
    return {
        line.split()[0]: line.split() for line in stdout.splitlines() if line.startswith(models)
    }
