"""Throughput of the LLM client against a loopback OpenAI-compatible server with fixed latency.

Every reply takes ``--latency`` seconds (default 0.1) on the server side, so at concurrency ``c``
the best possible throughput is ``c / latency`` requests per second (160 req/s at c = 16). The
client runs ``--n`` distinct requests through :meth:`LLMClient.chat_many` (real HTTP, disk cache on,
a fresh cache folder per run) and the script reports the measured rate and its share of that
bound. A second pass over the same requests shows the cached rate (no HTTP).

    python benchmarks/bench_llm_concurrency.py [--n 480] [--latency 0.1] [--concurrency 16 32 64]

Target (docs/benchmarks/llm.md): at concurrency 16 and 100 ms latency, at least 80 % of the bound.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from helpers.openai_server import Reply, ScriptedOpenAIServer  # noqa: E402

from synae.config import LLMSettings  # noqa: E402
from synae.llm.client import ChatRequest, LLMClient  # noqa: E402


def run(n: int, latency: float, concurrency: int) -> dict[str, float]:
    requests = [ChatRequest(messages=[{"role": "user", "content": f"question {i}"}], model="bench",
                            temperature=0.0, max_tokens=16) for i in range(n)]
    with ScriptedOpenAIServer(responder=lambda body: Reply.slow(latency, "yes")) as server, \
            tempfile.TemporaryDirectory() as cache_dir:
        settings = LLMSettings(concurrency=concurrency, timeout=30, cache_dir=Path(cache_dir))
        client = LLMClient(settings, base_url=server.base_url, progress=False)
        start = time.perf_counter()
        results = client.chat_many(requests)
        elapsed = time.perf_counter() - start
        failed = sum(not hasattr(r, "content") for r in results)
        start = time.perf_counter()
        client.chat_many(requests)
        cached_elapsed = time.perf_counter() - start
        sent = len(server.requests)
    bound = concurrency / latency
    return {"concurrency": concurrency, "n": n, "sent": sent, "failed": failed, "seconds": elapsed,
            "rate": n / elapsed, "bound": bound, "share": n / elapsed / bound, "cached_rate": n / cached_elapsed}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=480)
    parser.add_argument("--latency", type=float, default=0.1)
    parser.add_argument("--concurrency", type=int, nargs="+", default=[16, 32, 64])
    args = parser.parse_args()
    print(f"{'conc':>5} {'n':>6} {'seconds':>8} {'req/s':>8} {'bound':>8} {'share':>6} {'cached req/s':>13}")
    for c in args.concurrency:
        r = run(args.n, args.latency, c)
        assert r["sent"] == args.n and r["failed"] == 0, r
        print(f"{c:>5} {args.n:>6} {r['seconds']:>8.2f} {r['rate']:>8.1f} {r['bound']:>8.0f} "
              f"{r['share']:>6.1%} {r['cached_rate']:>13.0f}")


if __name__ == "__main__":
    main()
