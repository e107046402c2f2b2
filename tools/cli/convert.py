"""`tf2rec convert`: a legacy TF1 checkpoint -> the migrated model's weights and optimizer
state, or back with --reverse (a checkpoint the legacy code restores)."""

from __future__ import annotations

import argparse
import json
import shutil
from pathlib import Path

from tf2rec.atomic import write_atomically
from tf2rec.errors import UsageError
from tf2rec.interactions import ModelSpec
from tf2rec.interactions.model_files import (
    CHECKPOINT_PREFIX,
    CONFIG_FILE,
    HPARAMS_FILE,
    MODEL_FILE,
    USER_ITEMS_FILE,
    VOCAB_FILE,
    WEIGHTS_FILE,
)
from tf2rec.interactions.user_items import user_items_path
from tf2rec.tools import model_dir
from tf2rec.tools.cli.options import legacy_hparams


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--legacy-dir", type=Path, help="a `tf2rec legacy-train` directory")
    parser.add_argument("--model", type=Path, help="with --reverse: the migrated .keras file")
    parser.add_argument("--out", type=Path, required=True, help="output directory")
    parser.add_argument(
        "--overwrite", action="store_true", help="replace a model tf2rec wrote in --out"
    )
    parser.add_argument("--map", type=Path, help='JSON {"keras path": "tf1 name"} overrides')
    parser.add_argument("--print-map", action="store_true", help="print the name map used")
    parser.add_argument(
        "--reverse",
        action="store_true",
        help="migrated .keras -> TF1 checkpoint the legacy code restores",
    )


def run(args: argparse.Namespace) -> int:
    if args.reverse and args.model is None:
        raise UsageError("--reverse needs --model PATH.keras")
    if not args.reverse and args.legacy_dir is None:
        raise UsageError("give --legacy-dir (or --reverse --model)")
    source = args.model if args.reverse else args.legacy_dir
    settings = {"source": str(Path(source).resolve()), "reverse": args.reverse}
    with model_dir.lock(args.out, "--out"):
        partial, _ = model_dir.start(
            args.out, args.overwrite, "converted", settings, "--out", resume=False
        )
        name_map, written = _convert(args, partial)
        model_dir.finish(partial, args.out, "converted", settings)
    if args.print_map:
        print(name_map.describe())
    print(f"converted {len(name_map.entries)} weights; wrote {args.out / written.name}")
    return 0


def _convert(args: argparse.Namespace, out: Path):
    """Write the converted model into `out`; returns (the name map, the main file)."""
    from tf2rec.tools.convert import (
        derive_name_map,
        legacy_to_migrated,
        load_map_file,
        migrated_to_legacy,
        read_checkpoint,
    )

    overrides = load_map_file(args.map)
    if args.reverse:
        from tf2rec.migrated.serving import load_keras_model

        model = load_keras_model(args.model)
        name_map = derive_name_map(model, None, overrides)
        optimizer = _optimizer_name(model)
        prefix = migrated_to_legacy(model, name_map, out / CHECKPOINT_PREFIX, optimizer)
        config = args.model.parent / CONFIG_FILE
        extra = json.loads(config.read_text()) if config.is_file() else {}
        spec = ModelSpec.from_dict({**model.get_config(), "negatives": extra.get("negatives", 8)})
        hparams = dict(
            spec.as_dict(),
            optimizer=optimizer or "adam",
            lr=extra.get("lr", 0.01),
            seed=extra.get("seed", 0),
        )
        write_atomically(out / HPARAMS_FILE, json.dumps(hparams, indent=2))
        _copy_vocab(args.model.parent, out)
        return name_map, Path(prefix)
    from tf2rec.migrated.train import compiled_model

    hparams = legacy_hparams(args.legacy_dir)
    checkpoint = read_checkpoint(args.legacy_dir)
    model = compiled_model(ModelSpec.from_dict(hparams), hparams["optimizer"], hparams["lr"])
    name_map = derive_name_map(model, checkpoint, overrides)
    legacy_to_migrated(checkpoint, model, name_map, hparams["optimizer"])
    model.save_weights(out / WEIGHTS_FILE)
    model.save(out / MODEL_FILE)
    _copy_vocab(args.legacy_dir, out)
    return name_map, out / MODEL_FILE


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
    """The vocabularies and the users' items: the converted directory serves `recommend`."""
    if (source / VOCAB_FILE).is_file():
        shutil.copy(source / VOCAB_FILE, target / VOCAB_FILE)
    user_items = user_items_path(source)
    if user_items is not None:
        shutil.copy(user_items, target / USER_ITEMS_FILE)
