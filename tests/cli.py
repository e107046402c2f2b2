"""Running the `tf2rec` entry point inside a test, or in a process of its own."""

import ctypes
import os
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


def run_unprivileged(argv: list[str], **options) -> subprocess.CompletedProcess:
    """The `tf2rec` command in a child process whose permission checks are a normal user's:
    as root, the child loses the capabilities that let root read and search whatever the mode
    bits say (CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH), so a file of mode 0 cannot be read
    there, as for any user. Not root: run as it is."""
    return subprocess.run(
        [sys.executable, "-m", "tf2rec.tools.cli", *argv],
        capture_output=True,
        text=True,
        timeout=120,
        preexec_fn=_drop_file_permission_override if os.geteuid() == 0 else None,
        **options,
    )


_PR_CAPBSET_DROP = 24  # <linux/prctl.h>
_CAP_DAC_OVERRIDE, _CAP_DAC_READ_SEARCH = 1, 2  # <linux/capability.h>


def _drop_file_permission_override() -> None:
    """In the child before exec: out of the bounding set, so the program exec'd as root never
    gets them (root's capabilities after exec are the bounding set's)."""
    libc = ctypes.CDLL(None, use_errno=True)
    for capability in (_CAP_DAC_OVERRIDE, _CAP_DAC_READ_SEARCH):
        if libc.prctl(_PR_CAPBSET_DROP, capability, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP)")
