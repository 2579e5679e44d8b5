"""Peak memory of dataset statistics (``synae inspect --json``) on large canonical JSONL files
(figures in docs/benchmarks/scale.md).

    python benchmarks/bench_inspect.py                       # 200,000 and 1,000,000 trajectories
    python benchmarks/bench_inspect.py --sizes 200000        # one size
    python benchmarks/bench_inspect.py --whole               # also the load-everything path

Data: seeded synthetic trajectories written to a temporary JSONL file by this script (a user turn,
an assistant tool call with its result and a final answer; 40 tool names; stored attributes
``topic`` (8 labels), ``difficulty`` (a number) and ``tags`` (multi-label)), about 900 bytes a line.
Each measurement runs in a fresh child process and reports its peak RSS (``ru_maxrss`` of
``RUSAGE_CHILDREN`` read after the child exits, in a wrapper process so that sizes do not mix):

- ``cli``: ``synae inspect --json FILE`` as the command is wired now;
- ``stream``: :func:`synae.run.inspection.inspect_input` (the streaming pass);
- ``whole`` (``--whole``): :func:`synae.run.commands.load_input` + the same statistics on the
  in-memory dataset (what holding every trajectory costs);
- ``validate`` (``--validate``): ``synae validate --json --validity rules --out FILE`` (the generic
  preset's rule checkers; the input streams in chunks, verdicts written as they come).

``--format openai`` writes the same records as OpenAI chat records (no ``id``), which stream too.

Targets (issue 13): streaming peak < 300 MB at 200k and < 500 MB at 1M.
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TOOLS = [f"tool_{i}" for i in range(40)]
TOPICS = ["travel", "food", "music", "sports", "finance", "health", "code", "weather"]

WRAPPER = """
import resource, subprocess, sys, time
t = time.perf_counter()
out = subprocess.run(sys.argv[1:], capture_output=True, text=True)
wall = time.perf_counter() - t
if out.returncode:
    sys.stderr.write(out.stderr[-4000:])
    raise SystemExit(out.returncode)
usage = resource.getrusage(resource.RUSAGE_CHILDREN)
print(usage.ru_maxrss, wall, out.stdout.strip()[-200:].count('"n"'), usage.ru_utime + usage.ru_stime)
"""

STREAM = ("import sys; from pathlib import Path; from synae.config import load_config; "
          "from synae.run.inspection import inspect_input; from synae.schema import dumps_strict; "
          "print(dumps_strict(inspect_input(Path(sys.argv[1]), load_config())[0])[:200])")
WHOLE = ("import sys; from pathlib import Path; from synae.config import load_config; "
         "from synae.presets import detect_preset, get_preset; from synae.run.commands import load_input; "
         "from synae.run.inspection import dataset_stats; c = load_config(); "
         "d = load_input(Path(sys.argv[1]), c); "
         "print(dataset_stats(d, get_preset(detect_preset(d)), c.metrics)['n'])")


def write_data(path: Path, n: int, seed: int, fmt: str = "canonical") -> int:
    """``n`` seeded trajectories as JSONL at ``path`` (``canonical`` records, or ``openai`` chat
    records: the same without ``id``); returns the file size in bytes."""
    rng = random.Random(seed)
    with path.open("w", encoding="utf-8") as fh:
        for i in range(n):
            tool = rng.choice(TOOLS)
            words = " ".join(rng.choice(TOPICS) for _ in range(rng.randint(8, 40)))
            record = {
                "id": f"t{i}",
                "messages": [
                    {"role": "user", "content": f"please help with {words} number {i}"},
                    {"role": "assistant", "tool_calls": [{"id": f"c{i}", "type": "function", "function": {
                        "name": tool,
                        "arguments": json.dumps({"query": words[:40], "limit": rng.randint(1, 9)})}}]},
                    {"role": "tool", "tool_call_id": f"c{i}", "content": f"result {rng.random():.6f}"},
                    {"role": "assistant", "content": f"here is the answer about {words[:60]}"},
                ],
                "attributes": {"topic": rng.choice(TOPICS), "difficulty": rng.randint(1, 5),
                               "tags": rng.sample(TOPICS, rng.randint(1, 3))},
            }
            if fmt == "openai":
                del record["id"]
            fh.write(json.dumps(record))
            fh.write("\n")
    return path.stat().st_size


def measure(command: list[str]) -> tuple[float, float]:
    """(peak RSS in MB of ``command`` run as a child of a fresh wrapper process, wall seconds)."""
    out = subprocess.run([sys.executable, "-c", WRAPPER, *command], capture_output=True, text=True,
                         check=True)
    peak_kb, wall, _, _ = out.stdout.split()
    return int(peak_kb) / 1024, float(wall)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[200_000, 1_000_000])
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--whole", action="store_true", help="also measure loading every trajectory")
    parser.add_argument("--skip-cli", action="store_true")
    parser.add_argument("--validate", action="store_true", help="also measure synae validate (rules)")
    parser.add_argument("--format", choices=["canonical", "openai"], default="canonical",
                        help="records written: canonical (default) or OpenAI chat (no ids)")
    args = parser.parse_args()
    synae = str(Path(sys.executable).with_name("synae"))
    with tempfile.TemporaryDirectory() as tmp:
        for n in args.sizes:
            path = Path(tmp) / f"inspect_{n}.jsonl"
            t = time.perf_counter()
            size = write_data(path, n, args.seed, args.format)
            row: dict[str, object] = {"n": n, "format": args.format, "file_mb": round(size / 2**20, 1),
                                      "generate_s": round(time.perf_counter() - t, 1)}
            runs = {"stream": [sys.executable, "-c", STREAM, str(path)]}
            if not args.skip_cli:
                runs["cli"] = [synae, "inspect", "--json", str(path)]
            if args.whole:
                runs["whole"] = [sys.executable, "-c", WHOLE, str(path)]
            if args.validate:
                runs["validate"] = [synae, "validate", "--json", "--validity", "rules",
                                    "--out", str(Path(tmp) / "verdicts.jsonl"), str(path)]
            for name, command in runs.items():
                peak, wall = measure(command)
                row[f"{name}_peak_mb"] = round(peak, 1)
                row[f"{name}_wall_s"] = round(wall, 1)
            print(json.dumps(row), flush=True)
            path.unlink()


if __name__ == "__main__":
    main()
