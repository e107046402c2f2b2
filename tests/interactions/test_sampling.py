"""The batch sampler: shapes, contents, determinism and negative-sampling statistics."""

import hashlib

import numpy as np
import pytest

from tf2rec.interactions import BatchSampler, leave_last_out, synthetic


@pytest.fixture(scope="module")
def split():
    return leave_last_out(synthetic(500, 300, 15_000, seed=4))


def digest(batches) -> str:
    h = hashlib.sha256()
    for batch in batches:
        for key in ("user", "history", "pos", "neg"):
            h.update(key.encode())
            h.update(batch[key].tobytes())
    return h.hexdigest()


def test_same_seed_gives_byte_identical_batches(split):
    def make(seed: int) -> BatchSampler:
        return BatchSampler(
            split.train,
            split.n_items,
            batch_size=64,
            negatives=5,
            history_length=7,
            sampler="unigram",
            seed=seed,
        )

    assert digest(make(3).take(30)) == digest(make(3).take(30))
    assert digest(make(3).take(30)) != digest(make(4).take(30))


def test_batch_contents_match_the_training_sequences(split):
    sampler = BatchSampler(
        split.train, split.n_items, batch_size=128, negatives=3, history_length=4, seed=0
    )
    batch = next(sampler.epoch(0))
    assert {k: (v.dtype, v.shape) for k, v in batch.items()} == {
        "user": (np.int32, (128,)),
        "history": (np.int32, (128, 4)),
        "pos": (np.int32, (128,)),
        "neg": (np.int32, (128, 3)),
    }
    for r in range(128):
        seq = split.train.row(batch["user"][r]).tolist()
        # find the positive's position; the history is what came just before it
        p = seq.index(batch["pos"][r])
        expected = seq[max(0, p - 4) : p][::-1]
        assert batch["history"][r].tolist() == expected + [0] * (4 - len(expected))
    assert batch["neg"].min() >= 1 and batch["neg"].max() < split.n_items


def test_an_epoch_visits_every_training_interaction_once(split):
    sampler = BatchSampler(split.train, split.n_items, batch_size=1000, negatives=1, seed=1)
    batches = list(sampler.epoch(2))
    assert len(batches) == sampler.steps_per_epoch
    pairs = np.concatenate([b["user"].astype(np.int64) * 10_000 + b["pos"] for b in batches])
    expected = split.train.owners().astype(np.int64) * 10_000 + split.train.items
    assert np.array_equal(np.sort(pairs), np.sort(expected))


def test_drop_remainder_and_take(split):
    sampler = BatchSampler(split.train, split.n_items, batch_size=1000, drop_remainder=True)
    assert all(b["user"].size == 1000 for b in sampler.epoch(0))
    assert (
        len(list(sampler.take(sampler.steps_per_epoch * 2 + 1))) == sampler.steps_per_epoch * 2 + 1
    )


def test_reject_positive():
    # three real items: without rejection a third of the negatives would equal the positive
    small = leave_last_out(synthetic(50, 4, 200, seed=0, min_per_user=4))
    sampler = BatchSampler(
        small.train, small.n_items, batch_size=64, negatives=8, reject_positive=True, seed=2
    )
    for batch in sampler.epoch(0):
        assert not (batch["neg"] == batch["pos"][:, None]).any()


def test_unigram_frequencies_follow_count_to_the_0_75(split):
    sampler = BatchSampler(
        split.train, split.n_items, batch_size=1024, negatives=64, sampler="unigram", seed=5
    )
    draws = np.concatenate([b["neg"].ravel() for b in sampler.take(20)])
    observed = np.bincount(draws, minlength=split.n_items) / draws.size
    counts = np.bincount(split.train.items, minlength=split.n_items).astype(float)
    expected = counts**0.75
    expected[0] = 0
    expected /= expected.sum()
    # 1.3M draws: every frequency within 4 standard errors of the formula
    se = np.sqrt(expected * (1 - expected) / draws.size)
    assert np.all(np.abs(observed - expected) <= 4 * se + 1e-12)
    assert observed[0] == 0


def test_uniform_never_draws_padding(split):
    sampler = BatchSampler(split.train, split.n_items, batch_size=1024, negatives=32, seed=6)
    draws = np.concatenate([b["neg"].ravel() for b in sampler.take(10)])
    observed = np.bincount(draws, minlength=split.n_items)
    assert observed[0] == 0
    assert observed[1:].min() > 0


def test_bad_arguments(split):
    with pytest.raises(ValueError, match="unknown negative sampler 'zipf'"):
        BatchSampler(split.train, split.n_items, sampler="zipf")
    with pytest.raises(ValueError, match="batch_size must be at least 1"):
        BatchSampler(split.train, split.n_items, batch_size=0)
