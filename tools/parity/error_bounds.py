"""Floating-point error bounds for two computations of the same float32 quantity.

Two programs that compute the same real number by different means (numpy against
TensorFlow, a fused against an unfused kernel, another summation order, another device)
agree only up to rounding, and by how much depends on the CPU they run on. What does not
depend on the CPU is the classical bound (Higham, *Accuracy and Stability of Numerical
Algorithms*, 2nd ed., section 3.1): with unit roundoff u = 2^-24 and
gamma_n = n u / (1 - n u),

    |fl(x . y) - x . y| <= gamma_n * sum_i |x_i y_i|

for every order of summation, blocked or pairwise, with or without fused multiply-add.
Gradual underflow adds at most half a subnormal spacing per product. Each bound here is
per element; two computations each within its bound of the exact value differ by at most
the sum of the two bounds, and an error in an input adds its own first-order term (see
`harness`). The sums of |x_i y_i| are taken in float64 and enlarged by float64's own
gamma_n, so a computed bound is never below the true one.
"""

from __future__ import annotations

import numpy as np

U32 = 2.0**-24  # float32 unit roundoff (round to nearest)
U64 = 2.0**-53
SUBNORMAL32 = 2.0**-149  # spacing of float32's subnormals


def gamma(n: int, u: float = U32) -> float:
    """gamma_n = n u / (1 - n u): the relative error bound of n rounded operations."""
    if n * u >= 1:
        raise ValueError(f"gamma_n is defined for n u < 1; got n={n}, u={u:g}")
    return n * u / (1 - n * u)


def _enlarged(sums, n: int):
    """Sums of n non-negative float64 terms, enlarged past their own rounding error."""
    return sums * (1 + gamma(max(n, 1), U64))


def matmul_bound(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Per-element error bound of one float32 computation of `a @ b` (any algorithm).

    >>> a = np.array([[1.0, 2.0]], np.float32); b = np.array([[3.0], [-4.0]], np.float32)
    >>> bool(matmul_bound(a, b)[0, 0] == gamma(2) * 11 * (1 + gamma(2, U64)) + SUBNORMAL32)
    True
    """
    n = a.shape[-1]
    absolute = np.abs(a.astype(np.float64)) @ np.abs(b.astype(np.float64))
    return gamma(n) * _enlarged(absolute, n) + n * SUBNORMAL32 / 2


def input_error_term(a: np.ndarray, a_other: np.ndarray, b: np.ndarray) -> np.ndarray:
    """|a - a_other| @ |b|: how far `a @ b` moves when `a` is replaced by `a_other`.

    Exact in real arithmetic, so it composes with the rounding bounds of each side.
    """
    n = a.shape[-1]
    delta = np.abs(a.astype(np.float64) - a_other.astype(np.float64))
    return _enlarged(delta @ np.abs(b.astype(np.float64)), n)


def mean_bound(values: np.ndarray) -> float:
    """Error bound of one float32 mean of `values` (summed in any order, then divided by
    n, or each divided first): gamma_n * sum |v_i| / n."""
    n = values.size
    total = float(np.abs(values.astype(np.float64)).sum())
    return gamma(max(n, 1)) * _enlarged(total, n) / max(n, 1)


def top_k_ratio(
    scores: np.ndarray, bound: np.ndarray, lists: np.ndarray, excluded: np.ndarray
) -> np.ndarray:
    """Per row, the least t such that `lists[row]` is a best-first top-k list of some scores
    within t * `bound` of `scores`, never naming an `excluded` column (t <= 1: consistent).

    A list is a top-k of scores s' iff it is sorted by s' and no other item beats its last
    one; with each s'_i free in [s_i - t b_i, s_i + t b_i] that holds iff every item ranked
    below another (later in the list, or not in it) could score no higher: s_later - t
    b_later <= s_earlier + t b_earlier. So t is the largest (s_later - s_earlier) /
    (b_earlier + b_later) over such pairs: two near-tied items may swap, nothing else.
    Exact ties cost nothing; a list that repeats an item or names an excluded one is inf.

    >>> s = np.array([[0.0, 3.0, 2.0, 1.0]]); ex = np.array([True, False, False, False])
    >>> top_k_ratio(s, np.full_like(s, 0.25), np.array([[1, 2]]), ex).tolist()
    [0.0]
    >>> top_k_ratio(s, np.full_like(s, 0.25), np.array([[2, 1]]), ex).tolist()
    [2.0]
    >>> top_k_ratio(s, np.full_like(s, 0.5), np.array([[1, 3]]), ex).tolist()
    [1.0]
    """
    scores = np.asarray(scores, np.float64)
    bound = np.asarray(bound, np.float64)
    ratios = np.zeros(len(lists))
    for row, items in enumerate(np.asarray(lists)):
        if len(set(items.tolist())) < len(items) or excluded[items].any():
            ratios[row] = np.inf
            continue
        s, b = scores[row], bound[row]
        others = np.ones(s.shape, bool)
        others[items] = False
        others &= ~excluded
        later = np.triu(np.ones((len(items), len(items)), bool), 1)
        ratios[row] = max(
            # each list position against every item after it in the list ...
            _largest_ratio(
                (s[items][None, :] - s[items][:, None])[later],
                (b[items][None, :] + b[items][:, None])[later],
            ),
            # ... and against every item not in it
            _largest_ratio(
                s[others][None, :] - s[items][:, None],
                b[others][None, :] + b[items][:, None],
            ),
        )
    return ratios


def _largest_ratio(gap: np.ndarray, slack: np.ndarray) -> float:
    """max(gap / slack) over the positive gaps (an inversion); 0.0 when there is none."""
    inverted = gap > 0
    if not inverted.any():
        return 0.0
    with np.errstate(divide="ignore"):
        return float((gap[inverted] / slack[inverted]).max())
