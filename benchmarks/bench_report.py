"""Time to build and render a comparison report: 1,000 real vs three 1,000-trajectory synthetic sets.

Data: the T1 conversations of shared/data (225, ``t1_attraction_augmented.csv``) resampled with
replacement to 1,000 (seed 1) form the real set; each synthetic set is another 1,000-trajectory
resample in which a share ``p`` of the conversations (p = 0.1, 0.3, 0.5, the swept parameter) has the
words of its first user message reversed and ``p/2`` has it replaced by another conversation's
first user message. Embedder: lexical (no model). Validity: rule-based checkers.

Measured separately: the comparison (features, metrics, validity, report data) via
:func:`synae.run.scoring.compare.run_comparison`; rendering the HTML from the results JSON alone
(:func:`synae.report.html.render_html`, what ``synae report`` does); file sizes.

    python benchmarks/bench_report.py [--n 1000] [--out /tmp/bench_report]

Results: docs/benchmarks/report.md.
"""

from __future__ import annotations

import argparse
import os
import platform
import tempfile
import time
from pathlib import Path

import numpy as np

from synae.config import load_config
from synae.datapaths import data_path
from synae.report.html import render_html
from synae.results import load_any
from synae.run.inputs.data import load_dataset
from synae.run.scoring.compare import run_comparison
from synae.schema import Dataset, Trajectory

RATES = (0.1, 0.3, 0.5)


def resample(trajectories: list[Trajectory], n: int, seed: int, rate: float = 0.0) -> list[Trajectory]:
    """n copies drawn with replacement (ids made unique); a share ``rate`` perturbed (see module doc)."""
    rng = np.random.default_rng(seed)
    out = []
    for i, j in enumerate(rng.integers(0, len(trajectories), size=n)):
        traj = trajectories[j].model_copy(deep=True, update={"id": f"{trajectories[j].id}#{i}"})
        u = rng.random()
        first = next((m for m in traj.messages if m.role == "user" and m.content), None)
        if first is not None and u < rate:
            if u < rate / 2:
                other = trajectories[int(rng.integers(0, len(trajectories)))]
                first.content = next((m.content for m in other.messages if m.role == "user" and m.content),
                                     first.content)
            else:
                first.content = " ".join(reversed(first.content.split()))
        out.append(traj)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1000)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    out = args.out or Path(tempfile.mkdtemp(prefix="bench_report_"))
    os.environ.setdefault("SYNAE_CACHE_DIR", str(out / "cache"))
    base = load_dataset(data_path("t1", "t1_attraction_augmented.csv")).trajectories
    real = Dataset(resample(base, args.n, seed=1), name="t1-real")
    synthetic = {f"p={r}": Dataset(resample(base, args.n, seed=10 + k, rate=r), name=f"p={r}")
                 for k, r in enumerate(RATES)}
    config = load_config(None, preset="t1", embedding={"model": "lexical"})

    t0 = time.perf_counter()
    results = run_comparison(real, synthetic, config, param_name="perturbed share", param_values=list(RATES),
                             report_data=True)
    t_compare = time.perf_counter() - t0
    results.write(out / "results.json")

    t1 = time.perf_counter()
    loaded = load_any(out / "results.json")
    t_load = time.perf_counter() - t1
    t2 = time.perf_counter()
    html = render_html(loaded)
    t_render = time.perf_counter() - t2
    (out / "report.html").write_text(html, encoding="utf-8")

    report_data = sum(m.timings.get("report_data", 0.0) for m in results.members.values())
    print(f"machine: {platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}")
    sets = ", ".join(f"{k} (n={len(v)})" for k, v in synthetic.items())
    print(f"real n={len(real)}, synthetic sets: {sets}")
    print(f"comparison (features, metrics, rule validity, report data): {t_compare:.1f} s "
          f"(of which report_data {report_data:.2f} s; "
          f"real features {results.timings['features_real']:.1f} s)")
    print(f"load results.json: {t_load:.2f} s; render HTML from JSON: {t_render:.2f} s")
    print(f"results.json {(out / 'results.json').stat().st_size / 1e6:.2f} MB; "
          f"report.html {(out / 'report.html').stat().st_size / 1e6:.2f} MB; "
          f"{html.count('<svg')} inline SVG charts")
    for name in results.members:
        scores = results.aggregates["scores"][name]
        labels = {p: (results.aggregates["labels"][name][p] or {}).get("label") for p in scores}
        print(f"  {name}: " + ", ".join(f"{p} {scores[p]:.3f} {labels[p]}" for p in scores
                                        if scores[p] is not None))
    print(f"written to {out}")


if __name__ == "__main__":
    main()
