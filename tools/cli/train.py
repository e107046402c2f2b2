"""`tf2rec train`: the main job, the migrated Keras 3 recommender trained with `model.fit`, or
on a tf.distribute cluster (`--strategy`, the cluster from `TF_CONFIG`)."""

from __future__ import annotations

import argparse
import sys

import tf2rec
from tf2rec.tools.cli.help_format import DefaultsHelpFormatter
from tf2rec.tools.cli.options import (
    add_training_arguments,
    load_split,
    positive_int,
    results_table,
    training_options,
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.formatter_class = DefaultsHelpFormatter
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
    group.add_argument(
        "--strategy",
        choices=("one", "mirrored", "multi-worker", "parameter-server"),
        default="one",
        help="this process; every local device; the workers TF_CONFIG names, each running "
        "this same command (on one machine: tf2rec cluster local --workers 2 -- tf2rec train "
        "...), worker 0 writing the model directory; or a chief training with workers and "
        "parameter servers that hold the embedding tables in shards (cluster local --ps N)",
    )
    path = group.add_mutually_exclusive_group()
    path.add_argument(
        "--bitwise",
        action="store_true",
        help="train on TensorFlow's kernels in TF1's order: the legacy model's steps to the "
        "bit, for checkpoints that must be bit-identical (slower; README: training speed)",
    )
    path.add_argument(
        "--jit-compile",
        action="store_true",
        help="the fast path by name (the default with --strategy one or mirrored): each "
        "step one XLA computation, proven the legacy model's math (README: training speed)",
    )


def run(args: argparse.Namespace) -> int:
    interactions, split = load_split(args)
    print(interactions.describe())
    result = tf2rec.train(
        split,
        args.model_dir,
        overwrite=args.overwrite,
        strategy=args.strategy,
        bitwise=args.bitwise,
        jit_compile=args.jit_compile,
        loss=args.loss,
        patience=args.patience,
        # the progress bar on a terminal, one line per epoch in a log file
        verbose=0 if args.quiet else (1 if sys.stdout.isatty() else 2),
        **training_options(args),
    )
    if result is None:  # a task of a cluster other than the chief
        return 0
    print(
        results_table({"two-tower (Keras 3)": result["test"], "popularity": result["popularity"]})
    )
    print(f"model written to {args.model_dir} in {result['seconds']:.0f} s")
    return 0
