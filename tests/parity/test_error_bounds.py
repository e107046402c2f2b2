"""The floating-point bounds hold for every way of computing the same float32 result,
against an exact reference (float32 products are exact in float64; math.fsum rounds once)."""

import math

import numpy as np
import pytest

from tf2rec.tools.parity.error_bounds import (
    U32,
    gamma,
    input_error_term,
    matmul_bound,
    mean_bound,
    top_k_ratio,
)


def spread(rng, shape):
    """Normal values over six orders of magnitude, so sums cancel and round a lot."""
    return (rng.standard_normal(shape) * 10.0 ** rng.uniform(-3, 3, shape)).astype(np.float32)


def exact_dot(x, y) -> float:
    return math.fsum((x.astype(np.float64) * y.astype(np.float64)).tolist())


def float32_dots(x, y) -> dict[str, np.float32]:
    """One float32 dot product computed in several summation orders."""
    products = x * y  # rounded to float32, as a kernel without FMA does

    def sequential(values):
        total = np.float32(0)
        for v in values:
            total = np.float32(total + v)
        return total

    blocks = [sequential(products[i : i + 16]) for i in range(0, len(products), 16)]
    return {
        "left to right": sequential(products),
        "right to left": sequential(products[::-1]),
        "pairwise (numpy sum)": products.sum(dtype=np.float32),
        "blocks of 16": sequential(np.array(blocks, np.float32)),
        "BLAS dot": np.dot(x, y),
    }


def test_dot_product_bound_holds_for_every_summation_order():
    rng = np.random.default_rng(0)
    a = spread(rng, (20, 700))
    b = spread(rng, (700, 3))
    bound = matmul_bound(a, b)
    worst = 0.0
    for i in range(a.shape[0]):
        for j in range(b.shape[1]):
            exact = exact_dot(a[i], b[:, j])
            for order, value in float32_dots(a[i], b[:, j]).items():
                error = abs(float(value) - exact)
                assert error <= bound[i, j], (order, i, j, error, bound[i, j])
                worst = max(worst, error / bound[i, j])
    assert worst > 0  # the orders did round differently from the exact value
    matmul = a @ b
    exact = np.array([[exact_dot(a[i], b[:, j]) for j in range(3)] for i in range(20)])
    assert (np.abs(matmul - exact) <= bound).all()


def test_two_computations_differ_by_at_most_both_bounds():
    rng = np.random.default_rng(1)
    x = spread(rng, (1, 500))
    y = spread(rng, (500, 1))
    dots = float32_dots(x[0], y[:, 0])
    spread_between = max(dots.values()) - min(dots.values())
    assert 0 < spread_between <= 2 * matmul_bound(x, y)[0, 0]


def test_input_error_term_bounds_the_change_of_the_exact_product():
    rng = np.random.default_rng(2)
    a = spread(rng, (4, 50))
    a_other = (a * (1 + rng.uniform(-1e-6, 1e-6, a.shape))).astype(np.float32)
    b = spread(rng, (50, 5))
    exact = a.astype(np.float64) @ b.astype(np.float64)
    exact_other = a_other.astype(np.float64) @ b.astype(np.float64)
    assert (np.abs(exact - exact_other) <= input_error_term(a, a_other, b)).all()
    assert (input_error_term(a, a, b) == 0).all()


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


def test_top_k_ratio_rejects_repeats_excluded_ids_and_far_swaps():
    scores = np.array([[9.0, 5.0, 4.0, 3.0, 3.0]])
    excluded = np.array([True, False, False, False, False])
    zero = np.zeros_like(scores)
    assert top_k_ratio(scores, zero, np.array([[1, 2, 3]]), excluded).tolist() == [0.0]
    # items 3 and 4 tie exactly: either may take the last place, with no bound at all
    assert top_k_ratio(scores, zero, np.array([[1, 2, 4]]), excluded).tolist() == [0.0]
    assert top_k_ratio(scores, zero, np.array([[1, 1, 2]]), excluded).tolist() == [np.inf]
    assert top_k_ratio(scores, zero, np.array([[0, 1, 2]]), excluded).tolist() == [np.inf]
    # 2 before 1 needs each of them to move by half their gap of 1.0
    assert top_k_ratio(scores, np.full_like(scores, 0.25), np.array([[2, 1]]), excluded) == [2.0]
    assert top_k_ratio(scores, np.full_like(scores, 0.5), np.array([[2, 1]]), excluded) == [1.0]
