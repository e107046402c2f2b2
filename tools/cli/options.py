"""What several commands share: argument types, the data options (every command that reads
interactions), the training options (`train`, `legacy-train`), the scanner's settings (`scan`,
`fix`), what a trainer records of its data and the metrics table it prints.

The data and training parts import `tf2rec.interactions` (and with it pandas) when called, so
that `scan` and `fix`, which share this module, start as fast as the scanner alone.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import tf2rec


def path(text: str) -> Path:
    """A path option: an empty one is an error (Path("") would mean the current folder)."""
    if not text:
        raise argparse.ArgumentTypeError("an empty path; name a file or a folder")
    return Path(text)


def positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def seed(text: str) -> int:
    """A seed numpy and TensorFlow both take: 0 to 2**32 - 1."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an integer") from None
    if not 0 <= value < 2**32:
        raise argparse.ArgumentTypeError(f"seeds run from 0 to {2**32 - 1:,}; got {value}")
    return value


def raw_id(text: str) -> int:
    """A raw user or item id as the data holds them: an integer that fits in 64 bits."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an integer id") from None
    if not -(2**63) <= value < 2**63:
        raise argparse.ArgumentTypeError(f"ids fit in 64 bits; {text} does not")
    return value


def positive_float(text: str) -> float:
    value = float(text)
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be greater than 0, got {text}")
    return value


def rule_ids(text: str) -> list[str]:
    """`--select TF1,tf501` -> ["TF1", "TF501"]."""
    return [part.strip().upper() for part in text.split(",") if part.strip()]


def add_scan_arguments(parser: argparse.ArgumentParser, *, fail_on_help: str) -> None:
    """The options `scan` and `fix` share; each defaults to `[tool.tf2rec]` in pyproject.toml."""
    parser.add_argument("paths", nargs="+", metavar="PATH", help="files or directories")
    parser.add_argument(
        "--select", type=rule_ids, help="only these rule ids / prefixes (TF1,TF501)"
    )
    parser.add_argument("--ignore", type=rule_ids, help="skip these rule ids / prefixes")
    parser.add_argument("--fail-on", choices=tf2rec.FAIL_ON, help=fail_on_help + " (default: info)")
    parser.add_argument("--jobs", "-j", type=positive_int, help="work on N files at once")
    parser.add_argument(
        "--exclude",
        action="append",
        default=None,
        metavar="GLOB",
        help="skip paths matching GLOB (repeatable)",
    )


def scan_settings(args: argparse.Namespace):
    """`scan` / `fix` options, the command line over `[tool.tf2rec]`."""
    return tf2rec.scan_settings(
        select=args.select,
        ignore=args.ignore,
        exclude=args.exclude or (),
        jobs=args.jobs,
        fail_on=args.fail_on,
        format=getattr(args, "format", None),
    )


def add_data_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("data (default: the built-in synthetic data set)")
    group.add_argument(
        "--data",
        type=path,
        metavar="PATH",
        help="u.data, ratings.csv, a CSV/TSV, or a directory holding one",
    )
    group.add_argument(
        "--data-format",
        "--format",  # the spelling before --format meant a report's format; still accepted
        dest="data_format",
        choices=tf2rec.DATA_FORMATS,
        default="auto",
        metavar="FORMAT",
        help=f"the data file's format: {', '.join(tf2rec.DATA_FORMATS)}; auto reads it off "
        "the first line, or takes table when --user-col is given (--format is the older "
        "spelling, still accepted)",
    )
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
    group.add_argument("--synthetic-users", type=positive_int, default=5_000, metavar="N")
    group.add_argument("--synthetic-items", type=positive_int, default=2_000, metavar="N")
    group.add_argument("--synthetic-interactions", type=positive_int, default=200_000, metavar="N")
    group.add_argument(
        "--data-seed",
        type=seed,
        default=0,
        metavar="N",
        help="seed of the synthetic data set (independent of the model's --seed)",
    )


def recover_model_dir(path) -> None:
    """Put right what an interrupted swap left at the model directory `path`, saying what
    was done (every command that opens a model directory calls this first)."""
    if path is None:
        return
    for line in tf2rec.recover_model_dir(path):
        print(f"tf2rec: {line}", file=sys.stderr)


def load_interactions(args: argparse.Namespace):
    """The interactions the data options name: a file, or the synthetic data set."""
    if args.data is None:
        try:
            return tf2rec.synthetic(
                args.synthetic_users,
                args.synthetic_items,
                args.synthetic_interactions,
                seed=args.data_seed,
            )
        except ValueError as err:  # sizes that do not fit together
            raise tf2rec.UsageError(f"--synthetic-*: {err}") from None
    return tf2rec.load_interactions(
        args.data,
        format=args.data_format,
        user_col=args.user_col,
        item_col=args.item_col,
        time_col=args.time_col,
        rating_col=args.rating_col,
        sep=args.sep,
        min_rating=args.min_rating,
        skip_bad_rows=args.skip_bad_rows,
    )


def load_split(args: argparse.Namespace):
    """(the interactions, their leave-last-out split), refusing data too small to evaluate."""
    interactions = load_interactions(args)
    split = tf2rec.leave_last_out(interactions)
    if not len(split.test):
        raise tf2rec.UsageError(
            f"{interactions.source}: no user has 3 interactions, and leave-last-out needs 3 "
            "(train, validation, test) to evaluate a user; use more data, or a lower "
            "--min-rating"
        )
    return interactions, split


def add_training_arguments(
    parser: argparse.ArgumentParser, *, default_lr: float, default_epochs: int
) -> None:
    add_data_arguments(parser)
    group = parser.add_argument_group("training")
    group.add_argument(
        "--model-dir",
        required=True,
        type=path,
        help="where the model, vocabulary and settings are written",
    )
    group.add_argument(
        "--overwrite", action="store_true", help="replace a model already in --model-dir"
    )
    length = group.add_mutually_exclusive_group()
    length.add_argument("--epochs", type=positive_int, default=default_epochs)
    length.add_argument("--steps", type=positive_int, help="train this many batches instead")
    group.add_argument("--batch-size", type=positive_int, default=1024)
    group.add_argument("--negatives", type=positive_int, default=8, help="K negatives per row")
    group.add_argument("--history-length", type=positive_int, default=20)
    group.add_argument(
        "--sampler",
        choices=("uniform", "unigram"),
        default="uniform",
        help="negative sampler (unigram: count**0.75)",
    )
    group.add_argument("--embedding-dim", type=positive_int, default=32)
    group.add_argument("--hidden-units", type=positive_int, default=64)
    group.add_argument("--optimizer", choices=tf2rec.OPTIMIZERS, default="adam")
    group.add_argument("--lr", type=positive_float, default=default_lr, help="learning rate")
    group.add_argument("--seed", type=seed, default=0, help="seed of weights and batches")


def training_options(args: argparse.Namespace) -> dict:
    """The options `add_training_arguments` defines, as keyword arguments of both trainers."""
    names = (
        "epochs",
        "steps",
        "batch_size",
        "negatives",
        "history_length",
        "optimizer",
        "lr",
        "embedding_dim",
        "hidden_units",
        "sampler",
        "seed",
    )
    return {name: getattr(args, name) for name in names}


def results_table(rows: dict[str, dict[str, float]], k: int = 10) -> str:
    """Metrics side by side, one row per model."""
    keys = [f"recall@{k}", f"ndcg@{k}", f"hit_rate@{k}"]
    width = max(len(name) for name in rows) + 2
    lines = [f"{'test split':<{width}}" + "".join(f"{key:>13}" for key in keys)]
    for name, metrics in rows.items():
        lines.append(f"{name:<{width}}" + "".join(f"{metrics[key]:>13.4f}" for key in keys))
    return "\n".join(lines)
