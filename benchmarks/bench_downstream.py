"""Wall time of a scripted-agent downstream run over each full benchmark in shared/data.

For each benchmark (T1-Augmented, 225 conversations; BFCL multi-turn base, 200; ACP app+prog, 260)
and each scripted agent (``oracle``, ``noisy-oracle:0.3``) it times, for one run, the agent loop
(:func:`synae.downstream.loop.arun_dataset`) and the rule-based scoring
(:func:`synae.downstream.scoring.score_run`), and reports the success rates. No LLM is involved.

    python benchmarks/bench_downstream.py [--repeat 3]

The best of ``--repeat`` timings is reported (docs/benchmarks/downstream.md).
"""

from __future__ import annotations

import argparse
import asyncio
import time

from synae.datapaths import data_path
from synae.downstream.agents import NoisyOracleAgent, OracleAgent
from synae.downstream.loop import arun_dataset
from synae.downstream.scoring import score_run, scorer_for, targets_for
from synae.run.inputs.data import load_dataset

BENCHMARKS = {
    "t1": ("t1", "t1_attraction_augmented.csv"),
    "bfcl": ("bfcl", "BFCL_v4_multi_turn_base.json"),
    "acp": ("acp", "acp_app_prog.csv"),
}


def measure(preset: str, repeat: int) -> list[dict]:
    dataset = load_dataset(data_path(*BENCHMARKS[preset]))
    references = dataset.trajectories
    scorers = {t: scorer_for(preset, t, "rules") for t in targets_for(preset, references)}
    rows = []
    for agent in (OracleAgent(), NoisyOracleAgent(rate=0.3)):
        best_loop = best_score = float("inf")
        for _ in range(repeat):
            start = time.perf_counter()
            trajectories = asyncio.run(arun_dataset(references, agent, preset))
            middle = time.perf_counter()
            scores = asyncio.run(score_run(references, trajectories, scorers))
            end = time.perf_counter()
            best_loop, best_score = min(best_loop, middle - start), min(best_score, end - middle)
        rates = {t: sum(bool(s.success) for s in v) / len(v) for t, v in scores.items()}
        rows.append({"benchmark": preset, "n": len(references), "agent": agent.name, "loop_s": best_loop,
                     "score_s": best_score, "rates": rates, "scorers": scorers})
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    header = f"{'benchmark':<9} {'n':>4} {'agent':<17} {'loop s':>7} {'score s':>8} {'total s':>8}"
    print(header + "  success rates")
    for preset in BENCHMARKS:
        for row in measure(preset, args.repeat):
            rates = ", ".join(f"{t} ({row['scorers'][t]}) {r:.3f}" for t, r in row["rates"].items())
            total = row["loop_s"] + row["score_s"]
            print(f"{row['benchmark']:<9} {row['n']:>4} {row['agent']:<17} {row['loop_s']:>7.2f} "
                  f"{row['score_s']:>8.2f} {total:>8.2f}  {rates}")


if __name__ == "__main__":
    main()
