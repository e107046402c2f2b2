"""`tf2rec train`: the main job, the migrated Keras 3 recommender trained with `model.fit`."""

from __future__ import annotations

import argparse
import sys

from tf2rec.tools import model_dir
from tf2rec.tools.cli.options import (
    add_training_arguments,
    data_fingerprint,
    load_split,
    positive_int,
    results_table,
    training_options,
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_training_arguments(parser, default_lr=0.01, default_epochs=10)
    group = parser.add_argument_group("migrated model")
    group.add_argument(
        "--loss",
        choices=("ns", "sampled_softmax"),
        default="ns",
        help="negative sampling (as the legacy model) or sampled softmax",
    )
    group.add_argument(
        "--patience",
        type=positive_int,
        default=3,
        help="stop after this many epochs without a better val Recall@10",
    )
    group.add_argument("--quiet", action="store_true", help="no progress bar")


def run(args: argparse.Namespace) -> int:
    interactions, split = load_split(args)
    print(interactions.describe())
    options = {**training_options(args), "loss": args.loss, "patience": args.patience}
    settings = {**options, "data": data_fingerprint(split)}
    with model_dir.lock(args.model_dir):
        partial, resuming = model_dir.start(args.model_dir, args.overwrite, "migrated", settings)
        if resuming:
            print(f"resuming the interrupted run into {args.model_dir}")
        from tf2rec.migrated.train import train  # imports TensorFlow: only when training

        result = train(
            split,
            partial,
            **options,
            # the progress bar on a terminal, one line per epoch in a log file
            verbose=0 if args.quiet else (1 if sys.stdout.isatty() else 2),
        )
        model_dir.finish(partial, args.model_dir, "migrated", settings)
    print(
        results_table({"two-tower (Keras 3)": result["test"], "popularity": result["popularity"]})
    )
    print(f"model written to {args.model_dir} in {result['seconds']:.0f} s")
    return 0
