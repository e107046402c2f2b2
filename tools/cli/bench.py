"""`tf2rec bench train`, `scan` and `quality`: the benchmarks of `make bench`."""

from __future__ import annotations

import argparse

import tf2rec

BENCHMARKS = {
    "train": (
        tf2rec.bench_train,
        "training speed, migrated against legacy, by vocabulary and optimizer",
    ),
    "scan": (tf2rec.bench_scan, "scanner speed against tf_upgrade_v2 on a generated tree"),
    "quality": (
        tf2rec.bench_quality,
        "Recall@10 / NDCG@10 of legacy, bitwise and fast training over several seeds",
    ),
}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    which = parser.add_subparsers(dest="benchmark", metavar="BENCHMARK", required=True)
    for name, (module, help_text) in BENCHMARKS.items():
        module.add_arguments(which.add_parser(name, help=help_text, description=help_text))


def run(args: argparse.Namespace) -> int:
    return BENCHMARKS[args.benchmark][0].execute(args)
