"""`tf2rec recommend`: the top-K items for one user of a model `tf2rec train` wrote, by raw id."""

from __future__ import annotations

import argparse
import json
import sys

import tf2rec
from tf2rec.tools.cli.help_format import DefaultsHelpFormatter
from tf2rec.tools.cli.options import path, positive_int, raw_id, recover_model_dir


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--model-dir", required=True, type=path, help="a directory `tf2rec train` wrote"
    )
    parser.add_argument("--user", required=True, type=raw_id, help="raw user id")
    parser.add_argument("--k", type=positive_int, default=10, help="how many items")
    parser.add_argument(
        "--include-seen",
        action="store_true",
        help="also recommend items the user already interacted with",
    )
    parser.add_argument(
        "--json",
        action="store_true",
        help='print {"user", "items": [{"item", "score"}, ...], "note"} (raw ids)',
    )
    parser.formatter_class = DefaultsHelpFormatter


def run(args: argparse.Namespace) -> int:
    recover_model_dir(args.model_dir)
    recommender = tf2rec.Recommender.load(args.model_dir)  # imports TensorFlow
    items, scores, note = recommender.for_user(
        args.user, args.k, exclude_seen=not args.include_seen
    )
    if args.json:
        ranked = [{"item": item, "score": score} for item, score in zip(items, scores, strict=True)]
        print(json.dumps({"user": args.user, "items": ranked, "note": note}))
        return 0
    if note:
        print(f"note: {note}", file=sys.stderr)
    for item, score in zip(items, scores, strict=True):
        print(f"{item}\t{score:.6g}")
    return 0
