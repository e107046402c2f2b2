"""Data options shared by every command that reads interactions, and `tf2rec data`."""

from __future__ import annotations

import argparse

from tf2rec.interactions import Interactions, Split, leave_last_out, load, synthetic
from tf2rec.interactions.load import FORMATS


def add_data_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("data (default: the built-in synthetic data set)")
    group.add_argument(
        "--data", metavar="PATH", help="u.data, ratings.csv, a CSV/TSV, or a directory holding one"
    )
    group.add_argument("--format", choices=FORMATS, default="auto")
    group.add_argument("--user-col", help="user id column of a generic CSV/TSV")
    group.add_argument("--item-col", help="item id column of a generic CSV/TSV")
    group.add_argument("--time-col", help="timestamp column of a generic CSV/TSV")
    group.add_argument("--rating-col", help="rating column of a generic CSV/TSV")
    group.add_argument("--sep", help="field separator (default: from the format / extension)")
    group.add_argument(
        "--min-rating",
        type=float,
        help="keep only interactions rated at least this (implicit feedback)",
    )
    group.add_argument(
        "--skip-bad-rows",
        action="store_true",
        help="drop malformed rows and report how many, instead of stopping",
    )
    group.add_argument("--synthetic-users", type=int, default=5_000, metavar="N")
    group.add_argument("--synthetic-items", type=int, default=2_000, metavar="N")
    group.add_argument("--synthetic-interactions", type=int, default=200_000, metavar="N")
    group.add_argument(
        "--data-seed",
        type=int,
        default=0,
        metavar="N",
        help="seed of the synthetic data set (independent of the model's --seed)",
    )


def load_interactions(args: argparse.Namespace) -> Interactions:
    if args.data is None:
        return synthetic(
            args.synthetic_users,
            args.synthetic_items,
            args.synthetic_interactions,
            seed=args.data_seed,
        )
    return load(
        args.data,
        format=args.format,
        user_col=args.user_col,
        item_col=args.item_col,
        time_col=args.time_col,
        rating_col=args.rating_col,
        sep=args.sep,
        min_rating=args.min_rating,
        skip_bad_rows=args.skip_bad_rows,
    )


def load_split(args: argparse.Namespace) -> tuple[Interactions, Split]:
    interactions = load_interactions(args)
    return interactions, leave_last_out(interactions)


def configure(parser: argparse.ArgumentParser):
    add_data_arguments(parser)

    def run(args: argparse.Namespace) -> int:
        interactions, split = load_split(args)
        print(interactions.describe())
        print(
            f"train {split.train.items.size:,} interactions; validation {len(split.validation):,}"
            f" and test {len(split.test):,} users (leave-last-out)"
        )
        return 0

    return run
