"""Speed and memory of the metric engine (figures in docs/benchmarks/metrics.md).

    python benchmarks/bench_metrics.py t1                # (a) full grid on T1, MiniLM, cold then warm cache
    python benchmarks/bench_metrics.py scale --n 100000  # (b) every non-LLM metric at n real × n synthetic
    python benchmarks/bench_metrics.py fastforms         # (d) fast forms against naive forms
    python benchmarks/bench_metrics.py knn --n 20000     # (e) k-NN engines and the GEMM lower bound
    python benchmarks/bench_metrics.py warm --src /tmp/synae-base/src --src src  # (f) warm T1 CLI, trees

Each run prints one JSON object per measurement. Peak memory is the process's maximum resident set
size (``ru_maxrss``), so run one measurement per process when memory matters.
"""

from __future__ import annotations

import argparse
import json
import math
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np


def peak_rss_gb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2


def emit(**row: object) -> None:
    print(json.dumps(row), flush=True)


# ------------------------------------------------------------------------------------------------
# (a) T1 full grid with MiniLM, cold and warm


def bench_t1(args: argparse.Namespace) -> None:
    if args.child:
        from synae.config import load_config
        from synae.datapaths import data_path
        from synae.run.inputs.data import load_dataset
        from synae.run.scoring.evaluation import Evaluator

        start = time.perf_counter()
        real = load_dataset(data_path("t1", "t1_attraction_turns_with_output.csv"))
        syn = load_dataset(data_path("t1", "t1_attraction_augmented.csv"))
        loaded = time.perf_counter()
        config = load_config(embedding={"cache_dir": args.cache})
        report = Evaluator(real, config, progress=False).evaluate(syn)
        end = time.perf_counter()
        stats = report.embedder.stats
        emit(bench="t1_grid", run=args.child, n_real=len(real), n_syn=len(syn),
             load_s=round(loaded - start, 3), evaluate_s=round(end - loaded, 3),
             total_s=round(end - start, 3),
             n_unique=stats["n_unique"], n_cached=stats["n_cached"], n_embedded=stats["n_embedded"],
             n_multi_window=stats["n_multi_window"], n_truncated=stats["n_truncated"],
             metrics_s=round(report.timings["metrics"], 3), peak_rss_gb=round(peak_rss_gb(), 2),
             n_metrics=len(report.metrics), statuses=sorted({m.status for m in report.metrics.values()}))
        return
    cache = tempfile.mkdtemp(prefix="synae-bench-cache-")
    for run in ("cold", "warm"):  # separate processes: the warm run starts with no model in memory
        subprocess.run([sys.executable, __file__, "t1", "--child", run, "--cache", cache], check=True)


# ------------------------------------------------------------------------------------------------
# (f) warm T1 pair through the CLI: code trees in interleaved rounds


def bench_warm(args: argparse.Namespace) -> None:
    """``synae evaluate --real <T1 turns with output> --synthetic <T1 augmented> --out …`` with a warm
    embedding cache (``--cache``, filled by one untimed run first), once per ``--src`` tree per round
    (``PYTHONPATH``), interleaved so that every tree sees the same machine load. Per run: wall, CPU
    (user + system of the child), peak RSS and the texts embedded (0 = warm); then per tree the
    medians, and whether the trees' metric values agree within 1e-9."""
    import os
    import statistics

    from bench_evaluate_stream import same_values
    from bench_evaluate_stream import timed as timed_child

    from synae.datapaths import data_path

    real = data_path("t1", "t1_attraction_turns_with_output.csv")
    syn = data_path("t1", "t1_attraction_augmented.csv")
    cache = args.cache or Path(tempfile.mkdtemp(prefix="synae-bench-cache-"))
    out = Path(tempfile.mkdtemp(prefix="synae-bench-warm-")) / "results.json"
    command = ["-m", "synae", "evaluate", "--real", str(real), "--synthetic", str(syn), "--out", str(out)]
    rows: dict[str, list[tuple[float, float, float]]] = {src: [] for src in args.src}
    values: dict[str, dict[str, float | None]] = {}
    for r in range(-1, args.rounds):  # round -1 fills the cache and the file system's caches
        for src in args.src:
            env = {**os.environ, "PYTHONPATH": str(Path(src).resolve()), "SYNAE_CACHE_DIR": str(cache)}
            peak, wall, cpu = timed_child(command, env)
            results = json.loads(out.read_text())
            values[src] = {k: m["value"] for k, m in results["metrics"].items()}
            if r < 0:
                continue
            rows[src].append((wall, cpu, peak))
            emit(bench="warm_t1", round=r, src=src, wall_s=round(wall, 2), cpu_s=round(cpu, 2),
                 peak_rss_mb=round(peak),
                 n_embedded=results["embedder"]["stats"]["n_embedded"])
    for src, runs in rows.items():
        emit(bench="warm_t1", src=src, median_wall_s=round(statistics.median(r[0] for r in runs), 2),
             median_cpu_s=round(statistics.median(r[1] for r in runs), 2),
             median_peak_rss_mb=round(statistics.median(r[2] for r in runs)))
    first = values[args.src[0]]
    emit(bench="warm_t1", same_values=all(v.keys() == first.keys() and same_values(first, v)
                                          for v in values.values()))


# ------------------------------------------------------------------------------------------------
# (b) scale: n real × n synthetic generated trajectories


TOOLS = ["search_attractions", "filter_attractions", "search_nearest", "sort_results",
         "get_results_from_cache", "save_to_cache"]


def sentence(rng: np.random.Generator, words: np.ndarray, lo: int = 5, hi: int = 30) -> str:
    return " ".join(rng.choice(words, size=rng.integers(lo, hi)))


def make_dataset(n: int, seed: int, name: str):
    """Synthetic T1-like trajectories: 1–4 user turns with responses, 0–6 tool calls (one of 3 000
    plans), an output, and stored categorical attributes ``city`` (85 values) and ``type`` (9)."""
    from synae.schema import Dataset, FunctionCall, Message, ToolCall, Trajectory

    rng = np.random.default_rng(seed)
    words = np.array([f"w{i}" for i in range(5000)])
    plans = [tuple(rng.choice(TOOLS, size=rng.integers(0, 7))) for _ in range(3000)]  # 3 000 tool plans
    cities, types = [f"city{i}" for i in range(85)], [f"type{i}" for i in range(9)]
    trajs = []
    for i in range(n):
        messages = []
        for turn in range(int(rng.integers(1, 5))):
            messages.append(Message(role="user", content=sentence(rng, words)))
            if turn == 0:
                plan = plans[int(rng.integers(0, len(plans)))]
                calls = [ToolCall(id=f"c{j}", function=FunctionCall(name=tool))
                         for j, tool in enumerate(plan)]
                if calls:
                    messages.append(Message(role="assistant", tool_calls=calls))
            messages.append(Message(role="assistant", content=sentence(rng, words)))
        output = " ".join(rng.choice(words, size=rng.integers(3, 20)))
        attributes = {"city": cities[int(rng.integers(0, len(cities)))],
                      "type": types[int(rng.integers(0, len(types)))]}
        trajs.append(Trajectory(id=f"{name}-{i}", messages=messages, output=output, attributes=attributes,
                                metadata={"tool_results": "absent"}))
    return Dataset(trajs, name=name)


def bench_scale(args: argparse.Namespace) -> None:
    from synae.config import load_config
    from synae.run.scoring.evaluation import Evaluator

    t0 = time.perf_counter()
    real, syn = make_dataset(args.n, 1, "real"), make_dataset(args.n, 2, "syn")
    t1 = time.perf_counter()
    config = load_config(embedding={"model": "lexical"})
    ev = Evaluator(real, config, preset=args.preset, metric_patterns=args.metrics, progress=False)
    real_f = ev.features(real)
    syn_f = ev.features(syn)
    t2 = time.perf_counter()
    results = ev.compute_metrics(real_f, syn_f)
    t3 = time.perf_counter()
    emit(bench="scale", n=args.n, preset=args.preset, n_metrics=len(results), generate_s=round(t1 - t0, 1),
         features_s=round(t2 - t1, 1),
         metrics_s=round(t3 - t2, 1), peak_rss_gb=round(peak_rss_gb(), 2),
         per_metric_s={k: round(v, 2) for k, v in ev.metric_seconds.items()},
         statuses={k: m.status for k, m in results.items() if m.status != "ok"})


# ------------------------------------------------------------------------------------------------
# (d) fast forms against naive forms


def timed(fn, *a, **kw):
    start = time.perf_counter()
    out = fn(*a, **kw)
    return out, time.perf_counter() - start


def bench_fastforms(args: argparse.Namespace) -> None:
    from scipy.linalg import sqrtm

    from synae.metrics.diversity import levenshtein_similarity, tool_vendi, vendi_cosine
    from synae.metrics.fidelity import frechet_distance
    from synae.metrics.knn import knn_precision_recall

    d = 384
    for n in args.sizes:
        rng = np.random.default_rng(n)
        e = rng.normal(size=(n, d))
        e /= np.linalg.norm(e, axis=1, keepdims=True)
        fast, t_fast = timed(vendi_cosine, e)
        row = {"bench": "vendi_cosine", "n": n, "fast_s": round(t_fast, 3)}
        if n <= 10_000:  # n × n float64: 800 MB at 10 000
            def naive(x):
                lam = np.linalg.eigvalsh(x @ x.T / x.shape[0])
                lam = lam[lam > 0]
                return math.exp(-np.sum(lam * np.log(lam)))
            slow, t_slow = timed(naive, e)
            row.update(naive_s=round(t_slow, 3), rel_diff=abs(fast.value - slow) / slow)
        emit(**row)

        seqs = [list(rng.choice(TOOLS, size=rng.integers(0, 7))) for _ in range(n)]
        fast, t_fast = timed(tool_vendi, seqs)
        row = {"bench": "tool_vendi", "n": n, "n_distinct": fast.details["n_distinct"],
               "fast_s": round(t_fast, 3)}
        if n <= 10_000:
            def naive_tool(s):
                k = levenshtein_similarity(s)  # the full n × n matrix, no dedup
                lam = np.linalg.eigvalsh(k / len(s))
                lam = lam[lam > 0]
                return math.exp(-np.sum(lam * np.log(lam)))
            slow, t_slow = timed(naive_tool, seqs)
            row.update(naive_s=round(t_slow, 3), rel_diff=abs(fast.value - slow) / slow)
        emit(**row)

        x = rng.normal(size=(n, d)) * 0.1
        y = rng.normal(size=(n, d)) * 0.1 + 0.01
        fast, t_fast = timed(frechet_distance, x, y)

        def naive_fd(a, b, eps=1e-6):
            ca = np.cov(a, rowvar=False) + eps * np.eye(d)
            cb = np.cov(b, rowvar=False) + eps * np.eye(d)
            diff = a.mean(0) - b.mean(0)
            return float(diff @ diff + np.trace(ca) + np.trace(cb) - 2 * np.trace(sqrtm(ca @ cb).real))
        slow, t_slow = timed(naive_fd, x, y)
        emit(bench="fid", n=n, fast_s=round(t_fast, 3), naive_s=round(t_slow, 3),
             rel_diff=abs(fast.value - slow) / slow)

        (p_np, r_np), t_np = timed(knn_precision_recall, x, y, 3, "numpy")
        (p_fa, r_fa), t_fa = timed(knn_precision_recall, x, y, 3, "faiss")
        row = {"bench": "knn", "n": n, "numpy_blockwise_s": round(t_np, 2), "faiss_s": round(t_fa, 2),
               "equal": (p_np.value, r_np.value) == (p_fa.value, r_fa.value)}
        if n <= 2_000:  # brute force materialises n × n × d differences
            def brute(a, b, k=3):
                def sq(u, v):
                    out = np.empty((len(u), len(v)))
                    for i in range(len(u)):
                        diff = u[i] - v
                        out[i] = np.einsum("ij,ij->i", diff, diff)
                    return out
                ra = np.sort(sq(a, a), 1)[:, k]
                rb = np.sort(sq(b, b), 1)[:, k]
                dba = sq(b, a)
                return (dba <= ra[None]).any(1).mean(), (dba <= rb[:, None]).any(0).mean()
            (p_b, r_b), t_b = timed(brute, x, y)
            row.update(brute_force_s=round(t_b, 2), equal_brute=(p_b, r_b) == (p_np.value, r_np.value))
        emit(**row)


# ------------------------------------------------------------------------------------------------
# (e) k-NN: numpy engine (2 shared passes) vs faiss (4 searches), and the machine's GEMM ceiling


def gemm_gflops(dim: int = 386, side: int = 2896, repeats: int = 5) -> float:
    """Sustained float32 GEMM throughput at the k-NN engine's block shape (side × side × dim)."""
    rng = np.random.default_rng(0)
    a = rng.normal(size=(side, dim)).astype(np.float32)
    b = rng.normal(size=(side, dim)).astype(np.float32)
    a @ b.T  # warm-up
    start = time.perf_counter()
    for _ in range(repeats):
        a @ b.T
    return repeats * 2 * side * side * dim / (time.perf_counter() - start) / 1e9


def bench_knn(args: argparse.Namespace) -> None:
    from synae.metrics.knn import knn_precision_recall

    gflops = gemm_gflops()
    # exact k-NN needs ≥ 2 products of n × n × (d + 2): half a pass per set for the radii (symmetric),
    # one pass real × synthetic shared by precision and recall
    bound_100k = 2 * 2 * 100_000**2 * 386 / (gflops * 1e9)
    emit(bench="gemm", gflops=round(gflops, 1), knn_lower_bound_s_per_target_at_100k=round(bound_100k, 1))
    d = 384
    for n in args.sizes:
        rng = np.random.default_rng(n)
        x = rng.normal(size=(n, d))
        y = rng.normal(size=(n, d)) + 0.02
        x /= np.linalg.norm(x, axis=1, keepdims=True)
        y /= np.linalg.norm(y, axis=1, keepdims=True)
        (p_np, r_np), t_np = timed(knn_precision_recall, x, y, 3, "numpy")
        row = {"bench": "knn_engines", "n": n, "numpy_s": round(t_np, 2),
               "numpy_gemm_bound_s": round(2 * 2 * n * n * 386 / (gflops * 1e9), 2)}
        if not args.no_faiss:
            (p_fa, r_fa), t_fa = timed(knn_precision_recall, x, y, 3, "faiss")
            row.update(faiss_s=round(t_fa, 2), equal=(p_np.value, r_np.value) == (p_fa.value, r_fa.value))
        emit(**row, precision=p_np.value, recall=r_np.value)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("t1")
    p.add_argument("--child", choices=["cold", "warm"])
    p.add_argument("--cache", type=Path)
    p = sub.add_parser("warm")
    p.add_argument("--src", action="append", required=True, help="a code tree's src folder (repeatable)")
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--cache", type=Path, help="embedding cache folder (default: a fresh one)")
    p = sub.add_parser("scale")
    p.add_argument("--n", type=int, default=100_000)
    p.add_argument("--metrics", default=None, help="glob patterns over metric IDs (default: all)")
    p.add_argument("--preset", default="generic",
                   help="generic (default): stored city/type labels; t1: keyword labelling of transcripts")
    p = sub.add_parser("fastforms")
    p.add_argument("--sizes", type=int, nargs="+", default=[1_000, 10_000])
    p = sub.add_parser("knn")
    p.add_argument("--sizes", type=int, nargs="+", default=[5_000, 20_000])
    p.add_argument("--no-faiss", action="store_true")
    args = parser.parse_args()
    {"t1": bench_t1, "scale": bench_scale, "fastforms": bench_fastforms, "knn": bench_knn,
     "warm": bench_warm}[args.cmd](args)


if __name__ == "__main__":
    main()
