"""Framework-neutral input pipeline shared by the legacy and the migrated recommender.

Both sides are fed the very same integer batches, so parity compares models, not pipelines.
This package uses numpy and pandas only: importing it never imports TensorFlow. Without them
(tf2rec's base install, the scanner alone) it still gives `DataError`, which the command
line catches for every command; any other name raises the ModuleNotFoundError then.
"""

from tf2rec.interactions.errors import DataError

try:
    from tf2rec.interactions.interaction_log import Interactions
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
except ModuleNotFoundError as missing:  # numpy or pandas: the `train` extra
    if missing.name not in ("numpy", "pandas"):
        raise
    _MISSING = missing

    def __getattr__(name: str):
        raise _MISSING


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
