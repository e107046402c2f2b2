"""Training speed: the migrated model against the legacy one, same batches, one run.

For each vocabulary size (users = items = V) and optimizer, both models train on the same
pre-generated batches (B=1024, K=8, L=20, D=64; item ids Zipf-distributed, so batches repeat
ids as real ones do), each in its own process. Warm-up steps are excluded; each side runs
several timed repetitions and the median is reported, with the ratio migrated / legacy and
the process's peak memory.

    .venv/bin/python -m tools.bench.train [--sizes 10000 100000 1000000] [--json]
        [--plot bench-train.png]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

BATCH, NEGATIVES, HISTORY, DIM, HIDDEN = 1024, 8, 20, 64, 128
OPTIMIZERS = ("sgd", "adagrad", "adam")
LEARNING_RATES = {"sgd": 0.05, "adagrad": 0.05, "adam": 0.001}


def make_batches(vocab: int, steps: int, seed: int = 0) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    ranks = np.arange(1, vocab)
    p = 1.0 / (ranks + 10.0) ** 0.8
    p /= p.sum()

    def items(shape):
        return rng.choice(ranks, size=shape, p=p).astype(np.int32)

    return {
        "user": rng.integers(1, vocab, size=(steps, BATCH), dtype=np.int32),
        "history": items((steps, BATCH, HISTORY)),
        "pos": items((steps, BATCH)),
        "neg": rng.integers(1, vocab, size=(steps, BATCH, NEGATIVES), dtype=np.int32),
    }


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def worker_legacy(
    batches: dict, vocab: int, optimizer: str, warmup: int, steps: int, repeats: int
) -> dict:
    import tensorflow.compat.v1 as tf

    from legacy.train import build, session_config  # TF1 mode: this process only

    hparams = dict(
        n_users=vocab,
        n_items=vocab,
        embedding_dim=DIM,
        hidden_units=HIDDEN,
        history_length=HISTORY,
        negatives=NEGATIVES,
        optimizer=optimizer,
        lr=LEARNING_RATES[optimizer],
        seed=0,
    )
    graph, model = build(hparams)
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
    batches: dict, vocab: int, optimizer: str, warmup: int, steps: int, repeats: int
) -> dict:
    import keras
    import tensorflow as tf

    from migrated import NegativeSamplingLoss, TwoTowerRecommender
    from migrated.train import STEPS_PER_EXECUTION, make_optimizer

    model = TwoTowerRecommender(vocab, vocab, DIM, HIDDEN, HISTORY)
    model.build()
    model.compile(
        optimizer=make_optimizer(optimizer, LEARNING_RATES[optimizer]),
        loss=NegativeSamplingLoss(),
        steps_per_execution=STEPS_PER_EXECUTION,  # as `tf2rec train` runs
    )
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


def _run_worker(side: str, path: Path, vocab: int, optimizer: str, args) -> dict:
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"}
    command = [
        sys.executable,
        "-m",
        "tools.bench.train",
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
        raise RuntimeError(
            f"{side} worker failed at V={vocab} {optimizer}:\n" + done.stderr[-2000:]
        )
    return json.loads(done.stdout.strip().splitlines()[-1])


def run(args) -> list[dict]:
    rows = []
    total = args.warmup + args.steps * args.repeats
    with tempfile.TemporaryDirectory() as tmp:
        for vocab in args.sizes:
            path = Path(tmp) / f"batches-{vocab}.npz"
            np.savez(path, **make_batches(vocab, total))
            for optimizer in args.optimizers:
                row = {"vocab": vocab, "optimizer": optimizer}
                for side in ("legacy", "migrated"):
                    result = _run_worker(side, path, vocab, optimizer, args)
                    step = statistics.median(result["step_s"])
                    row[side] = {
                        "examples_per_s": round(BATCH / step),
                        "ms_per_step": round(step * 1000, 2),
                        "peak_mb": round(result["peak_mb"]),
                    }
                row["ratio"] = round(
                    row["migrated"]["examples_per_s"] / row["legacy"]["examples_per_s"], 2
                )
                rows.append(row)
                if not args.json:
                    _print_row(row)
    return rows


def _print_row(row: dict) -> None:
    legacy, migrated = row["legacy"], row["migrated"]
    print(
        f"V={row['vocab']:>9,}  {row['optimizer']:<8} legacy {legacy['examples_per_s']:>9,} "
        f"ex/s ({legacy['ms_per_step']:>7.2f} ms/step, {legacy['peak_mb']:>6,} MB)   "
        f"migrated {migrated['examples_per_s']:>9,} ex/s ({migrated['ms_per_step']:>7.2f} "
        f"ms/step, {migrated['peak_mb']:>6,} MB)   ratio {row['ratio']:.2f}x",
        flush=True,
    )


def plot(rows: list[dict], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(
        1, len({r["optimizer"] for r in rows}), figsize=(12, 4), sharey=True, squeeze=False
    )
    for ax, optimizer in zip(axes[0], dict.fromkeys(r["optimizer"] for r in rows), strict=True):
        mine = [r for r in rows if r["optimizer"] == optimizer]
        sizes = [r["vocab"] for r in mine]
        for side in ("legacy", "migrated"):
            ax.plot(sizes, [r[side]["examples_per_s"] for r in mine], marker="o", label=side)
        ax.set_xscale("log")
        ax.set_title(optimizer)
        ax.set_xlabel("users = items")
        ax.grid(True, alpha=0.3)
    axes[0][0].set_ylabel("examples / s")
    axes[0][0].legend()
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=100)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--optimizers", nargs="+", default=list(OPTIMIZERS), choices=OPTIMIZERS)
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--plot", type=Path, help="write a PNG of examples/s against size")
    parser.add_argument("--worker", choices=("legacy", "migrated"), help=argparse.SUPPRESS)
    parser.add_argument("--batches", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        with np.load(args.batches) as data:
            batches = {k: data[k] for k in data}
        work = worker_legacy if args.worker == "legacy" else worker_migrated
        print(
            json.dumps(
                work(
                    batches,
                    args.sizes[0],
                    args.optimizers[0],
                    args.warmup,
                    args.steps,
                    args.repeats,
                )
            )
        )
        return 0
    rows = run(args)
    if args.json:
        print(json.dumps(rows, indent=2))
    if args.plot:
        plot(rows, args.plot)
    return 0


if __name__ == "__main__":
    sys.exit(main())
