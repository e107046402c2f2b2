"""Framework-neutral input pipeline shared by the legacy and the migrated recommender.

Both sides are fed the very same integer batches, so parity compares models, not pipelines.
This package uses numpy and pandas only: importing it never imports TensorFlow. Its names
load on first use (PEP 562), so `from tf2rec.interactions import DataError` (what the
command line catches for every command, `scan` included) needs neither numpy nor pandas.
"""

from __future__ import annotations

from importlib import import_module

# name -> the module of this package that defines it
_HOMES = {
    "BatchSampler": "sampling",
    "DataError": "errors",
    "EvalSet": "split",
    "Interactions": "data",
    "ModelSpec": "spec",
    "OPTIMIZERS": "spec",
    "Split": "split",
    "UserSequences": "split",
    "Vocab": "vocab",
    "leave_last_out": "split",
    "load": "load",
    "load_vocabs": "vocab",
    "save_vocabs": "vocab",
    "synthetic": "synthetic",
}
__all__ = sorted(_HOMES)


def __getattr__(name: str):
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(f"{__name__}.{home}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_HOMES})
