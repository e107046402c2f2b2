"""The two kinds of check, and what one reports.

- **same computation** (`compare_bitwise`): both sides run the same operations in the same
  order on the same shapes and dtypes, with the same kernels wherever a result is not
  correctly rounded. Then the results are bitwise equal (0 ULP) on any one machine, whatever
  its CPU, and the check passes only so.
- **different computation** (`compare_bounded`): a per-element bound from floating-point
  error analysis (`error_bounds`), never a constant; the report shows the largest error as a
  fraction of its bound, which must be at most 1.
- **float64 equivalence** (`compare_float64`): both sides ran in float64 from the same
  float32 start. Two orderings of the same mathematics then differ by a few float64 roundings
  (~1e-16 relative), while a migration that computes something else (an epsilon, a mask, a
  rate, a reduction) differs by more than float32's own rounding. A tensor passes when
  `max|a - b| <= 2^-24 max(max|a|, max|b|)`: the two float64 results agree to within one
  float32 rounding of the tensor's scale, which is what float32 training could not tell apart
  anyway. The report shows the ratio, so a small term one side drops shows as a small one.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

SAME = "same computation"
DIFFERENT = "different computation"
FLOAT64 = "float64 equivalence"


@dataclass
class Comparison:
    check: str
    tensor: str
    kind: str  # SAME (bitwise), DIFFERENT (within its bound) or FLOAT64 (both in float64)
    passed: bool
    why: str  # what makes both sides compute alike, or where they differ and the bound
    max_abs: float | None = None
    max_ulp: int | None = None
    bound: float | None = None  # DIFFERENT: the bound where error / bound is largest
    ratio: float | None = None  # DIFFERENT, FLOAT64: the largest error / bound (passes at <= 1)
    note: str = ""
    cause: str = ""  # a failed check: what usually makes that tensor differ (causes.py)


def ulp_distance(a: np.ndarray, b: np.ndarray) -> int:
    """Largest number of representable float32 values between paired elements."""

    def ordered(x):
        i = np.asarray(x, np.float32).view(np.int32).astype(np.int64)
        return np.where(i < 0, -(i & 0x7FFFFFFF), i)

    if a.size == 0:
        return 0
    return int(np.abs(ordered(a) - ordered(b)).max())


def _as_pair(check, tensor, kind, ours, theirs, why, dtype=np.float32):
    """Both sides as `dtype` arrays, or a failed Comparison when their shapes differ."""
    ours = np.asarray(ours, dtype)
    theirs = np.asarray(theirs, dtype)
    if ours.shape != theirs.shape:
        note = f"shape {ours.shape} vs {theirs.shape}"
        return None, None, Comparison(check, tensor, kind, False, why, note=note)
    return ours, theirs, None


def compare_bitwise(check: str, tensor: str, ours, theirs, why: str) -> Comparison:
    """A check of the same computation: passes only when every bit is equal."""
    ours, theirs, failed = _as_pair(check, tensor, SAME, ours, theirs, why)
    if failed:
        return failed
    diff = np.abs(ours.astype(np.float64) - theirs)
    ulp = ulp_distance(ours, theirs)
    max_abs = float(np.nanmax(diff)) if diff.size else 0.0
    return Comparison(check, tensor, SAME, ulp == 0, why, max_abs=max_abs, max_ulp=ulp)


def compare_bounded(check: str, tensor: str, ours, theirs, bound, why: str) -> Comparison:
    """A check of a different computation: passes when |ours - theirs| <= bound everywhere
    (`bound` per element, broadcast against the tensors)."""
    ours, theirs, failed = _as_pair(check, tensor, DIFFERENT, ours, theirs, why)
    if failed:
        return failed
    if ours.size == 0:
        return Comparison(check, tensor, DIFFERENT, True, why, 0.0, 0, 0.0, 0.0)
    diff = np.abs(ours.astype(np.float64) - theirs)
    bound = np.broadcast_to(np.asarray(bound, np.float64), diff.shape)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratios = np.where(diff == 0, 0.0, diff / bound)
    ratios = np.where(np.isnan(ratios), np.inf, ratios)  # NaN on either side fails
    worst = np.unravel_index(np.argmax(ratios), ratios.shape)
    ratio = float(ratios[worst])
    return Comparison(
        check,
        tensor,
        DIFFERENT,
        ratio <= 1.0,
        why,
        max_abs=float(np.nanmax(diff)),
        max_ulp=ulp_distance(ours, theirs),
        bound=float(bound[worst]) if ratio > 0 else float(bound.max()),
        ratio=ratio,
    )


FLOAT32_ROUNDING = 2.0**-24  # float32's unit roundoff


def compare_float64(
    check: str, tensor: str, ours, theirs, why: str, rounding: float = 0.0
) -> Comparison:
    """A check run in float64 on both sides: passes when max|ours - theirs| is at most
    2^-24 max(max|ours|, max|theirs|) (zero on both: equal), or at most `rounding`: how far
    the legacy model's own float32 result is from its float64 one. A tensor whose exact
    value is zero (the gradient of a bias that a normalisation or a softmax cancels) is
    rounding noise in both precisions, of the size of the terms that cancelled, not of its
    own; the legacy model's float32 error measures that size."""
    ours, theirs, failed = _as_pair(check, tensor, FLOAT64, ours, theirs, why, np.float64)
    if failed:
        return failed
    if ours.size == 0:
        return Comparison(check, tensor, FLOAT64, True, why, 0.0, None, 0.0, 0.0)
    with np.errstate(invalid="ignore"):
        error = float(np.max(np.abs(ours - theirs)))
        scale = float(max(np.max(np.abs(ours)), np.max(np.abs(theirs))))
    bound = max(FLOAT32_ROUNDING * scale, rounding)
    if np.isnan(error) or np.isnan(scale):
        ratio = np.inf  # NaN on either side fails
    else:
        ratio = 0.0 if error == 0 else (error / bound if bound > 0 else np.inf)
    return Comparison(
        check, tensor, FLOAT64, ratio <= 1.0, why, max_abs=error, bound=bound, ratio=float(ratio)
    )
