"""The torch screening path (here on CPU tensors) gives exactly the numpy engine's k-NN results."""

from __future__ import annotations

import numpy as np
import pytest

from helpers.knn_data import tied_sets
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


# every case fits one CPU screening block (_CPU_BLOCK_ENTRIES); test_blocks_partition_exactly and
# test_device_pass_keeps_loo_and_nearest_real cover several blocks
CASES = [(0, 12, 9, 3), (1, 60, 45, 8), (2, 400, 250, 16), (3, 600, 360, 24)]


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


def top2_nearest(xr: knn.KnnReference, xs: knn.KnnReference, blocks: list[tuple]) -> knn.NearestReal:
    """Nearest real rows from the ``membership_rows`` blocks' lists, merged as the Ray executor does."""
    return knn._nearest_of(knn._NearestTop2.concat([b[2] for b in blocks]), xr.points, xs.points)


def test_blocks_partition_exactly() -> None:
    """Row blocks of radii and LOO distances concatenate, partial real memberships OR, and the
    nearest-real lists concatenate, to the whole-set result."""
    x, y = sets(4, 300, 200, 8)
    xr, xs = knn.prepare(x, 3), knn.prepare(y, 3)
    u = xr.points.rows.shape[0]
    parts = [kd.radii_rows(xr.points, 3, s, min(s + 37, u), "cpu") for s in range(0, u, 37)]
    assert np.array_equal(np.concatenate([p[0] for p in parts]), xr.radii_sq)
    assert np.array_equal(np.concatenate([p[1] for p in parts]), xr.loo_sq)
    whole = kd.membership_of(xr, xs, None, y)
    want = knn.nearest_real(knn.prepare(x, 3), y)
    v = xs.points.rows.shape[0]
    for device in (None, "cpu"):
        blocks = [kd.membership_rows(xr, xs, s, min(s + 41, v), device) for s in range(0, v, 41)]
        assert np.array_equal(np.concatenate([b[0] for b in blocks]), whole[0])
        assert np.array_equal(np.logical_or.reduce([b[1] for b in blocks]), whole[1])
        got = top2_nearest(xr, xs, blocks)
        assert np.array_equal(got.dist_sq, want.dist_sq) and np.array_equal(got.index, want.index)


@pytest.mark.parametrize("device", [None, "cpu"])
@pytest.mark.parametrize("k", [1, 3])
def test_radii_rows_loo_equals_numpy_engine(device: str | None, k: int) -> None:
    x, _ = tied_sets(9)
    pts = knn._Points.of(x)
    u = pts.rows.shape[0]
    radii, loo = (np.concatenate(p) for p in zip(*[kd.radii_rows(pts, k, s, min(s + 29, u), device)
                                                   for s in range(0, u, 29)], strict=True))
    want = knn.prepare(x, k)
    assert np.array_equal(radii, want.radii_sq) and np.array_equal(loo, want.loo_sq)
    scanned = knn.leave_one_out_sq(knn.KnnReference(want.points, want.radii_sq, want.n, k))
    assert np.array_equal(loo, scanned)
    # brute force (lattice: exact): the nearest other distinct row, 0 for a row with copies
    diff = pts.rows[:, None, :] - pts.rows[None, :, :]
    sq = np.einsum("ijk,ijk->ij", diff, diff)
    np.fill_diagonal(sq, np.where(pts.counts > 1, 0.0, np.inf))
    assert np.array_equal(loo, sq.min(axis=1))
    i5 = pts.inverse[5]
    assert loo[i5] == 0.25 and loo[pts.inverse[0]] == 0.0


@pytest.mark.parametrize("block_entries", [4000, 1 << 23])  # 4000: blocks of 20 rows (8-10 blocks)
def test_device_pass_keeps_loo_and_nearest_real(monkeypatch: pytest.MonkeyPatch, block_entries: int) -> None:
    """The device engine's reference keeps the LOO distances and its membership pass the synthetic
    rows' nearest real rows (for the very input array), equal to the numpy engine's fresh passes;
    the privacy metric then reads both without a pass of its own."""
    monkeypatch.setattr(kd, "_CPU_BLOCK_ENTRIES", block_entries)
    x, y = tied_sets(10)
    for k in (1, 3):
        ref = kd.prepare(x, k, "cpu")
        want_loo = knn.leave_one_out_sq(knn.KnnReference(ref.points, ref.radii_sq, ref.n, k))
        assert ref.loo_sq is not None and np.array_equal(ref.loo_sq, want_loo)
        kd.knn_precision_recall(ref, y, k, device="cpu")
        assert ref.last_pass is not None and ref.last_pass[0] is y
        got, want = ref.last_pass[1], knn.nearest_real(knn.prepare(x, k), y)
        assert np.array_equal(got.points.rows, want.points.rows)
        assert np.array_equal(got.dist_sq, want.dist_sq) and np.array_equal(got.index, want.index)
        assert knn.nearest_real(ref, y) is got and knn.leave_one_out_sq(ref) is ref.loo_sq
        y_ref = kd.prepare(y, k, "cpu")  # a prepared synthetic side: recorded for that object
        kd.knn_membership(ref, y_ref, k, device="cpu")
        assert ref.last_pass[0] is y_ref


def test_single_distinct_real_row() -> None:
    """One distinct real row: no second column for the nearest lists (−∞ as in the numpy engine)."""
    x, y = np.repeat(tied_sets(11)[0][:1], 5, axis=0), tied_sets(11)[1]
    ref = kd.prepare(x, 3, "cpu")
    kd.knn_precision_recall(ref, y, 3, device="cpu")
    assert ref.last_pass is not None and ref.loo_sq is not None and np.array_equal(ref.loo_sq, [0.0])
    got, want = ref.last_pass[1], knn.nearest_real(knn.prepare(x, 3), y)
    assert np.array_equal(got.dist_sq, want.dist_sq) and not got.index.any()


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
    x, y = tied_sets(8)
    ref, want = kd.prepare(x, 3, "cuda"), knn.prepare(x, 3)
    assert np.array_equal(ref.radii_sq, want.radii_sq) and np.array_equal(ref.loo_sq, want.loo_sq)
    kd.knn_precision_recall(ref, y, 3, "cuda")
    assert ref.last_pass is not None and ref.last_pass[0] is y
    got, want_near = ref.last_pass[1], knn.nearest_real(want, y)
    assert np.array_equal(got.dist_sq, want_near.dist_sq) and np.array_equal(got.index, want_near.index)
