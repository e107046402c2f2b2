"""What both recommenders are built from: the model's shape, and the optimizers offered.

It lives here because this is the one package that both the legacy side and the migrated
side import (importing `legacy` switches TF2 behaviour off; `migrated` imports Keras).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields

from tf2rec.interactions.errors import DataError


@dataclass(frozen=True)
class OptimizerKind:
    """An optimizer both sides offer, and what each side calls it: the legacy model's
    `tf.train` class, the Keras 3 class the migrated one extends and the class of
    `tf2rec.migrated.optimizers` that updates as TF1's does, and how each names its slots.
    Classes are named as strings: this package imports neither TensorFlow nor Keras."""

    name: str
    tf1_class: str  # in `tf.compat.v1.train`
    keras_class: str  # in `keras.optimizers`
    migrated_class: str  # in `tf2rec.migrated.optimizers`
    slots: Mapping[str, str]  # TF1 slot suffix (`item_embeddings/Adam`) -> Keras slot name


OPTIMIZER_KINDS: dict[str, OptimizerKind] = {
    kind.name: kind
    for kind in (
        OptimizerKind("sgd", "GradientDescentOptimizer", "SGD", "TF1SGD", {}),
        OptimizerKind(
            "adagrad", "AdagradOptimizer", "Adagrad", "TF1Adagrad", {"Adagrad": "accumulator"}
        ),
        OptimizerKind(
            "adam", "AdamOptimizer", "Adam", "TF1Adam", {"Adam": "momentum", "Adam_1": "velocity"}
        ),
    )
}
OPTIMIZERS = tuple(OPTIMIZER_KINDS)


def optimizer_kind(name: str) -> OptimizerKind:
    """The optimizer called `name`; a DataError naming the ones there are otherwise."""
    kind = OPTIMIZER_KINDS.get(name)
    if kind is None:
        raise DataError(f"unknown optimizer {name!r}; choose one of {', '.join(OPTIMIZERS)}")
    return kind


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
