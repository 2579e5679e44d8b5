"""k-NN precision/recall: blockwise numpy and faiss paths against brute force."""

from __future__ import annotations

import numpy as np
import pytest

from synae.metrics import knn
from synae.metrics.knn import knn_precision_recall, knn_radii_sq


def sq_dists(a, b):
    """Exact squared distances, same summation as the implementation's exact recheck."""
    diff = a[:, None, :] - b[None, :, :]
    return np.einsum("ijk,ijk->ij", diff, diff)


def brute_force(x, y, k):
    rx = np.sort(sq_dists(x, x), axis=1)[:, k]
    ry = np.sort(sq_dists(y, y), axis=1)[:, k]
    dyx = sq_dists(y, x)
    return (dyx <= rx[None, :]).any(axis=1).mean(), (dyx <= ry[:, None]).any(axis=0).mean(), rx


def dataset(seed, m=150, n=120, d=6, dup=True):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(m, d))
    y = np.vstack([rng.normal(size=(n, d)) * 1.2 + 0.3, x[:15]])  # some synthetic copies of real points
    if dup:
        x = np.vstack([x, x[:5], x[:5], x[7:9]])  # exact duplicates in the real set
    return x, y


@pytest.mark.parametrize("backend", ["numpy", "faiss"])
@pytest.mark.parametrize("k", [1, 3, 5])
def test_knn_equals_brute_force(backend, k):
    x, y = dataset(k)
    p, r, rx = brute_force(x, y, k)
    prec, rec = knn_precision_recall(x, y, k=k, backend=backend)
    assert prec.value == p and rec.value == r
    assert np.array_equal(knn_radii_sq(x, k, backend=backend), rx)
    assert prec.details["backend"] == backend


def test_knn_small_blocks_equal_brute_force(monkeypatch):
    monkeypatch.setattr(knn, "_BLOCK_ENTRIES", 64)  # many blocks of a few rows each
    x, y = dataset(9, m=80, n=70)
    p, r, _ = brute_force(x, y, 3)
    prec, rec = knn_precision_recall(x, y, k=3, backend="numpy")
    assert (prec.value, rec.value) == (p, r)


def test_knn_faiss_fallback_with_many_ties(monkeypatch):
    # 40 copies of few points: every faiss neighbour list is inside the tolerance band
    monkeypatch.setattr(knn, "_EXTRA_NEIGHBOURS", 2)
    rng = np.random.default_rng(2)
    base = rng.normal(size=(4, 5))
    x = np.repeat(base, 10, axis=0)
    y = np.vstack([base[:2], rng.normal(size=(6, 5))])
    p, r, rx = brute_force(x, y, 3)
    prec, rec = knn_precision_recall(x, y, k=3, backend="faiss")
    assert (prec.value, rec.value) == (p, r)
    assert np.array_equal(knn_radii_sq(x, 3, backend="faiss"), rx)


def test_identical_sets_and_edge_cases():
    x, _ = dataset(4)
    prec, rec = knn_precision_recall(x, x.copy(), k=3)
    assert prec.value == 1.0 and rec.value == 1.0
    prec, rec = knn_precision_recall(x[:3], x, k=3)
    assert prec.value is None and prec.reason.startswith("n_le_k")
    assert rec.value is not None
    prec, rec = knn_precision_recall(x, x[:2], k=3)
    assert rec.reason.startswith("n_le_k") and prec.value is not None
    prec, rec = knn_precision_recall(x, x[:0], k=3)
    assert prec.reason.startswith("empty_syn_set")


def test_oversampled_copy_recall_counts_equal_transcripts():
    # every synthetic point is a copy of real point 0; real point 0 has 2 copies in D
    rng = np.random.default_rng(8)
    x = rng.normal(size=(30, 4))
    x[1] = x[0]
    y = np.repeat(x[:1], 20, axis=0)
    _, rec = knn_precision_recall(x, y, k=3)
    assert rec.value == pytest.approx(2 / 30)


def test_prepared_real_side_is_reused_and_equal():
    x, y = dataset(12)
    ref = knn.prepare(x, 3)
    for syn in (y, y[:40], x[:50]):
        direct = knn_precision_recall(x, syn, k=3)
        reused = knn_precision_recall(ref, syn, k=3)
        assert (direct[0].value, direct[1].value) == (reused[0].value, reused[1].value)
    with pytest.raises(ValueError):
        knn_precision_recall(ref, y, k=5)
    empty = knn.prepare(x[:0], 3)
    assert knn_precision_recall(empty, y, k=3)[1].reason.startswith("empty_real_set")


def brute_membership(x, y, k):
    rx = np.sort(sq_dists(x, x), axis=1)[:, k]
    ry = np.sort(sq_dists(y, y), axis=1)[:, k]
    dyx = sq_dists(y, x)
    return (dyx <= rx[None, :]).any(axis=1), (dyx <= ry[:, None]).any(axis=0)


@pytest.mark.parametrize("block_entries", [64, 1 << 23])
def test_membership_per_point_equals_brute_force(monkeypatch, block_entries):
    monkeypatch.setattr(knn, "_BLOCK_ENTRIES", block_entries)
    x, y = dataset(21, m=90, n=75)
    syn_in, real_in = knn.knn_membership(x, y, k=3)
    b_syn, b_real = brute_membership(x, y, 3)
    assert syn_in.dtype == bool and np.array_equal(syn_in, b_syn) and np.array_equal(real_in, b_real)
    assert syn_in.any() and not syn_in.all()  # the test data decides both ways
    prec, rec = knn_precision_recall(x, y, k=3)
    assert (prec.value, rec.value) == (syn_in.mean(), real_in.mean())
    assert knn.knn_membership(x[:3], y, k=3)[0] is None


def test_numpy_radii_fallback_with_many_near_ties(monkeypatch):
    # a lattice: many points at exactly equal distances, so the kept lists end inside the tolerance band
    monkeypatch.setattr(knn, "_EXTRA_NEIGHBOURS", 1)
    monkeypatch.setattr(knn, "_BLOCK_ENTRIES", 100)
    grid = np.array([[i, j, 0.0] for i in range(6) for j in range(6)]) * 0.1
    y = grid[::3] + 0.05
    p, r, rx = brute_force(grid, y, 3)
    assert np.array_equal(knn_radii_sq(grid, 3), rx)
    prec, rec = knn_precision_recall(grid, y, k=3)
    assert (prec.value, rec.value) == (p, r)
    # the fallback's row scan gives the LOO distances from the same candidates
    ref = knn.prepare(grid, 3)
    assert np.array_equal(ref.loo_sq[ref.points.inverse], np.sort(sq_dists(grid, grid), axis=1)[:, 1])


def test_nearest_lists_travel_and_concatenate():
    """Row blocks' nearest-real lists survive pickling (as Ray task results) and join in order."""
    import pickle

    x, y = dataset(30, m=60, n=40)
    xr, xs = knn.prepare(x, 3), knn.prepare(y, 3)
    v = xs.points.rows.shape[0]
    parts = []
    for s in range(0, v, 17):
        top = knn._NearestTop2(min(s + 17, v) - s)
        sub = knn.KnnReference(knn._Points(xs.points.rows[s:s + 17], xs.points.counts[s:s + 17],
                                           np.arange(top.best.size)), None, 1, 3)
        knn._membership_numpy(xr, sub, top)
        parts.append(pickle.loads(pickle.dumps(top)))
    joined = knn._NearestTop2.concat(parts)
    assert joined.err == max(p.err for p in parts)
    got, want = knn._nearest_of(joined, xr.points, xs.points), knn.nearest_real(knn.prepare(x, 3), y)
    assert np.array_equal(got.dist_sq, want.dist_sq) and np.array_equal(got.index, want.index)
    joined.offer(np.zeros((1, 1), dtype=np.float32), np.array([0]), np.array([0]))  # a fresh lock


def test_membership_decided_at_the_radius_boundary():
    # synthetic points exactly on a real radius (distance == radius) count as inside ("≤")
    x = np.array([[0.0, 0.0], [1.0, 0.0], [2.0, 0.0], [3.0, 0.0], [10.0, 0.0]])
    y = np.array([[0.0, 1.0], [0.0, 1.0 + 1e-9], [10.0, 7.0], [10.0, 7.0 + 1e-9], [5.0, 5.0]])
    b_syn, b_real = brute_membership(x, y, 1)
    syn_in, real_in = knn.knn_membership(x, y, k=1)
    assert np.array_equal(syn_in, b_syn) and np.array_equal(real_in, b_real)
    assert syn_in[0] and not syn_in[1] and syn_in[2] and not syn_in[3]
