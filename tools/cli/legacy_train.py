"""`tf2rec legacy-train`: train the TF1 graph-mode model (the migration's reference)."""

from __future__ import annotations

import argparse

from tf2rec.tools import model_dir
from tf2rec.tools.cli.options import (
    add_training_arguments,
    data_fingerprint,
    load_split,
    results_table,
    training_options,
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_training_arguments(parser, default_lr=0.01, default_epochs=10)


def run(args: argparse.Namespace) -> int:
    interactions, split = load_split(args)
    print(interactions.describe())
    settings = {**training_options(args), "data": data_fingerprint(split)}
    with model_dir.lock(args.model_dir):
        partial, _ = model_dir.start(
            args.model_dir, args.overwrite, "legacy", settings, resume=False
        )
        from tf2rec.legacy.train import train  # TensorFlow in v1 mode: only when training

        result = train(split, str(partial), **training_options(args))
        model_dir.finish(partial, args.model_dir, "legacy", settings)
    print(results_table({"legacy two-tower": result["test"], "popularity": result["popularity"]}))
    print(f"model written to {args.model_dir}")
    return 0
