"""Distances between one-dimensional samples and label distributions (``docs/method.md`` §2.3, §2.9).

All functions are exact and pure; ``None`` means "undefined for these inputs" (an empty side).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np


def wasserstein(a: Sequence[float] | np.ndarray, b: Sequence[float] | np.ndarray, p: int = 1) -> float | None:
    """Exact Wasserstein distance of order ``p`` between two uniform-weight samples.

    W_p(a, b) = (∫₀¹ |F_a⁻¹(u) − F_b⁻¹(u)|^p du)^{1/p} with F⁻¹ the empirical quantile functions.
    Both quantile functions are constant between the merged breakpoints {i/m} ∪ {j/m′}; they are
    merged in exact integer arithmetic (units of 1/(m·m′)), so the result is the exact integral.
    Booleans count as 0/1. Either sample empty → ``None``. O(m log m + m′ log m′) time: the sorts of
    the samples; the breakpoints are merged in linear time (:func:`_union_sorted`).
    """
    return wasserstein_sorted(np.sort(np.asarray(a, dtype=np.float64).ravel()),
                              np.sort(np.asarray(b, dtype=np.float64).ravel()), p)


def wasserstein_sorted(xa: np.ndarray, xb: np.ndarray, p: int = 1) -> float | None:
    """:func:`wasserstein` of two samples given as ascending float64 arrays (a side compared many
    times is sorted once: the real side of the collapse anchor's comparisons). Against a single
    value x (the anchor's one row) the segments are the other side's own: W_p^p = (1/m) Σ |a_i − x|^p,
    computed from the same terms as the general merge, so the value is the same to the last bit."""
    m, n = xa.size, xb.size
    if m == 0 or n == 0:
        return None
    if p not in (1, 2):
        raise ValueError(f"wasserstein order must be 1 or 2, got {p}")
    if m == 1 or n == 1:  # a point: the breakpoints are the other side's, each segment 1/size long
        sample, point = (xa, xb[0]) if n == 1 else (xb, xa[0])
        lengths = np.full(sample.size, 1 / sample.size)
        diff = np.abs(sample - point)
    else:  # breakpoints i·n (i = 1..m) and j·m (j = 1..n) in units of 1/(m·n)
        ends = _union_sorted(np.arange(1, m + 1, dtype=np.int64) * n, np.arange(1, n + 1, dtype=np.int64) * m)
        starts = np.concatenate(([0], ends[:-1]))
        lengths = (ends - starts) / (m * n)
        diff = np.abs(xa[starts // n] - xb[starts // m])
    if p == 1:
        return float(np.dot(lengths, diff))
    return float(math.sqrt(max(np.dot(lengths, diff * diff), 0.0)))


def _union_sorted(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """The sorted distinct values of two ascending integer arrays without repeats (``np.union1d``'s
    result): a stable sort of their concatenation merges the two sorted runs in linear time
    (``np.union1d`` sorts from scratch, 3 ms at 20,000 values against 0.03 ms)."""
    merged = np.sort(np.concatenate((a, b)), kind="stable")
    keep = np.empty(merged.size, dtype=bool)
    keep[:1] = True
    np.not_equal(merged[1:], merged[:-1], out=keep[1:])
    return merged[keep]


def total_variation(p: Mapping[str, float], q: Mapping[str, float]) -> float | None:
    """TV(P, Q) = ½ Σ_v |P(v) − Q(v)| over the union of labels; P, Q given as counts.

    Counts are normalised per side. Either side with a zero total → ``None``. Bounds [0, 1].
    """
    tp, tq = float(sum(p.values())), float(sum(q.values()))
    if tp <= 0 or tq <= 0:
        return None
    keys = set(p) | set(q)
    return 0.5 * math.fsum(abs(p.get(k, 0) / tp - q.get(k, 0) / tq) for k in keys)


def entropy(counts: Mapping[object, float] | Sequence[float]) -> float | None:
    """H = −Σ p ln p (nats) of the distribution given by counts; ``None`` for a zero total.

    Zero counts contribute nothing (0 ln 0 = 0); a tiny negative result is clipped to 0.
    """
    values = np.asarray(list(counts.values()) if isinstance(counts, Mapping) else counts, dtype=np.float64)
    total = values.sum()
    if total <= 0:
        return None
    prob = values[values > 0] / total
    return float(max(-np.sum(prob * np.log(prob)), 0.0))
