"""`tf2rec parity`: prove the migrated model computes what the legacy one does, check by check
(forward, loss, gradients, every weight and slot after N steps per optimizer)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from tf2rec.interactions import OPTIMIZERS, ModelSpec
from tf2rec.tools.cli.options import (
    add_data_arguments,
    legacy_hparams,
    load_split,
    positive_float,
    positive_int,
)
from tf2rec.tools.errors import UsageError


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_data_arguments(parser)
    parser.add_argument(
        "--legacy-dir",
        type=Path,
        help="start from this legacy model (default: fresh seeded weights)",
    )
    parser.add_argument("--steps", type=positive_int, default=50)
    parser.add_argument("--lr", type=positive_float, default=0.01)
    parser.add_argument(
        "--optimizers", default="sgd,adagrad,adam", help="comma-separated, from sgd, adagrad, adam"
    )
    parser.add_argument("--batch-size", type=positive_int, default=256)
    parser.add_argument("--embedding-dim", type=positive_int, default=32)
    parser.add_argument("--hidden-units", type=positive_int, default=64)
    parser.add_argument("--history-length", type=positive_int, default=20)
    parser.add_argument("--negatives", type=positive_int, default=8)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", action="store_true", help="machine-readable output")


def run(args: argparse.Namespace) -> int:
    optimizers = [o.strip() for o in args.optimizers.split(",") if o.strip()]
    unknown = [o for o in optimizers if o not in OPTIMIZERS]
    if unknown or not optimizers:
        raise UsageError(
            f"--optimizers: unknown {', '.join(unknown) or '(none)'}; "
            f"choose from {', '.join(OPTIMIZERS)}"
        )
    _, split = load_split(args)
    checkpoint = None
    if args.legacy_dir is not None:
        spec = ModelSpec.from_dict(legacy_hparams(args.legacy_dir))
        if (spec.n_users, spec.n_items) != (split.n_users, split.n_items):
            raise UsageError(
                f"{args.legacy_dir} was trained on {spec.n_users} users x "
                f"{spec.n_items} items (padding included), the data given has "
                f"{split.n_users} x {split.n_items}; pass the same --data"
            )
        import tensorflow as tf

        checkpoint = tf.train.latest_checkpoint(str(args.legacy_dir))
    else:
        spec = ModelSpec(
            split.n_users,
            split.n_items,
            args.embedding_dim,
            args.hidden_units,
            args.history_length,
            args.negatives,
        )
    from tf2rec.tools.parity import as_json, kernel_configuration, run_parity, table

    results = run_parity(
        split,
        spec,
        optimizers=optimizers,
        steps=args.steps,
        lr=args.lr,
        batch_size=args.batch_size,
        seed=args.seed,
        legacy_checkpoint=checkpoint,
    )
    configuration = kernel_configuration()
    print(as_json(results, configuration) if args.json else table(results, configuration))
    if not all(r.passed for r in results):
        print("parity FAILED", file=sys.stderr)
        return 1
    return 0
