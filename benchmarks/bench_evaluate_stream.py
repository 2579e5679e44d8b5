"""Peak memory of ``synae evaluate`` on streamed inputs against the same run on inputs loaded whole
(figures in docs/benchmarks/scale.md).

    python benchmarks/bench_evaluate_stream.py                  # 100,000 × 100,000
    python benchmarks/bench_evaluate_stream.py --sizes 20000    # one size
    python benchmarks/bench_evaluate_stream.py --sizes 1000000 --modes stream --no-vectors  # 1M × 1M
    # CPU time of two code trees in interleaved rounds, against plain json.loads of the same files:
    python benchmarks/bench_evaluate_stream.py --sizes 10000 --rounds 2 --src /tmp/synae-base/src --src src

Data: the seeded generic trajectories of ``bench_inspect.py`` (a user turn, a tool call with its
result, a final answer; stored attributes ``topic``, ``difficulty``, ``tags``) as canonical JSONL, real
and synthetic from two seeds, plus seeded 384-d float32 ``.npy`` side files for the transcript
and output views (``--embeddings``/``--synthetic-embeddings``: no model runs). Metrics: the
``--metrics`` selection (default: every metric that needs no k-NN pass — the attribute, tool-call,
output-length, AD and exact-copy metrics — so that the figure is the features' memory, not the
k-NN engine's, which both modes share) and the generic rule validity checkers.

Each mode runs ``evaluate_command`` in a fresh child process (peak RSS: ``ru_maxrss`` of the child,
read by a wrapper process):

- ``stream``: as ``synae evaluate`` runs now (the inputs stream: features chunk by chunk);
- ``whole``: the same with :func:`synae.run.commands.streamed_run` returning ``False`` (every
  trajectory loaded, as before this change).

Both modes must give the same metric values (checked here).

``--src DIR`` (twice or more) compares code trees instead: each round runs the ``stream`` mode once
per tree (``PYTHONPATH=DIR``, in the order given) and once plain ``json.loads`` over the same two
files, so that every tree is measured under the same machine load. Reported per tree: the child's
CPU time (user + system, ``RUSAGE_CHILDREN``), wall time and peak RSS per round, the median CPU
time as a multiple of ``json.loads``' and per trajectory; the trees must give the same values
(within 1e-9). ``json.loads``' own time moves with the host's load: when its slowest round is more
than 1.2× its fastest, the ratio is flagged as not reliable (a slow ``json.loads`` makes the
ratio look better than the run is).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from bench_inspect import WRAPPER, write_data

LOADS_SPREAD = 1.2  # json.loads' slowest round over its fastest above which the ratio is flagged
DEFAULT_METRICS = ("fidelity.instructions.am.*,fidelity.tool_calls.*,fidelity.output.am.*,"
                   "diversity.instructions.ad,privacy.*.exact_copies,validity.*")

CHILD = """
import json, sys
from pathlib import Path
from synae.config import load_config
from synae.run import commands
tmp, mode, metrics, result = Path(sys.argv[1]), sys.argv[2], sys.argv[3], Path(sys.argv[4])
checker = sys.argv[5] if len(sys.argv) > 5 else "rules"
if mode == "whole":
    commands.streamed_run = lambda config, report: False
def side(name):  # the .npy side files, when written (not with --no-vectors)
    files = {"transcript": tmp / f"{name}_t.npy", "output": tmp / f"{name}_o.npy"}
    return {view: path for view, path in files.items() if path.exists()}
config = load_config(inputs={"real": tmp / "real.jsonl", "synthetic": [tmp / "syn.jsonl"],
                             "embeddings": side("real"), "synthetic_embeddings": side("syn")},
                     evaluation={"select": metrics}, validity={"checker": checker}, preset="generic")
report = commands.evaluate_command(config, progress=False)
result.write_text(json.dumps({
    "values": {k: m.value for k, m in report.metrics.items()},
    "failed": [k for k, m in report.metrics.items() if m.status == "failed"],
    "timings": {k: round(v, 2) for k, v in report.timings.items() if not k.startswith("metric:")}}))
"""


JSON_LOADS = """
import json, sys
for path in sys.argv[1:]:
    with open(path, "rb") as fh:
        for line in fh:
            json.loads(line)
"""


def timed(command: list[str], env: dict[str, str] | None = None) -> tuple[float, float, float]:
    """(peak RSS MB, wall s, CPU s) of ``command`` in a child process."""
    out = subprocess.run([sys.executable, "-c", WRAPPER, sys.executable, *command], capture_output=True,
                         text=True, check=True, env=env)
    peak_kb, wall, _, cpu = out.stdout.split()
    return int(peak_kb) / 1024, float(wall), float(cpu)


def same_values(a: dict[str, float | None], b: dict[str, float | None]) -> bool:
    """Equal values within 1e-9 (``None`` only equals ``None``)."""
    return all((x is None) == (y is None)
               and (x is None or y is None or abs(x - y) <= 1e-9 * max(1.0, abs(x)))
               for x, y in ((a[k], b[k]) for k in a))


def compare_trees(tmp: Path, n: int, args: argparse.Namespace) -> None:
    """Interleaved rounds of the ``stream`` mode on every ``--src`` tree and of json.loads."""
    cpu: dict[str, list[float]] = {src: [] for src in args.src}
    loads: list[float] = []
    values: dict[str, dict[str, float | None]] = {}
    for r in range(args.rounds):
        loads.append(timed(["-c", JSON_LOADS, str(tmp / "real.jsonl"), str(tmp / "syn.jsonl")])[2])
        for src in args.src:
            result = tmp / "tree.json"
            env = {**os.environ, "PYTHONPATH": str(Path(src).resolve())}
            command = ["-c", CHILD, str(tmp), "stream", args.metrics, str(result), args.checker]
            peak, wall, seconds = timed(command, env)
            row = json.loads(result.read_text())
            values[src] = row["values"]
            cpu[src].append(seconds)
            print(json.dumps({"n": n, "round": r, "src": src, "cpu_s": round(seconds, 2),
                              "wall_s": round(wall, 2), "peak_rss_mb": round(peak, 1),
                              "json_loads_cpu_s": round(loads[-1], 3),
                              "failed": row["failed"], "timings": row["timings"]}), flush=True)
    base = statistics.median(loads)
    steady = max(loads) <= LOADS_SPREAD * min(loads)
    for src in args.src:
        med = statistics.median(cpu[src])
        row = {"n": n, "src": src, "median_cpu_s": round(med, 2), "x_json_loads": round(med / base, 1),
               "ms_per_trajectory": round(1000 * med / (2 * n), 3),
               "json_loads_cpu_s": [round(min(loads), 3), round(max(loads), 3)]}
        if not steady:
            row["warning"] = (f"json.loads varied more than {LOADS_SPREAD}x between rounds (a loaded host): "
                              "the ratio is not reliable; rerun on a quiet machine")
        print(json.dumps(row), flush=True)
    first = values[args.src[0]]
    differ = sorted({k for v in values.values() for k in v.keys() | first.keys()
                     if not same_values({k: first.get(k)}, {k: v.get(k)})})
    print(json.dumps({"n": n, "same_values": not differ, "differ": {k: [v.get(k) for v in values.values()]
                                                                     for k in differ}}), flush=True)


def vectors(path: Path, n: int, dim: int, seed: int) -> None:
    """``n`` seeded unit-norm float32 rows of dimension ``dim`` saved as ``.npy``."""
    x = np.random.default_rng(seed).standard_normal((n, dim), dtype=np.float32)
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    np.save(path, x)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000])
    parser.add_argument("--dim", type=int, default=384)
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--metrics", default=DEFAULT_METRICS)
    parser.add_argument("--modes", nargs="+", default=["stream", "whole"], choices=["stream", "whole"])
    parser.add_argument("--src", action="append", default=[],
                        help="a code tree's src folder (give two or more: interleaved rounds, see above)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--validity", dest="checker", default="rules",
                        help="validity checker of the --src runs (none: no validity)")
    parser.add_argument("--no-vectors", action="store_true",
                        help="write no .npy side files (the default metric set reads no vectors; at "
                             "1,000,000 rows they take 1.5 GB each)")
    args = parser.parse_args()
    for n in args.sizes:
        with tempfile.TemporaryDirectory() as name:
            tmp = Path(name)
            size = write_data(tmp / "real.jsonl", n, args.seed)
            write_data(tmp / "syn.jsonl", n, args.seed + 1)
            for side, seed in (("real", args.seed), ("syn", args.seed + 1)) if not args.no_vectors else ():
                vectors(tmp / f"{side}_t.npy", n, args.dim, seed)
                vectors(tmp / f"{side}_o.npy", n, args.dim, seed + 100)  # every record has an output
            if args.src:
                compare_trees(tmp, n, args)
                continue
            values = {}
            for mode in args.modes:
                result = tmp / f"{mode}.json"
                child = [sys.executable, "-c", CHILD, str(tmp), mode, args.metrics, str(result)]
                out = subprocess.run([sys.executable, "-c", WRAPPER, *child], capture_output=True, text=True,
                                     check=True)
                peak_kb, wall, _, _ = out.stdout.split()
                row = json.loads(result.read_text())
                values[mode] = row["values"]
                print(json.dumps({"n": n, "file_mb": round(size / 2**20, 1), "mode": mode,
                                  "peak_rss_mb": round(int(peak_kb) / 1024, 1),
                                  "wall_s": round(float(wall), 1),
                                  "n_metrics": len(row["values"]), "failed": row["failed"],
                                  "timings": row["timings"]}), flush=True)
            if len(values) == 2:
                print(json.dumps({"n": n, "same_values": values["stream"] == values["whole"]}), flush=True)


if __name__ == "__main__":
    main()
