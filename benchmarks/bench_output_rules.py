"""How often the generic output checks flag the shipped real data, per dataset and per check.

Loads each real set from ``$SYNAE_DATA_DIR`` (converted to canonical trajectories by
``synae.run.inputs.data.load_dataset``), runs ``GenericOutputChecker`` on every trajectory that has an
output and prints one Markdown row per dataset: n with an output, the share flagged (any check
failed), and per check how many verdicts it failed / ran; then up to ``--examples`` flagged
explanations per dataset. Figures: docs/benchmarks/validity_rules.md.

    SYNAE_DATA_DIR=../shared/data python benchmarks/bench_output_rules.py [--examples 3]
"""

from __future__ import annotations

import argparse
import time

from synae.datapaths import data_path
from synae.run.inputs.data import load_dataset
from synae.validity.rules.generic import OUTPUT_CHECKS, GenericOutputChecker, check_counts

DATASETS = [
    ("T1 turn level (with output)", ("t1", "t1_attraction_turns_with_output.csv")),
    ("T1-Augmented", ("t1", "t1_attraction_augmented.csv")),
    ("T1 prototype synthetic (Claude)", ("t1", "synthetic_prototype_claude_turns.csv")),
    ("BFCL newer", ("bfcl", "BFCL_v4_multi_turn_base.json")),
    ("ACP app/prog", ("acp", "acp_app_prog.csv")),
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--examples", type=int, default=3, help="flagged explanations shown per dataset")
    args = parser.parse_args()
    checker = GenericOutputChecker()
    header = " | ".join(f"{c} failed/ran" for c in OUTPUT_CHECKS)
    print(f"| dataset | n with output | flagged | {header} | time |")
    print("|---|---|---|" + "---|" * len(OUTPUT_CHECKS) + "---|")
    examples: list[str] = []
    for label, parts in DATASETS:
        data = load_dataset(data_path(*parts))
        with_output = [t for t in data.trajectories if t.output is not None]
        start = time.perf_counter()
        verdicts = checker.check_all(with_output)
        seconds = time.perf_counter() - start
        if not verdicts:
            print(f"| {label} | 0 | – |" + " – |" * len(OUTPUT_CHECKS) + " – |")
            continue
        flagged = [v for v in verdicts if v.valid is False]
        counts = check_counts(verdicts)
        cells = " | ".join(f"{counts[c]['failed']}/{counts[c]['passed'] + counts[c]['failed']}"
                           for c in OUTPUT_CHECKS)
        share = len(flagged) / len(verdicts)
        print(f"| {label} | {len(verdicts)} | {len(flagged)} ({share:.1%}) | {cells} | "
              f"{seconds * 1000:.0f} ms |")
        examples += [f"- {label} {v.trajectory_id}: {v.reasons[0]}: {v.explanation}"
                     for v in flagged[:args.examples]]
    print("\n" + "\n".join(examples))


if __name__ == "__main__":
    main()
