"""`tf2rec recommend`: the top-K items for one user of a model `tf2rec train` wrote, by raw id."""

from __future__ import annotations

import argparse
import sys

import tf2rec
from tf2rec.tools.cli.options import positive_int, raw_id


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--model-dir", required=True, help="a directory `tf2rec train` wrote")
    parser.add_argument("--user", required=True, type=raw_id, help="raw user id")
    parser.add_argument("--k", type=positive_int, default=10, help="how many items")
    parser.add_argument(
        "--include-seen",
        action="store_true",
        help="also recommend items the user already interacted with",
    )


def run(args: argparse.Namespace) -> int:
    recommender = tf2rec.Recommender.load(args.model_dir)  # imports TensorFlow
    items, note = recommender.for_user(args.user, args.k, exclude_seen=not args.include_seen)
    if note:
        print(f"note: {note}", file=sys.stderr)
    for item in items:
        print(item)
    return 0
