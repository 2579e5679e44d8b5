"""Cost of ``synae calibrate`` as a multiple of one ``synae evaluate`` of the same size.

Data: generated here, seeded (no download): one-turn tool-calling trajectories
(:func:`bench_evaluate_report.generate`); the real set has ``--n`` trajectories, the synthetic set of
the evaluate run ``--n`` more from a shifted mix. Both runs start from a fresh
:class:`~synae.run.scoring.evaluation.Evaluator` with the embedding cache off, so each embeds what it needs:

- **evaluate**: :func:`synae.run.scoring.pipeline.evaluate_for_report` with the rule checkers (what
  ``synae evaluate`` computes without ``--report``): features of both sets, metrics, validity,
  anchored aggregates with their collapse anchor, the privacy score;
- **calibrate**: :class:`synae.run.scoring.calibration.Calibrator` (default strengths, ``--repeats`` seeds):
  the real side's features once, then every curve point from them.

Every trajectory declares the six tools it may call (``SCHEMAS``), so the generic rule checkers can
check calls against schemas.

    python benchmarks/bench_calibrate.py [--n 1000] [--embedder minilm] [--repeats 3] [--out FILE.md]
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_evaluate_report import TOOLS, generate

from synae.config import load_config
from synae.run.scoring.calibration import Calibrator
from synae.run.scoring.evaluation import Evaluator
from synae.run.scoring.pipeline import ReportOptions, evaluate_for_report
from synae.schema import Dataset, Trajectory

SCHEMAS = [{"type": "function", "function": {
    "name": name, "description": f"{name} activities", "parameters": {
        "type": "object", "properties": {"city": {"type": "string"}, "what": {"type": "string"}},
        "required": ["city", "what"]}}} for name in TOOLS]


def trajectories(n: int, seed: int, prefix: str, shift: float = 0.0) -> list[Trajectory]:
    """The sibling benchmark's trajectories, each declaring the tools it may call (so the rule
    checkers can check calls against their schemas)."""
    out = generate(n, seed, prefix, shift)
    for t in out:
        t.tools = SCHEMAS
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--embedder", default="minilm")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--out", type=Path, help="Also write the figures as a Markdown table here.")
    args = parser.parse_args()
    config = load_config(embedding={"model": args.embedder, "cache": False})
    real = Dataset(trajectories=trajectories(args.n, args.seed, "r"), name="real")
    synthetic = Dataset(trajectories=trajectories(args.n, args.seed + 1, "s", shift=0.3), name="synthetic")

    start = time.perf_counter()
    with Evaluator(real, config, preset="generic", progress=False) as evaluator:
        report = evaluate_for_report(evaluator, synthetic, checker="rules", options=ReportOptions())
    evaluate_s = time.perf_counter() - start
    print(f"evaluate: {evaluate_s:.1f} s", flush=True)

    start = time.perf_counter()
    with Evaluator(real, config, preset="generic", progress=False) as evaluator:
        real_features_start = time.perf_counter()
        _ = evaluator.real_features
        real_features_s = time.perf_counter() - real_features_start
        record = Calibrator(evaluator, repeats=args.repeats).run()
    calibrate_s = time.perf_counter() - start

    ratio = calibrate_s / evaluate_s
    stages = ", ".join(f"{k} {v:.1f} s" for k, v in record["timings"].items())
    curves = sum(1 for _ in record["checks"])
    falling = sum(1 for c in record["checks"] if c["falls"] and c["monotone"])
    problems = [f"- {p}" for p in record["problems"]]
    lines = [
        "| n real | embedder | evaluate | calibrate | ratio | curves falling |",
        "|---|---|---|---|---|---|",
        f"| {args.n} | {args.embedder} | {evaluate_s:.1f} s | {calibrate_s:.1f} s | {ratio:.2f}× | "
        f"{falling} of {curves} |",
        "",
        f"calibrate stages: real features {real_features_s:.1f} s, {stages}; "
        f"{len(record['config']['strengths'])} strengths × {args.repeats} seeds.",
        "evaluate stages: " + ", ".join(f"{k} {v:.1f} s" for k, v in report.timings.items()
                                         if not k.startswith(("metric:", "stage:"))),
        f"machine: {platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}.",
        *(["", "curves that do not fall:", *problems] if problems else []),
    ]
    text = "\n".join(lines)
    print(text)
    if args.out is not None:
        args.out.write_text(text + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
