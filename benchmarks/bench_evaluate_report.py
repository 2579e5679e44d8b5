"""Wall time of ``synae evaluate`` at 10,000 real × 10,000 synthetic trajectories, with and without
report data (the HTML report's PCA map, k-NN drill-down memberships and nearest neighbours).

Data: generated here, seeded (no download): one-turn tool-calling trajectories over a vocabulary of
cities, activities and tools; the synthetic set draws from the same generator with a shifted mix and
10 % exact copies of real trajectories. Embedder: lexical (no model). No validity checker (it is
timed in bench_rule_validity.py). Each configuration runs
:func:`synae.run.scoring.pipeline.evaluate_for_report` on a fresh
:class:`~synae.run.scoring.evaluation.Evaluator` (features, metrics, the collapse anchor of the
anchored scores, and — when asked — report data). The anchor's share is reported from
``timings["aggregates"]``.

    python benchmarks/bench_evaluate_report.py [--n 10000] [--seed 1]
"""

from __future__ import annotations

import argparse
import os
import platform
import time

import numpy as np

from synae.config import load_config
from synae.run.scoring.evaluation import Evaluator
from synae.run.scoring.pipeline import ReportOptions, evaluate_for_report
from synae.schema import Dataset, FunctionCall, Message, ToolCall, Trajectory

CITIES = ["Paris", "Rome", "Oslo", "Lima", "Kyiv", "Quito", "Cairo", "Hanoi", "Perth", "Accra"]
THINGS = ["museum", "park", "boat trip", "food tour", "castle", "concert", "market", "zoo"]
TOOLS = ["search", "filter", "sort", "book", "cancel", "get_details"]


def generate(n: int, seed: int, prefix: str, shift: float = 0.0) -> list[Trajectory]:
    """``n`` seeded trajectories; ``shift`` skews the choice of activity and tool count."""
    rng = np.random.default_rng(seed)
    p = np.linspace(1.0, 1.0 + 4 * shift, len(THINGS))
    p /= p.sum()
    out = []
    for i in range(n):
        city, thing = CITIES[rng.integers(len(CITIES))], THINGS[rng.choice(len(THINGS), p=p)]
        people, day = int(rng.integers(1, 9)), int(rng.integers(1, 29))
        k = int(rng.integers(1, 4 + int(2 * shift)))
        names = [TOOLS[j] for j in rng.integers(len(TOOLS), size=k)]
        calls = [ToolCall(id=f"{prefix}{i}-{j}", function=FunctionCall(
            name=name, arguments=f'{{"city": "{city}", "what": "{thing}"}}')) for j, name in enumerate(names)]
        ask = f"I want a {thing} in {city} for {people} people on day {day}"
        result = f"{int(rng.integers(0, 20))} results"
        messages = [Message(role="user", content=ask),
                    Message(role="assistant", content=f"Looking for a {thing} in {city}.", tool_calls=calls),
                    Message(role="tool", content=result, tool_call_id=calls[0].id)]
        out.append(Trajectory(id=f"{prefix}{i}", messages=messages,
                              output=f"Booked a {thing} in {city} for {people}."))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    real = Dataset(generate(args.n, args.seed, "r"), name="real")
    syn_t = generate(args.n - args.n // 10, args.seed + 1, "s", shift=0.5)
    copies = real.trajectories[: args.n // 10]
    syn_t += [t.model_copy(update={"id": f"copy{i}"}) for i, t in enumerate(copies)]
    synthetic = Dataset(syn_t, name="synthetic")
    config = load_config(None, preset="generic", embedding={"model": "lexical", "cache": False})
    print(f"# evaluate {args.n} × {len(synthetic)} (lexical), {platform.processor() or platform.machine()}, "
          f"{os.cpu_count()} CPUs")
    for report_data in (False, True):
        t0 = time.perf_counter()
        evaluator = Evaluator(real, config, progress=False)
        rep = evaluate_for_report(evaluator, synthetic, options=ReportOptions(report_data=report_data))
        wall = time.perf_counter() - t0
        t = rep.timings
        parts = ", ".join(f"{key} {t.get(key, 0.0):.1f} s" for key in
                          ("features_real", "features_synthetic", "metrics", "aggregates", "report_data"))
        print(f"report_data={report_data!s:5}  wall {wall:7.1f} s  ({parts})")
        scores = (rep.aggregates or {}).get("scores", {}).get("synthetic", {})
        print("   scores:", {k: None if v is None else round(v, 3) for k, v in scores.items()})


if __name__ == "__main__":
    main()
