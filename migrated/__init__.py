"""The "after": the same recommender as Keras 3 layers, losses, metrics and a model.

Importing the package registers every class with Keras' serialization, so a saved
`model.keras` loads (in safe mode) wherever `migrated` is importable.
"""

from tf2rec.migrated.layers import EmbeddingTable, ItemTower, Linear, MLPBlock, UserTower
from tf2rec.migrated.losses import (
    NegativeSamplingLoss,
    PackedNegativeSamplingLoss,
    SampledSoftmaxLoss,
)
from tf2rec.migrated.metrics import HitRateAtK, NDCGAtK, RecallAtK
from tf2rec.migrated.model import TwoTowerRecommender
from tf2rec.migrated.optimizers import TF1SGD, TF1Adagrad, TF1Adam

__all__ = [
    "EmbeddingTable",
    "HitRateAtK",
    "ItemTower",
    "Linear",
    "MLPBlock",
    "NDCGAtK",
    "NegativeSamplingLoss",
    "PackedNegativeSamplingLoss",
    "RecallAtK",
    "SampledSoftmaxLoss",
    "TF1Adagrad",
    "TF1Adam",
    "TF1SGD",
    "TwoTowerRecommender",
    "UserTower",
]
