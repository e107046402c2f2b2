"""`tf2rec cluster local` leaves no process behind: not its tasks, not the children of a
wrapper shell, whether the launcher ends normally, is stopped by SIGTERM, SIGHUP or SIGINT,
or is killed by SIGKILL. The tasks here are shells starting `sleep`s, no TensorFlow."""

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

# each task: a wrapper shell with two background children, as launch scripts are written
TASK = "sleep 300 & sleep 301 & wait"


def marked(mark: str) -> list[int]:
    """The processes whose environment carries `mark` (this test's launcher and all it started)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            environ = (entry / "environ").read_bytes()
        except OSError:
            continue
        if mark.encode() in environ.split(b"\0"):
            found.append(int(entry.name))
    return found


def launch(task: str, workers: int = 2):
    mark = f"TF2REC_CLUSTER_TEST={uuid.uuid4().hex}"
    key, value = mark.split("=")
    launcher = subprocess.Popen(
        [sys.executable, "-m", "tf2rec.tools.cli", "cluster", "local", "--workers", str(workers)]
        + ["--", "sh", "-c", task],
        env={**os.environ, key: value},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    return launcher, mark


def wait_for(predicate, timeout: float = 20.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return False


def zombies_reaped(pids):
    return [pid for pid in pids if Path(f"/proc/{pid}").exists() and _state(pid) != "Z"]


def _state(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return "Z"


# launcher + per worker: its guard, the shell, two sleeps
EVERY_PROCESS = 1 + 2 * 4


@pytest.mark.parametrize(
    "signum", [signal.SIGTERM, signal.SIGHUP, signal.SIGINT, signal.SIGKILL], ids=lambda s: s.name
)
def test_no_process_is_left_when_the_launcher_is_stopped_or_killed(signum):
    launcher, mark = launch(TASK)
    try:
        assert wait_for(lambda: len(marked(mark)) == EVERY_PROCESS), marked(mark)
        launcher.send_signal(signum)
        code = launcher.wait(timeout=20)
        assert wait_for(lambda: not zombies_reaped(marked(mark))), marked(mark)
    finally:
        for pid in marked(mark):
            os.kill(pid, signal.SIGKILL)
    expected = {signal.SIGTERM: 128 + 15, signal.SIGHUP: 128 + 1, signal.SIGINT: 130}
    assert code == expected.get(signum, -signal.SIGKILL)


def test_a_finished_run_leaves_no_child_of_a_wrapper_shell():
    launcher, mark = launch("sleep 300 & sleep 301 & exit 0")
    try:
        assert launcher.wait(timeout=20) == 0
        assert wait_for(lambda: not zombies_reaped(marked(mark))), marked(mark)
    finally:
        for pid in marked(mark):
            os.kill(pid, signal.SIGKILL)


def test_a_failing_task_stops_the_others_and_gives_its_status():
    launcher, mark = launch(
        'if [ "$(echo $TF_CONFIG | grep -c \'"index": 1\')" = 1 ]; then '
        "sleep 0.5; exit 3; fi; sleep 300 & wait"
    )
    try:
        assert launcher.wait(timeout=20) == 3
        assert wait_for(lambda: not zombies_reaped(marked(mark))), marked(mark)
    finally:
        for pid in marked(mark):
            os.kill(pid, signal.SIGKILL)


def test_a_missing_command_is_one_line():
    result = subprocess.run(
        [sys.executable, "-m", "tf2rec.tools.cli", "cluster", "local", "--", "no-such-cmd-x"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert result.stderr == "tf2rec cluster: error: no-such-cmd-x: no such command\n"


def test_more_tasks_than_the_open_file_limit_allows_is_one_line_before_any_starts():
    """`--workers 100000` ended in 'unexpected error: OSError: [Errno 24] Too many open
    files' while reserving the ports."""
    import resource

    limit = resource.getrlimit(resource.RLIMIT_NOFILE)[0]
    result = subprocess.run(
        [sys.executable, "-m", "tf2rec.tools.cli", "cluster", "local", "--workers", "100000",
         "--", "true"],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert result.returncode == 2
    assert result.stderr == (
        f"tf2rec cluster: error: --workers 100000: a cluster of 100,000 tasks needs a port and "
        f"pipes for each, more than the {limit:,} files this process may open (`ulimit -n`); "
        "start fewer tasks, or raise the limit\n"
    )
