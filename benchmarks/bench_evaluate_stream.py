"""Peak memory of ``synae evaluate`` on streamed inputs against the same run on inputs loaded whole
(figures in docs/benchmarks/scale.md).

    python benchmarks/bench_evaluate_stream.py                  # 100,000 × 100,000
    python benchmarks/bench_evaluate_stream.py --sizes 20000    # one size

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
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from bench_inspect import WRAPPER, write_data

DEFAULT_METRICS = ("fidelity.instructions.am.*,fidelity.tool_calls.*,fidelity.output.am.*,"
                   "diversity.instructions.ad,privacy.*.exact_copies,validity.*")

CHILD = """
import json, sys
from pathlib import Path
from synae.config import load_config
from synae.run import commands
tmp, mode, metrics, result = Path(sys.argv[1]), sys.argv[2], sys.argv[3], Path(sys.argv[4])
if mode == "whole":
    commands.streamed_run = lambda config, report: False
def side(name):
    return {"transcript": tmp / f"{name}_t.npy", "output": tmp / f"{name}_o.npy"}
config = load_config(inputs={"real": tmp / "real.jsonl", "synthetic": [tmp / "syn.jsonl"],
                             "embeddings": side("real"), "synthetic_embeddings": side("syn")},
                     evaluation={"select": metrics}, validity={"checker": "rules"}, preset="generic")
report = commands.evaluate_command(config, progress=False)
result.write_text(json.dumps({
    "values": {k: m.value for k, m in report.metrics.items()},
    "failed": [k for k, m in report.metrics.items() if m.status == "failed"],
    "timings": {k: round(v, 2) for k, v in report.timings.items() if not k.startswith("metric:")}}))
"""


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
    args = parser.parse_args()
    for n in args.sizes:
        with tempfile.TemporaryDirectory() as name:
            tmp = Path(name)
            size = write_data(tmp / "real.jsonl", n, args.seed)
            write_data(tmp / "syn.jsonl", n, args.seed + 1)
            for side, seed in (("real", args.seed), ("syn", args.seed + 1)):
                vectors(tmp / f"{side}_t.npy", n, args.dim, seed)
                vectors(tmp / f"{side}_o.npy", n, args.dim, seed + 100)  # every record has an output
            values = {}
            for mode in args.modes:
                result = tmp / f"{mode}.json"
                child = [sys.executable, "-c", CHILD, str(tmp), mode, args.metrics, str(result)]
                out = subprocess.run([sys.executable, "-c", WRAPPER, *child], capture_output=True, text=True,
                                     check=True)
                peak_kb, wall, _ = out.stdout.split()
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
