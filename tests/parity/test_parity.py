"""The migrated model is the legacy model: bitwise where both sides compute the same way,
within a floating-point error bound where they do not."""

import numpy as np
import pytest

from tf2rec.interactions import ModelSpec, leave_last_out, synthetic
from tf2rec.tools.parity import (
    DIFFERENT,
    SAME,
    compare_bitwise,
    compare_bounded,
    run_parity,
    table,
    ulp_distance,
)

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
    spec = ModelSpec(split.n_users, split.n_items, dim, dim + 8, length, k)
    results = run_parity(
        split, spec, steps=50, lr=0.01, batch_size=batch, seed=seed, mode="bitwise"
    )
    assert all(r.passed for r in results), table(results)
    kinds = {r.tensor: r.kind for r in results if r.check.startswith("forward")}
    assert kinds == {"output 'logits', every batch": SAME, "loss of every batch": DIFFERENT}
    bounded = [r for r in results if r.kind == DIFFERENT]
    assert all(0 <= r.ratio <= 1 and r.bound > 0 for r in bounded), table(bounded)
    trained = [r for r in results if r.check.startswith("after 50 steps")]
    assert {r.check for r in trained} == {
        "after 50 steps (sgd)",
        "after 50 steps (adagrad)",
        "after 50 steps (adam)",
    }
    # 6 weights per optimizer; Adagrad 6 accumulators; Adam 12 moments and 2 beta powers;
    # the step of each
    assert len(trained) == 3 * 6 + 6 + 12 + 2 + 3
    gradients = [r for r in results if r.check.startswith("gradients")]
    assert len(gradients) == 6
    # every check of the same computation is bitwise: SGD too, since the legacy process
    # scatters repeated ids in batch order
    same = [r for r in results if r.kind == SAME]
    assert len(same) == len(trained) + len(gradients) + 1
    assert all(r.max_ulp == 0 for r in same), table(same)


def test_a_jit_compiled_model_is_held_to_the_legacy_models_kernel_envelope(tmp_path):
    """With jit_compile=True the steps run XLA's kernels, not TF1's, so they are not
    bitwise: each tensor after the steps is checked against how far the legacy model ends
    from itself when its process runs under other kernel configurations (both reruns kept
    in the work folder, and recomputed here from their checkpoints)."""
    from tf2rec.tools.convert import read_checkpoint
    from tf2rec.tools.parity.harness import run_pair
    from tf2rec.tools.parity.kernels import ENVELOPE
    from tf2rec.tools.parity.two_tower import LEGACY, MIGRATED, make_batches

    users, items, n, data_seed, batch, k, length, dim, seed = CASES["heavy id repetition"]
    split = leave_last_out(synthetic(users, items, n, seed=data_seed))
    spec = ModelSpec(split.n_users, split.n_items, dim, dim + 8, length, k)
    hparams = {**spec.as_dict(), "seed": seed, "jit_compile": True}
    batches = make_batches(split, spec, 10, batch, seed)
    results = run_pair(
        LEGACY, MIGRATED, batches, hparams, lr=0.01, seed=seed, workdir=tmp_path, mode="bitwise"
    )

    before = [r for r in results if not r.check.startswith("after")]
    assert all(r.passed and r.kind == SAME for r in before if r.tensor != "loss of every batch")
    trained = [r for r in results if r.check.startswith("after")]
    assert len(trained) == 3 * 6 + 6 + 12 + 2 + 3 and {r.kind for r in trained} == {DIFFERENT}
    assert "sse4.2, oneDNN off, 1 thread or this cpu, oneDNN on, 2 threads" in trained[0].why
    for r in trained:
        optimizer = r.check.split("(")[1].rstrip(")")
        base = read_checkpoint(tmp_path / f"final-{optimizer}")[r.tensor]
        distances = [
            np.max(
                np.abs(
                    read_checkpoint(tmp_path / f"kernels-{i}" / f"final-{optimizer}")[r.tensor]
                    - base
                )
            )
            for i in range(len(ENVELOPE))
        ]
        envelope = float(max(distances)) if base.dtype.kind == "f" else 0.0
        assert r.bound == envelope, r
    # the step count and Adam's beta powers: computed exactly on every side
    exact = [r for r in trained if r.tensor in ("global_step", "beta1_power", "beta2_power")]
    assert len(exact) == 5 and all(r.passed and r.max_abs == 0 for r in exact)


def test_ulp_distance_counts_representable_floats():
    a = np.array([1.0, -2.0, 0.0], np.float32)
    b = a.copy()
    assert ulp_distance(a, b) == 0
    b[0] = np.nextafter(b[0], np.float32(2))
    assert ulp_distance(a, b) == 1
    b[1] = np.nextafter(np.nextafter(b[1], np.float32(0)), np.float32(0))
    assert ulp_distance(a, b) == 2
    assert ulp_distance(np.array([-0.0], np.float32), np.array([0.0], np.float32)) == 0


def test_bitwise_comparison_fails_on_any_bit():
    a = np.ones(3, np.float32)
    b = a.copy()
    b[2] = np.nextafter(b[2], np.float32(2))
    result = compare_bitwise("forward", "x", a, b, "same kernels")
    assert not result.passed and result.max_ulp == 1 and result.kind == SAME
    assert compare_bitwise("forward", "x", a, a.copy(), "same kernels").passed
    shape = compare_bitwise("forward", "x", a, np.ones(4, np.float32), "same kernels")
    assert not shape.passed and shape.note == "shape (3,) vs (4,)"


def test_bounded_comparison_is_per_element():
    ours = np.array([1.0, 100.0, 0.0], np.float32)
    bound = np.array([1e-6, 1e-4, 0.0])
    step = 2.0**-15  # exactly representable added to 1.0 and to 100.0

    def shifted(i):
        theirs = ours.copy()
        theirs[i] += step
        return theirs

    within = compare_bounded("forward", "x", ours, shifted(1), bound, "")
    assert within.passed and within.kind == DIFFERENT
    assert within.ratio == step / 1e-4 and within.bound == 1e-4
    # the same absolute difference fails where that element's bound is smaller
    beyond = compare_bounded("forward", "x", ours, shifted(0), bound, "")
    assert not beyond.passed and beyond.ratio == step / 1e-6 and beyond.bound == 1e-6
    # a zero bound admits only equality; NaN never passes
    assert not compare_bounded("f", "x", ours, shifted(2), bound, "").passed
    nan = ours.copy()
    nan[0] = np.nan
    assert not compare_bounded("f", "x", ours, nan, bound, "").passed


@pytest.mark.slow
@pytest.mark.parametrize("width", [32, 40, 48, 50, 64])
def test_both_pairs_are_bitwise_at_every_width(width, tmp_path):
    """Grappler off on both sides: the same computation is bitwise at any width (with only
    its arithmetic optimizer off, constant folding and the remapper rewrote one side's
    arithmetic and not the other's at some widths)."""
    import json

    from tf2rec.interactions.ctr import synthetic_clicks
    from tf2rec.migrated.deepfm import NAME_MAP_FILE
    from tf2rec.tools.parity import run_pair

    split = leave_last_out(synthetic(300, 200, 9_000, seed=2))
    spec = ModelSpec(split.n_users, split.n_items, width, width, 5, 4)
    results = run_parity(split, spec, steps=10, batch_size=64, seed=1, mode="bitwise")
    assert all(r.passed for r in results), table(results)
    fields = (30, 12, 6, 4)
    clicks = synthetic_clicks(2_000, fields, seed=3).batches(64, steps=5, seed=4)
    hparams = {"n_features": sum(fields), "n_fields": len(fields), "embedding_size": width,
               "deep_layers": [width, width]}  # fmt: skip
    results = run_pair("tf2rec.legacy.deepfm:build", "tf2rec.migrated.deepfm:make", clicks,
                       hparams, labels=["label"], name_map=json.loads(NAME_MAP_FILE.read_text()),
                       mode="bitwise")  # fmt: skip
    assert all(r.passed for r in results), table(results)
    assert all(r.max_ulp == 0 for r in results if r.kind == SAME)
