"""The migrated model is the legacy model: bitwise forward, 1e-4 after 50 training steps."""

import numpy as np
import pytest

from interactions import leave_last_out, synthetic
from tools.parity import compare, run_parity, table, ulp_distance

CASES = {
    # name: (users, items, interactions, data seed, batch, K, L, D, seed)
    "heavy id repetition": (30, 40, 600, 1, 128, 4, 4, 8, 3),
    "small batches": (300, 200, 9_000, 2, 64, 2, 3, 16, 1),
    "wide batches": (500, 400, 20_000, 3, 512, 8, 10, 32, 7),
}


@pytest.mark.parametrize("case", list(CASES))
def test_parity_holds(case, tmp_path):
    users, items, n, data_seed, batch, k, length, dim, seed = CASES[case]
    split = leave_last_out(synthetic(users, items, n, seed=data_seed))
    hparams = dict(
        n_users=split.n_users,
        n_items=split.n_items,
        embedding_dim=dim,
        hidden_units=dim + 8,
        history_length=length,
        negatives=k,
    )
    results = run_parity(split, hparams, steps=50, lr=0.01, batch_size=batch, seed=seed)
    assert all(r.passed for r in results), table(results)
    forward = [r for r in results if r.check.startswith("forward")]
    assert len(forward) == 5 and all(r.max_ulp == 0 for r in forward)
    trained = [r for r in results if r.check.startswith("after 50 steps")]
    assert {r.check for r in trained} == {
        "after 50 steps (sgd)",
        "after 50 steps (adagrad)",
        "after 50 steps (adam)",
    }
    # 6 weights per optimizer; Adagrad 6 accumulators; Adam 12 moments and 2 beta powers
    assert len(trained) == 3 * 6 + 6 + 12 + 2
    assert all(r.max_abs <= 1e-4 for r in trained)
    # TF1Adam and TF1Adagrad compute TF1's updates operation for operation
    exact = [r for r in trained if r.check in ("after 50 steps (adam)", "after 50 steps (adagrad)")]
    assert all(r.max_ulp == 0 for r in exact), table(exact)
    gradients = [r for r in results if r.check.startswith("gradients")]
    assert len(gradients) == 6 and all(r.max_ulp == 0 for r in gradients)


def test_ulp_distance_counts_representable_floats():
    a = np.array([1.0, -2.0, 0.0], np.float32)
    b = a.copy()
    assert ulp_distance(a, b) == 0
    b[0] = np.nextafter(b[0], np.float32(2))
    assert ulp_distance(a, b) == 1
    b[1] = np.nextafter(np.nextafter(b[1], np.float32(0)), np.float32(0))
    assert ulp_distance(a, b) == 2
    assert ulp_distance(np.array([-0.0], np.float32), np.array([0.0], np.float32)) == 0


def test_compare_fails_on_any_bit_when_bitwise():
    a = np.ones(3, np.float32)
    b = a.copy()
    b[2] = np.nextafter(b[2], np.float32(2))
    result = compare("forward", "x", a, b, None)
    assert not result.passed and result.max_ulp == 1
    assert compare("weights", "x", a, b, 1e-4).passed
    assert not compare("weights", "x", a, a + 2e-4, 1e-4).passed
    assert not compare("weights", "x", a, np.ones(4, np.float32), 1e-4).passed
