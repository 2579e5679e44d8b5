"""Rule-based validity rates of the shipped real data, and how long the checks take.

For every dataset below, loads it with ``synae.adapters.load_dataset`` and runs the preset's rule
checkers (``Preset.rule_checkers``); prints one Markdown row per (dataset, target):
n, valid / invalid / unscored counts, the validity rate, the failure reasons and the check time.
A second table times the checkers at growing n (the T1-Augmented and BFCL newer sets repeated) to
show that the cost is linear in the number of trajectories.

    python benchmarks/bench_rule_validity.py [--repeats 1 4 16]

Expectations (docs/method.md §6.5): T1-Augmented tool calls 100 %; BFCL newer copy without
any error result (0 of 1142 calls); older copy 72 of 200 entries with an error result.
Figures: docs/benchmarks/validity_rules.md.
"""

from __future__ import annotations

import argparse
import time
from collections import Counter

from synae.datapaths import data_path
from synae.presets import get_preset
from synae.run.inputs.data import load_dataset

DATASETS = [
    ("T1-Augmented", "t1", ("t1", "t1_attraction_augmented.csv")),
    ("T1-Augmented-Valid", "t1", ("t1", "t1_attraction_augmented_valid.csv")),
    ("T1 turn level (with output)", "t1", ("t1", "t1_attraction_turns_with_output.csv")),
    ("T1 prototype synthetic (Claude)", "t1", ("t1", "synthetic_prototype_claude_turns.csv")),
    ("BFCL newer", "bfcl", ("bfcl", "BFCL_v4_multi_turn_base.json")),
    ("BFCL older", "bfcl", ("bfcl", "v_older", "BFCL_v4_multi_turn_base_instr.json")),
    ("ACP", "acp", ("acp", "acp_app_prog.csv")),
]


def rates_table() -> None:
    print("| dataset | target | n | valid | invalid | unscored | rate | reasons (trajectories) | time |")
    print("|---|---|---|---|---|---|---|---|---|")
    for label, preset, parts in DATASETS:
        data = load_dataset(data_path(*parts))
        for checker in get_preset(preset).rule_checkers():
            start = time.perf_counter()
            verdicts = checker.check_all(data.trajectories)
            seconds = time.perf_counter() - start
            counts = Counter(v.valid for v in verdicts)
            scored = counts[True] + counts[False]
            rate = f"{counts[True] / scored:.1%}" if scored else "–"
            reasons = Counter(r for v in verdicts for r in v.reasons)
            reason_text = ", ".join(f"{r} {c}" for r, c in reasons.most_common()) or "–"
            print(f"| {label} | {checker.target} | {len(verdicts)} | {counts[True]} | {counts[False]} | "
                  f"{counts[None]} | {rate} | {reason_text} | {seconds * 1000:.0f} ms |")


def scaling_table(repeats: list[int]) -> None:
    print("\n| dataset | target | n | time | per trajectory |")
    print("|---|---|---|---|---|")
    for label, preset, parts in (DATASETS[0], DATASETS[4]):
        data = load_dataset(data_path(*parts))
        for checker in get_preset(preset).rule_checkers():
            for r in repeats:
                trajectories = data.trajectories * r
                start = time.perf_counter()
                checker.check_all(trajectories)
                seconds = time.perf_counter() - start
                print(f"| {label} | {checker.target} | {len(trajectories)} | {seconds:.2f} s | "
                      f"{seconds / len(trajectories) * 1e3:.2f} ms |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, nargs="+", default=[1, 4, 16])
    args = parser.parse_args()
    rates_table()
    scaling_table(args.repeats)


if __name__ == "__main__":
    main()
