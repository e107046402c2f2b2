"""`tf2rec convert` and `tf2rec parity`."""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from pathlib import Path

from tf2rec.interactions import OPTIMIZERS, DataError, ModelSpec
from tf2rec.tools.data_cli import add_data_arguments, load_split
from tf2rec.tools.errors import UsageError
from tf2rec.tools.training_cli import positive_float, positive_int


def _legacy_hparams(legacy_dir: Path) -> dict:
    path = legacy_dir / "hparams.json"
    if not path.is_file():
        raise DataError(
            f"{legacy_dir}: not a legacy model directory (no hparams.json); "
            "train one with `tf2rec legacy-train`"
        )
    return json.loads(path.read_text())


def configure_convert(parser: argparse.ArgumentParser):
    parser.add_argument("--legacy-dir", type=Path, help="a `tf2rec legacy-train` directory")
    parser.add_argument("--model", type=Path, help="with --reverse: the migrated .keras file")
    parser.add_argument("--out", type=Path, required=True, help="output directory")
    parser.add_argument("--map", type=Path, help='JSON {"keras path": "tf1 name"} overrides')
    parser.add_argument("--print-map", action="store_true", help="print the name map used")
    parser.add_argument(
        "--reverse",
        action="store_true",
        help="migrated .keras -> TF1 checkpoint the legacy code restores",
    )

    def run(args: argparse.Namespace) -> int:
        from tf2rec.tools.convert import (
            derive_name_map,
            legacy_to_migrated,
            load_map_file,
            migrated_to_legacy,
            read_checkpoint,
        )

        overrides = load_map_file(args.map)
        args.out.mkdir(parents=True, exist_ok=True)
        if args.reverse:
            if args.model is None:
                raise UsageError("--reverse needs --model PATH.keras")
            from tf2rec.migrated.serving import load_keras_model

            model = load_keras_model(args.model)
            name_map = derive_name_map(model, None, overrides)
            optimizer = _optimizer_name(model)
            prefix = migrated_to_legacy(model, name_map, args.out / "model.ckpt", optimizer)
            config = args.model.parent / "config.json"
            extra = json.loads(config.read_text()) if config.is_file() else {}
            spec = ModelSpec.from_dict(
                {**model.get_config(), "negatives": extra.get("negatives", 8)}
            )
            hparams = dict(
                spec.as_dict(),
                optimizer=optimizer or "adam",
                lr=extra.get("lr", 0.01),
                seed=extra.get("seed", 0),
            )
            (args.out / "hparams.json").write_text(json.dumps(hparams, indent=2))
            _copy_vocab(args.model.parent, args.out)
            written = prefix
        else:
            if args.legacy_dir is None:
                raise UsageError("give --legacy-dir (or --reverse --model)")
            from tf2rec.migrated.train import compiled_model

            hparams = _legacy_hparams(args.legacy_dir)
            checkpoint = read_checkpoint(args.legacy_dir)
            model = compiled_model(
                ModelSpec.from_dict(hparams), hparams["optimizer"], hparams["lr"]
            )
            name_map = derive_name_map(model, checkpoint, overrides)
            legacy_to_migrated(checkpoint, model, name_map, hparams["optimizer"])
            model.save_weights(args.out / "model.weights.h5")
            model.save(args.out / "model.keras")
            _copy_vocab(args.legacy_dir, args.out)
            written = args.out / "model.keras"
        if args.print_map:
            print(name_map.describe())
        print(f"converted {len(name_map.entries)} weights; wrote {written}")
        return 0

    return run


def _optimizer_name(model) -> str | None:
    """The TF1 optimizer whose slots the model's Keras optimizer holds."""
    import keras

    kinds = {
        "adam": keras.optimizers.Adam,
        "adagrad": keras.optimizers.Adagrad,
        "sgd": keras.optimizers.SGD,
    }
    return next((name for name, cls in kinds.items() if isinstance(model.optimizer, cls)), None)


def _copy_vocab(source: Path, target: Path) -> None:
    if (source / "vocab.json").is_file():
        shutil.copy(source / "vocab.json", target / "vocab.json")


def configure_parity(parser: argparse.ArgumentParser):
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
            spec = ModelSpec.from_dict(_legacy_hparams(args.legacy_dir))
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

    return run
