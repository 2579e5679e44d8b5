"""Speed and peak memory of reading and writing canonical JSONL.

Builds a synthetic file of N trajectories (6 messages and 3 tool calls each), then — in a fresh
subprocess, so that peak RSS covers only the measured work — loads it with
``synae.adapters.load_dataset`` and writes it back with ``synae.schema.write_jsonl``.

    python benchmarks/bench_io.py [--n 100000] [--keep]

Targets (docs/benchmarks/io.md): load + write of 100,000 trajectories under 15 s and 2 GB peak RSS.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def make_record(i: int) -> dict:
    calls = [{"id": f"call_1_{k}", "type": "function",
              "function": {"name": f"tool_{(i + k) % 12}",
                           "arguments": json.dumps({"city": f"City {i % 85}", "k": k})}}
             for k in range(3)]
    return {
        "id": str(i),
        "messages": [
            {"role": "assistant", "content": "Hello! Where are you travelling to next?"},
            {"role": "user", "content": f"I am planning a trip to City {i % 85} and want Art museums."},
            {"role": "assistant", "content": None, "tool_calls": calls,
             "code": "\n".join(f"tool_{(i + k) % 12}(k={k})" for k in range(3))},
            {"role": "assistant", "content": "Great choice. Any neighborhood you prefer?"},
            {"role": "user", "content": "Somewhere central, please."},
            {"role": "assistant", "content": "Here are three central museums you will enjoy."},
        ],
        "output": "Visit the central museums in the morning to avoid crowds.",
        "attributes": {"type": "Art", "city": f"City {i % 85}"},
        "environment": {"kind": "t1_attractions"},
        "metadata": {"benchmark": "synthetic", "tool_results": "absent"},
    }


def build(path: Path, n: int) -> None:
    with path.open("w", encoding="utf-8") as fh:
        for i in range(n):
            fh.write(json.dumps(make_record(i)))
            fh.write("\n")


def measure(path: Path) -> dict:
    """Runs inside the subprocess: load, write; returns timings and peak RSS."""
    from synae.run.inputs.data import load_dataset
    from synae.schema import write_jsonl

    t0 = time.perf_counter()
    dataset = load_dataset(path)
    t1 = time.perf_counter()
    out = path.with_name("written.jsonl")
    n_written = write_jsonl(dataset, out)
    t2 = time.perf_counter()
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    return {"n": len(dataset), "load_s": round(t1 - t0, 2), "write_s": round(t2 - t1, 2),
            "total_s": round(t2 - t0, 2), "peak_rss_mb": round(peak_kb / 1024, 1),
            "file_mb": round(path.stat().st_size / 2**20, 1), "n_written": n_written,
            "cpu_s": round(resource.getrusage(resource.RUSAGE_SELF).ru_utime, 2)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--measure", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(measure(args.measure)))
        return
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.jsonl"
        build(path, args.n)
        result = subprocess.run([sys.executable, __file__, "--measure", str(path)], capture_output=True,
                                text=True, check=True)
        print(result.stdout.strip())


if __name__ == "__main__":
    main()
