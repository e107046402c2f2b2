"""Framework-neutral input pipeline shared by the legacy and the migrated recommender.

Both sides are fed the very same integer batches, so parity compares models, not pipelines.
This package uses numpy and pandas only: importing it never imports TensorFlow.
"""

from tf2rec.interactions.data import DataError, Interactions
from tf2rec.interactions.load import load
from tf2rec.interactions.sampling import BatchSampler
from tf2rec.interactions.spec import (
    OPTIMIZER_KINDS,
    OPTIMIZERS,
    ModelSpec,
    OptimizerKind,
    optimizer_kind,
)
from tf2rec.interactions.split import EvalSet, Split, UserSequences, leave_last_out
from tf2rec.interactions.synthetic import synthetic
from tf2rec.interactions.vocab import Vocab, load_vocabs, save_vocabs

__all__ = [
    "BatchSampler",
    "DataError",
    "EvalSet",
    "Interactions",
    "ModelSpec",
    "OPTIMIZERS",
    "OPTIMIZER_KINDS",
    "OptimizerKind",
    "optimizer_kind",
    "Split",
    "UserSequences",
    "Vocab",
    "leave_last_out",
    "load",
    "load_vocabs",
    "save_vocabs",
    "synthetic",
]
