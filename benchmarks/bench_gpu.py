"""Exact k-NN precision/recall at 1,000,000 × 1,000,000 on one GPU (figures in
docs/benchmarks/scale.md). Needs only numpy, torch and synae (no Ray).

    python benchmarks/bench_gpu.py                      # 1M real × 1M synthetic, d = 384, k = 3
    python benchmarks/bench_gpu.py --n 100000 --check   # smaller, and compare with the numpy engine

Data: seeded random 384-d float32 unit vectors (real); synthetic = half noisy copies of real rows,
half fresh draws. Prints one JSON row per stage: data generation, de-duplication (distinct rows,
CPU), radii of each set (GPU screening + CPU float64 recheck), the shared membership pass, and the
total; then the GEMM floor (one n × n × (d + 2) float32 product on the device, alone) and the GPU's
peak memory. Expected on an H200 (FP32 without TF32 ≈ 50–60 TFLOP/s): ~15 s per full product, 3
products, well under 10 minutes in all. ``--check`` (sizes ≲ 1e5) recomputes with the numpy engine
and asserts equal memberships.
"""

from __future__ import annotations

import argparse
import resource
import time

import numpy as np
from bench_scale import data, emit  # the same seeded vectors and output rows as the CPU/Ray benchmark

from synae.metrics import knn
from synae.metrics import knn_device as kd


def gemm_floor(x: np.ndarray, device: str) -> float:
    import torch

    with kd._exact_matmul(), torch.no_grad():
        a = torch.from_numpy(np.hstack([x, np.ones((x.shape[0], 2), np.float32)])).to(device)
        step = max(1, (1 << 28) // a.shape[0])
        torch.cuda.synchronize()
        t = time.perf_counter()
        for s in range(0, a.shape[0], step):
            (a[s:s + step] @ a.T).max()
        torch.cuda.synchronize()
        return time.perf_counter() - t


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--dim", type=int, default=384)
    parser.add_argument("--k", type=int, default=3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--device", default="cuda")
    parser.add_argument("--check", action="store_true", help="compare with the numpy engine")
    args = parser.parse_args()
    import torch

    device = kd.resolve_device(args.device)
    gpu = device.startswith("cuda")
    emit(kind="device", device=device, name=torch.cuda.get_device_name() if gpu else "cpu",
         torch=torch.__version__)
    start = t = time.perf_counter()
    x, y = data(args.n, args.dim, args.seed)
    emit(kind="stage", stage="generate", seconds=time.perf_counter() - t)
    t = time.perf_counter()
    pr, ps = knn._Points.of(x), knn._Points.of(y)
    emit(kind="stage", stage="dedup", seconds=time.perf_counter() - t, distinct=[len(pr.rows), len(ps.rows)])
    refs = []
    for name, pts in (("radii_real", pr), ("radii_syn", ps)):
        t = time.perf_counter()
        radii = kd.radii_rows(pts, args.k, 0, len(pts.rows), device)
        emit(kind="stage", stage=name, seconds=time.perf_counter() - t)
        refs.append(knn.KnnReference(pts, radii, args.n, args.k))
    t = time.perf_counter()
    syn_in, real_in = kd.membership_of(refs[0], refs[1], device)
    prec, rec = kd.precision_recall_from(refs[0], refs[1], syn_in, real_in, f"torch:{device}")
    emit(kind="stage", stage="membership", seconds=time.perf_counter() - t)
    emit(kind="result", n=args.n, d=args.dim, k=args.k, precision=prec.value, recall=rec.value,
         total_s=time.perf_counter() - start,
         host_peak_rss_gb=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2,
         gpu_peak_gb=torch.cuda.max_memory_allocated() / 1024**3 if gpu else None)
    if gpu:
        floor = gemm_floor(x, device)
        emit(kind="gemm_floor", one_product_s=floor, tflops=2 * args.n**2 * (args.dim + 2) / floor / 1e12)
    if args.check:
        t = time.perf_counter()
        want_p, want_r = knn.knn_precision_recall(x, y, args.k)
        assert (want_p.value, want_r.value) == (prec.value, rec.value), (want_p.value, want_r.value)
        emit(kind="check", equal=True, numpy_engine_s=time.perf_counter() - t)


if __name__ == "__main__":
    main()
