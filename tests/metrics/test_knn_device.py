"""The torch screening path (here on CPU tensors) gives exactly the numpy engine's k-NN results."""

from __future__ import annotations

import numpy as np
import pytest

from synae.errors import ConfigError
from synae.metrics import knn
from synae.metrics import knn_device as kd

torch = pytest.importorskip("torch")


def sets(seed: int, n: int, m: int, d: int) -> tuple[np.ndarray, np.ndarray]:
    """Real and synthetic sets with duplicates inside and across sets and many exact ties."""
    rng = np.random.default_rng(seed)
    x = np.round(rng.normal(size=(n, d)), 1)
    y = np.round(rng.normal(size=(m, d)) + 0.2, 1)
    x[1::7] = x[0]  # duplicates within the real set
    y[: m // 4] = x[rng.integers(0, n, m // 4)]  # synthetic copies of real points
    return x, y


CASES = [(0, 12, 9, 3), (1, 60, 45, 8), (2, 400, 250, 16), (3, 1500, 900, 24)]


@pytest.mark.parametrize(("seed", "n", "m", "d"), CASES)
@pytest.mark.parametrize("k", [1, 2, 3, 4, 5])
def test_membership_and_radii_equal_numpy_engine(seed: int, n: int, m: int, d: int, k: int) -> None:
    x, y = sets(seed, n, m, d)
    assert np.array_equal(kd.prepare(x, k, "cpu").radii_sq, knn.prepare(x, k).radii_sq)
    want = knn.knn_membership(x, y, k)
    got = kd.knn_membership(x, y, k, device="cpu")
    for w, g in zip(want, got, strict=True):
        assert w is not None and g is not None
        assert g.dtype == bool and np.array_equal(w, g)
    (wp, wr), (gp, gr) = knn.knn_precision_recall(x, y, k), kd.knn_precision_recall(x, y, k, device="cpu")
    assert (gp.value, gr.value) == (wp.value, wr.value)
    assert gp.details["members"] == wp.details["members"] and gp.details["backend"] == "torch:cpu"


def test_integer_lattice_ties() -> None:
    """Points on a small integer grid: every distance is an integer, radii tie everywhere."""
    rng = np.random.default_rng(7)
    x = rng.integers(0, 3, size=(300, 4)).astype(float)
    y = rng.integers(0, 4, size=(200, 4)).astype(float)
    for k in (1, 3, 5):
        assert all(np.array_equal(a, b) for a, b in
                   zip(knn.knn_membership(x, y, k), kd.knn_membership(x, y, k, "cpu"), strict=True))


def test_blocks_partition_exactly() -> None:
    """Row blocks of radii concatenate, and partial real memberships OR, to the whole-set result."""
    x, y = sets(4, 300, 200, 8)
    xr, xs = knn.prepare(x, 3), knn.prepare(y, 3)
    u = xr.points.rows.shape[0]
    parts = [kd.radii_rows(xr.points, 3, s, min(s + 37, u), "cpu") for s in range(0, u, 37)]
    assert np.array_equal(np.concatenate(parts), xr.radii_sq)
    whole = kd.membership_of(xr, xs, None)
    v = xs.points.rows.shape[0]
    for device in (None, "cpu"):
        blocks = [kd.membership_rows(xr, xs, s, min(s + 41, v), device) for s in range(0, v, 41)]
        assert np.array_equal(np.concatenate([b[0] for b in blocks]), whole[0])
        assert np.array_equal(np.logical_or.reduce([b[1] for b in blocks]), whole[1])


def test_small_and_empty_sets_match() -> None:
    x, y = sets(5, 30, 20, 4)
    for real, syn in ((x[:3], y), (x, y[:2]), (x[:0], y), (x, y[:0])):
        want, got = knn.knn_precision_recall(real, syn, 3), kd.knn_precision_recall(real, syn, 3, "cpu")
        for w, g in zip(want, got, strict=True):
            assert (g.value, g.reason) == (w.value, w.reason)


def test_prepared_reference_with_other_k_is_refused() -> None:
    x, y = sets(6, 30, 20, 4)
    with pytest.raises(ValueError, match="k=3"):
        kd.knn_precision_recall(kd.prepare(x, 2, "cpu"), y, k=3, device="cpu")


def test_device_choice() -> None:
    assert kd.resolve_device("cpu") == "cpu"
    assert kd.resolve_device("auto") == ("cuda" if torch.cuda.is_available() else "cpu")
    with pytest.raises(ConfigError, match="unknown device"):
        kd.resolve_device("tpu")
    if not torch.cuda.is_available():
        with pytest.raises(ConfigError, match="no GPU"):
            kd.resolve_device("cuda")


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a GPU")
def test_cuda_equals_numpy_engine() -> None:
    x, y = sets(8, 3000, 2000, 32)
    for k in (1, 3, 5):
        assert all(np.array_equal(a, b) for a, b in
                   zip(knn.knn_membership(x, y, k), kd.knn_membership(x, y, k, "cuda"), strict=True))
