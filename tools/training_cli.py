"""Options and output shared by `tf2rec legacy-train` and `tf2rec train`."""

from __future__ import annotations

import argparse
import os
import shutil
from pathlib import Path

from tf2rec.interactions import OPTIMIZERS
from tf2rec.tools.data_cli import add_data_arguments
from tf2rec.tools.errors import UsageError


def positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def positive_float(text: str) -> float:
    value = float(text)
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be greater than 0, got {text}")
    return value


def add_training_arguments(
    parser: argparse.ArgumentParser, *, default_lr: float, default_epochs: int
) -> None:
    add_data_arguments(parser)
    group = parser.add_argument_group("training")
    group.add_argument(
        "--model-dir",
        required=True,
        type=Path,
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
    group.add_argument("--optimizer", choices=OPTIMIZERS, default="adam")
    group.add_argument("--lr", type=positive_float, default=default_lr, help="learning rate")
    group.add_argument("--seed", type=int, default=0, help="seed of weights and batches")


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


def prepare_model_dir(
    path: Path, overwrite: bool, marker: str, resumable: str | None = None
) -> bool:
    """Create the model dir; refuse to mix a new model into an old one unless asked to.

    Returns True when `path` holds an interrupted run (its `resumable` folder) to resume.
    """
    if path.exists() and not path.is_dir():
        raise UsageError(f"--model-dir {path} is a file; pass a directory")
    if resumable and (path / resumable).is_dir() and not overwrite:
        return True
    if path.is_dir() and any(path.iterdir()):
        if not overwrite:
            raise UsageError(
                f"--model-dir {path} is not empty; pass --overwrite to replace what is "
                "there, or choose another directory"
            )
        if not (path / marker).exists():
            raise UsageError(
                f"--model-dir {path} holds files that are not a tf2rec model "
                f"(no {marker}); refusing to delete them"
            )
        shutil.rmtree(path)
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise UsageError(f"cannot create --model-dir {path}: {err.strerror}") from None
    if not os.access(path, os.W_OK):
        raise UsageError(f"--model-dir {path} is not writable")
    return False


def results_table(rows: dict[str, dict[str, float]], k: int = 10) -> str:
    """Metrics side by side, one row per model."""
    keys = [f"recall@{k}", f"ndcg@{k}", f"hit_rate@{k}"]
    width = max(len(name) for name in rows) + 2
    lines = [f"{'test split':<{width}}" + "".join(f"{key:>13}" for key in keys)]
    for name, metrics in rows.items():
        lines.append(f"{name:<{width}}" + "".join(f"{metrics[key]:>13.4f}" for key in keys))
    return "\n".join(lines)
