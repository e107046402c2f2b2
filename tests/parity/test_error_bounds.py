"""The floating-point bounds hold for every way of computing the same float32 result,
against an exact reference (float32 products are exact in float64; math.fsum rounds once)."""

import math

import numpy as np
import pytest

from tf2rec.tools.parity.error_bounds import U32, gamma, mean_bound


def spread(rng, shape):
    """Normal values over six orders of magnitude, so sums cancel and round a lot."""
    return (rng.standard_normal(shape) * 10.0 ** rng.uniform(-3, 3, shape)).astype(np.float32)


def test_mean_bound_holds_for_sum_then_divide_and_divide_then_sum():
    rng = np.random.default_rng(3)
    values = np.abs(spread(rng, 4096))
    exact = math.fsum(values.astype(np.float64).tolist()) / values.size
    n = np.float32(values.size)
    ways = {
        "numpy mean": np.mean(values, dtype=np.float32),
        "sum then divide": np.float32(values.sum(dtype=np.float32) / n),
        "divide then sum": (values / n).sum(dtype=np.float32),
    }
    bound = mean_bound(values)
    for way, value in ways.items():
        assert abs(float(value) - exact) <= bound, way
    assert bound == pytest.approx(gamma(values.size) * exact, rel=1e-9)


def test_gamma_needs_n_u_below_one():
    assert gamma(1) == pytest.approx(U32)
    with pytest.raises(ValueError, match="n u < 1"):
        gamma(2**24)
