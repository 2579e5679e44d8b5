"""Exact k-NN precision and recall (``docs/method.md`` §2.6), blockwise in O((m + m′)·block) memory.

r_k(x; S) is the k-th smallest distance from x to the *other* elements of the multiset S (copies of
x count, at distance 0). precision = share of synthetic points within some real point's radius,
recall = share of real points within some synthetic point's radius; the test is "≤".

Exactness: every decision is taken on squared distances computed directly as Σ(a − b)² in float64
(so bitwise-identical vectors are at distance exactly 0). Distances are first *screened* with a fast
float32 matrix product; only pairs whose screened value lies within a rigorous error bound of the
decisive radius are recomputed exactly. The result therefore equals the brute-force float64
computation. Identical rows are collapsed first (with multiplicities), which makes oversampled sets
cheap.

Cost (numpy engine, the default): the radii of a set take one *symmetric* pass over its pairs (block
(I, J), I ≤ J, serves rows I and rows J), and precision and recall share ONE pass over the real ×
synthetic blocks — about 2 full n × m × d products instead of 4. Screening works on
s(a, b) = a·b − ½‖a‖² − ½‖b‖² = −½‖a − b‖², obtained directly from one float32 GEMM of rows
augmented with two columns ([a, 1, −½‖a‖²] · [b, −½‖b‖², 1]).

Error bound (:func:`_gemm_error`): a float32 dot product of n terms has |error| ≤ γ_n·Σ|terms| with
γ_n = n·u/(1 − n·u), u = 2⁻²⁴ = ε32/2, whatever the summation order (FMA included); rounding the
inputs to float32 adds at most (2u + u²)·Σ|terms|. So |screened − exact| ≤ ≈ (n + 2)·u·Σ|terms|; we
use e = (n + 4)·ε32·S, twice that, with n = d + 2 and S = max‖a‖·max‖b‖ + max|c_a| + max|c_b| (c the
two augmented constants) bounding Σ|terms|. The float64 recheck's own error (≈ d·ε64·‖a − b‖²) is
far below e.
"""

from __future__ import annotations

import math
import os
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

from synae.metrics.base import MetricValue

Backend = Literal["auto", "numpy", "faiss"]  # "auto" = numpy; faiss only when asked for
_EPS32 = float(np.finfo(np.float32).eps)
_BLOCK_ENTRIES = 1 << 23  # float32 entries per screening block (32 MB)
_EXTRA_NEIGHBOURS = 8  # screened neighbours kept beyond the k + 1 needed


def _nonzero2d(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``np.nonzero`` of a 2-D mask — the same (row, column) pairs in the same row-major order — from
    the flat indices (``np.nonzero`` on 2-D takes about 5× as long on a screening block)."""
    rows, cols = np.divmod(np.flatnonzero(mask), mask.shape[1])
    return rows, cols


@dataclass
class _Points:
    """Distinct rows of a point set with their multiplicities."""

    rows: np.ndarray  # u × d float64
    counts: np.ndarray  # u int64
    inverse: np.ndarray  # n -> distinct index

    @classmethod
    def of(cls, x: np.ndarray) -> _Points:
        x = np.ascontiguousarray(x, dtype=np.float64)
        x = x + 0.0  # -0.0 -> 0.0 so that equal vectors have equal bytes
        keys = x.view(np.dtype((np.void, x.dtype.itemsize * x.shape[1]))).ravel()
        _, first, inverse, counts = np.unique(keys, return_index=True, return_inverse=True,
                                              return_counts=True)
        return cls(rows=x[first], counts=counts.astype(np.int64), inverse=inverse.ravel())


def _tolerance(dim: int, max_sq_norm: float) -> float:
    """A rigorous bound on |screened − exact| squared distance for float32 screening."""
    return 4.0 * (3 * dim + 16) * _EPS32 * max(max_sq_norm, 1e-300)


def _exact_sq(a: np.ndarray, b: np.ndarray, ia: np.ndarray, ib: np.ndarray) -> np.ndarray:
    """Σ(a_i − b_j)² for index pairs, in float64, in chunks."""
    out = np.empty(ia.size)
    step = max(1, (1 << 22) // max(a.shape[1], 1))
    for s in range(0, ia.size, step):
        diff = a[ia[s:s + step]] - b[ib[s:s + step]]
        out[s:s + step] = np.einsum("ij,ij->i", diff, diff)
    return out


def _screen(q32: np.ndarray, qn: np.ndarray, r32: np.ndarray, rn: np.ndarray) -> np.ndarray:
    """Screened squared distances of a block of queries to all references (float64 result)."""
    d: np.ndarray = (q32 @ r32.T).astype(np.float64)
    d *= -2.0
    d += qn[:, None]
    d += rn[None, :]
    return d


def _weighted_kth(rows: np.ndarray, dist: np.ndarray, weights: np.ndarray, k1: int,
                  n_rows: int) -> np.ndarray:
    """Per row, the smallest value v such that the weights of candidates ≤ v reach k1."""
    order = np.lexsort((dist, rows))
    rows, dist, weights = rows[order], dist[order], weights[order]
    starts = np.searchsorted(rows, np.arange(n_rows))
    cum = np.cumsum(weights)
    before = np.where(starts > 0, cum[starts - 1], 0)
    # first position p in the row's group with cum[p] - before >= k1
    target = before + k1
    pos = np.searchsorted(cum, target, side="left")
    return dist[pos]


def _radii_numpy(pts: _Points, k: int, tol: float, query_idx: np.ndarray | None = None
                 ) -> tuple[np.ndarray, np.ndarray]:
    """Exact squared k-NN radii (weighted by multiplicity) of the distinct points ``query_idx`` (default:
    all) by numpy row scans, and their exact squared leave-one-out nearest-neighbour distances (the
    weighted 2nd smallest, self included: 0 for a row with copies). Both come from one candidate set:
    every column within 2·tol of the row's (k+1)-th smallest screened distance, which holds every
    column at or below the j-th smallest exact distance for each j ≤ k (so for j = 1, as k ≥ 1)."""
    x = pts.rows
    u = x.shape[0]
    idx = np.arange(u) if query_idx is None else query_idx
    x32 = x.astype(np.float32)
    norms = np.einsum("ij,ij->i", x, x)
    out, loo = np.empty(idx.size), np.empty(idx.size)
    block = max(1, _BLOCK_ENTRIES // max(u, 1))
    kk = min(k, u - 1)  # index of the (k+1)-th smallest distinct distance (self included at 0)
    for s in range(0, idx.size, block):
        qi = idx[s:s + block]
        d = _screen(x32[qi], norms[qi], x32, norms)
        bound = np.partition(d, kk, axis=1)[:, kk] + 2 * tol
        r, c = _nonzero2d(d <= bound[:, None])
        exact = _exact_sq(x, x, qi[r], c)
        out[s:s + block] = _weighted_kth(r, exact, pts.counts[c], k + 1, qi.size)
        loo[s:s + block] = _weighted_kth(r, exact, pts.counts[c], 2, qi.size)
    return out, loo


def _radii_faiss(pts: _Points, k: int, tol: float) -> np.ndarray:
    import faiss

    x = pts.rows
    u = x.shape[0]
    x32 = np.ascontiguousarray(x, dtype=np.float32)
    index = faiss.IndexFlatL2(x.shape[1])
    index.add(x32)
    kk = min(u, k + 1 + _EXTRA_NEIGHBOURS)
    dist, nbr = index.search(x32, kk)
    bound = dist[:, min(k, u - 1)].astype(np.float64) + 2 * tol
    incomplete = (dist[:, -1] <= bound) & (kk < u)  # candidates may continue past the returned list
    mask = (dist <= bound[:, None]) & ~incomplete[:, None]
    r, col = _nonzero2d(mask)
    c = nbr[r, col]
    exact = _exact_sq(x, x, r, c)
    ok_rows = np.nonzero(~incomplete)[0]
    out = np.empty(u)
    if ok_rows.size:
        out[ok_rows] = _weighted_kth(np.searchsorted(ok_rows, r), exact, pts.counts[c], k + 1, ok_rows.size)
    bad = np.nonzero(incomplete)[0]
    if bad.size:
        out[bad] = _radii_numpy(pts, k, tol, query_idx=bad)[0]
    return out


def _covered_numpy(q: np.ndarray, ref: np.ndarray, r2: np.ndarray, tol: float,
                   query_idx: np.ndarray | None = None) -> np.ndarray:
    """For each query: ∃ j with exact ‖q − ref_j‖² ≤ r2_j (numpy screening + exact recheck)."""
    idx = np.arange(q.shape[0]) if query_idx is None else query_idx
    q32, ref32 = q.astype(np.float32), ref.astype(np.float32)
    qn, rn = np.einsum("ij,ij->i", q, q), np.einsum("ij,ij->i", ref, ref)
    out = np.zeros(idx.size, dtype=bool)
    block = max(1, _BLOCK_ENTRIES // max(ref.shape[0], 1))
    for s in range(0, idx.size, block):
        qi = idx[s:s + block]
        margin = _screen(q32[qi], qn[qi], ref32, rn)
        margin -= r2[None, :]
        sure: np.ndarray = np.asarray((margin < -tol).any(axis=1))
        r, c = _nonzero2d((np.abs(margin) <= tol) & ~sure[:, None])
        hit = sure.copy()
        if r.size:
            ok = _exact_sq(q, ref, qi[r], c) <= r2[c]
            hit[np.unique(r[ok])] = True
        out[s:s + block] = hit
    return out


def _covered_faiss(q: np.ndarray, ref: np.ndarray, r2: np.ndarray, tol: float) -> np.ndarray:
    """Membership via the exact lifting trick: append √(M − r_j²) to ref_j and 0 to the query; then
    ∃ j: ‖q − ref_j‖² ≤ r_j² iff the nearest lifted neighbour is within M. Undecided queries (lifted
    distance within the error bound of M) are rechecked exactly."""
    import faiss

    big_m = float(r2.max())
    lift = np.sqrt(np.maximum(big_m - r2, 0.0))
    ref_l = np.ascontiguousarray(np.hstack([ref, lift[:, None]]), dtype=np.float32)
    q_l = np.ascontiguousarray(np.hstack([q, np.zeros((q.shape[0], 1))]), dtype=np.float32)
    index = faiss.IndexFlatL2(ref_l.shape[1])
    index.add(ref_l)
    kk = min(ref.shape[0], _EXTRA_NEIGHBOURS)
    dist, nbr = index.search(q_l, kk)
    dist = dist.astype(np.float64)
    sure = dist[:, 0] < big_m - tol
    undecided = ~sure & (dist[:, 0] <= big_m + tol)
    r, col = _nonzero2d(undecided[:, None] & (dist <= big_m + tol))
    c = nbr[r, col]
    hit: np.ndarray = sure.copy()
    ok = _exact_sq(q, ref, r, c) <= r2[c]
    hit[np.unique(r[ok])] = True
    # Rows whose whole returned list is within the band may have more candidates: recheck fully.
    again = np.nonzero(undecided & ~hit & (dist[:, -1] <= big_m + tol) & (kk < ref.shape[0]))[0]
    if again.size:
        hit[again] = _covered_numpy(q, ref, r2, tol, query_idx=again)
    return hit


@dataclass
class KnnReference:
    """A point set prepared for k-NN membership tests: distinct rows and their exact squared radii.

    Build it once with :func:`prepare` to reuse the real side's radii across many synthetic sets.
    """

    points: _Points
    radii_sq: np.ndarray | None  # per distinct row; None when n ≤ k
    n: int
    k: int
    # Per distinct row, the exact squared distance to the nearest *other* element of the multiset (0 for
    # a row with copies) — the leave-one-out nearest-neighbour distance, kept from the radii pass of the
    # numpy and device engines (None when not computed: faiss, n ≤ k).
    loo_sq: np.ndarray | None = None
    # The last real × synthetic pass made against this reference (numpy and device engines): the input
    # it was made for and the synthetic points' nearest real rows, so that :func:`nearest_real` never
    # repeats it.
    last_pass: tuple[object, NearestReal] | None = field(default=None, repr=False, compare=False)


@dataclass
class NearestReal:
    """Per *distinct* synthetic row (``points``): the exact squared distance to the closest real point
    and that point's distinct real row."""

    points: _Points
    dist_sq: np.ndarray
    index: np.ndarray


# ------------------------------------------------------------------------------------------------
# numpy engine: symmetric radii pass + one shared membership pass


def _augment(x: np.ndarray, left: float | np.ndarray, right: float | np.ndarray) -> np.ndarray:
    """float32 rows [x, left, right] (scalars broadcast)."""
    out = np.empty((x.shape[0], x.shape[1] + 2), dtype=np.float32)
    out[:, :-2] = x
    out[:, -2] = left
    out[:, -1] = right
    return out


def _gemm_error(n_terms: int, scale: float) -> float:
    """Rigorous bound on the error of a float32 GEMM entry of ``n_terms`` products whose absolute
    values sum to at most ``scale`` (module docstring)."""
    return (n_terms + 4) * _EPS32 * max(scale, 1e-300)


def _block_size() -> int:
    return max(1, math.isqrt(_BLOCK_ENTRIES))


def _in_parallel(work: Callable[[int, int], None], blocks: list[tuple[int, int]]) -> None:
    """Run ``work(i0, j0)`` for every block on one thread per core, each with a single-threaded BLAS:
    numpy releases the GIL in the GEMM and in the screening, so the screening of one block overlaps
    the GEMM of another instead of leaving a core idle."""
    workers = min(os.cpu_count() or 1, len(blocks))
    if workers <= 1:
        for i0, j0 in blocks:
            work(i0, j0)
        return
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1, user_api="blas"), ThreadPoolExecutor(workers) as pool:
        list(pool.map(lambda block: work(*block), blocks))  # list(): re-raise any worker's error


def _merge_top(best_v: np.ndarray, best_i: np.ndarray, rows: np.ndarray, cols: np.ndarray,
               vals: np.ndarray) -> None:
    """Merge candidates (rows, cols, vals) into the per-row lists of the L largest values (in place).
    Callers hold the lists' lock; a list's L-th value only grows, so reading it unlocked is safe."""
    if rows.size == 0:
        return
    width = best_v.shape[1]
    touched = np.unique(rows)
    rr = np.concatenate([np.repeat(touched, width), rows])
    vv = np.concatenate([best_v[touched].ravel(), vals])
    ii = np.concatenate([best_i[touched].ravel(), cols])
    order = np.lexsort((-vv, rr))
    rr, vv, ii = rr[order], vv[order], ii[order]
    start = np.searchsorted(rr, touched)
    rank = np.arange(rr.size) - np.repeat(start, np.diff(np.append(start, rr.size)))
    keep = rank < width
    best_v[touched] = vv[keep].reshape(-1, width)
    best_i[touched] = ii[keep].reshape(-1, width)


def _offer(best_v: np.ndarray, best_i: np.ndarray, lock: threading.Lock, s: np.ndarray,
           row_ids: np.ndarray, col_ids: np.ndarray) -> None:
    """Offer block ``s`` (rows ``row_ids`` × columns ``col_ids``) to the top lists of its rows AND of
    its columns (the block is symmetric in meaning): only entries above a list's current L-th best
    can enter (a stale, lower L-th value only lets more candidates through). One pass over the
    block finds the entries above the lowest of those thresholds; each offer then keeps, in the same
    row-major order, those above its own list's."""
    row_t, col_t = best_v[row_ids, -1], best_v[col_ids, -1]
    r, c = _nonzero2d(s > min(row_t.min(), col_t.min()))
    vals = s[r, c]
    to_row, to_col = vals > row_t[r], vals > col_t[c]
    with lock:
        _merge_top(best_v, best_i, row_ids[r[to_row]], col_ids[c[to_row]], vals[to_row])
        _merge_top(best_v, best_i, col_ids[c[to_col]], row_ids[r[to_col]], vals[to_col])


def _radii_symmetric(pts: _Points, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Exact squared radii of the distinct points (weighted by multiplicity), in one symmetric pass,
    and their exact squared leave-one-out nearest-neighbour distances (the radius for k = 1).

    Keeps, per point, the L = k + 1 + extra largest screened s (= smallest distances, self included);
    the exact radius lies among the candidates with s ≥ s_(k+1) − 2e, which are rechecked in float64.
    The LOO distance's candidates (s ≥ s_(2) − 2e, a subset since s_(2) ≥ s_(k+1)) are among them, so
    it costs no extra product. Points whose whole list lies in that band (many near-ties) are
    recomputed by a full row scan.
    """
    x = pts.rows
    u, dim = x.shape
    norms = np.einsum("ij,ij->i", x, x)
    left, right = _augment(x, 1.0, -0.5 * norms), _augment(x, -0.5 * norms, 1.0)
    err = _gemm_error(dim + 2, 2.0 * float(norms.max()))
    width = min(u, k + 1 + _EXTRA_NEIGHBOURS)
    best_v = np.full((u, width), -np.inf, dtype=np.float32)
    best_i = np.full((u, width), -1, dtype=np.int64)
    b = _block_size()
    lock = threading.Lock()

    def block(i0: int, j0: int) -> None:
        rid, cid = np.arange(i0, min(i0 + b, u)), np.arange(j0, min(j0 + b, u))
        blk = left[rid] @ right[cid].T
        if i0 != j0:
            _offer(best_v, best_i, lock, blk, rid, cid)
            return
        take = min(width, rid.size)
        top = np.argpartition(-blk, take - 1, axis=1)[:, :take]
        with lock:
            _merge_top(best_v, best_i, np.repeat(rid, take), rid[top.ravel()],
                       np.take_along_axis(blk, top, 1).ravel())

    starts = range(0, u, b)
    _in_parallel(block, [(i0, i0) for i0 in starts])  # diagonal first: every list gets a good floor
    _in_parallel(block, [(i0, j0) for i0 in starts for j0 in starts if j0 > i0])
    kth = best_v[:, min(k, u - 1)].astype(np.float64)
    floor = kth - 2 * err
    incomplete = (best_v[:, -1] >= floor) & (width < u)
    r, col = _nonzero2d((best_v >= floor[:, None]) & ~incomplete[:, None])
    c = best_i[r, col]
    ok_rows = np.nonzero(~incomplete)[0]
    out, loo = np.empty(u), np.empty(u)
    if ok_rows.size:
        exact = _exact_sq(x, x, r, c)
        local = np.searchsorted(ok_rows, r)
        out[ok_rows] = _weighted_kth(local, exact, pts.counts[c], k + 1, ok_rows.size)
        loo[ok_rows] = _weighted_kth(local, exact, pts.counts[c], 2, ok_rows.size)
    bad = np.nonzero(incomplete)[0]
    if bad.size:
        tol = _tolerance(dim, float(norms.max()))
        out[bad], loo[bad] = _radii_numpy(pts, k, tol, query_idx=bad)
    return out, loo


def _hits_of(q: np.ndarray, lo: np.ndarray, hi: np.ndarray, hit: np.ndarray, row_ids: np.ndarray,
             col_ids: np.ndarray, a: np.ndarray, b: np.ndarray, b_r2: np.ndarray) -> None:
    """Update ``hit`` of the block's rows: sure when the row's best screened value is ≥ thr + e (lo/hi
    are thr ∓ e), rechecked exactly (‖a_i − b_j‖² ≤ b_r2_j) for entries in the band."""
    best = q.max(axis=1)
    hit[row_ids[best >= hi[row_ids]]] = True
    band = np.nonzero((best >= lo[row_ids]) & ~hit[row_ids])[0]
    if band.size:
        r, c = _nonzero2d(q[band] >= lo[row_ids[band], None])
        gi, gj = row_ids[band[r]], col_ids[c]
        ok = _exact_sq(a, b, gi, gj) <= b_r2[gj]
        hit[np.unique(gi[ok])] = True


def _membership_numpy(real: KnnReference, syn: KnnReference, nearest: _NearestTop2 | None = None
                      ) -> tuple[np.ndarray | None, np.ndarray | None]:
    """Per distinct row: synthetic point inside some real radius, real point inside some synthetic
    radius — both from ONE pass over q(y, x) = y·x − ½(‖x‖² − r_x) − ½(‖y‖² − r_y), since
    ‖y − x‖² ≤ r_x ⟺ q ≥ ½r_y and ‖y − x‖² ≤ r_y ⟺ q ≥ ½r_x. A side without radii (n ≤ k) is
    skipped (``None``). With ``nearest``, the same blocks also feed each synthetic row's two best
    screened s = q − ½r_x (= −½‖y − x‖² up to the row constant ½r_y) to it."""
    x, y = real.points.rows, syn.points.rows
    nx, ny = np.einsum("ij,ij->i", x, x), np.einsum("ij,ij->i", y, y)
    rx = real.radii_sq if real.radii_sq is not None else np.zeros(x.shape[0])
    ry = syn.radii_sq if syn.radii_sq is not None else np.zeros(y.shape[0])
    ax, by = 0.5 * (nx - rx), 0.5 * (ny - ry)
    yl, xl = _augment(y, 1.0, by), _augment(x, -ax, -1.0)
    scale = math.sqrt(float(nx.max()) * float(ny.max())) + float(np.abs(ax).max()) + float(np.abs(by).max())
    err = _gemm_error(x.shape[1] + 2, scale)
    ty, tx = 0.5 * ry, 0.5 * rx  # row (synthetic) and column (real) thresholds
    band_y, band_x = (ty - err, ty + err), (tx - err, tx + err)
    hit_y = np.zeros(y.shape[0], dtype=bool)
    hit_x = np.zeros(x.shape[0], dtype=bool)
    do_y, do_x = real.radii_sq is not None, syn.radii_sq is not None
    half_rx = (0.5 * rx).astype(np.float32)
    if nearest is not None:
        nearest.err = _nearest_error(err, scale, rx)
    b = _block_size()

    def block(i0: int, j0: int) -> None:  # concurrent "hit[...] = True" writes are benign
        yid, xid = np.arange(i0, min(i0 + b, y.shape[0])), np.arange(j0, min(j0 + b, x.shape[0]))
        q = yl[yid] @ xl[xid].T
        if do_y:
            _hits_of(q, *band_y, hit_y, yid, xid, y, x, rx)
        if do_x:
            _hits_of(q.T, *band_x, hit_x, xid, yid, x, y, ry)
        if nearest is not None:
            q -= half_rx[xid]
            nearest.offer(q, yid, xid)

    _in_parallel(block, [(i0, j0) for i0 in range(0, y.shape[0], b) for j0 in range(0, x.shape[0], b)])
    return (hit_y if do_y else None), (hit_x if do_x else None)


def _nearest_error(err: float, scale: float, rx: np.ndarray) -> float:
    """Bound on |screened − exact| s for s = fl32(q − fl32(½r_x)), given ``err`` bounding q's (of
    magnitude ≤ ``scale``): two more float32 roundings."""
    return err + 2 * _EPS32 * (scale + float(rx.max()))


class _NearestTop2:
    """Per synthetic row, the largest and second-largest screened s over all real columns seen so far
    and the column of the largest (blocks offered concurrently, merged under a lock); ``err`` bounds
    |screened − exact| s. Picklable (the lock is not sent), so that row blocks computed elsewhere
    come back and are joined with :meth:`concat`."""

    def __init__(self, rows: int) -> None:
        self.best = np.full(rows, -np.inf, dtype=np.float32)
        self.second = np.full(rows, -np.inf, dtype=np.float32)
        self.index = np.full(rows, -1, dtype=np.int64)
        self.err = 0.0
        self._lock = threading.Lock()

    def offer(self, s: np.ndarray, row_ids: np.ndarray, col_ids: np.ndarray) -> None:
        """Merge block ``s`` (rows ``row_ids`` × columns ``col_ids``; overwritten as scratch)."""
        at = np.arange(s.shape[0])
        j = s.argmax(axis=1)
        v1 = s[at, j]
        s[at, j] = -np.inf
        v2 = s.max(axis=1)
        with self._lock:
            b1, b2 = self.best[row_ids], self.second[row_ids]
            self.second[row_ids] = np.maximum(np.minimum(b1, v1), np.maximum(b2, v2))
            self.index[row_ids] = np.where(v1 > b1, col_ids[j], self.index[row_ids])
            self.best[row_ids] = np.maximum(b1, v1)

    def __getstate__(self) -> dict[str, Any]:
        return {name: value for name, value in self.__dict__.items() if name != "_lock"}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._lock = threading.Lock()

    @classmethod
    def concat(cls, parts: Sequence[_NearestTop2]) -> _NearestTop2:
        """The lists of consecutive row blocks as one, in order; ``err`` = the largest block's (a
        larger bound only sends more rows to :func:`_nearest_of`'s exact rescan)."""
        top = cls(0)
        top.best = np.concatenate([p.best for p in parts])
        top.second = np.concatenate([p.second for p in parts])
        top.index = np.concatenate([p.index for p in parts])
        top.err = max(p.err for p in parts)
        return top


def _nearest_scan(q: np.ndarray, ref: np.ndarray, query_idx: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Exact nearest ``ref`` row of the queries ``query_idx`` by a full scan: screened squared distances,
    every candidate within 2·tol of the row minimum rechecked in float64 (ties: lowest index)."""
    qn, rn = np.einsum("ij,ij->i", q, q), np.einsum("ij,ij->i", ref, ref)
    tol = _tolerance(q.shape[1], max(float(qn.max()), float(rn.max())))
    q32, ref32 = q.astype(np.float32), ref.astype(np.float32)
    dist, index = np.empty(query_idx.size), np.empty(query_idx.size, dtype=np.int64)
    block = max(1, _BLOCK_ENTRIES // max(ref.shape[0], 1))
    for s in range(0, query_idx.size, block):
        qi = query_idx[s:s + block]
        d = _screen(q32[qi], qn[qi], ref32, rn)
        r, c = _nonzero2d(d <= (d.min(axis=1) + 2 * tol)[:, None])
        exact = _exact_sq(q, ref, qi[r], c)
        order = np.lexsort((c, exact, r))
        first = order[np.searchsorted(r[order], np.arange(qi.size))]
        dist[s:s + block], index[s:s + block] = exact[first], c[first]
    return dist, index


def _nearest_of(top: _NearestTop2, real: _Points, syn: _Points) -> NearestReal:
    """Exact nearest real rows from the pass's top-2 lists. The true nearest x* has screened
    s(x*) ≥ s_max − 2e; so when the second-best s is below s_max − 2e the best column is x* and one
    exact distance settles the row; other rows (near-ties) are rescanned exactly."""
    x, y = real.rows, syn.rows
    sure = top.second.astype(np.float64) < top.best.astype(np.float64) - 2 * top.err
    dist, index = np.empty(y.shape[0]), top.index.copy()
    rows = np.nonzero(sure)[0]
    dist[rows] = _exact_sq(y, x, rows, index[rows])
    again = np.nonzero(~sure)[0]
    if again.size:
        dist[again], index[again] = _nearest_scan(y, x, again)
    return NearestReal(syn, dist, index)


def nearest_real(real: KnnReference, synthetic: np.ndarray) -> NearestReal:
    """Exact closest real point of every distinct synthetic row (distance to closest record).

    Reuses the real × synthetic pass that :func:`knn_precision_recall` / :func:`knn_membership` (or
    the device engine's, or an executor's) made for this very ``synthetic`` array against ``real``
    (kept in ``real.last_pass``); otherwise makes that pass (products only, no membership tests).
    Both sets must be non-empty.
    """
    if real.last_pass is not None and real.last_pass[0] is synthetic:
        return real.last_pass[1]
    if real.n == 0 or synthetic.shape[0] == 0:
        raise ValueError("nearest_real needs non-empty real and synthetic sets")
    syn = _Points.of(synthetic)
    top = _NearestTop2(syn.rows.shape[0])
    _membership_numpy(KnnReference(real.points, None, real.n, real.k),
                      KnnReference(syn, None, synthetic.shape[0], real.k), top)
    return _nearest_of(top, real.points, syn)


def leave_one_out_sq(real: KnnReference) -> np.ndarray:
    """Per distinct row, the exact squared distance to the nearest other element of the multiset (0 for
    a row with copies): ``real.loo_sq`` when the radii pass kept it, else one exact scan. n ≥ 2."""
    if real.loo_sq is not None:
        return real.loo_sq
    if real.n < 2:
        raise ValueError("leave-one-out distances need at least 2 points")
    rows = real.points.rows
    tol = _tolerance(rows.shape[1], float(np.einsum("ij,ij->i", rows, rows).max()))
    return _radii_numpy(real.points, 1, tol)[1]


def _use_faiss(backend: Backend) -> bool:
    """faiss only on request: the numpy engine's 2 shared passes beat faiss's 4 separate searches."""
    if backend != "faiss":
        return False
    try:
        import faiss  # noqa: F401
    except ImportError:
        from synae.errors import MissingDependencyError

        raise MissingDependencyError("faiss-cpu", 'pip install "synae[faiss]"') from None
    return True


def _radii_of(pts: _Points, k: int, backend: Backend) -> tuple[np.ndarray, np.ndarray | None]:
    """Squared radii and (numpy engine only, else ``None``) squared LOO nearest-neighbour distances."""
    if _use_faiss(backend):
        tol = _tolerance(pts.rows.shape[1], float(np.einsum("ij,ij->i", pts.rows, pts.rows).max()))
        return _radii_faiss(pts, k, tol), None
    return _radii_symmetric(pts, k)


def _covered_faiss_of(query: _Points, ref: _Points, ref_r2: np.ndarray) -> np.ndarray:
    max_sq = max(float(np.einsum("ij,ij->i", p.rows, p.rows).max()) for p in (query, ref))
    tol = _tolerance(ref.rows.shape[1] + 1, max_sq + float(ref_r2.max()))
    return _covered_faiss(query.rows, ref.rows, ref_r2, tol)


def knn_radii_sq(x: np.ndarray, k: int, backend: Backend = "numpy") -> np.ndarray:
    """Exact squared k-NN radius of every row of ``x`` (the (k+1)-th smallest squared distance to all
    rows, itself included). Requires n > k."""
    pts = _Points.of(x)
    radii: np.ndarray = _radii_of(pts, k, backend)[0][pts.inverse]
    return radii


def prepare(x: np.ndarray, k: int = 3, backend: Backend = "auto") -> KnnReference:
    """Distinct rows of ``x`` and their exact squared k-NN radii (``None`` when n ≤ k)."""
    n = int(x.shape[0])
    if n == 0:
        return KnnReference(_Points(np.zeros((0, x.shape[1] if x.ndim == 2 else 0)), np.zeros(0, np.int64),
                                    np.zeros(0, np.int64)), None, 0, k)
    pts = _Points.of(x)
    if n <= k:
        return KnnReference(pts, None, n, k)
    radii, loo = _radii_of(pts, k, backend)
    return KnnReference(pts, radii, n, k, loo_sq=loo)


def _prepared(real: np.ndarray | KnnReference, synthetic: np.ndarray | KnnReference, k: int,
              backend: Backend) -> tuple[KnnReference, KnnReference]:
    xr = real if isinstance(real, KnnReference) else prepare(real, k, backend)
    xs = synthetic if isinstance(synthetic, KnnReference) else prepare(synthetic, k, backend)
    if xr.k != k or xs.k != k:
        raise ValueError(f"prepared k-NN references use k={xr.k}/{xs.k}, not k={k}")
    return xr, xs


def _membership(xr: KnnReference, xs: KnnReference, backend: Backend, source: object
                ) -> tuple[np.ndarray | None, np.ndarray | None]:
    """Per *distinct* row: (synthetic inside the real manifold, real inside the synthetic manifold).
    The numpy engine's pass also finds each synthetic row's nearest real row and keeps it in
    ``xr.last_pass`` for the input ``source`` (see :func:`nearest_real`)."""
    if xr.n == 0 or xs.n == 0 or (xr.radii_sq is None and xs.radii_sq is None):
        return None, None
    if not _use_faiss(backend):
        top = _NearestTop2(xs.points.rows.shape[0])
        memberships = _membership_numpy(xr, xs, top)
        xr.last_pass = (source, _nearest_of(top, xr.points, xs.points))
        return memberships
    syn_in = _covered_faiss_of(xs.points, xr.points, xr.radii_sq) if xr.radii_sq is not None else None
    real_in = _covered_faiss_of(xr.points, xs.points, xs.radii_sq) if xs.radii_sq is not None else None
    return syn_in, real_in


def knn_membership(real: np.ndarray | KnnReference, synthetic: np.ndarray | KnnReference, k: int = 3,
                   backend: Backend = "auto") -> tuple[np.ndarray | None, np.ndarray | None]:
    """Per-point k-NN manifold membership, the booleans that precision and recall average.

    Returns ``(synthetic_in_real, real_in_synthetic)``: for every synthetic row, whether it lies within
    some real point's k-NN radius (``None`` when m ≤ k or either set is empty), and for every real row,
    whether it lies within some synthetic point's radius (``None`` when m′ ≤ k or either set is
    empty). Exact, in input row order (duplicates get their row's value).
    """
    xr, xs = _prepared(real, synthetic, k, backend)
    syn_in, real_in = _membership(xr, xs, backend, synthetic)
    return (None if syn_in is None else syn_in[xs.points.inverse],
            None if real_in is None else real_in[xr.points.inverse])


def knn_precision_recall(real: np.ndarray | KnnReference, synthetic: np.ndarray | KnnReference, k: int = 3,
                         backend: Backend = "auto") -> tuple[MetricValue, MetricValue]:
    """Improved k-NN precision and recall of ``synthetic`` against ``real`` (arrays n × d, or
    :class:`KnnReference` objects from :func:`prepare` with the same k).

    Returns ``(precision, recall)``. m ≤ k → precision ``None`` (``n_le_k``); m′ ≤ k → recall
    ``None``. ``details``: k, m, m′, members, backend.
    """
    xr, xs = _prepared(real, synthetic, k, backend)
    base = {"backend": "faiss" if xr.n and xs.n and _use_faiss(backend) else "numpy"}
    syn_in, real_in = _membership(xr, xs, backend, synthetic)
    return precision_recall_from(xr, xs, syn_in, real_in, base["backend"])


def precision_recall_from(xr: KnnReference, xs: KnnReference, syn_in: np.ndarray | None,
                          real_in: np.ndarray | None, backend: str) -> tuple[MetricValue, MetricValue]:
    """(precision, recall) from per-distinct-row memberships (any engine's): precision = Σ counts of
    synthetic rows inside the real manifold / m′, recall = Σ counts of real rows inside the synthetic
    manifold / m. Empty sets and n ≤ k give ``None`` values with their reasons; ``details``: k, m, m′,
    members, ``backend``."""
    k, m, n = xr.k, xr.n, xs.n
    base: dict[str, Any] = {"k": k, "m": m, "m_syn": n, "unit": "trajectories", "backend": backend}
    if n == 0:
        prec = MetricValue.null("empty_syn_set: no synthetic points", details=dict(base), n_real=m,
                                n_synthetic=n)
    elif m <= k:
        prec = MetricValue.null(f"n_le_k: {m} real points <= k={k}", details=dict(base), n_real=m,
                                n_synthetic=n)
    else:
        members = int(xs.points.counts[syn_in].sum())
        prec = MetricValue(members / n, details={**base, "members": members}, n_real=m, n_synthetic=n)
    if m == 0:
        rec = MetricValue.null("empty_real_set: no real points", details=dict(base), n_real=m, n_synthetic=n)
    elif n <= k:
        rec = MetricValue.null(f"n_le_k: {n} synthetic points <= k={k}", details=dict(base), n_real=m,
                               n_synthetic=n)
    else:
        members = int(xr.points.counts[real_in].sum())
        rec = MetricValue(members / m, details={**base, "members": members}, n_real=m, n_synthetic=n)
    return prec, rec
