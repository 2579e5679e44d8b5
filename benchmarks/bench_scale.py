"""The k-NN stage past one process: local executor vs a local Ray cluster (figures in
docs/benchmarks/scale.md).

    python benchmarks/bench_scale.py                     # 10k and 100k real × synthetic
    python benchmarks/bench_scale.py --sizes 10000       # 10k only
    python benchmarks/bench_scale.py --million           # also 1M × 1M (hours on a few cores)
    python benchmarks/bench_scale.py --skip-ray          # local executor only
    python benchmarks/bench_scale.py --evaluate 100000   # a whole evaluation, precomputed vectors
    python benchmarks/bench_scale.py --evaluate 100000 --stream   # the same on streamed inputs

Data: seeded random 384-d float32 unit vectors (real), and a synthetic set of which half are noisy
copies of real rows and half fresh draws, so precision and recall are neither 0 nor 1. Per size it
prints JSON rows: the float32 GEMM floor (one full n × m × d product, blockwise, alone), then for
each executor the wall time of radii (real, synthetic), the membership pass and the total, the
precision/recall (which must agree), and peak memory per process: the driver's ``ru_maxrss`` and,
for Ray, each worker's peak RSS (``VmHWM`` from /proc, read by a task on every node at the end).

``--evaluate N``: a whole ``Evaluator.evaluate`` of N × N trajectories (seeded, written as JSONL)
whose transcript vectors are the 384-d sets above given as memory-mapped ``.npy`` side files
(:mod:`synae.run.inputs.precomputed`; the turn pairs of KND use the ``lexical`` embedder). It runs in a
child process and reports that process's peak RSS, the evaluation's stage times and the k-NN pass
(``stage:knn.instructions``: real radii + synthetic radii + membership) against the float32 GEMM
floor measured in the same run (the engine needs ≈ 2 full products). Targets at N = 100,000:
peak < 6 GB, k-NN pass ≤ 1.3 × 2 products. With ``--stream`` both sets are
:class:`~synae.run.inputs.streaming.TrajectoryStream` inputs (read again per pass, features built chunk by
chunk, the side files attached as ``synae evaluate`` attaches them) instead of loaded datasets.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import resource
import time
from typing import Any

import numpy as np

from synae.run.executors import Executor, LocalExecutor


def emit(**row: object) -> None:
    print(json.dumps(row), flush=True)


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def data(n: int, dim: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, dim), dtype=np.float32)
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    y = rng.standard_normal((n, dim), dtype=np.float32)
    half = n // 2
    y[:half] = x[rng.integers(0, n, half)] + 0.02 * y[:half]
    y /= np.linalg.norm(y, axis=1, keepdims=True)
    return x, y


def gemm_floor(x: np.ndarray, y: np.ndarray) -> float:
    """Seconds for the n × m × (d + 2) float32 products alone, in the engine's blocks (all cores)."""
    a = np.ascontiguousarray(np.hstack([x, np.ones((x.shape[0], 2), np.float32)]))
    b = np.ascontiguousarray(np.hstack([y, np.ones((y.shape[0], 2), np.float32)]))
    step = max(1, (1 << 23) // b.shape[0])
    t = time.perf_counter()
    for s in range(0, a.shape[0], step):
        (a[s:s + step] @ b.T).max()
    return time.perf_counter() - t


def run_knn(ex: Executor, x: np.ndarray, y: np.ndarray, k: int) -> dict[str, Any]:
    t0 = time.perf_counter()
    xr = ex.knn_prepare(x, k)
    t1 = time.perf_counter()
    xs = ex.knn_prepare(y, k)
    t2 = time.perf_counter()
    prec, rec = ex.knn_precision_recall(xr, xs, k)
    t3 = time.perf_counter()
    return {"radii_real_s": t1 - t0, "radii_syn_s": t2 - t1, "membership_s": t3 - t2, "total_s": t3 - t0,
            "precision": prec.value, "recall": rec.value}


EVALUATE_CHILD = """
import json, resource, sys, time
from pathlib import Path
from synae.config import load_config
from synae.run.inputs import precomputed
from synae.run.commands import open_input
from synae.run.inputs.data import load_dataset
from synae.run.scoring.evaluation import Evaluator
tmp, stream = Path(sys.argv[1]), sys.argv[2] == "stream"
t = time.perf_counter()
config = load_config(embedding={"model": "lexical", "cache": False},
                     inputs={"embeddings": {"transcript": tmp / "real.npy"},
                             "synthetic_embeddings": {"transcript": tmp / "syn.npy"}})
if stream:
    real, syn = open_input(tmp / "real.jsonl", config), open_input(tmp / "syn.jsonl", config, synthetic=True)
else:
    real, syn = load_dataset(tmp / "real.jsonl"), load_dataset(tmp / "syn.jsonl")
    precomputed.attach(real, "transcript", tmp / "real.npy")
    precomputed.attach(syn, "transcript", tmp / "syn.npy")
load_s = time.perf_counter() - t
report = Evaluator(real, config, progress=False).evaluate(syn)
m = report.metrics
print(json.dumps({"load_s": load_s, "timings": report.timings,
                  "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "precision": m["fidelity.instructions.knn_precision"].value,
                  "recall": m["fidelity.instructions.knn_recall"].value,
                  "failed": [i for i, r in m.items() if r.status == "failed"]}))
"""


def write_trajectories(path: str, n: int, seed: int, prefix: str) -> None:
    """``n`` seeded two-turn trajectories without a final output (the output metrics skip)."""
    rng = np.random.default_rng(seed)
    words = np.array(["plan", "trip", "hotel", "city", "train", "museum", "price", "date", "room", "food"])
    with open(path, "w", encoding="utf-8") as fh:
        for i in range(n):
            a, b = (" ".join(words[rng.integers(0, 10, 6)]) for _ in range(2))
            fh.write(json.dumps({"id": f"{prefix}{i}", "output": None,
                                 "attributes": {"topic": str(words[i % 4])},
                                 "messages": [{"role": "user", "content": a},
                                              {"role": "assistant", "content": "sure"},
                                              {"role": "user", "content": b}]}) + "\n")


def run_evaluate(n: int, dim: int, seed: int, stream: bool = False) -> None:
    """The ``--evaluate`` measurement (module docstring)."""
    import subprocess
    import sys
    import tempfile

    x, y = data(n, dim, seed)
    with tempfile.TemporaryDirectory() as tmp:
        np.save(f"{tmp}/real.npy", x)
        np.save(f"{tmp}/syn.npy", y)
        write_trajectories(f"{tmp}/real.jsonl", n, seed, "r")
        write_trajectories(f"{tmp}/syn.jsonl", n, seed + 1, "s")
        out = subprocess.run([sys.executable, "-c", EVALUATE_CHILD, tmp, "stream" if stream else "whole"],
                             capture_output=True, text=True, check=True)
    row = json.loads(out.stdout.strip().splitlines()[-1])
    floor = gemm_floor(x, y)
    knn_s = row["timings"].get("stage:knn.instructions", math.nan)
    emit(kind="evaluate", n=n, d=dim, inputs="streamed" if stream else "loaded", one_product_s=floor,
         knn_pass_s=knn_s,
         knn_over_two_products=knn_s / (2 * floor), total_s=row["timings"]["total"], load_s=row["load_s"],
         peak_rss_mb=row["peak_rss_mb"], precision=row["precision"], recall=row["recall"],
         failed=row["failed"], timings={k: round(v, 2) for k, v in row["timings"].items()
                                        if not k.startswith("metric:") or v > 1})


def _worker_peaks() -> dict[str, float]:
    """Peak RSS (MB) of every Ray worker process on this node (``VmHWM``)."""
    out = {}
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as fh:
                cmd = fh.read().replace(b"\0", b" ").decode(errors="replace")
            if "default_worker.py" not in cmd:
                continue
            with open(f"/proc/{pid}/status") as fh:
                hwm = next(line for line in fh if line.startswith("VmHWM"))
            out[pid] = int(hwm.split()[1]) / 1024
        except (OSError, StopIteration):
            continue
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="10000,100000", help="comma-separated n (real = synthetic)")
    parser.add_argument("--million", action="store_true", help="add n = 1,000,000")
    parser.add_argument("--dim", type=int, default=384)
    parser.add_argument("--k", type=int, default=3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--nodes", type=int, default=2, help="Ray nodes of the local cluster")
    parser.add_argument("--cpus-per-node", type=int, default=1)
    parser.add_argument("--skip-ray", action="store_true")
    parser.add_argument("--evaluate", type=int, default=0, metavar="N",
                        help="only a whole N × N evaluation with precomputed vectors")
    parser.add_argument("--stream", action="store_true", help="--evaluate on streamed inputs")
    args = parser.parse_args()
    if args.evaluate:
        run_evaluate(args.evaluate, args.dim, args.seed, args.stream)
        return
    sizes = [int(s) for s in args.sizes.split(",") if s] + ([1_000_000] if args.million else [])
    emit(kind="machine", cpus=os.cpu_count(), numpy=np.__version__)
    cluster = ray_ex = None
    if not args.skip_ray:
        from ray.cluster_utils import Cluster

        from synae.run.executors.ray_executor import RayExecutor

        t = time.perf_counter()
        node = {"num_cpus": args.cpus_per_node, "node_ip_address": "127.0.0.1"}  # loopback only
        cluster = Cluster(initialize_head=True, head_node_args={**node, "include_dashboard": False})
        for _ in range(args.nodes - 1):
            cluster.add_node(**node)
        cluster.wait_for_nodes()
        ray_ex = RayExecutor(address=cluster.address, device="cpu")
        emit(kind="ray_start", nodes=args.nodes, cpus_per_node=args.cpus_per_node,
             seconds=time.perf_counter() - t)
    try:
        for n in sizes:
            x, y = data(n, args.dim, args.seed)
            floor = gemm_floor(x, y)
            emit(kind="gemm_floor", n=n, m=n, d=args.dim, one_product_s=floor,
                 gflops=2 * n * n * (args.dim + 2) / floor / 1e9)
            local = run_knn(LocalExecutor(device="cpu"), x, y, args.k)
            emit(kind="knn", executor="local", n=n, **local, products_floor_s=2 * floor,
                 driver_peak_rss_mb=peak_rss_mb())
            if ray_ex is not None:
                dist = run_knn(ray_ex, x, y, args.k)
                assert (dist["precision"], dist["recall"]) == (local["precision"], local["recall"])
                peaks = _worker_peaks()
                emit(kind="knn", executor="ray", n=n, nodes=args.nodes, **dist,
                     products_floor_s=3 * floor / (args.nodes * args.cpus_per_node),
                     overhead_vs_local=dist["total_s"] / local["total_s"],
                     driver_peak_rss_mb=peak_rss_mb(),
                     worker_peak_rss_mb=sorted(peaks.values(), reverse=True)[:8])
            emit(kind="note", n=n, products_note=(
                "local numpy engine: ~2 full products (symmetric radii = ½ product per set, shared "
                "membership pass = 1); ray row blocks: 3 (radii without symmetry = 1 per set, + 1), "
                "split over the workers"), cores_used_local=os.cpu_count(),
                 ideal_ray_over_local=math.nan if not ray_ex else 1.5 * (os.cpu_count() or 1)
                 / (args.nodes * args.cpus_per_node))
    finally:
        if ray_ex is not None:
            ray_ex.close()
        if cluster is not None:
            cluster.shutdown()


if __name__ == "__main__":
    main()
