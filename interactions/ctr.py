"""A seeded synthetic click-through data set: a few categorical fields and 0/1 clicks.

The input of the second example pair (a DeepFM-style CTR model, `legacy/deepfm.py` and
`migrated/deepfm.py`). Each row has one value per field; the values are global feature ids
(field f's values are offset by the sizes of the fields before it), as a TF1 CTR model's
`feat_index` placeholder takes them. Clicks come from a known logistic model with a bias,
per-feature weights and pairwise feature interactions, so a model that learns them beats the
base rate.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class ClickLog:
    features: np.ndarray  # int32 [rows, fields]: global feature ids
    labels: np.ndarray  # float32 [rows]: 1.0 clicked, 0.0 not
    field_sizes: tuple[int, ...]

    @property
    def n_features(self) -> int:
        return sum(self.field_sizes)

    def batches(self, batch_size: int, steps: int, seed: int = 0) -> dict[str, np.ndarray]:
        """`steps` batches of `batch_size` rows drawn in a seeded shuffled order, stacked:
        {"features": [steps, batch, fields], "label": [steps, batch]}.

        >>> log = synthetic_clicks(100, (3, 4), seed=1)
        >>> {k: v.shape for k, v in log.batches(8, steps=2).items()}
        {'features': (2, 8, 2), 'label': (2, 8)}
        """
        rng = np.random.default_rng(seed)
        needed = batch_size * steps
        order = np.concatenate(
            [rng.permutation(len(self.labels)) for _ in range(-(-needed // len(self.labels)))]
        )[:needed]
        return {
            "features": self.features[order].reshape(steps, batch_size, -1),
            "label": self.labels[order].reshape(steps, batch_size),
        }


def synthetic_clicks(
    rows: int, field_sizes: tuple[int, ...] = (50, 20, 10, 5), seed: int = 0, factors: int = 4
) -> ClickLog:
    """`rows` impressions over fields of the given sizes (popularity Zipf-like per field).

    >>> log = synthetic_clicks(1_000, (5, 3), seed=0)
    >>> log.features.shape, int(log.features[:, 1].min()), log.n_features
    ((1000, 2), 5, 8)
    >>> 0.05 < float(log.labels.mean()) < 0.95
    True
    """
    if rows < 1 or not field_sizes or min(field_sizes) < 1:
        raise ValueError("need at least one row and fields of at least one value each")
    rng = np.random.default_rng(seed)
    offsets = np.cumsum((0, *field_sizes[:-1]))
    columns = []
    for size, offset in zip(field_sizes, offsets, strict=True):
        popularity = 1.0 / np.arange(1, size + 1) ** 0.8
        columns.append(rng.choice(size, rows, p=popularity / popularity.sum()) + offset)
    features = np.stack(columns, axis=1).astype(np.int32)
    n = int(sum(field_sizes))
    weights = rng.normal(0.0, 0.6, n)
    latent = rng.normal(0.0, 0.5, (n, factors))
    vectors = latent[features]  # [rows, fields, factors]
    pairwise = 0.5 * ((vectors.sum(1) ** 2).sum(1) - (vectors**2).sum((1, 2)))
    logit = -1.0 + weights[features].sum(1) + pairwise
    labels = (rng.random(rows) < 1.0 / (1.0 + np.exp(-logit))).astype(np.float32)
    return ClickLog(features, labels, tuple(int(s) for s in field_sizes))
