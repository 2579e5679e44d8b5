"""Wasserstein, TV and entropy against direct implementations written here."""

from __future__ import annotations

import math
from collections import Counter

import numpy as np
import pytest
from scipy.stats import wasserstein_distance

from synae.metrics.distances import _union_sorted, entropy, total_variation, wasserstein, wasserstein_sorted


def quantile_integral(a, b, p, grid_per_unit):
    """∫₀¹ |F_a⁻¹(u) − F_b⁻¹(u)|^p du evaluated at cell midpoints of a grid that contains every
    breakpoint i/m and j/m′ (the integrand is constant on each cell, so this is exact)."""
    a, b = np.sort(a), np.sort(b)
    cells = len(a) * len(b) * grid_per_unit
    u = (np.arange(cells) + 0.5) / cells
    qa = a[np.ceil(u * len(a)).astype(int) - 1]
    qb = b[np.ceil(u * len(b)).astype(int) - 1]
    return (np.mean(np.abs(qa - qb) ** p)) ** (1 / p)


@pytest.mark.parametrize("p", [1, 2])
@pytest.mark.parametrize("sizes", [(1, 1), (3, 5), (7, 4), (20, 13)])
def test_wasserstein_equals_direct_quantile_integration(p, sizes):
    rng = np.random.default_rng(sum(sizes) + p)
    a = rng.normal(size=sizes[0])
    b = rng.exponential(size=sizes[1]) * 3
    assert wasserstein(a, b, p) == pytest.approx(quantile_integral(a, b, p, 2), rel=1e-12, abs=1e-12)


def test_wasserstein_order_1_matches_scipy_and_is_translation_invariant():
    rng = np.random.default_rng(1)
    a, b = rng.integers(0, 9, 40), rng.integers(2, 12, 33)
    assert wasserstein(a, b, 1) == pytest.approx(wasserstein_distance(a, b), rel=1e-12)
    assert wasserstein(a + 100.5, b + 100.5, 1) == pytest.approx(wasserstein(a, b, 1), rel=1e-12)
    assert wasserstein(a, a, 2) == 0.0


@pytest.mark.parametrize("m, n", [(1, 1), (3, 1), (1, 5), (6, 4), (7, 3), (20_000, 1), (999, 1000), (12, 12)])
def test_breakpoints_merge_equals_union1d(m, n):
    a = np.arange(1, m + 1, dtype=np.int64) * n
    b = np.arange(1, n + 1, dtype=np.int64) * m
    merged = _union_sorted(a, b)
    assert np.array_equal(merged, np.union1d(a, b))
    assert merged[-1] == m * n and np.all(np.diff(merged) > 0)


def test_wasserstein_edge_cases():
    assert wasserstein([], [1.0]) is None
    assert wasserstein([1.0], []) is None
    assert wasserstein([True, False], [1, 1]) == pytest.approx(0.5)  # booleans count as 0/1
    assert wasserstein([0.0], [3.0], 2) == pytest.approx(3.0)
    with pytest.raises(ValueError):
        wasserstein([1.0], [2.0], 3)


def test_total_variation():
    p = Counter(["a", "a", "b", "None"])
    q = Counter(["a", "c"])
    expected = 0.5 * (abs(0.5 - 0.5) + abs(0.25 - 0) + abs(0.25 - 0) + abs(0 - 0.5))
    assert total_variation(p, q) == pytest.approx(expected)
    assert total_variation(p, p) == 0.0
    assert total_variation(Counter(["x"]), Counter(["y"])) == 1.0
    assert total_variation({}, q) is None


def test_entropy():
    assert entropy({"a": 2, "b": 2}) == pytest.approx(math.log(2))
    assert entropy([5, 0]) == 0.0
    assert entropy([]) is None
    assert entropy([1, 1, 1, 1]) == pytest.approx(math.log(4))


def _merged_form(xa: np.ndarray, xb: np.ndarray, p: int) -> float:
    """W_p from the merged breakpoints, for any sizes (the general branch, written out)."""
    m, n = xa.size, xb.size
    ends = np.union1d(np.arange(1, m + 1) * n, np.arange(1, n + 1) * m)
    starts = np.concatenate(([0], ends[:-1]))
    lengths = (ends - starts) / (m * n)
    diff = np.abs(xa[starts // n] - xb[starts // m])
    return float(np.dot(lengths, diff)) if p == 1 else float(np.sqrt(max(np.dot(lengths, diff * diff), 0.0)))


@pytest.mark.parametrize("m", [1, 2, 7, 1000, 20001])
@pytest.mark.parametrize("p", [1, 2])
def test_a_single_value_against_a_sample_is_the_merged_form_to_the_last_bit(m, p):
    rng = np.random.default_rng(m)
    sample = np.sort(rng.normal(3.0, 2.0, m))
    point = np.array([rng.normal()])
    assert wasserstein_sorted(sample, point, p) == _merged_form(sample, point, p)
    assert wasserstein_sorted(point, sample, p) == _merged_form(point, sample, p)
