"""A tf.distribute cluster of processes on this machine, for trying a distributed run and for
tests: each process gets the `TF_CONFIG` a launcher on real hosts would give it.

`TF_CONFIG` is the standard way a TensorFlow process learns its cluster and its own task
(a Kubernetes TFJob, Ray's TensorFlow trainer and shell scripts all set it), so a command
that runs here runs there unchanged. A cluster is workers only (multi-worker training:
the run ends when every worker has), or, with parameter servers, a chief, workers and
parameter servers (the run ends when the chief does; the others serve it until then).
Every process this module starts is stopped when one of them fails, when the run ends, or
when the launcher is interrupted (SIGINT, SIGTERM, SIGHUP) or dies, even by SIGKILL: each
task runs under a small guard process (`guard`, this module run with `python -m`) that leads
the task's own process group, asks Linux for a signal when the launcher dies
(`prctl(PR_SET_PDEATHSIG)`), and then stops the whole group, so a wrapper shell's children
go with it.
"""

from __future__ import annotations

import ctypes
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass

from tf2rec.errors import UsageError

try:
    import resource
except ImportError:  # not on Windows: no open-file limit to check
    resource = None

STOP_GRACE_S = 10  # after SIGTERM, before SIGKILL


@dataclass(frozen=True)
class Task:
    kind: str  # "chief", "worker" or "ps"
    index: int


def free_ports(count: int) -> list[int]:
    """Ports nothing listens on now (held open together, so that they differ)."""
    sockets = [socket.socket(socket.AF_INET, socket.SOCK_STREAM) for _ in range(count)]
    try:
        for s in sockets:
            s.bind(("localhost", 0))
        return [s.getsockname()[1] for s in sockets]
    finally:
        for s in sockets:
            s.close()


def cluster_spec(workers: int, ps: int = 0) -> dict[str, list[str]]:
    """The localhost cluster as `TF_CONFIG["cluster"]`: `workers` workers, and with `ps`
    parameter servers a chief too."""
    ports = iter(free_ports(workers + ps + (1 if ps else 0)))
    jobs = {"chief": 1, "worker": workers, "ps": ps} if ps else {"worker": workers}
    return {job: [f"localhost:{next(ports)}" for _ in range(n)] for job, n in jobs.items()}


def check_open_files(workers: int, ps: int) -> None:
    """Refuse a cluster whose ports need more files than this process may open: the ports
    are reserved together, one socket each, beside the files already open, and then each
    start opens a pipe pair (to report a failed exec) that is closed before the next."""
    tasks = workers + ps + (1 if ps else 0)
    limit = resource.getrlimit(resource.RLIMIT_NOFILE)[0] if resource else -1
    if limit == getattr(resource, "RLIM_INFINITY", -1) or limit < 0:
        return
    if tasks + _open_files() + 2 > limit:
        shown = f"--workers {workers}" + (f" and --ps {ps}" if ps else "")
        raise UsageError(
            f"{shown}: a cluster of {tasks:,} tasks needs a port and pipes for each, more than "
            f"the {limit:,} files this process may open (`ulimit -n`); start fewer tasks, or "
            "raise the limit"
        )


def _open_files() -> int:
    """How many descriptors this process has open (0 where /proc cannot tell)."""
    try:
        return len(os.listdir("/proc/self/fd"))
    except OSError:
        return 0


def tf_config(cluster: dict[str, list[str]], task: Task) -> str:
    return json.dumps({"cluster": cluster, "task": {"type": task.kind, "index": task.index}})


# Their handlers only note the signal: an exception raised wherever the launcher happens to
# be could leave a Popen's internal lock held (inside `poll`), and then stopping the tasks
# would wait on that lock for ever. The wait loop looks at the note between polls.
STOP_SIGNALS = (signal.SIGTERM, signal.SIGHUP, signal.SIGINT)


def run_local(workers: int, command: Sequence[str], *, ps: int = 0, poll_s: float = 0.2) -> int:
    """Run `command` once per task of a localhost cluster; returns the first non-zero exit
    status (the others are stopped then; a process killed by signal N counts as 128 + N, as
    in a shell), else 0 once every worker (with `ps`: the chief) has ended. SIGTERM or
    SIGHUP stops every task and returns 128 + N; Ctrl-C stops them and raises
    KeyboardInterrupt. The processes share this terminal."""
    if not command:
        raise UsageError("no command to run; put it after `--`")
    if shutil.which(command[0]) is None:
        raise UsageError(f"{command[0]}: no such command")
    check_open_files(workers, ps)
    cluster = cluster_spec(workers, ps)
    tasks = [Task(job, i) for job, hosts in cluster.items() for i in range(len(hosts))]
    processes: list[subprocess.Popen] = []
    received: list[int] = []
    previous = _on_stop_signals(received)
    try:
        for task in tasks:
            if received:
                break
            env = {**os.environ, "TF_CONFIG": tf_config(cluster, task)}
            processes.append(_start_guarded(command, env))
        code = _wait(processes[:1] if ps else processes, processes, poll_s, received)
    finally:
        stop(processes)
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    if received and received[0] == signal.SIGINT:
        raise KeyboardInterrupt
    return 128 + received[0] if received else code


def _wait(ending, processes, poll_s: float, received: list[int]) -> int:
    while not received:
        codes = [p.poll() for p in processes]
        failed = next((c for c in codes if c not in (None, 0)), None)
        if failed is not None:
            return 128 - failed if failed < 0 else failed
        if all(p.poll() == 0 for p in ending):
            return 0
        time.sleep(poll_s)
    return 0  # the caller answers for the signal


def _on_stop_signals(received: list[int]) -> dict:
    """Note SIGTERM, SIGHUP and SIGINT in `received` (from the main thread only, where
    Python delivers signals); the handlers they replace, to put back."""
    import threading

    if threading.current_thread() is not threading.main_thread():
        return {}

    def note(signum, frame):
        received.append(signum)

    return {signum: signal.signal(signum, note) for signum in STOP_SIGNALS}


def _start_guarded(command: Sequence[str], env: dict) -> subprocess.Popen:
    """`command` under a guard that leads a new process group (its id: the guard's pid)."""
    guard = [sys.executable, "-m", "tf2rec.tools.cluster", str(os.getpid()), "--", *command]
    return subprocess.Popen(guard, env=env, process_group=0)


def stop(processes: list[subprocess.Popen]) -> None:
    """SIGTERM every task's process group, SIGKILL what is left of them after the grace
    period (at once for a group whose guard has ended: what is left there is a leftover)."""
    for p in processes:
        _signal_group(p.pid, signal.SIGTERM)
    deadline = time.monotonic() + STOP_GRACE_S
    for p in processes:
        try:
            p.wait(timeout=max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            pass
        _signal_group(p.pid, signal.SIGKILL)
        p.wait()


def _signal_group(group: int, signum: int) -> None:
    try:
        os.killpg(group, signum)
    except (ProcessLookupError, PermissionError):
        pass  # the group has ended


PR_SET_PDEATHSIG = 1  # linux/prctl.h


def _die_with(parent: int) -> None:
    """Have the kernel send this process SIGTERM when `parent` dies (Linux; elsewhere the
    launcher's own handlers are what stops the tasks)."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
    except (AttributeError, OSError):
        return
    if os.getppid() != parent:  # it died before the request was made
        os.kill(os.getpid(), signal.SIGTERM)


def guard(parent: int, command: Sequence[str]) -> int:
    """Run `command` in this process's group; when this process gets SIGTERM, SIGHUP or
    SIGINT (from the launcher, or the kernel when the launcher dies), stop the whole group:
    SIGTERM, then SIGKILL after the grace period. Returns the command's status (128 + N for
    a signal N)."""

    running: list[subprocess.Popen] = []

    def stop_group(signum, frame):
        for each in (signal.SIGTERM, signal.SIGHUP, signal.SIGINT):
            signal.signal(each, signal.SIG_IGN)
        os.killpg(0, signal.SIGTERM)
        deadline = time.monotonic() + STOP_GRACE_S
        while time.monotonic() < deadline and running and not _ended(running[0].pid):
            time.sleep(0.05)
        os.killpg(0, signal.SIGKILL)  # this guard too: the group ends together

    for each in (signal.SIGTERM, signal.SIGHUP, signal.SIGINT):
        signal.signal(each, stop_group)
    _die_with(parent)
    running.append(subprocess.Popen(list(command)))
    code = running[0].wait()
    return 128 - code if code < 0 else code


def _ended(pid: int) -> bool:
    """Whether the child `pid` has ended (reaped here: `Popen.poll` cannot be called from a
    signal handler that interrupted `Popen.wait`, which holds its lock)."""
    try:
        return os.waitpid(pid, os.WNOHANG)[0] != 0
    except ChildProcessError:
        return True


if __name__ == "__main__":  # the guard: python -m tf2rec.tools.cluster PARENT_PID -- COMMAND
    sys.exit(guard(int(sys.argv[1]), sys.argv[3:]))
