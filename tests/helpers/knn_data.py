"""k-NN test data with exact distances and ties, and the check that a k-NN pass through an executor
leaves on the real reference what ``privacy.near_copies`` reads (shared by the engine and executor
tests)."""

from __future__ import annotations

import numpy as np
import pytest

from synae.metrics import knn, privacy


def tied_sets(seed: int, n: int = 200, m: int = 150, d: int = 8) -> tuple[np.ndarray, np.ndarray]:
    """Half-integer lattice points (every squared distance exact in float64, many exact ties), copies
    inside and across the sets, real points with two real neighbours at exactly equal and at nearly
    equal (1e-9 apart) distances, synthetic midpoints of two real points (equidistant) and points
    1e-9 off such midpoints (ties inside the screening's error band)."""
    rng = np.random.default_rng(seed)
    x = rng.integers(-3, 4, size=(n, d)) * 0.5
    y = rng.integers(-3, 4, size=(m, d)) * 0.5 + 0.25
    x[1::9] = x[0]
    x[6], x[7], x[8] = x[5], x[5], x[5]
    x[6, 0] += 0.5
    x[7, 0] -= 0.5  # x[5]'s nearest others: x[6] and x[7], at exactly the same distance
    x[8, 1] += 0.5 + 1e-9  # and x[8], a near-tie
    y[:20] = x[rng.integers(0, n, 20)]
    a, b = rng.integers(0, n, 30), rng.integers(0, n, 30)
    y[20:50] = (x[a] + x[b]) / 2
    y[50:60] = y[40:50] + 1e-9 * rng.normal(size=(10, d))
    return x, y


def check_near_copies_reuse(knn_pass: object, ref: knn.KnnReference, x: np.ndarray, y: np.ndarray,
                            monkeypatch: pytest.MonkeyPatch) -> None:
    """After ``knn_pass(ref, y)`` (an executor's ``knn_precision_recall``), ``ref`` holds its
    leave-one-out distances and, for the very array ``y``, the nearest real rows — equal to the
    numpy engine's fresh passes — so ``near_copies`` makes no pass (both passes disabled) and
    equals its value on a fresh reference."""
    rows_x, rows_y = np.arange(x.shape[0]), np.arange(y.shape[0])
    fresh = knn.prepare(x, 3)
    want = privacy.near_copies(fresh, y, rows_y, rows_x)
    want_near = knn.nearest_real(knn.prepare(x, 3), y)
    knn_pass(ref, y)  # type: ignore[operator]
    assert ref.loo_sq is not None and np.array_equal(ref.loo_sq, fresh.loo_sq)
    assert ref.last_pass is not None and ref.last_pass[0] is y
    near = ref.last_pass[1]
    assert np.array_equal(near.dist_sq, want_near.dist_sq) and np.array_equal(near.index, want_near.index)
    with monkeypatch.context() as m:
        m.setattr(knn, "_radii_numpy", None)  # any pass would fail now
        m.setattr(knn, "_membership_numpy", None)
        got = privacy.near_copies(ref, y, rows_y, rows_x)
    assert (got.value, got.details) == (want.value, want.details) and got.value
