"""`tf2rec train` (the main job) and `tf2rec recommend`."""

from __future__ import annotations

import argparse
import sys

from tf2rec.tools.data_cli import load_split
from tf2rec.tools.training_cli import (
    add_training_arguments,
    positive_int,
    prepare_model_dir,
    results_table,
    training_options,
)


def configure(parser: argparse.ArgumentParser):
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
        resuming = prepare_model_dir(
            args.model_dir, args.overwrite, marker="config.json", resumable="backup"
        )
        if resuming:
            print(f"resuming the interrupted run in {args.model_dir}")
        from tf2rec.migrated.train import train  # imports TensorFlow: only when training

        result = train(
            split,
            args.model_dir,
            **training_options(args),
            loss=args.loss,
            patience=args.patience,
            # the progress bar on a terminal, one line per epoch in a log file
            verbose=0 if args.quiet else (1 if sys.stdout.isatty() else 2),
        )
        print(
            results_table(
                {"two-tower (Keras 3)": result["test"], "popularity": result["popularity"]}
            )
        )
        print(f"model written to {args.model_dir} in {result['seconds']:.0f} s")
        return 0

    return run


def configure_recommend(parser: argparse.ArgumentParser):
    parser.add_argument("--model-dir", required=True, help="a directory `tf2rec train` wrote")
    parser.add_argument("--user", required=True, type=int, help="raw user id")
    parser.add_argument("--k", type=positive_int, default=10, help="how many items")
    parser.add_argument(
        "--include-seen",
        action="store_true",
        help="also recommend items the user already interacted with",
    )

    def run(args: argparse.Namespace) -> int:
        from tf2rec.migrated.serving import Recommender  # imports TensorFlow

        recommender = Recommender.load(args.model_dir)
        items, note = recommender.for_user(args.user, args.k, exclude_seen=not args.include_seen)
        if note:
            print(f"note: {note}", file=sys.stderr)
        for item in items:
            print(item)
        return 0

    return run
