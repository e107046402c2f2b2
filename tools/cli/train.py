"""`tf2rec train`: the main job, the migrated Keras 3 recommender trained with `model.fit`, or
on a tf.distribute cluster (`--strategy`, the cluster from `TF_CONFIG`)."""

from __future__ import annotations

import argparse
import sys

from tf2rec.errors import UsageError
from tf2rec.tools import model_dir
from tf2rec.tools.cli.help_format import DefaultsHelpFormatter
from tf2rec.tools.cli.options import (
    add_training_arguments,
    data_fingerprint,
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
    group.add_argument(
        "--jit-compile",
        action="store_true",
        help="run each training step as one XLA computation (--strategy one or mirrored): "
        "faster, but not the legacy model's steps to the bit (README: training speed)",
    )


def run(args: argparse.Namespace) -> int:
    on_cluster = args.strategy in ("multi-worker", "parameter-server")
    if on_cluster and args.jit_compile:
        raise UsageError(f"--jit-compile runs with --strategy one or mirrored, not {args.strategy}")
    if on_cluster:  # imports TensorFlow: a data error is one line without it otherwise
        from tf2rec.migrated.distributed import ClusterError, check_cluster, is_chief, serve

        try:
            check_cluster(args.strategy)  # before the model directory is touched
        except ClusterError as err:
            raise UsageError(str(err)) from None
        if args.strategy == "parameter-server" and not is_chief():
            serve()  # a worker or a parameter server: until the launcher stops it
            return 0
    interactions, split = load_split(args)
    options = {
        **training_options(args),
        "loss": args.loss,
        "patience": args.patience,
        "strategy": args.strategy,
        "jit_compile": args.jit_compile,
    }
    if on_cluster and not is_chief():
        return _train_as_worker(split, args.model_dir, options)
    print(interactions.describe())
    settings = {**options, "data": data_fingerprint(split)}
    with model_dir.lock(args.model_dir):
        partial, resuming = model_dir.start(args.model_dir, args.overwrite, "migrated", settings)
        if resuming:
            print(f"resuming the interrupted run into {args.model_dir}")
        from tf2rec.migrated.distributed import ClusterError
        from tf2rec.migrated.train import train  # imports TensorFlow: only when training

        try:
            result = train(
                split,
                partial,
                **options,
                # the progress bar on a terminal, one line per epoch in a log file
                verbose=0 if args.quiet else (1 if sys.stdout.isatty() else 2),
            )
        except ClusterError as err:
            raise UsageError(str(err)) from None
        model_dir.finish(partial, args.model_dir, "migrated", settings)
    print(
        results_table({"two-tower (Keras 3)": result["test"], "popularity": result["popularity"]})
    )
    print(f"model written to {args.model_dir} in {result['seconds']:.0f} s")
    return 0


def _train_as_worker(split, path, options: dict) -> int:
    """A worker other than the chief: it trains in step with the others, reading the
    checkpoints the chief writes in the model directory's partial folder (to resume), and
    writes nothing there."""
    from tf2rec.migrated.distributed import ClusterError
    from tf2rec.migrated.train import fit

    try:
        fit(split, model_dir.partial_of(path), **options, verbose=0)
    except ClusterError as err:
        raise UsageError(str(err)) from None
    return 0
