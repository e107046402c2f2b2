"""Floating-point error bounds for two computations of the same float32 quantity.

Two programs that compute the same real number by different means (a mean against a sum
and a division, another summation order, another kernel) agree only up to rounding, and by
how much depends on the CPU they run on. What does not depend on the CPU is the classical
bound (Higham, *Accuracy and Stability of Numerical Algorithms*, 2nd ed., sections 3.1 and
4.2): with unit roundoff u = 2^-24 and gamma_n = n u / (1 - n u), a float32 sum of n terms
is within gamma_(n-1) sum_i |x_i| of the exact sum, in every order of summation, blocked or
pairwise. Two computations each within its bound of the exact value differ by at most the
sum of the two bounds. The sums of |x_i| are taken in float64 and enlarged by float64's own
gamma_n, so a computed bound is never below the true one.
"""

from __future__ import annotations

import numpy as np

U32 = 2.0**-24  # float32 unit roundoff (round to nearest)
U64 = 2.0**-53


def gamma(n: int, u: float = U32) -> float:
    """gamma_n = n u / (1 - n u): the relative error bound of n rounded operations."""
    if n * u >= 1:
        raise ValueError(f"gamma_n is defined for n u < 1; got n={n}, u={u:g}")
    return n * u / (1 - n * u)


def _enlarged(sums, n: int):
    """Sums of n non-negative float64 terms, enlarged past their own rounding error."""
    return sums * (1 + gamma(max(n, 1), U64))


def mean_bound(values: np.ndarray) -> float:
    """Error bound of one float32 mean of `values` (summed in any order, then divided by
    n, or each divided first): gamma_n * sum |v_i| / n."""
    n = values.size
    total = float(np.abs(values.astype(np.float64)).sum())
    return gamma(max(n, 1)) * _enlarged(total, n) / max(n, 1)
