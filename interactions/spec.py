"""What both recommenders are built from: the model's shape, and the optimizers offered.

It lives here because this is the one package that both the legacy side and the migrated
side import (importing `legacy` switches TF2 behaviour off; `migrated` imports Keras).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields

from tf2rec.interactions.errors import DataError

OPTIMIZERS = ("sgd", "adagrad", "adam")


@dataclass(frozen=True)
class ModelSpec:
    """The two-tower model's shape, as the legacy model, the migrated model, the converter,
    parity and the benchmarks take it. Counts include the padding index 0.

    >>> spec = ModelSpec(n_users=5, n_items=7, embedding_dim=4)
    >>> spec.hidden_units, ModelSpec.from_dict({**spec.as_dict(), "lr": 0.1}) == spec
    (64, True)
    """

    n_users: int
    n_items: int
    embedding_dim: int = 32
    hidden_units: int = 64
    history_length: int = 20
    negatives: int = 8

    @classmethod
    def from_dict(cls, values: Mapping) -> ModelSpec:
        """From a mapping that holds these keys and maybe others (a legacy `hparams.json`)."""
        missing = [name for name in ("n_users", "n_items") if name not in values]
        if missing:
            raise DataError(f"model settings without {', '.join(missing)}")
        return cls(**{f.name: values[f.name] for f in fields(cls) if f.name in values})

    def as_dict(self) -> dict:
        return asdict(self)
