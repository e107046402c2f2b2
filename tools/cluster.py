"""A tf.distribute cluster of processes on this machine, for trying a distributed run and for
tests: each process gets the `TF_CONFIG` a launcher on real hosts would give it.

`TF_CONFIG` is the standard way a TensorFlow process learns its cluster and its own task
(a Kubernetes TFJob, Ray's TensorFlow trainer and shell scripts all set it), so a command
that runs here runs there unchanged. Every process this module starts is stopped when one
of them fails, when the run ends, or when the launcher is interrupted.
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

STOP_GRACE_S = 10  # after SIGTERM, before SIGKILL


@dataclass(frozen=True)
class Task:
    kind: str  # "worker" (the first is the chief of a multi-worker cluster)
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


def cluster_spec(workers: int) -> dict[str, list[str]]:
    """The cluster of `workers` processes on localhost, as `TF_CONFIG["cluster"]`."""
    return {"worker": [f"localhost:{port}" for port in free_ports(workers)]}


def tf_config(cluster: dict[str, list[str]], task: Task) -> str:
    return json.dumps({"cluster": cluster, "task": {"type": task.kind, "index": task.index}})


def run_local(workers: int, command: Sequence[str], *, poll_s: float = 0.2) -> int:
    """Run `command` once per worker of a localhost cluster; returns the first non-zero exit
    status (the others are stopped then; a process killed by signal N counts as 128 + N, as
    in a shell), else 0. The processes share this terminal."""
    if not command:
        raise ValueError("no command to run; put it after `--`")
    cluster = cluster_spec(workers)
    processes: list[subprocess.Popen] = []
    try:
        for index in range(workers):
            env = {**os.environ, "TF_CONFIG": tf_config(cluster, Task("worker", index))}
            processes.append(subprocess.Popen(list(command), env=env))
        while True:
            codes = [p.poll() for p in processes]
            failed = next((c for c in codes if c not in (None, 0)), None)
            if failed is not None:
                return 128 - failed if failed < 0 else failed
            if all(c == 0 for c in codes):
                return 0
            time.sleep(poll_s)
    except FileNotFoundError:
        raise ValueError(f"{command[0]}: no such command") from None
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
