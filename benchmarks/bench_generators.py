"""Measured invariants and timings of the deterministic generators on ``shared/data``.

Runs every LLM-free generator over its research grid (``docs/method.md`` §8.9) on the real data and
prints Markdown tables (the content of ``docs/benchmarks/generators.md``): sizes, duplicate counts,
selected/modified rows, dropped rows per value, and the wall time of each call.

    .venv/bin/python benchmarks/bench_generators.py > /tmp/generators.md
"""

from __future__ import annotations

import time
from collections import Counter

from synae.datapaths import data_path
from synae.generate import dropmin, invalidate, oversample, relabel
from synae.generate.labels import labels_of
from synae.generate.registry import FRACTION_GRID, TENTHS_GRID
from synae.presets import get_preset
from synae.run.inputs.data import load_dataset


def timed(fn, *args, **kwargs):
    t0 = time.perf_counter()
    out = fn(*args, **kwargs)
    return out, (time.perf_counter() - t0) * 1000


def table(header: list[str], rows: list[list[object]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def preset_of(name: str):
    """The benchmark preset of a dataset of :func:`load_all` (its name starts with the preset's)."""
    return get_preset(name.split(" ")[0])


def load_all():
    folder = data_path("bfcl", "v_older")
    return {
        "t1 (turns, int-ID order)": load_dataset(data_path("t1", "t1_attraction_turns_with_output.csv"),
                                                 sort="int_id"),
        "t1 (augmented-valid)": load_dataset(data_path("t1", "t1_attraction_augmented_valid.csv")),
        "bfcl (older)": load_dataset(folder / "BFCL_v4_multi_turn_base_instr.json",
                                     answers=folder / "BFCL_v4_multi_turn_base_tool_calls.json"),
        "bfcl (newer)": load_dataset(data_path("bfcl", "BFCL_v4_multi_turn_base.json")),
        "acp": load_dataset(data_path("acp", "acp_app_prog.csv")),
    }


def oversample_section(data) -> str:
    rows = []
    for name in ("t1 (turns, int-ID order)", "bfcl (older)", "acp"):
        for r in FRACTION_GRID:
            out, ms = timed(oversample, data[name], r)
            gens = [t.metadata["generation"] for t in out]
            sources = Counter(g["source_position"] for g in gens)
            n_dup = sum(g["duplicate_block"] for g in gens)
            drawn = [g["source_position"] for g in gens[n_dup:n_dup + 4]]
            rows.append([name, r, len(out), n_dup, sources[0], len(sources), max(sources.values()), drawn,
                         f"{ms:.0f}"])
    return "## oversample (seed 123, without replacement)\n\n" + table(
        ["dataset", "r", "n", "n_dup", "copies of pos. 0", "distinct sources", "max copies", "first drawn",
         "ms"], rows)


def invalidate_section(data) -> str:
    rows = []
    cases = [("t1 (augmented-valid)", "tool_calls", "default", TENTHS_GRID),
             ("t1 (augmented-valid)", "output", "default", TENTHS_GRID),
             ("bfcl (older)", "tool_calls", "reference", TENTHS_GRID),
             ("bfcl (older)", "tool_calls", "default", TENTHS_GRID),
             ("acp", "answer", "reference", FRACTION_GRID),
             ("acp", "answer", "default", FRACTION_GRID)]
    for name, target, mode, grid in cases:
        selected, modified, times = [], [], []
        for v in grid:
            out, ms = timed(invalidate, data[name], v, target=target, mode=mode, preset=preset_of(name))
            gens = [t.metadata["generation"] for t in out]
            selected.append(sum(g["selected"] for g in gens))
            modified.append(sum(g["modified"] for g in gens))
            times.append(ms)
        rows.append([name, target, mode, ", ".join(f"{v:g}" for v in grid), selected, modified,
                     f"{sum(times) / len(times):.0f}"])
    return "## invalidate (fresh default_rng(123) per v)\n\n" + table(
        ["dataset", "target", "mode", "v", "selected rows", "modified rows", "ms / dataset"], rows)


def dropmin_section(data) -> str:
    rows = []
    for name, attribute in (("t1 (turns, int-ID order)", "type"), ("bfcl (older)", "secondary_api"),
                            ("acp", "domain")):
        labels = Counter(labels_of(data[name].trajectories, attribute, preset_of(name)))
        for mode in ("reference", "default"):
            for n_min in (0, 1, 2, 3):
                out, ms = timed(dropmin, data[name], n_min, mode=mode, attribute=attribute,
                                preset=preset_of(name))
                plan = out[0].metadata["generation"]["params"]["dropped"]
                drops = "; ".join(f"{v} {d['count']}→−{d['dropped']} (n_drop {d['n_drop']})"
                                  for v, d in plan.items()) or "—"
                rows.append([name, attribute, mode, n_min, len(out), drops, f"{ms:.0f}"])
        counts = ", ".join(f"{k}: {v}" for k, v in sorted(labels.items(), key=lambda kv: str(kv[0])))
        rows.append([name, attribute, "labels", "", sum(labels.values()), counts, ""])
    return "## dropmin (frac 0.3; reference = with replacement)\n\n" + table(
        ["dataset", "attribute", "mode", "n_min", "n out", "thinned values (count → dropped)", "ms"], rows)


def relabel_section(data) -> str:
    (skewed, relabeled), ms = timed(relabel, data["t1 (augmented-valid)"], preset=get_preset("t1"))
    params = skewed[0].metadata["generation"]["params"]["thinned"]
    appended = relabeled.trajectories[len(skewed):]
    modified = sum(t.metadata["generation"]["modified"] for t in appended)
    targets = Counter(t.metadata["generation"]["label"] for t in appended)
    thinned = "; ".join(f"{k} {v['count']}→−{v['n_drop']}" for k, v in params.items())
    rows = [["skewed (base)", len(skewed), thinned, "—", f"{ms:.0f}"],
            ["relabeled", len(relabeled), ", ".join(f"{k} +{v}" for k, v in targets.items()),
             f"{modified} of {len(appended)} appended rows changed", ""]]
    return "## relabel (case study, T1-Augmented-Valid, seed 123)\n\n" + table(
        ["file", "n", "types", "modified", "ms"], rows)


def main() -> None:
    data = load_all()
    print("\n\n".join([oversample_section(data), invalidate_section(data), dropmin_section(data),
                       relabel_section(data)]))


if __name__ == "__main__":
    main()
