"""Training speed: the migrated model, on its bitwise and its fast path, against the legacy
one on the same batches.

For each vocabulary size (users = items = V) and optimizer, the three train on the same
pre-generated batches (B=1024, K=8, L=20, D=64; item ids Zipf-distributed, so batches repeat
ids as real ones do), each in its own process. A process excludes its warm-up steps (and
with them XLA's compilation) and times a few repetitions; the processes run in rounds, in
another order each round, and each round gives each path's ratio to the legacy model.
Reported: medians over rounds of examples/s and ms per step, each path's median ratio and
its worst round, and each side's peak memory. `--plot` writes the PNG and, beside it, the
same figures as a Markdown table.

    tf2rec bench train [--sizes 10000 100000 1000000] [--rounds 3] [--json]
        [--plot bench-train.png]
"""

from __future__ import annotations

import argparse
import functools
import importlib.util
import io
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from tf2rec.atomic import output_file, write_atomically
from tf2rec.errors import CommandFailed, last_line
from tf2rec.interactions import OPTIMIZERS, ModelSpec
from tf2rec.malloc import reuse_freed_memory
from tf2rec.tools.bench.workload import (  # noqa: F401  (make_batches: the tests use it here)
    BATCH,
    DIM,
    HIDDEN,
    HISTORY,
    LEARNING_RATES,
    NEGATIVES,
    batch_files,
    make_batches,
)
from tf2rec.tools.cli.options import positive_int
from tf2rec.tools.extras import MissingExtra, missing_extra

SIDES = ("legacy", "bitwise", "fast")  # the migrated model's two paths: tf2rec train's


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def worker_legacy(
    batches: dict, vocab: int, optimizer: str, warmup: int, steps: int, repeats: int
) -> dict:
    import tensorflow.compat.v1 as tf

    from tf2rec.legacy.train import build_graph, session_config  # TF1 mode: this process only

    hparams = dict(
        ModelSpec(vocab, vocab, DIM, HIDDEN, HISTORY, NEGATIVES).as_dict(),
        optimizer=optimizer,
        lr=LEARNING_RATES[optimizer],
        seed=0,
    )
    graph, model = build_graph(hparams)
    feeds = [
        model.feed({k: v[i] for k, v in batches.items()}) for i in range(warmup + steps * repeats)
    ]
    times = []
    with tf.Session(graph=graph, config=session_config()) as sess:
        sess.run(model.init_op)
        for feed in feeds[:warmup]:
            sess.run(model.train_op, feed)
        for r in range(repeats):
            start = time.perf_counter()
            for feed in feeds[warmup + r * steps : warmup + (r + 1) * steps]:
                sess.run(model.train_op, feed)
            times.append((time.perf_counter() - start) / steps)
    return {"step_s": times, "peak_mb": _peak_mb()}


def worker_migrated(
    batches: dict,
    vocab: int,
    optimizer: str,
    warmup: int,
    steps: int,
    repeats: int,
    jit_compile: bool = False,
) -> dict:
    reuse_freed_memory()  # as `tf2rec train` does, before TensorFlow starts its threads
    import keras
    import tensorflow as tf

    from tf2rec.migrated.train import compiled_model

    spec = ModelSpec(vocab, vocab, DIM, HIDDEN, HISTORY, NEGATIVES)
    # as `tf2rec train` (the fast path) or `tf2rec train --bitwise`
    model = compiled_model(spec, optimizer, LEARNING_RATES[optimizer], jit_compile=jit_compile)
    data = tf.data.Dataset.from_tensor_slices(batches).prefetch(tf.data.AUTOTUNE)

    class Clock(keras.callbacks.Callback):
        def __init__(self):
            super().__init__()
            self.times = []

        def on_epoch_begin(self, epoch, logs=None):
            self.start = time.perf_counter()

        def on_epoch_end(self, epoch, logs=None):
            self.times.append((time.perf_counter() - self.start) / steps)

    clock = Clock()
    model.fit(data.take(warmup), epochs=1, verbose=0)  # tracing and warm-up
    model.fit(
        data.skip(warmup), epochs=repeats, steps_per_epoch=steps, verbose=0, callbacks=[clock]
    )
    return {"step_s": clock.times, "peak_mb": _peak_mb()}


class WorkerFailed(CommandFailed):
    """A legacy or migrated training process exited with an error (out of memory, say)."""


def _run_worker(side: str, path: Path, vocab: int, optimizer: str, args) -> dict:
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"}
    command = [
        sys.executable,
        "-m",
        "tf2rec.tools.bench.train",
        "--worker",
        side,
        "--batches",
        str(path),
        "--sizes",
        str(vocab),
        "--optimizers",
        optimizer,
        "--warmup",
        str(args.warmup),
        "--steps",
        str(args.steps),
        "--repeats",
        str(args.repeats),
    ]
    done = subprocess.run(command, capture_output=True, text=True, env=env)
    if done.returncode != 0:
        raise WorkerFailed(
            f"the {side} model failed at V={vocab:,} with {optimizer} "
            f"(exit {done.returncode}): {last_line(done.stderr)}"
        )
    return json.loads(done.stdout.strip().splitlines()[-1])


def summarize(vocab: int, optimizer: str, rounds: list[dict]) -> dict:
    """One table row from the rounds' worker results (`{"legacy": ..., "fast": ...}`).

    Each round's step time is the median of its repetitions; a side's figure is the median
    over rounds, and a path's ratio (legacy step time / its own) the median of the rounds'
    own ratios, so that a slow spell of the machine during one round moves neither much;
    `worst` is the round where the path did worst.
    """
    row: dict = {"vocab": vocab, "optimizer": optimizer, "rounds": len(rounds)}
    for side in [side for side in SIDES if side in rounds[0]]:
        step = statistics.median(statistics.median(r[side]["step_s"]) for r in rounds)
        row[side] = {
            "examples_per_s": round(BATCH / step),
            "ms_per_step": round(step * 1000, 2),
            "peak_mb": round(max(r[side]["peak_mb"] for r in rounds)),
        }
        if side == "legacy":
            continue
        ratios = [
            statistics.median(r["legacy"]["step_s"]) / statistics.median(r[side]["step_s"])
            for r in rounds
        ]
        row[side]["ratio"] = round(statistics.median(ratios), 2)
        row[side]["worst"] = round(min(ratios), 2)
    return row


def run(args, report=None) -> list[dict]:
    """All rows; `report(row)` is called as each one is done."""
    rows = []
    with batch_files(args.sizes, args.warmup + args.steps * args.repeats) as paths:
        for vocab, path in paths.items():
            for optimizer in args.optimizers:
                rounds = []
                for r in range(args.rounds):  # another side goes first each round
                    order = SIDES[r % len(SIDES) :] + SIDES[: r % len(SIDES)]
                    rounds.append(
                        {side: _run_worker(side, path, vocab, optimizer, args) for side in order}
                    )
                row = summarize(vocab, optimizer, rounds)
                rows.append(row)
                if report:
                    report(row)
    return rows


def _print_row(row: dict, file=None) -> None:
    parts = []
    for side in SIDES:
        figures = row[side]
        part = f"{side} {figures['ms_per_step']:>7.2f} ms/step {figures['peak_mb']:>6,} MB"
        if "ratio" in figures:
            part += f" {figures['ratio']:.2f}x (worst {figures['worst']:.2f}x)"
        parts.append(part)
    print(
        f"V={row['vocab']:>9,}  {row['optimizer']:<8} " + "   ".join(parts),
        file=file,
        flush=True,
    )


def markdown_table(rows: list[dict]) -> str:
    """The rows as the README's table: ms/step, ratio to legacy (median of the rounds;
    worst round) and peak memory of each side."""
    lines = [
        "| users = items | optimizer | ms/step legacy / bitwise / fast | bitwise ratio "
        "(worst) | fast ratio (worst) | peak MB legacy / bitwise / fast |",
        "| ---: | --- | --- | --- | --- | --- |",
    ]
    for row in rows:
        steps = " / ".join(f"{row[side]['ms_per_step']:.1f}" for side in SIDES)
        peaks = " / ".join(f"{row[side]['peak_mb']:,}" for side in SIDES)
        ratios = [f"{row[s]['ratio']:.2f}x ({row[s]['worst']:.2f}x)" for s in SIDES[1:]]
        lines.append(
            f"| {row['vocab']:,} | {row['optimizer']} | {steps} | {' | '.join(ratios)} | {peaks} |"
        )
    return "\n".join(lines) + "\n"


def plot(rows: list[dict], path: Path) -> None:
    """ms/step against vocabulary size, one panel per optimizer, and the Markdown table of
    the same rows beside the PNG (same name, `.md`)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(
        1, len({r["optimizer"] for r in rows}), figsize=(12, 4), sharey=True, squeeze=False
    )
    for ax, optimizer in zip(axes[0], dict.fromkeys(r["optimizer"] for r in rows), strict=True):
        mine = [r for r in rows if r["optimizer"] == optimizer]
        sizes = [r["vocab"] for r in mine]
        for side in SIDES:
            ax.plot(sizes, [r[side]["ms_per_step"] for r in mine], marker="o", label=side)
        ax.set_xscale("log")
        ax.set_title(optimizer)
        ax.set_xlabel("users = items")
        ax.grid(True, alpha=0.3)
    axes[0][0].set_ylabel("ms / step (B=1024)")
    axes[0][0].legend()
    fig.tight_layout()
    image = io.BytesIO()
    fig.savefig(image, format="png", dpi=100)
    with output_file(path, option="--plot") as target:
        write_atomically(target, image.getvalue())
    with output_file(path.with_suffix(".md"), option="--plot") as target:
        write_atomically(target, markdown_table(rows))


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--sizes",
        type=vocabulary_size,
        nargs="+",
        default=[10_000, 100_000, 1_000_000],
        help="vocabulary sizes (users = items)",
    )
    parser.add_argument("--optimizers", nargs="+", default=list(OPTIMIZERS), choices=OPTIMIZERS)
    parser.add_argument(
        "--rounds",
        type=positive_int,
        default=3,
        help="legacy / migrated process pairs per configuration (alternating order)",
    )
    parser.add_argument("--warmup", type=positive_int, default=5, help="untimed steps")
    parser.add_argument("--steps", type=positive_int, default=50, help="steps per repetition")
    parser.add_argument("--repeats", type=positive_int, default=2, help="repetitions per process")
    parser.add_argument("--json", action="store_true", help="print the rows as JSON")
    parser.add_argument(
        "--plot", type=Path, help="write a PNG of ms/step against size, and a .md table beside it"
    )
    parser.add_argument(
        "--strategy",
        choices=("one", "multi-worker"),
        default="one",
        help="one: migrated against legacy in single processes; multi-worker: the migrated "
        "model on localhost clusters of 1 and 2 workers, and the scaling efficiency",
    )


def vocabulary_size(text: str) -> int:
    value = int(text)
    if value < 2:
        raise argparse.ArgumentTypeError(f"a vocabulary needs at least 2 ids, got {value}")
    return value


def execute(args: argparse.Namespace) -> int:
    progress = sys.stderr if args.json else sys.stdout  # --json keeps stdout for the JSON
    if args.strategy == "multi-worker":
        return _execute_scaling(args, progress)
    if args.plot and importlib.util.find_spec("matplotlib") is None:  # before 12 minutes of runs
        raise MissingExtra(f"--plot: {missing_extra(ModuleNotFoundError(name='matplotlib'))}")
    print(
        f"training benchmark: B={BATCH} K={NEGATIVES} L={HISTORY} D={DIM}; per process "
        f"{args.warmup} warm-up steps, then {args.repeats} x {args.steps} timed steps; "
        f"{args.rounds} rounds of legacy / bitwise / fast processes",
        file=progress,
        flush=True,
    )
    try:
        rows = run(args, report=lambda row: _print_row(row, progress))
    except WorkerFailed as err:
        print(f"bench train: error: {err}", file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps(rows, indent=2))
    if args.plot:
        plot(rows, args.plot)
        print(
            f"plot written to {args.plot}, table to {args.plot.with_suffix('.md')}", file=progress
        )
    return 0


def _execute_scaling(args: argparse.Namespace, progress) -> int:
    from tf2rec.tools.bench import scaling

    if args.plot:
        raise CommandFailed("--plot is for legacy against migrated; not with --strategy")
    print(
        f"multi-worker benchmark: B={BATCH} (global) K={NEGATIVES} L={HISTORY} D={DIM}; per "
        f"cluster {args.warmup} warm-up steps, then {args.repeats} x {args.steps} timed "
        f"steps; {args.rounds} runs of each cluster",
        file=progress,
        flush=True,
    )
    rows = scaling.run(args, report=lambda row: scaling.print_row(row, progress))
    if args.json:
        print(json.dumps(rows, indent=2))
    return 0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_arguments(parser)
    parser.add_argument("--worker", choices=SIDES, help=argparse.SUPPRESS)
    parser.add_argument("--batches", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if not args.worker:
        return execute(args)
    with np.load(args.batches) as data:
        batches = {k: data[k] for k in data}
    work = (
        worker_legacy
        if args.worker == "legacy"
        else functools.partial(worker_migrated, jit_compile=args.worker == "fast")
    )
    result = work(batches, args.sizes[0], args.optimizers[0], args.warmup, args.steps, args.repeats)
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
