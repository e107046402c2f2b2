"""The example pairs this project ships besides the two-tower (`two_tower`), each with the
batches, hyper-parameters and name map it is proven on, so that `tf2rec parity --pair NAME`
runs it from a fresh clone with nothing else to write."""

from __future__ import annotations

import json

from tf2rec.interactions import leave_last_out, synthetic
from tf2rec.interactions.ctr import synthetic_clicks
from tf2rec.interactions.sequences import next_item_batches

PAIRS = ("deepfm", "sasrec")


def deepfm(steps: int, seed: int) -> dict:
    """The DeepFM CTR pair (bitwise) on synthetic clicks over four fields."""
    from tf2rec.migrated.deepfm import NAME_MAP_FILE

    fields = (30, 12, 6, 4)
    return {
        "legacy": "tf2rec.legacy.deepfm:build",
        "migrated": "tf2rec.migrated.deepfm:make",
        "batches": synthetic_clicks(2_000, fields, seed=seed).batches(64, steps=steps, seed=seed),
        "hparams": {"n_features": sum(fields), "n_fields": len(fields), "deep_layers": [16, 16]},
        "labels": ["label"],
        "name_map": json.loads(NAME_MAP_FILE.read_text()),
    }


def sasrec(steps: int, seed: int, width: int = 50) -> dict:
    """The self-attention pair (float64 equivalence) on next-item batches of the synthetic
    data set, at SASRec's default width."""
    split = leave_last_out(synthetic(500, 300, 15_000, seed=seed))
    hparams = {"n_items": split.n_items, "maxlen": 20, "hidden_units": width, "num_blocks": 2,
               "num_heads": 1, "keep_prob": 0.8, "l2_emb": 1e-4, "seed": seed}  # fmt: skip
    return {
        "legacy": "tf2rec.legacy.sasrec:build",
        "migrated": "tf2rec.migrated.sasrec:make",
        "batches": next_item_batches(
            split.train, split.n_items, max_len=20, batch_size=32, steps=steps, seed=seed
        ),
        "hparams": hparams,
        "labels": [],
        "name_map": None,
    }


def shipped_pair(name: str, steps: int, seed: int) -> dict:
    """run_pair's arguments for the shipped pair `name` (one of `PAIRS`)."""
    return {"deepfm": deepfm, "sasrec": sasrec}[name](steps, seed)
