"""The fixed cost of a ``synae evaluate`` run from the library: imports and set-up, measured on a run
so small (12 × 9 trajectories) that they are nearly all of it (figures in docs/benchmarks/scale.md).

    python benchmarks/bench_startup.py --src /tmp/synae-base/src --src src --rounds 10

Each round runs, for every ``--src`` tree in the order given, a fresh child process with
``PYTHONPATH=DIR`` that calls ``evaluate_command`` with the metric set of ``bench_evaluate_stream.py``
and rule validity (the generic preset), then prints its own CPU time (user + system) and how many
modules it has loaded. Reported per tree: the minimum and median CPU time and the module count.
Compile the trees first (``python -m compileall -q DIR``) when ``PYTHONDONTWRITEBYTECODE`` is set,
or every round pays for compiling them.
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

sys.path.insert(0, str(Path(__file__).parent))
from bench_evaluate_stream import DEFAULT_METRICS

CHILD = """
import json, resource, sys
from pathlib import Path
from synae.config import load_config
from synae.run import commands
config = load_config(inputs={"real": Path(sys.argv[1]), "synthetic": [Path(sys.argv[2])]},
                     evaluation={"select": sys.argv[3]}, validity={"checker": "rules"}, preset="generic")
commands.evaluate_command(config, progress=False)
usage = resource.getrusage(resource.RUSAGE_SELF)
print(json.dumps({"cpu_s": usage.ru_utime + usage.ru_stime, "modules": len(sys.modules)}))
"""


def write_records(path: Path, prefix: str, n: int) -> None:
    """``n`` small generic trajectories: a user turn, 0–2 calls with results, an answer."""
    with path.open("w", encoding="utf-8") as fh:
        for i in range(n):
            calls = [{"id": f"{prefix}{i}-{j}", "type": "function",
                      "function": {"name": ["find", "book"][j % 2], "arguments": json.dumps({"q": i})}}
                     for j in range(i % 3)]
            messages = [{"role": "user", "content": f"find a {['park', 'museum', 'cafe'][i % 3]} near {i}"},
                        {"role": "assistant", "content": None if calls else "none needed",
                         "tool_calls": calls or None},
                        *[{"role": "tool", "tool_call_id": c["id"], "content": f"result {i}"} for c in calls],
                        {"role": "assistant", "content": f"found {i % 4} places"}]
            fh.write(json.dumps({"id": f"{prefix}{i}", "messages": messages,
                                 "attributes": {"topic": ["a", "b"][i % 2]}}) + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--src", action="append", required=True, help="a code tree's src folder (repeatable)")
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--metrics", default=DEFAULT_METRICS)
    args = parser.parse_args()
    rows: dict[str, list[dict[str, float]]] = {src: [] for src in args.src}
    with tempfile.TemporaryDirectory() as name:
        real, syn = Path(name) / "real.jsonl", Path(name) / "syn.jsonl"
        write_records(real, "r", 12)
        write_records(syn, "s", 9)
        for _ in range(args.rounds):
            for src in args.src:
                env = {**os.environ, "PYTHONPATH": str(Path(src).resolve()), "HF_HUB_OFFLINE": "1"}
                out = subprocess.run([sys.executable, "-c", CHILD, str(real), str(syn), args.metrics],
                                     capture_output=True, text=True, env=env, check=True)
                rows[src].append(json.loads(out.stdout.strip().splitlines()[-1]))
    for src, runs in rows.items():
        cpu = [r["cpu_s"] for r in runs]
        print(json.dumps({"src": src, "rounds": len(runs), "min_cpu_s": round(min(cpu), 3),
                          "median_cpu_s": round(statistics.median(cpu), 3), "modules": runs[-1]["modules"]}))


if __name__ == "__main__":
    main()
