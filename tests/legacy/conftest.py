"""The legacy model disables TF2 behaviour for its whole process, so it runs in a subprocess."""

import json
import subprocess
import sys
import textwrap

import pytest


@pytest.fixture
def run_legacy(tmp_path):
    """Run Python code in a fresh process; the code prints one JSON object as its last line."""

    def run(code: str, timeout: float = 300):
        out = subprocess.run(
            [sys.executable, "-c", textwrap.dedent(code)],
            capture_output=True,
            text=True,
            cwd=tmp_path,
            timeout=timeout,
        )
        assert out.returncode == 0, out.stderr[-3000:]
        return json.loads(out.stdout.strip().splitlines()[-1])

    return run
