"""Exact k-NN precision and recall (``metrics.md`` §1.7), blockwise in O((m + m′)·block) memory.

r_k(x; S) is the k-th smallest distance from x to the *other* elements of the multiset S (copies of
x count, at distance 0). precision = share of synthetic points within some real point's radius,
recall = share of real points within some synthetic point's radius; the test is "≤".

Exactness: every decision is taken on squared distances computed directly as Σ(a − b)² in float64
(so bitwise-identical vectors are at distance exactly 0). Distances are first *screened* with a fast
float32 matrix product (numpy or faiss); only pairs whose screened value lies within a rigorous
error bound of the decisive radius are recomputed exactly. The result therefore equals the brute-force
float64 computation. Identical rows are collapsed first (with multiplicities), which makes oversampled
sets cheap.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

from synae.metrics.base import MetricValue

Backend = Literal["auto", "numpy", "faiss"]
_EPS32 = float(np.finfo(np.float32).eps)
_BLOCK_ENTRIES = 1 << 23  # float32 entries per screening block (32 MB)
_FAISS_MIN_N = 20_000  # "auto" uses faiss (when installed) from this many distinct points on
_EXTRA_NEIGHBOURS = 16


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
    d = (q32 @ r32.T).astype(np.float64)
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


def _radii_numpy(pts: _Points, k: int, tol: float, query_idx: np.ndarray | None = None) -> np.ndarray:
    """Exact squared k-NN radii (weighted by multiplicity) of the distinct points, numpy screening."""
    x = pts.rows
    u = x.shape[0]
    idx = np.arange(u) if query_idx is None else query_idx
    x32 = x.astype(np.float32)
    norms = np.einsum("ij,ij->i", x, x)
    out = np.empty(idx.size)
    block = max(1, _BLOCK_ENTRIES // max(u, 1))
    kk = min(k, u - 1)  # index of the (k+1)-th smallest distinct distance (self included at 0)
    for s in range(0, idx.size, block):
        qi = idx[s:s + block]
        d = _screen(x32[qi], norms[qi], x32, norms)
        bound = np.partition(d, kk, axis=1)[:, kk] + 2 * tol
        r, c = np.nonzero(d <= bound[:, None])
        exact = _exact_sq(x, x, qi[r], c)
        out[s:s + block] = _weighted_kth(r, exact, pts.counts[c], k + 1, qi.size)
    return out


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
    r, col = np.nonzero(mask)
    c = nbr[r, col]
    exact = _exact_sq(x, x, r, c)
    ok_rows = np.nonzero(~incomplete)[0]
    out = np.empty(u)
    if ok_rows.size:
        out[ok_rows] = _weighted_kth(np.searchsorted(ok_rows, r), exact, pts.counts[c], k + 1, ok_rows.size)
    bad = np.nonzero(incomplete)[0]
    if bad.size:
        out[bad] = _radii_numpy(pts, k, tol, query_idx=bad)
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
        sure = (margin < -tol).any(axis=1)
        r, c = np.nonzero((np.abs(margin) <= tol) & ~sure[:, None])
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
    r, col = np.nonzero(undecided[:, None] & (dist <= big_m + tol))
    c = nbr[r, col]
    hit = sure.copy()
    ok = _exact_sq(q, ref, r, c) <= r2[c]
    hit[np.unique(r[ok])] = True
    # Rows whose whole returned list is within the band may have more candidates: recheck fully.
    again = np.nonzero(undecided & ~hit & (dist[:, -1] <= big_m + tol) & (kk < ref.shape[0]))[0]
    if again.size:
        hit[again] = _covered_numpy(q, ref, r2, tol, query_idx=again)
    return hit


def _use_faiss(backend: Backend, n_points: int) -> bool:
    if backend == "numpy":
        return False
    try:
        import faiss  # noqa: F401
    except ImportError:
        if backend == "faiss":
            from synae.errors import MissingDependencyError

            raise MissingDependencyError("faiss-cpu", 'pip install "synae[faiss]"') from None
        return False
    return backend == "faiss" or n_points >= _FAISS_MIN_N


def knn_radii_sq(x: np.ndarray, k: int, backend: Backend = "numpy") -> np.ndarray:
    """Exact squared k-NN radius of every row of ``x`` (the (k+1)-th smallest squared distance to all
    rows, itself included). Requires n > k."""
    pts = _Points.of(x)
    return _radii_of(pts, k, backend)[pts.inverse]


def _coverage(query: _Points, ref: _Points, ref_r2: np.ndarray, backend: Backend) -> int:
    """Number of query points (with multiplicity) inside some reference point's radius."""
    max_sq = max(float(np.einsum("ij,ij->i", p.rows, p.rows).max()) for p in (query, ref))
    if _use_faiss(backend, max(query.rows.shape[0], ref.rows.shape[0])):
        tol = _tolerance(ref.rows.shape[1] + 1, max_sq + float(ref_r2.max()))
        hit = _covered_faiss(query.rows, ref.rows, ref_r2, tol)
    else:
        hit = _covered_numpy(query.rows, ref.rows, ref_r2, _tolerance(ref.rows.shape[1], max_sq))
    return int(query.counts[hit].sum())


@dataclass
class KnnReference:
    """A point set prepared for k-NN membership tests: distinct rows and their exact squared radii.

    Build it once with :func:`prepare` to reuse the real side's radii across many synthetic sets.
    """

    points: _Points
    radii_sq: np.ndarray | None  # per distinct row; None when n ≤ k
    n: int
    k: int


def prepare(x: np.ndarray, k: int = 3, backend: Backend = "auto") -> KnnReference:
    """Distinct rows of ``x`` and their exact squared k-NN radii (``None`` when n ≤ k)."""
    n = int(x.shape[0])
    if n == 0:
        return KnnReference(_Points(np.zeros((0, x.shape[1] if x.ndim == 2 else 0)), np.zeros(0, np.int64),
                                    np.zeros(0, np.int64)), None, 0, k)
    pts = _Points.of(x)
    return KnnReference(pts, _radii_of(pts, k, backend) if n > k else None, n, k)


def knn_precision_recall(real: np.ndarray | KnnReference, synthetic: np.ndarray | KnnReference, k: int = 3,
                         backend: Backend = "auto") -> tuple[MetricValue, MetricValue]:
    """Improved k-NN precision and recall of ``synthetic`` against ``real`` (arrays n × d, or
    :class:`KnnReference` objects from :func:`prepare` with the same k).

    Returns ``(precision, recall)``. m ≤ k → precision ``None`` (``n_le_k``); m′ ≤ k → recall
    ``None``. ``details``: k, m, m′, members, backend.
    """
    xr = real if isinstance(real, KnnReference) else prepare(real, k, backend)
    xs = synthetic if isinstance(synthetic, KnnReference) else prepare(synthetic, k, backend)
    if xr.k != k or xs.k != k:
        raise ValueError(f"prepared k-NN references use k={xr.k}/{xs.k}, not k={k}")
    m, n = xr.n, xs.n
    base = {"k": k, "m": m, "m_syn": n, "unit": "trajectories"}
    largest = max(xr.points.rows.shape[0], xs.points.rows.shape[0])
    base["backend"] = "faiss" if m and n and _use_faiss(backend, largest) else "numpy"
    kw = {"n_real": m, "n_synthetic": n}
    if n == 0:
        prec = MetricValue.null("empty_syn_set: no synthetic points", details=dict(base), **kw)
    elif m <= k:
        prec = MetricValue.null(f"n_le_k: {m} real points <= k={k}", details=dict(base), **kw)
    else:
        members = _coverage(xs.points, xr.points, xr.radii_sq, backend)
        prec = MetricValue(members / n, details={**base, "members": members}, **kw)
    if m == 0:
        rec = MetricValue.null("empty_real_set: no real points", details=dict(base), **kw)
    elif n <= k:
        rec = MetricValue.null(f"n_le_k: {n} synthetic points <= k={k}", details=dict(base), **kw)
    else:
        members = _coverage(xr.points, xs.points, xs.radii_sq, backend)
        rec = MetricValue(members / m, details={**base, "members": members}, **kw)
    return prec, rec


def _radii_of(pts: _Points, k: int, backend: Backend) -> np.ndarray:
    tol = _tolerance(pts.rows.shape[1], float(np.einsum("ij,ij->i", pts.rows, pts.rows).max()))
    if _use_faiss(backend, pts.rows.shape[0]):
        return _radii_faiss(pts, k, tol)
    return _radii_numpy(pts, k, tol)
