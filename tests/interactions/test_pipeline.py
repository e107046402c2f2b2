"""Synthetic data, vocabularies, the leave-last-out split and the ranking metrics."""

import subprocess
import sys

import numpy as np
import pytest

from tf2rec.interactions import (
    DataError,
    Interactions,
    Vocab,
    leave_last_out,
    load_vocabs,
    save_vocabs,
    synthetic,
)
from tf2rec.interactions.ranking import evaluate_popularity, metrics_from_ranks, target_ranks
from tf2rec.interactions.split import UserSequences


def test_importing_interactions_does_not_import_tensorflow():
    code = "import sys, interactions, interactions.ranking; print('tensorflow' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_synthetic_defaults_and_determinism():
    a = synthetic()
    assert (len(a), a.n_users, a.n_items) == (200_000, 5_000, 2_000)
    b = synthetic()
    assert np.array_equal(a.user, b.user) and np.array_equal(a.item, b.item)
    assert np.array_equal(a.timestamp, b.timestamp)
    assert not np.array_equal(a.item, synthetic(seed=1).item)


def test_synthetic_pairs_are_unique_and_times_increase_per_user():
    data = synthetic(300, 200, 6_000, seed=3)
    pairs = data.user * 1_000 + data.item
    assert np.unique(pairs).size == len(data)
    for u in (1, 150, 300):
        ts = data.timestamp[data.user == u]
        assert (np.diff(ts) > 0).all() and ts.size >= 5


def test_synthetic_popularity_is_skewed():
    counts = np.sort(np.bincount(synthetic(1000, 500, 40_000, seed=2).item))[::-1]
    assert counts[:50].sum() > 3 * counts[-50:].sum()


def test_synthetic_rejects_impossible_sizes():
    with pytest.raises(ValueError, match="n_interactions >= n_users"):
        synthetic(100, 10, 20)


def test_vocab_round_trip_and_oov(tmp_path):
    users, items = Vocab([5, 3, 9, 3]), Vocab([100, 7])
    assert len(users) == 4 and users.size == 3
    assert users.encode([3, 5, 9, 4]).tolist() == [1, 2, 3, 0]
    assert users.decode([3, 1]).tolist() == [9, 3]
    assert 9 in users and 4 not in users
    save_vocabs(tmp_path, users, items)
    assert load_vocabs(tmp_path) == (users, items)


def test_vocab_errors(tmp_path):
    with pytest.raises(DataError, match="no vocabulary file"):
        load_vocabs(tmp_path)
    (tmp_path / "vocab.json").write_text("{not json")
    with pytest.raises(DataError, match="corrupt vocabulary file"):
        load_vocabs(tmp_path)
    with pytest.raises(ValueError, match=r"indices must be in 1\.\.2"):
        Vocab([1, 2]).decode([0])


def test_leave_last_out_by_timestamp():
    # user 10: items 1,2,3,4 at times 4,1,3,2 -> order 2,4,3,1 ; user 20 has only two rows.
    data = Interactions(
        user=np.array([10, 10, 10, 10, 20, 20]),
        item=np.array([1, 2, 3, 4, 1, 2]),
        timestamp=np.array([4, 1, 3, 2, 5, 6]),
    )
    split = leave_last_out(data)
    u10 = split.users.encode([10])[0]
    item = split.items.encode
    assert split.test.user.tolist() == [u10]
    assert split.test.target.tolist() == item([1]).tolist()
    assert split.validation.target.tolist() == item([3]).tolist()
    assert split.train.row(u10).tolist() == item([2, 4]).tolist()
    assert split.test.seen.row(u10).tolist() == item([2, 4, 3]).tolist()
    u20 = split.users.encode([20])[0]
    assert split.train.row(u20).tolist() == item([1, 2]).tolist()
    # history for the test target: most recent first, 0-padded
    assert split.test.history(4).tolist() == [item([3, 4, 2]).tolist() + [0]]


def test_target_ranks_exclude_seen_and_break_ties_by_index():
    seen = UserSequences(indptr=np.array([0, 0, 2]), items=np.array([4, 1], dtype=np.int32))
    scores = np.array([[9.0, 0.5, 0.7, 0.7, 0.9, 0.1]])
    # user 1 saw items 4 and 1; padding 0 never ranks. Remaining: 2 (0.7), 3 (0.7), 5 (0.1).
    assert target_ranks(scores, np.array([3]), seen, np.array([1])).tolist() == [1]
    assert target_ranks(scores, np.array([2]), seen, np.array([1])).tolist() == [0]
    assert target_ranks(scores, np.array([5]), None).tolist() == [4]


def test_metrics_from_ranks_against_formula():
    ranks = np.array([0, 3, 9, 10, 50])
    m = metrics_from_ranks(ranks, k=10)
    assert m["recall@10"] == pytest.approx(3 / 5)
    assert m["ndcg@10"] == pytest.approx((1 + 1 / np.log2(5) + 1 / np.log2(11)) / 5)


def test_popularity_baseline_on_default_data_is_a_real_but_beatable_bar():
    split = leave_last_out(synthetic())
    pop = evaluate_popularity(split.train, split.test, split.n_items)
    assert 0.03 < pop["recall@10"] < 0.2


def test_sample_candidates_refuses_users_who_have_seen_everything():
    from tf2rec.interactions.ranking import sample_candidates

    split = leave_last_out(synthetic(20, 5, 100, seed=0))
    with pytest.raises(ValueError, match="have seen every item"):
        sample_candidates(split.test, split.n_items)
