"""`tf2rec parity`: prove a Keras 3 rewrite computes what its TF1 model does, check by check
(forward, loss, gradients, every weight and slot after N steps per optimizer).

With --legacy, --migrated and --batches: any pair (the user's own). Without them: this
project's two-tower pair, on batches drawn from --data (or the synthetic data set).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import tf2rec
from tf2rec.tools.cli.options import (
    add_data_arguments,
    load_split,
    positive_float,
    positive_int,
    recover_model_dir,
    seed,
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    _add_pair_arguments(parser)
    _add_check_arguments(parser)
    add_data_arguments(parser)  # the two-tower pair's data
    _add_own_pair_arguments(parser)


def _add_pair_arguments(parser: argparse.ArgumentParser) -> None:
    """Which pair: a shipped one, or the user's own two functions and batches."""
    shipped = parser.add_argument_group("the other pairs this project ships")
    shipped.add_argument(
        "--pair",
        choices=("deepfm", "sasrec"),
        help="the DeepFM CTR pair or the self-attention pair, on their own batches",
    )
    pair = parser.add_argument_group("your own pair")
    pair.add_argument("--legacy", metavar="MODULE:FUNCTION", help="the TF1 side's build(hparams)")
    pair.add_argument(
        "--migrated", metavar="MODULE:FUNCTION", help="the Keras side's make(hparams)"
    )
    pair.add_argument("--batches", type=Path, help=".npz of batch arrays, steps first")
    pair.add_argument(
        "--hparams", metavar="FILE|JSON", help="a JSON object given to both functions"
    )
    pair.add_argument("--map", type=Path, help='JSON {"keras path": "tf1 name"} overrides')
    pair.add_argument(
        "--labels", default="", metavar="KEY[,KEY]", help="batch keys Keras gets as y"
    )
    pair.add_argument("--checkpoint", help="start both sides from this TF1 checkpoint prefix")


def _add_check_arguments(parser: argparse.ArgumentParser) -> None:
    both = parser.add_argument_group("the checks")
    both.add_argument(
        "--steps", type=positive_int, help="training steps (default: 50, or every batch given)"
    )
    both.add_argument("--lr", type=positive_float, default=0.01)
    both.add_argument(
        "--optimizers", default="sgd,adagrad,adam", help="comma-separated, from sgd, adagrad, adam"
    )
    both.add_argument("--seed", type=seed, default=0, help="seed of weights, batches, dropout")
    both.add_argument(
        "--mode",
        choices=("auto", "bitwise", "float64"),
        default="auto",
        help="bitwise: float32, the same computation held to 0 ULP; float64: both sides in "
        "float64, every check held to float64 equivalence; auto (default): bitwise, and the "
        "checks that fail it judged again in float64",
    )
    both.add_argument("--json", action="store_true", help="machine-readable output")
    both.add_argument(
        "--progress",
        action=argparse.BooleanOptionalAction,
        help="a line on stderr as each stage starts (default: when stderr is a terminal)",
    )


def _add_own_pair_arguments(parser: argparse.ArgumentParser) -> None:
    own = parser.add_argument_group("this project's two-tower pair (without --legacy)")
    own.add_argument(
        "--legacy-dir",
        type=Path,
        help="start from this legacy model (default: fresh seeded weights)",
    )
    own.add_argument("--batch-size", type=positive_int, default=256)
    own.add_argument("--embedding-dim", type=positive_int, default=32)
    own.add_argument("--hidden-units", type=positive_int, default=64)
    own.add_argument("--history-length", type=positive_int, default=20)
    own.add_argument("--negatives", type=positive_int, default=8)
    own.add_argument(
        "--jit-compile",
        action="store_true",
        help="the migrated model as `tf2rec train` trains it (the fast path, XLA): proven in "
        "float64 and by its float32 rounding (--mode bitwise: the kernel envelope)",
    )


def run(args: argparse.Namespace) -> int:
    optimizers = [o.strip() for o in args.optimizers.split(",") if o.strip()]
    unknown = [o for o in optimizers if o not in tf2rec.OPTIMIZERS]
    if unknown or not optimizers:
        raise tf2rec.UsageError(
            f"--optimizers: unknown {', '.join(unknown) or '(none)'}; "
            f"choose from {', '.join(tf2rec.OPTIMIZERS)}"
        )
    given = [name for name in ("legacy", "migrated", "batches") if getattr(args, name)]
    if given and len(given) < 3:
        missing = sorted({"legacy", "migrated", "batches"} - set(given))
        raise tf2rec.UsageError(
            f"a pair needs --legacy, --migrated and --batches; add --{missing[0]}"
        )
    if given and args.jit_compile:
        raise tf2rec.UsageError(
            "--jit-compile is for the two-tower pair; your make() compiles yours"
        )
    if args.pair and given:
        raise tf2rec.UsageError(
            "--pair runs a shipped pair; leave out --legacy, --migrated, --batches"
        )
    if args.hparams is not None and not given:
        raise tf2rec.UsageError(
            f"--hparams {args.hparams} is given to your own pair's functions (--legacy, "
            "--migrated, --batches); the shipped pairs take their own"
        )
    if args.checkpoint is not None and not given:
        raise tf2rec.UsageError(
            f"--checkpoint {args.checkpoint} starts your own pair (--legacy, --migrated, "
            "--batches); this project's two-tower pair starts from --legacy-dir DIR"
            + ("" if not args.pair else ", the shipped pairs from their own weights")
        )
    if args.legacy_dir is not None and (given or args.pair):
        raise tf2rec.UsageError(
            f"--legacy-dir {args.legacy_dir} starts this project's two-tower pair; "
            "start your own pair with --checkpoint PREFIX"
        )
    progress = _progress_lines() if _wants_progress(args) else None
    if args.pair:
        results = _shipped(args, optimizers, progress)
    else:
        run = _own_pair if given else _two_tower
        results = run(args, optimizers, progress)

    configuration = tf2rec.kernel_configuration()
    report = tf2rec.parity_json if args.json else tf2rec.parity_table
    print(report(results, configuration))
    for note in getattr(results, "notes", ()):
        print(f"note: {note}", file=sys.stderr)
    if not all(r.passed for r in results):
        print("parity FAILED", file=sys.stderr)
        return 1
    return 0


def _wants_progress(args: argparse.Namespace) -> bool:
    return sys.stderr.isatty() if args.progress is None else args.progress


def _progress_lines():
    """Stage lines with the time since the run started: the whole run takes minutes."""
    start = time.monotonic()

    def show(stage: str) -> None:
        print(f"parity [{time.monotonic() - start:5.0f} s] {stage}", file=sys.stderr, flush=True)

    return show


def _own_pair(args: argparse.Namespace, optimizers: list[str], progress):
    if os.getcwd() not in sys.path:  # the user's modules, as `python -m` finds them
        sys.path.insert(0, os.getcwd())

    return tf2rec.run_pair(
        args.legacy,
        args.migrated,
        args.batches,
        _hparams(args.hparams),
        optimizers=optimizers,
        steps=args.steps,
        lr=args.lr,
        labels=[key.strip() for key in args.labels.split(",") if key.strip()],
        name_map=tf2rec.load_map_file(args.map),
        legacy_checkpoint=args.checkpoint,
        seed=args.seed,
        mode=args.mode,
        progress=progress,
    )


def _shipped(args: argparse.Namespace, optimizers: list[str], progress):
    pair = tf2rec.shipped_pair(args.pair, args.steps or 10, args.seed)
    return tf2rec.run_pair(
        pair.pop("legacy"),
        pair.pop("migrated"),
        pair.pop("batches"),
        pair.pop("hparams"),
        optimizers=optimizers,
        lr=args.lr,
        seed=args.seed,
        mode=args.mode,
        progress=progress,
        **pair,
    )


def _hparams(text: str | None) -> dict:
    """--hparams: a JSON file, or a JSON object written inline."""
    if text is None:
        return {}
    if not text.lstrip().startswith("{"):
        value = tf2rec.read_json(text, "--hparams file")
    else:
        try:
            value = json.loads(text)
        except (ValueError, RecursionError) as err:
            raise tf2rec.DataError(f"--hparams {text}: not JSON ({err})") from None
    if not isinstance(value, dict):
        raise tf2rec.DataError(f'--hparams {text}: must be a JSON object {{"name": value}}')
    return value


def _two_tower(args: argparse.Namespace, optimizers: list[str], progress):
    _, split = load_split(args)
    checkpoint = None
    if args.legacy_dir is not None:
        recover_model_dir(args.legacy_dir)
        spec = tf2rec.ModelSpec.from_dict(tf2rec.legacy_hparams(args.legacy_dir))
        if (spec.n_users, spec.n_items) != (split.n_users, split.n_items):
            raise tf2rec.UsageError(
                f"{args.legacy_dir} was trained on {spec.n_users} users x "
                f"{spec.n_items} items (padding included), the data given has "
                f"{split.n_users} x {split.n_items}; pass the same --data"
            )
        checkpoint = tf2rec.latest_checkpoint(args.legacy_dir)
        if checkpoint is None:
            raise tf2rec.UsageError(
                f"--legacy-dir {args.legacy_dir}: no checkpoint in it (its `checkpoint` file "
                "names none that exists); retrain it with `tf2rec legacy-train`"
            )
    else:
        spec = tf2rec.ModelSpec(
            split.n_users,
            split.n_items,
            args.embedding_dim,
            args.hidden_units,
            args.history_length,
            args.negatives,
        )
    return tf2rec.run_parity(
        split,
        spec,
        optimizers=optimizers,
        steps=args.steps or 50,
        lr=args.lr,
        batch_size=args.batch_size,
        seed=args.seed,
        legacy_checkpoint=checkpoint,
        jit_compile=args.jit_compile,
        mode=args.mode,
        progress=progress,
    )
