"""The training benchmarks' workload: the model's shape, the learning rates, and the batches
(item ids Zipf-distributed, so batches repeat ids as real ones do), shared by `train` and
`scaling`."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np

BATCH, NEGATIVES, HISTORY, DIM, HIDDEN = 1024, 8, 20, 64, 128
LEARNING_RATES = {"sgd": 0.05, "adagrad": 0.05, "adam": 0.001}


@contextmanager
def batch_files(sizes: list[int], steps: int) -> Iterator[dict[int, Path]]:
    """Vocabulary size -> an .npz of `make_batches(size, steps)` that worker processes
    load, in a temporary folder removed afterwards."""
    with tempfile.TemporaryDirectory() as tmp:
        paths = {}
        for vocab in sizes:
            paths[vocab] = Path(tmp) / f"batches-{vocab}.npz"
            np.savez(paths[vocab], **make_batches(vocab, steps))
        yield paths


def make_batches(vocab: int, steps: int, seed: int = 0) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    ranks = np.arange(1, vocab)
    p = 1.0 / (ranks + 10.0) ** 0.8
    p /= p.sum()

    def items(shape):
        return rng.choice(ranks, size=shape, p=p).astype(np.int32)

    return {
        "user": rng.integers(1, vocab, size=(steps, BATCH), dtype=np.int32),
        "history": items((steps, BATCH, HISTORY)),
        "pos": items((steps, BATCH)),
        "neg": rng.integers(1, vocab, size=(steps, BATCH, NEGATIVES), dtype=np.int32),
    }
