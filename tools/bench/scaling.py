"""Multi-worker training speed: the migrated model on a localhost cluster of 1 and of 2
workers (`tf2rec bench train --strategy multi-worker`).

Both clusters train on the same pre-generated global batches as `bench train` (B=1024,
each worker its share of the rows) with the step `tf2rec train --strategy multi-worker`
runs (`distributed.make_step`), so the figures compare the same loop with one worker and
with two: examples/s of the cluster, and the scaling
efficiency, examples/s with 2 workers / (2 x examples/s with 1). Each cluster runs
`--rounds` times; medians are reported.

On one machine the workers share its cores: two workers on 2 cores get one core each where
one worker had both, so this measures the communication and the per-worker overhead of the
loop, not the speed-up of adding machines.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from tf2rec.errors import CommandFailed, last_line
from tf2rec.interactions import ModelSpec
from tf2rec.tools.bench.workload import (
    BATCH,
    DIM,
    HIDDEN,
    HISTORY,
    LEARNING_RATES,
    NEGATIVES,
    batch_files,
)

WORKER_COUNTS = (1, 2)


def worker(path: Path, vocab: int, optimizer: str, warmup: int, steps: int, repeats: int) -> dict:
    """One worker of the cluster; the chief returns the seconds per step of each repeat."""
    from tf2rec.migrated.datasets import batch_signature
    from tf2rec.migrated.distributed import is_chief, make_step, make_strategy, worker_batches
    from tf2rec.migrated.train import compiled_model

    with np.load(path) as data:
        batches = {name: data[name] for name in data}
    rows = [
        {name: values[i] for name, values in batches.items()} for i in range(len(batches["user"]))
    ]
    strategy = make_strategy("multi-worker")
    with strategy.scope():
        model = compiled_model(
            ModelSpec(vocab, vocab, DIM, HIDDEN, HISTORY, NEGATIVES),
            optimizer,
            LEARNING_RATES[optimizer],
        )
        model.optimizer.build(model.trainable_variables)
    signature = batch_signature(HISTORY, NEGATIVES)
    data = worker_batches(strategy, lambda: iter(rows), signature)
    iterator = iter(data)
    step = make_step(model, strategy)
    for _ in range(warmup):
        step(iterator)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(steps):
            step(iterator)
        times.append((time.perf_counter() - start) / steps)
    return {"step_s": times, "chief": is_chief()}


def _cluster(workers: int, path: Path, vocab: int, optimizer: str, args) -> dict:
    out = path.with_suffix(f".{workers}.json")
    command = [sys.executable, "-m", "tf2rec.tools.cli", "cluster", "local", "--workers"]
    command += [str(workers), "--", sys.executable, "-m", "tf2rec.tools.bench.scaling"]
    command += [str(path), str(vocab), optimizer, str(args.warmup), str(args.steps)]
    command += [str(args.repeats), str(out)]
    done = subprocess.run(
        command, capture_output=True, text=True, env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"}
    )
    if done.returncode != 0:
        raise CommandFailed(
            f"the {workers}-worker cluster failed at V={vocab:,} with {optimizer} "
            f"(exit {done.returncode}): {last_line(done.stderr)}"
        )
    return json.loads(out.read_text())


def run(args, report=None) -> list[dict]:
    rows = []
    with batch_files(args.sizes, args.warmup + args.steps * args.repeats) as paths:
        for vocab, path in paths.items():
            for optimizer in args.optimizers:
                row: dict = {"vocab": vocab, "optimizer": optimizer, "rounds": args.rounds}
                for workers in WORKER_COUNTS:
                    step = statistics.median(
                        statistics.median(_cluster(workers, path, vocab, optimizer, args)["step_s"])
                        for _ in range(args.rounds)
                    )
                    row[f"workers_{workers}"] = {
                        "examples_per_s": round(BATCH / step),
                        "ms_per_step": round(step * 1000, 2),
                    }
                one, two = (row[f"workers_{w}"]["examples_per_s"] for w in WORKER_COUNTS)
                row["efficiency"] = round(two / (2 * one), 2)
                rows.append(row)
                if report:
                    report(row)
    return rows


def print_row(row: dict, file=None) -> None:
    one, two = row["workers_1"], row["workers_2"]
    print(
        f"V={row['vocab']:>9,}  {row['optimizer']:<8} 1 worker {one['examples_per_s']:>9,} ex/s "
        f"({one['ms_per_step']:>7.2f} ms/step)   2 workers {two['examples_per_s']:>9,} ex/s "
        f"({two['ms_per_step']:>7.2f} ms/step)   scaling efficiency {row['efficiency']:.2f}",
        file=file,
        flush=True,
    )


def main(argv=None) -> int:
    """A worker of the benchmark's cluster: PATH VOCAB OPTIMIZER WARMUP STEPS REPEATS OUT."""
    path, vocab, optimizer, warmup, steps, repeats, out = argv or sys.argv[1:]
    result = worker(Path(path), int(vocab), optimizer, int(warmup), int(steps), int(repeats))
    if result["chief"]:
        Path(out).write_text(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
