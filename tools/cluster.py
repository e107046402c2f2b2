"""A tf.distribute cluster of processes on this machine, for trying a distributed run and for
tests: each process gets the `TF_CONFIG` a launcher on real hosts would give it.

`TF_CONFIG` is the standard way a TensorFlow process learns its cluster and its own task
(a Kubernetes TFJob, Ray's TensorFlow trainer and shell scripts all set it), so a command
that runs here runs there unchanged. A cluster is workers only (multi-worker training:
the run ends when every worker has), or, with parameter servers, a chief, workers and
parameter servers (the run ends when the chief does; the others serve it until then).
Every process this module starts is stopped when one of them fails, when the run ends, or
when the launcher is interrupted.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import time
from collections.abc import Sequence
from dataclasses import dataclass

from tf2rec.errors import UsageError

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


def tf_config(cluster: dict[str, list[str]], task: Task) -> str:
    return json.dumps({"cluster": cluster, "task": {"type": task.kind, "index": task.index}})


def run_local(workers: int, command: Sequence[str], *, ps: int = 0, poll_s: float = 0.2) -> int:
    """Run `command` once per task of a localhost cluster; returns the first non-zero exit
    status (the others are stopped then; a process killed by signal N counts as 128 + N, as
    in a shell), else 0 once every worker (with `ps`: the chief) has ended. The processes
    share this terminal."""
    if not command:
        raise UsageError("no command to run; put it after `--`")
    cluster = cluster_spec(workers, ps)
    tasks = [Task(job, i) for job, hosts in cluster.items() for i in range(len(hosts))]
    processes: list[subprocess.Popen] = []
    try:
        for task in tasks:
            env = {**os.environ, "TF_CONFIG": tf_config(cluster, task)}
            processes.append(subprocess.Popen(list(command), env=env))
        ending = processes[:1] if ps else processes  # the chief, or every worker
        while True:
            codes = [p.poll() for p in processes]
            failed = next((c for c in codes if c not in (None, 0)), None)
            if failed is not None:
                return 128 - failed if failed < 0 else failed
            if all(p.poll() == 0 for p in ending):
                return 0
            time.sleep(poll_s)
    except FileNotFoundError:
        raise UsageError(f"{command[0]}: no such command") from None
    finally:
        stop(processes)


def stop(processes: list[subprocess.Popen]) -> None:
    """SIGTERM every process still running, SIGKILL what is left after the grace period."""
    running = [p for p in processes if p.poll() is None]
    for p in running:
        p.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + STOP_GRACE_S
    for p in running:
        try:
            p.wait(timeout=max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
