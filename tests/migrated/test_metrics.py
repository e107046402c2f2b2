"""Keras ranking metrics against the plain numpy computation in interactions.ranking."""

import numpy as np
import pytest

from tf2rec.interactions.ranking import metrics_from_ranks
from tf2rec.interactions.ranking import target_ranks as numpy_ranks
from tf2rec.interactions.split import UserSequences
from tf2rec.migrated import HitRateAtK, NDCGAtK, RecallAtK


def random_case(seed: int, n: int = 40, n_items: int = 30):
    rng = np.random.default_rng(seed)
    # coarse scores so that ties happen
    scores = rng.integers(0, 6, size=(n, n_items)).astype("float32")
    target = rng.integers(1, n_items, size=n)
    lengths = rng.integers(0, 8, size=n)
    seen_rows = [rng.choice(np.arange(1, n_items), size=k, replace=False) for k in lengths]
    seen_rows[0] = np.append(seen_rows[0], target[0])  # a target the user had seen before
    indptr = np.concatenate([[0, 0], np.cumsum([len(r) for r in seen_rows])])
    seen = UserSequences(indptr=indptr, items=np.concatenate(seen_rows).astype(np.int32))
    padded = np.zeros((n, max(len(r) for r in seen_rows)), dtype=np.int32)
    for i, row in enumerate(seen_rows):
        padded[i, : len(row)] = row
    return scores, target, seen, padded


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("k", [1, 5, 10])
def test_full_catalogue_metrics_equal_numpy(seed, k):
    scores, target, seen, padded = random_case(seed)
    expected = metrics_from_ranks(numpy_ranks(scores, target, seen, np.arange(1, 41)), k)
    for metric, key in (
        (RecallAtK(k), "recall"),
        (NDCGAtK(k), "ndcg"),
        (HitRateAtK(k), "hit_rate"),
    ):
        # two updates, as over two batches
        metric.update_state(target[:25], scores[:25], exclude=padded[:25])
        metric.update_state(target[25:], scores[25:], exclude=padded[25:])
        assert float(metric.result()) == pytest.approx(expected[f"{key}@{k}"], abs=1e-6)
        assert metric.name == f"{key}_at_{k}"


def test_sampled_protocol_counts_ties_against_the_target():
    scores = np.array([[0.5, 0.9, 0.5, 0.1], [0.8, 0.1, 0.2, 0.3]], dtype="float32")
    metric = HitRateAtK(k=2, protocol="sampled")
    metric.update_state(None, scores)
    # row 0: two negatives >= target -> rank 2 (miss at k=2); row 1: rank 0 (hit)
    assert float(metric.result()) == 0.5
    ndcg = NDCGAtK(k=3, protocol="sampled")
    ndcg.update_state(None, scores)
    assert float(ndcg.result()) == pytest.approx((1 / np.log2(4) + 1.0) / 2)


def test_reset_and_unknown_protocol():
    metric = RecallAtK(3)
    metric.update_state(np.array([1]), np.array([[0.0, 1.0, 0.0]], "float32"))
    assert float(metric.result()) == 1.0
    metric.reset_state()
    assert float(metric.result()) == 0.0
    with pytest.raises(ValueError, match="unknown protocol 'ncf'"):
        RecallAtK(10, protocol="ncf")
