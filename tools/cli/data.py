"""`tf2rec data`: what a data set holds and how it splits, before training on it."""

from __future__ import annotations

import argparse

from tf2rec.tools.cli.options import add_data_arguments, load_split


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_data_arguments(parser)


def run(args: argparse.Namespace) -> int:
    interactions, split = load_split(args)
    print(interactions.describe())
    print(
        f"train {split.train.items.size:,} interactions; validation {len(split.validation):,}"
        f" and test {len(split.test):,} users (leave-last-out)"
    )
    return 0
