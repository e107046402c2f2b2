"""Python programs a test runs in a fresh process: TF1 graph mode, logical devices and
TensorFlow's threading are set once per process, so a test that changes them runs apart."""

import json
import subprocess
import sys
import textwrap


def run_program(code: str, cwd, *, timeout: float = 300, env=None) -> subprocess.CompletedProcess:
    """Run `code` (dedented) with this Python in `cwd`; a failure fails the test with the end
    of the program's stderr."""
    out = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=timeout,
        env=env,
    )
    assert out.returncode == 0, out.stderr[-4000:]
    return out


def last_json(out: subprocess.CompletedProcess) -> dict:
    """The JSON object a program printed as its last line."""
    return json.loads(out.stdout.strip().splitlines()[-1])
