"""`tf2rec convert`: a legacy TF1 checkpoint -> the migrated model's weights and optimizer
state, or back with --reverse (a checkpoint the legacy code restores)."""

from __future__ import annotations

import argparse

import tf2rec
from tf2rec.tools.cli.options import path, recover_model_dir


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--legacy-dir", type=path, help="a `tf2rec legacy-train` directory")
    parser.add_argument("--model", type=path, help="with --reverse: the migrated .keras file")
    parser.add_argument("--out", type=path, required=True, help="output directory")
    parser.add_argument(
        "--overwrite", action="store_true", help="replace a model tf2rec wrote in --out"
    )
    parser.add_argument("--map", type=path, help='JSON {"keras path": "tf1 name"} overrides')
    parser.add_argument("--print-map", action="store_true", help="print the name map used")
    parser.add_argument(
        "--reverse",
        action="store_true",
        help="migrated .keras -> TF1 checkpoint the legacy code restores",
    )


def run(args: argparse.Namespace) -> int:
    if args.reverse and args.model is None:
        raise tf2rec.UsageError("--reverse needs --model PATH.keras")
    if not args.reverse and args.legacy_dir is None:
        raise tf2rec.UsageError("give --legacy-dir (or --reverse --model)")
    recover_model_dir(args.model.parent if args.reverse else args.legacy_dir)
    if args.reverse:
        done = tf2rec.convert_to_legacy(
            args.model, args.out, overwrite=args.overwrite, map_file=args.map
        )
    else:
        done = tf2rec.convert_legacy(
            args.legacy_dir, args.out, overwrite=args.overwrite, map_file=args.map
        )
    if args.print_map:
        print(done.name_map.describe())
    print(f"converted {len(done.name_map.entries)} weights; wrote {done.written}")
    return 0
