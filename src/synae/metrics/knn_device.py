"""Exact k-NN precision and recall with the screening products on a torch device (GPU or CPU).

Same method and same exactness argument as :mod:`synae.metrics.knn` (read its module docstring):
squared distances are *screened* with float32 matrix products of augmented rows, and every decision
the screen cannot take with certainty is rechecked in float64 as Σ(a − b)² on the CPU
(:func:`synae.metrics.knn._exact_sq`). Only the products, their row maxima / top-k and the band
masks run on the device; what comes back to the host is the short list of rechecked pairs.
Results (precision, recall, per-point membership, radii, leave-one-out distances, nearest real rows)
therefore equal the numpy engine's exactly.

Differences from the numpy engine, none of which changes a result:

- **Radii**: row blocks against *all* columns (no symmetric pass): per row, the (k+1)-th largest
  screened s = −½‖a − b‖² (self included) gives the floor s_(k+1) − 2e; every column with s ≥ floor
  is rechecked exactly and the multiplicity-weighted (k+1)-th exact distance is the radius, the
  weighted 2nd the leave-one-out distance. This costs one full n × n × d product instead of half of
  one, and has no "incomplete list" fallback.
- **Nearest real rows**: each block of the membership pass covers all real columns, so a synthetic
  row's two largest screened s = q − ½r_x are one ``topk(2)`` of its row (the numpy engine merges
  them over column blocks); the driver turns them into exact nearest rows as the numpy engine does
  (:func:`synae.metrics.knn._nearest_of`) and keeps them in ``KnnReference.last_pass``.
- **Thresholds**: a float32 value v satisfies v ≥ t (t float64) iff v ≥ ⌈t⌉₃₂, the smallest float32
  ≥ t; thresholds are rounded that way once, so the comparisons are done in float32 on the device
  and decide exactly as the numpy engine's float32-vs-float64 comparisons.
- **Precision of the product**: TF32 (and any reduced-precision matmul mode) would void the error
  bound, so every product runs with ``torch.backends.cuda.matmul.allow_tf32 = False`` and float32
  matmul precision ``"highest"`` (restored afterwards).

Device choice (:func:`resolve_device`): ``"auto"`` = ``cuda`` when ``torch.cuda.is_available()``,
else ``cpu``; ``"cuda"`` without a GPU raises :class:`synae.errors.ConfigError`. The block functions
:func:`radii_rows` and :func:`membership_rows` (``device=None`` = the numpy engine) are the unit of
work the Ray executor distributes.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import numpy as np

from synae.embed.local import resolve_torch_device
from synae.errors import MissingDependencyError
from synae.metrics.base import MetricValue
from synae.metrics.knn import (
    KnnReference,
    _augment,
    _exact_sq,
    _gemm_error,
    _membership_numpy,
    _nearest_error,
    _nearest_of,
    _NearestTop2,
    _Points,
    _radii_numpy,
    _tolerance,
    _weighted_kth,
    precision_recall_from,
)

_TORCH_HINT = 'pip install "synae[embed]"  (or any torch build for your accelerator)'
_CPU_BLOCK_ENTRIES = 1 << 23  # float32 screening entries per block on the CPU (32 MB)
_CUDA_BLOCK_ENTRIES = 1 << 28  # on a GPU (1 GiB; the band masks add a quarter of that)


def _torch() -> Any:
    try:
        import torch
    except ImportError:
        raise MissingDependencyError("torch", _TORCH_HINT) from None
    return torch


def resolve_device(device: str = "auto") -> str:
    """``"cuda"`` or ``"cpu"`` for ``device`` in ``auto`` | ``cpu`` | ``cuda`` (``cuda:N`` allowed);
    the same rule as the embedder's (:func:`synae.embed.local.resolve_torch_device`)."""
    _torch()
    return resolve_torch_device(device)


@contextmanager
def _exact_matmul() -> Iterator[None]:
    """Full float32 products (no TF32) for the duration of the block."""
    torch = _torch()
    tf32, precision = torch.backends.cuda.matmul.allow_tf32, torch.get_float32_matmul_precision()
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.set_float32_matmul_precision("highest")
    try:
        yield
    finally:
        torch.backends.cuda.matmul.allow_tf32 = tf32
        torch.set_float32_matmul_precision(precision)


def _ceil32(t: Any) -> Any:
    """The smallest float32 ≥ each float64 entry of tensor ``t`` (so v ≥ t ⟺ v ≥ _ceil32(t))."""
    torch = _torch()
    f = t.to(torch.float32)
    return torch.where(f.to(torch.float64) < t, torch.nextafter(f, torch.full_like(f, math.inf)), f)


def _block_rows(device: str, n_cols: int) -> int:
    entries = _CPU_BLOCK_ENTRIES if device == "cpu" else _CUDA_BLOCK_ENTRIES
    return max(1, entries // max(n_cols, 1))


# ------------------------------------------------------------------------------------------------
# radii


def radii_rows(pts: _Points, k: int, start: int, stop: int, device: str | None = None
               ) -> tuple[np.ndarray, np.ndarray]:
    """``(radii, loo)`` of the distinct rows ``start:stop`` of ``pts`` against all its distinct rows:
    exact squared k-NN radii (weighted by multiplicity, self included: the (k+1)-th smallest) and
    exact squared leave-one-out nearest-neighbour distances (the weighted 2nd smallest: the distance
    to the nearest *other* element of the multiset, 0 for a row with copies). Both from one candidate
    set: the columns with s ≥ s_(k+1) − 2e hold every column as close as the j-th nearest for each
    j ≤ k, so the nearest other one too (k ≥ 1). ``device=None``: the numpy engine's row scan; else
    screening on that torch device. Requires 1 ≤ k < Σ counts."""
    x = pts.rows
    u, dim = x.shape
    norms = np.einsum("ij,ij->i", x, x)
    if device is None:
        return _radii_numpy(pts, k, _tolerance(dim, float(norms.max())), np.arange(start, stop))
    torch = _torch()
    err = _gemm_error(dim + 2, 2.0 * float(norms.max()))
    kk = min(k, u - 1)
    out, loo = np.empty(stop - start), np.empty(stop - start)
    with _exact_matmul(), torch.no_grad():
        left = torch.from_numpy(_augment(x[start:stop], 1.0, -0.5 * norms[start:stop])).to(device)
        right = torch.from_numpy(_augment(x, -0.5 * norms, 1.0)).to(device)
        step = _block_rows(device, u)
        for s in range(0, stop - start, step):
            blk = left[s:s + step] @ right.T
            kth = torch.topk(blk, kk + 1, dim=1, sorted=True).values[:, kk].to(torch.float64)
            floor = _ceil32(kth - 2 * err)
            r_t, c_t = torch.nonzero(blk >= floor[:, None], as_tuple=True)
            r, c = r_t.cpu().numpy(), c_t.cpu().numpy()
            exact = _exact_sq(x, x, r + start + s, c)
            out[s:s + blk.shape[0]] = _weighted_kth(r, exact, pts.counts[c], k + 1, blk.shape[0])
            loo[s:s + blk.shape[0]] = _weighted_kth(r, exact, pts.counts[c], 2, blk.shape[0])
    return out, loo


# ------------------------------------------------------------------------------------------------
# membership: one shared pass over the synthetic × real products


@dataclass
class _Side:
    """One side of the shared pass on the device: thresholds per distinct row and the hit flags."""

    lo: Any  # float32 tensor: ⌈thr − e⌉₃₂
    hi: Any  # float32 tensor: ⌈thr + e⌉₃₂
    hit: Any  # bool tensor


def _side(thr: np.ndarray, err: float, device: str) -> _Side:
    torch = _torch()
    t = torch.from_numpy(thr).to(device)
    return _Side(_ceil32(t - err), _ceil32(t + err), torch.zeros(thr.size, dtype=torch.bool, device=device))


def _hits(q: Any, side: _Side, r0: int, c0: int, a: np.ndarray, b: np.ndarray, b_r2: np.ndarray) -> None:
    """Device twin of :func:`synae.metrics.knn._hits_of` for the block ``q`` whose rows are the global
    rows ``r0:r0 + R`` and columns ``c0:c0 + C``: a row is a sure hit when its best screened value is
    ≥ thr + e; rows in the band [thr − e, thr + e) have their band entries rechecked exactly
    (‖a_i − b_j‖² ≤ b_r2_j)."""
    torch = _torch()
    rows = q.shape[0]
    lo, hi, hit = side.lo[r0:r0 + rows], side.hi[r0:r0 + rows], side.hit[r0:r0 + rows]
    best = q.max(dim=1).values
    hit |= best >= hi  # a view: updates side.hit
    band = torch.nonzero((best >= lo) & ~hit).squeeze(1)
    if band.numel() == 0:
        return
    r_t, c_t = torch.nonzero(q[band] >= lo[band, None], as_tuple=True)
    gi = band[r_t].cpu().numpy() + r0
    gj = c_t.cpu().numpy() + c0
    ok = _exact_sq(a, b, gi, gj) <= b_r2[gj]
    if ok.any():
        side.hit[torch.from_numpy(np.unique(gi[ok])).to(side.hit.device)] = True


def _sub_reference(ref: KnnReference, start: int, stop: int) -> KnnReference:
    """The distinct rows ``start:stop`` of ``ref`` as a reference of their own (radii kept)."""
    pts = ref.points
    sub = _Points(pts.rows[start:stop], pts.counts[start:stop], np.arange(stop - start))
    radii = None if ref.radii_sq is None else ref.radii_sq[start:stop]
    return KnnReference(sub, radii, int(sub.counts.sum()), ref.k)


def membership_rows(real: KnnReference, syn: KnnReference, start: int, stop: int,
                    device: str | None = None) -> tuple[np.ndarray | None, np.ndarray | None, _NearestTop2]:
    """The shared membership pass for the distinct synthetic rows ``start:stop`` against all real
    rows: ``(synthetic_in_real for those rows, real_in_synthetic *as far as these rows show it*,
    nearest)``. The second array covers every distinct real row; OR-ing it over blocks that
    partition the synthetic rows gives the exact membership. ``None`` for a side without radii
    (n ≤ k). ``nearest`` holds, for those rows (in order), the two largest screened
    s = q − ½r_x over all real rows, the real row of the largest and the error bound of s: joined
    over the blocks (:meth:`synae.metrics.knn._NearestTop2.concat`), :func:`synae.metrics.knn._nearest_of`
    makes them the exact nearest real rows.

    With y the synthetic and x the real rows, q(y, x) = y·x − ½(‖x‖² − r_x) − ½(‖y‖² − r_y) and
    ‖y − x‖² ≤ r_x ⟺ q ≥ ½r_y, ‖y − x‖² ≤ r_y ⟺ q ≥ ½r_x (as in the numpy engine); s = −½‖y − x‖²
    up to the row constant ½r_y."""
    nearest = _NearestTop2(stop - start)
    if device is None:
        return (*_membership_numpy(real, _sub_reference(syn, start, stop), nearest), nearest)
    torch = _torch()
    x, y = real.points.rows, syn.points.rows[start:stop]
    nx, ny = np.einsum("ij,ij->i", x, x), np.einsum("ij,ij->i", y, y)
    rx = real.radii_sq if real.radii_sq is not None else np.zeros(x.shape[0])
    ry = syn.radii_sq[start:stop] if syn.radii_sq is not None else np.zeros(y.shape[0])
    ax, by = 0.5 * (nx - rx), 0.5 * (ny - ry)
    scale = math.sqrt(float(nx.max()) * float(ny.max())) + float(np.abs(ax).max()) + float(np.abs(by).max())
    err = _gemm_error(x.shape[1] + 2, scale)
    do_y, do_x = real.radii_sq is not None, syn.radii_sq is not None
    nearest.err = _nearest_error(err, scale, rx)
    top = min(2, x.shape[0])
    with _exact_matmul(), torch.no_grad():
        yl = torch.from_numpy(_augment(y, 1.0, by)).to(device)
        xl = torch.from_numpy(_augment(x, -ax, -1.0)).to(device)
        half_rx = torch.from_numpy((0.5 * rx).astype(np.float32)).to(device)
        side_y, side_x = _side(0.5 * ry, err, device), _side(0.5 * rx, err, device)
        step = _block_rows(device, x.shape[0])
        for s in range(0, y.shape[0], step):
            q = yl[s:s + step] @ xl.T
            if do_y:
                _hits(q, side_y, s, 0, y, x, rx)
            if do_x:
                _hits(q.T, side_x, 0, s, x, y, ry)
            q -= half_rx  # s, rounded as the numpy engine rounds it
            values, columns = torch.topk(q, top, dim=1)
            rows = slice(s, s + q.shape[0])
            nearest.best[rows] = values[:, 0].cpu().numpy()
            nearest.index[rows] = columns[:, 0].cpu().numpy()
            if top == 2:  # else a single real row: no second (−∞), as in the numpy engine
                nearest.second[rows] = values[:, 1].cpu().numpy()
        hit_y, hit_x = side_y.hit.cpu().numpy(), side_x.hit.cpu().numpy()
    return (hit_y if do_y else None), (hit_x if do_x else None), nearest


# ------------------------------------------------------------------------------------------------
# whole sets on one device


def prepare(x: np.ndarray, k: int = 3, device: str = "auto") -> KnnReference:
    """Like :func:`synae.metrics.knn.prepare` (distinct rows, exact squared radii, ``None`` when
    n ≤ k), with the radii screened on ``device``."""
    n = int(x.shape[0])
    if n == 0:
        return KnnReference(_Points(np.zeros((0, x.shape[1] if x.ndim == 2 else 0)), np.zeros(0, np.int64),
                                    np.zeros(0, np.int64)), None, 0, k)
    pts = _Points.of(x)
    if n <= k:
        return KnnReference(pts, None, n, k)
    radii, loo = radii_rows(pts, k, 0, pts.rows.shape[0], resolve_device(device))
    return KnnReference(pts, radii, n, k, loo_sq=loo)


def _prepared(real: np.ndarray | KnnReference, synthetic: np.ndarray | KnnReference, k: int,
              device: str) -> tuple[KnnReference, KnnReference]:
    xr = real if isinstance(real, KnnReference) else prepare(real, k, device)
    xs = synthetic if isinstance(synthetic, KnnReference) else prepare(synthetic, k, device)
    if xr.k != k or xs.k != k:
        raise ValueError(f"prepared k-NN references use k={xr.k}/{xs.k}, not k={k}")
    return xr, xs


def membership_of(xr: KnnReference, xs: KnnReference, device: str | None, source: object
                  ) -> tuple[np.ndarray | None, np.ndarray | None]:
    """Per *distinct* row: (synthetic inside the real manifold, real inside the synthetic manifold),
    one device pass over all synthetic rows (``None`` entries as in
    :func:`synae.metrics.knn.knn_membership`). The pass also finds each synthetic row's exact
    nearest real row and keeps it in ``xr.last_pass`` for the input ``source`` (the synthetic array
    or reference the caller was given; see :func:`synae.metrics.knn.nearest_real`)."""
    if xr.n == 0 or xs.n == 0 or (xr.radii_sq is None and xs.radii_sq is None):
        return None, None
    syn_in, real_in, nearest = membership_rows(xr, xs, 0, xs.points.rows.shape[0], device)
    xr.last_pass = (source, _nearest_of(nearest, xr.points, xs.points))
    return syn_in, real_in


def knn_membership(real: np.ndarray | KnnReference, synthetic: np.ndarray | KnnReference, k: int = 3,
                   device: str = "auto") -> tuple[np.ndarray | None, np.ndarray | None]:
    """:func:`synae.metrics.knn.knn_membership` with the screening on ``device`` (same result)."""
    xr, xs = _prepared(real, synthetic, k, device)
    syn_in, real_in = membership_of(xr, xs, resolve_device(device), synthetic)
    return (None if syn_in is None else syn_in[xs.points.inverse],
            None if real_in is None else real_in[xr.points.inverse])


def knn_precision_recall(real: np.ndarray | KnnReference, synthetic: np.ndarray | KnnReference, k: int = 3,
                         device: str = "auto") -> tuple[MetricValue, MetricValue]:
    """:func:`synae.metrics.knn.knn_precision_recall` with the screening on ``device``: the same
    values, members and reasons; ``details.backend`` = ``"torch:<device>"``."""
    xr, xs = _prepared(real, synthetic, k, device)
    dev = resolve_device(device)
    syn_in, real_in = membership_of(xr, xs, dev, synthetic)
    return precision_recall_from(xr, xs, syn_in, real_in, f"torch:{dev}")
