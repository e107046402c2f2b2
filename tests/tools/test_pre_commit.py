"""The hooks in `.pre-commit-hooks.yaml`, run by pre-commit itself in a user's repository.

The hook repository is a git copy of these sources (what pre-commit clones from GitHub for a
user); pre-commit installs it into an environment of its own, the base install, and runs
the hooks on the user's staged files.
"""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.tools.test_wheel import SOURCES

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]
TF1_FILE = "import tensorflow as tf\n\nx = tf.log(tf.placeholder(tf.float32))\n"
TF2_FILE = "import tensorflow as tf\n\nprint(tf.__version__, tf.math.log(2.0))\n"


def git(*argv, cwd) -> str:
    done = subprocess.run(["git", *argv], cwd=cwd, capture_output=True, text=True, check=True)
    return done.stdout.strip()


def new_repo(path: Path) -> Path:
    path.mkdir()
    git("init", "-q", cwd=path)
    git("config", "user.email", "dev@example.com", cwd=path)
    git("config", "user.name", "dev", cwd=path)
    return path


def commit_all(repo: Path) -> str:
    git("add", "-A", cwd=repo)
    git("commit", "-q", "-m", "sources", cwd=repo)
    return git("rev-parse", "HEAD", cwd=repo)


@pytest.fixture(scope="module")
def hook_repo(tmp_path_factory) -> tuple[Path, str]:
    repo = new_repo(tmp_path_factory.mktemp("hooks") / "tf2rec")
    for name in [*SOURCES, ".pre-commit-hooks.yaml"]:
        if (ROOT / name).is_dir():
            shutil.copytree(ROOT / name, repo / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy(ROOT / name, repo / name)
    return repo, commit_all(repo)


@pytest.fixture
def project(tmp_path, hook_repo) -> Path:
    repo, sha = hook_repo
    project = new_repo(tmp_path / "project")
    (project / ".pre-commit-config.yaml").write_text(
        f"repos:\n  - repo: {repo}\n    rev: {sha}\n    hooks:\n"
        "      - id: tf2rec-fix\n      - id: tf2rec-scan\n        args: [--fail-on, error]\n"
    )
    return project


def pre_commit(project: Path, hook: str, home: Path) -> subprocess.CompletedProcess:
    git("add", "-A", cwd=project)
    return subprocess.run(
        [sys.executable, "-m", "pre_commit", "run", hook, "--all-files", "--color", "never"],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=900,
        env={**os.environ, "PRE_COMMIT_HOME": str(home)},
    )


def test_the_scan_hook_fails_on_tf1_code_and_passes_on_tf2_code(project, tmp_path_factory):
    home = tmp_path_factory.getbasetemp() / "pre-commit-home"
    (project / "model.py").write_text(TF1_FILE)
    failed = pre_commit(project, "tf2rec-scan", home)
    assert failed.returncode == 1, failed.stdout + failed.stderr
    assert "tf2rec scan" in failed.stdout and "Failed" in failed.stdout
    assert "model.py:3:5: TF802 [error]" in failed.stdout  # tf.log -> tf.math.log
    assert "model.py:3:12: TF201 [error]" in failed.stdout  # tf.placeholder
    (project / "model.py").write_text(TF2_FILE)
    passed = pre_commit(project, "tf2rec-scan", home)
    assert passed.returncode == 0, passed.stdout + passed.stderr
    assert "Passed" in passed.stdout


def test_the_fix_hook_rewrites_the_file(project, tmp_path_factory):
    home = tmp_path_factory.getbasetemp() / "pre-commit-home"
    (project / "model.py").write_text(TF1_FILE)
    fixed = pre_commit(project, "tf2rec-fix", home)
    assert fixed.returncode == 1, fixed.stdout + fixed.stderr  # pre-commit: files were modified
    assert "files were modified by this hook" in fixed.stdout
    assert (project / "model.py").read_text() == (
        "import tensorflow as tf\n\nx = tf.math.log(tf.compat.v1.placeholder(tf.float32))\n"
    )
    again = pre_commit(project, "tf2rec-fix", home)
    assert again.returncode == 0, again.stdout + again.stderr  # nothing left to fix
