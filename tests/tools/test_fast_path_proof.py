"""The fast training path (each step one XLA computation) is proven to be the legacy model:
the same mathematics in float64, and float32 rounding no worse than the legacy model's."""

import numpy as np
import pytest

from tf2rec.interactions import ModelSpec, leave_last_out, synthetic
from tf2rec.migrated import optimizers
from tf2rec.migrated.losses import NegativeSamplingLoss
from tf2rec.migrated.train import STEPS_PER_EXECUTION, compiled_model
from tf2rec.tools.parity import DIFFERENT, FLOAT64, SAME, table
from tf2rec.tools.parity.fast_path import OPS, op_accuracy, rounding_check, rounding_factor
from tf2rec.tools.parity.harness import run_pair
from tf2rec.tools.parity.two_tower import LEGACY, MIGRATED, make_batches

U = 2.0**-24  # float32's rounding unit


def test_the_rounding_check_compares_worst_tensors_in_units_of_their_scale():
    legacy64 = {"w": np.array([1.0, -2.0]), "b": np.array([0.5]), "step": np.array(3)}
    legacy32 = {"w": legacy64["w"] + [0, 4 * U], "b": legacy64["b"]}  # w: 2 units of 2.0
    fast64 = {"w": legacy64["w"] + [U / 8, 0], "b": legacy64["b"], "step": np.array(3)}
    fast32 = {"w": fast64["w"], "b": fast64["b"] + 1.5 * U}  # b: 3 units of 0.5
    check = rounding_check("sgd", (fast32, fast64), ([legacy32], legacy64), 1.0, 5)
    assert (check.check, check.tensor, check.kind) == (
        "float32 rounding after 5 steps (sgd)",
        "the trained state",
        DIFFERENT,
    )
    # error 3 units; bound 1 x 2 units + the float64 results' distance, 1/16 of a unit
    assert check.max_abs == pytest.approx(3.0) and check.bound == pytest.approx(2.0625)
    assert not check.passed and check.ratio == pytest.approx(3 / 2.0625)
    assert check.note == "worst tensor b: 3 float32 units; legacy model's worst 2"
    # the farthest of the legacy model's float32 runs is its rounding
    other = {"w": legacy64["w"] + [0, 8 * U], "b": legacy64["b"]}
    again = rounding_check("sgd", (fast32, fast64), ([legacy32, other], legacy64), 1.0, 5)
    assert again.passed and again.bound == pytest.approx(4.0625)


def test_xla_and_tensorflow_approximations_are_measured_against_float64():
    accuracy = op_accuracy(n=1 << 16)
    assert [a.op for a in accuracy] == list(OPS)
    for a in accuracy:  # within a few ulps; no approximation is exact to half an ulp
        assert 0.5 < a.tensorflow < 8 and 0.5 < a.xla < 8, a
    assert rounding_factor() >= 1.0


def _pair(shape: str, steps: int):
    users, items, n, batch, dim, hidden = {
        "small": (60, 80, 2_400, 128, 8, 16),
        "bench": (2_000, 2_000, 60_000, 1024, 64, 128),
    }[shape]
    split = leave_last_out(synthetic(users, items, n, seed=1))
    spec = ModelSpec(split.n_users, split.n_items, dim, hidden, 5, 4)
    hparams = {**spec.as_dict(), "seed": 3, "jit_compile": True}
    return make_batches(split, spec, steps, batch, 3), hparams


def _proof(results):
    after = [r for r in results if r.check.startswith("after")]
    rounding = [r for r in results if r.check.startswith("float32 rounding")]
    return after, rounding


def _assert_proven(results, optimizers):
    after, rounding = _proof(results)
    assert all(r.passed for r in results), table(results)
    # part 1: every tensor after the steps bitwise or within 2^-24 max|.| in float64
    assert {r.kind for r in after} <= {SAME, FLOAT64} and FLOAT64 in {r.kind for r in after}
    # part 2: one check of the whole state per optimizer
    assert [r.check.split("(")[1] for r in rounding] == [f"{o})" for o in optimizers]
    assert all(0 <= r.ratio <= 1 for r in rounding), table(rounding)


def test_the_fast_path_is_proven_for_sgd_adagrad_and_adam(tmp_path):
    batches, hparams = _pair("small", 5)
    results = run_pair(LEGACY, MIGRATED, batches, hparams, seed=3, workdir=tmp_path)
    _assert_proven(results, ("sgd", "adagrad", "adam"))


@pytest.mark.slow
def test_the_fast_path_is_proven_at_the_benchmarks_shape(tmp_path):
    batches, hparams = _pair("bench", 20)
    results = run_pair(LEGACY, MIGRATED, batches, hparams, seed=3, workdir=tmp_path)
    _assert_proven(results, ("sgd", "adagrad", "adam"))


class RoughRsqrtAdagrad(optimizers.TF1Adagrad):
    """A wrong fast path: its XLA 1/sqrt is off by 1e-4 relative."""

    def _rsqrt(self, accumulator):
        return super()._rsqrt(accumulator) * (1 + 1e-4)


class Float32RoughRsqrtAdagrad(optimizers.TF1Adagrad):
    """A wrong fast path that float64 cannot see: a 1/sqrt off by 1e-4 relative in float32
    only, as a hardware estimate (x86's rsqrtps, 12 bits) would be."""

    def _rsqrt(self, accumulator):
        exact = super()._rsqrt(accumulator)
        return exact * (1 + 1e-4) if accumulator.dtype == "float32" else exact


def _wrongly_compiled(optimizer):
    def make(hparams):
        spec = ModelSpec.from_dict(hparams)
        model = compiled_model(spec, hparams["optimizer"], hparams["lr"], jit_compile=True)
        model.compile(
            optimizer=optimizer(hparams["lr"]),
            loss=NegativeSamplingLoss(),
            steps_per_execution=STEPS_PER_EXECUTION,
            jit_compile=True,
        )
        return model

    return make


@pytest.mark.parametrize(
    "optimizer, wrong, part",
    [
        ("adagrad", RoughRsqrtAdagrad, 1),
        ("adam", lambda lr: optimizers.TF1Adam(lr, epsilon=1e-7), 1),
        ("adagrad", Float32RoughRsqrtAdagrad, 2),
    ],
    ids=["rsqrt off by 1e-4", "adam epsilon 1e-7", "float32 rsqrt off by 1e-4"],
)
def test_a_wrong_fast_path_fails_the_proof(optimizer, wrong, part, tmp_path):
    batches, hparams = _pair("small", 5)
    results = run_pair(
        LEGACY, _wrongly_compiled(wrong), batches, hparams, optimizers=[optimizer], seed=3,
        workdir=tmp_path,
    )  # fmt: skip
    after, rounding = _proof(results)
    assert all(r.passed for r in results if r not in after + rounding), table(results)
    assert all(r.passed for r in (rounding if part == 1 else after)), table(results)
    failed = [r for r in (after if part == 1 else rounding) if not r.passed]
    assert failed, table(results)
