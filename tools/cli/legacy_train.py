"""`tf2rec legacy-train`: train the TF1 graph-mode model (the migration's reference)."""

from __future__ import annotations

import argparse

from tf2rec.interactions.model_files import HPARAMS_FILE
from tf2rec.tools.cli.options import (
    add_training_arguments,
    load_split,
    prepare_model_dir,
    results_table,
    training_options,
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_training_arguments(parser, default_lr=0.01, default_epochs=10)


def run(args: argparse.Namespace) -> int:
    interactions, split = load_split(args)
    print(interactions.describe())
    prepare_model_dir(args.model_dir, args.overwrite, marker=HPARAMS_FILE)
    from tf2rec.legacy.train import train  # imports TensorFlow in v1 mode: only when training

    result = train(split, str(args.model_dir), **training_options(args))
    print(results_table({"legacy two-tower": result["test"], "popularity": result["popularity"]}))
    print(f"model written to {args.model_dir}")
    return 0
