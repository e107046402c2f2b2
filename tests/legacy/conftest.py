"""The legacy model disables TF2 behaviour for its whole process, so it runs in a subprocess."""

import pytest

from tests.processes import last_json, run_program


@pytest.fixture
def run_legacy(tmp_path):
    """Run Python code in a fresh process; the code prints one JSON object as its last line."""

    def run(code: str, timeout: float = 300):
        return last_json(run_program(code, tmp_path, timeout=timeout))

    return run
