"""Training quality of the three ways to train the two-tower: the legacy TF1 model, the
migrated model on the bitwise path and on the fast path.

Each trains on synthetic data with MovieLens-100K's counts (943 users, 1,682 items, 100,000
interactions) for every seed, in a process of its own (the legacy model switches TF2
behaviour off for its process), and reports test Recall@10 and NDCG@10. A path trains the
same model as the legacy one when its figures fall within the legacy model's spread over
the seeds: the seeds move the data, the batches and the initial weights, which moves the
metrics far more than any rounding does.

    tf2rec bench quality [--seeds 0 1 2 3 4] [--epochs 5] [--json] [--out FILE.md]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from tf2rec.atomic import output_file, write_atomically
from tf2rec.errors import CommandFailed, UsageError, last_line
from tf2rec.tools.cli import options

SIDES = ("legacy", "bitwise", "fast")
MOVIELENS_100K = (943, 1_682, 100_000)  # users, items, interactions
METRICS = ("recall@10", "ndcg@10")


def worker(side: str, seed: int, epochs: int) -> dict[str, float]:
    """Train one side on the seed's data (in this process) and return its test metrics."""
    from tf2rec.interactions import leave_last_out, synthetic
    from tf2rec.tools import training

    users, items, interactions = MOVIELENS_100K
    split = leave_last_out(synthetic(users, items, interactions, seed=seed))
    options = {"epochs": epochs, "seed": seed, "optimizer": "adam", "lr": 0.01}
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "model"
        if side == "legacy":
            result = training.train_legacy(split, path, **options)
        else:
            bitwise = side == "bitwise"
            result = training.train(
                split, path, bitwise=bitwise, verbose=0, announce=lambda line: None, **options
            )
    return {name: float(result["test"][name]) for name in METRICS}


def _run_worker(side: str, seed: int, epochs: int) -> dict[str, float]:
    command = [sys.executable, "-m", "tf2rec.tools.bench.quality", "--worker", side]
    command += ["--seeds", str(seed), "--epochs", str(epochs)]
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"}
    done = subprocess.run(command, capture_output=True, text=True, env=env)
    if done.returncode != 0:
        raise CommandFailed(
            f"the {side} model failed with seed {seed} (exit {done.returncode}): "
            + last_line(done.stderr)
        )
    return json.loads(done.stdout.strip().splitlines()[-1])


def run(seeds: list[int], epochs: int, report=None) -> dict[str, dict]:
    """{side: {"seeds": [...], metric: {"values", "min", "max", "median"}}}."""
    values: dict[str, list[dict[str, float]]] = {side: [] for side in SIDES}
    for seed in seeds:
        for side in SIDES:
            values[side].append(_run_worker(side, seed, epochs))
            if report:
                report(side, seed, values[side][-1])
    return summarize(seeds, values)


def summarize(seeds: list[int], values: dict[str, list[dict[str, float]]]) -> dict:
    """Per side and metric: every seed's value, and the min-max spread."""
    summary = {}
    for side, runs in values.items():
        summary[side] = {"seeds": list(seeds)}
        for name in METRICS:
            column = [run[name] for run in runs]
            summary[side][name] = {"values": column, "min": min(column), "max": max(column)}
    return summary


def markdown(summary: dict) -> str:
    """The quality table: each side's min-max spread over the seeds, per metric."""
    lines = [
        "| trained by | seeds | " + " | ".join(f"{m} min-max" for m in METRICS) + " |",
        "| --- | ---: | " + " | ".join("---" for _ in METRICS) + " |",
    ]
    for side, figures in summary.items():
        spreads = [f"{figures[m]['min']:.4f}-{figures[m]['max']:.4f}" for m in METRICS]
        lines.append(f"| {side} | {len(figures['seeds'])} | " + " | ".join(spreads) + " |")
    return "\n".join(lines) + "\n"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--seeds",
        type=options.seed,
        nargs="+",
        default=[0, 1, 2, 3, 4],
        help="one run of each per seed",
    )
    parser.add_argument("--epochs", type=options.positive_int, default=5, help="epochs of each run")
    parser.add_argument("--json", action="store_true", help="print every seed's figures as JSON")
    parser.add_argument(
        "--out",
        type=Path,
        help="also write the table (Markdown) to this file, once every run has finished",
    )


def execute(args: argparse.Namespace) -> int:
    if args.out:  # before the runs: a path that cannot be written fails now, not in an hour
        with output_file(args.out, option="--out"):
            if args.out.is_dir() or not os.access(args.out.parent, os.W_OK):
                raise UsageError(
                    f"cannot write --out {args.out}: "
                    + ("it is a directory" if args.out.is_dir() else "its folder is not writable")
                    + "; choose another file"
                )

    def show(side: str, seed: int, metrics: dict[str, float]) -> None:
        figures = "  ".join(f"{name} {value:.4f}" for name, value in metrics.items())
        print(f"seed {seed}  {side:<8} {figures}", file=sys.stderr, flush=True)

    summary = run(args.seeds, args.epochs, show)
    table = markdown(summary)
    print(json.dumps(summary, indent=2) if args.json else table.rstrip("\n"))
    if args.out:
        with output_file(args.out, option="--out") as target:
            write_atomically(target, table)
    return 0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_arguments(parser)
    parser.add_argument("--worker", choices=SIDES, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        print(json.dumps(worker(args.worker, args.seeds[0], args.epochs)))
        return 0
    return execute(args)


if __name__ == "__main__":
    sys.exit(main())
