"""Throughput of the LLM client against a loopback OpenAI-compatible server with fixed latency.

The loopback server (``tests/helpers/openai_server.py``) runs in its own process, as a real endpoint
would, and answers every chat request after ``--latency`` seconds (default 0.1), so at concurrency
``c`` the best possible throughput is ``c / latency`` requests per second (160 req/s at c = 16).
The client sends ``--n`` distinct requests through :meth:`LLMClient.chat_many` (real HTTP, disk
cache on, a fresh cache folder per run); the script reports the measured rate, its share of that
bound, the client's CPU time per request, and the rate of a second, fully cached pass (no HTTP).

    python benchmarks/bench_llm_concurrency.py [--n 960] [--latency 0.1] [--concurrency 16 32 64]

Target (docs/benchmarks/llm.md): at concurrency 16 and 100 ms latency, at least 80 % of the bound.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from synae.config import LLMSettings
from synae.llm.client import ChatRequest, LLMClient

TESTS = Path(__file__).resolve().parents[1] / "tests"
SERVER = f"""
import sys
sys.path.insert(0, {str(TESTS)!r})
from helpers.openai_server import Reply, ScriptedOpenAIServer
latency = float(sys.argv[1])
with ScriptedOpenAIServer(responder=lambda body: Reply.slow(latency, "yes")) as server:
    print(server.base_url, flush=True)
    sys.stdin.read()  # serve until the benchmark closes our stdin
    print(len(server.requests), flush=True)
"""


def run(base_url: str, n: int, latency: float, concurrency: int) -> dict[str, float]:
    tag = time.time_ns()
    requests = [ChatRequest(messages=[{"role": "user", "content": f"question {i} ({tag})"}], model="bench",
                            temperature=0.0, max_tokens=16) for i in range(n)]
    with tempfile.TemporaryDirectory() as cache_dir:
        settings = LLMSettings(concurrency=concurrency, timeout=30, cache_dir=Path(cache_dir))
        client = LLMClient(settings, base_url=base_url, progress=False)
        start, cpu = time.perf_counter(), time.process_time()
        results = client.chat_many(requests)
        elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
        start = time.perf_counter()
        client.chat_many(requests)
        cached_elapsed = time.perf_counter() - start
    bound = concurrency / latency
    return {"seconds": elapsed, "rate": n / elapsed, "bound": bound, "share": n / elapsed / bound,
            "cpu_ms": cpu / n * 1000, "cached_rate": n / cached_elapsed, "calls": client.usage.calls,
            "failed": sum(not hasattr(r, "content") for r in results)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=960)
    parser.add_argument("--latency", type=float, default=0.1)
    parser.add_argument("--concurrency", type=int, nargs="+", default=[16, 32, 64])
    args = parser.parse_args()
    server = subprocess.Popen([sys.executable, "-c", SERVER, str(args.latency)], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True)
    try:
        base_url = server.stdout.readline().strip()  # type: ignore[union-attr]
        print(f"{'conc':>5} {'n':>6} {'seconds':>8} {'req/s':>8} {'bound':>8} {'share':>6} "
              f"{'cpu ms/req':>11} {'cached req/s':>13}")
        for c in args.concurrency:
            r = run(base_url, args.n, args.latency, c)
            assert r["calls"] == args.n and r["failed"] == 0, r
            print(f"{c:>5} {args.n:>6} {r['seconds']:>8.2f} {r['rate']:>8.1f} {r['bound']:>8.0f} "
                  f"{r['share']:>6.1%} {r['cpu_ms']:>11.2f} {r['cached_rate']:>13.0f}")
    finally:
        server.communicate("", timeout=10)


if __name__ == "__main__":
    main()
