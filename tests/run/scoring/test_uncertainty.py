"""Bootstrap CIs and the real-vs-real noise floor (generic logic, then with the real Evaluator)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pytest

from helpers.report_fixtures import metric, report, trajectory
from synae.config import load_config
from synae.run.scoring.evaluation import Evaluator
from synae.run.scoring.pipeline import ReportOptions, evaluate_for_report
from synae.run.scoring.uncertainty import add_uncertainty, bootstrap_intervals, noise_floor
from synae.schema import Dataset


@dataclass
class Sample:
    """A minimal feature set: one number per trajectory."""

    x: np.ndarray

    def subset(self, indices):
        return Sample(self.x[np.asarray(indices)])

    def __len__(self) -> int:
        return len(self.x)


def mean_gap(real: Sample, syn: Sample) -> dict:
    gap = float(abs(syn.x.mean() - real.x.mean()))
    return {"fidelity.tool_calls.toy_gap": metric("fidelity.tool_calls.toy_gap", gap)}


def syn_mean(real: Sample, syn: Sample) -> dict:
    return {"fidelity.tool_calls.toy_mean": metric("fidelity.tool_calls.toy_mean", float(syn.x.mean()))}


def test_bootstrap_percentile_interval() -> None:
    # a constant statistic: BCa is undefined (degenerate distribution) -> percentile, [3, 3]
    constant = bootstrap_intervals(syn_mean, Sample(np.zeros(5)), Sample(np.full(50, 3.0)), 20)
    assert constant == {"fidelity.tool_calls.toy_mean": {"ci": [3.0, 3.0], "ci_n": 20,
                                                         "ci_method": "percentile"}}
    rng = np.random.default_rng(0)
    coin = Sample((rng.random(2000) < 0.3).astype(float))
    ci = bootstrap_intervals(syn_mean, coin, coin, 400, seed=5)["fidelity.tool_calls.toy_mean"]["ci"]
    half = 1.96 * np.sqrt(coin.x.mean() * (1 - coin.x.mean()) / 2000)  # normal approximation
    assert ci[0] == pytest.approx(coin.x.mean() - half, abs=0.006)
    assert ci[1] == pytest.approx(coin.x.mean() + half, abs=0.006)
    again = bootstrap_intervals(syn_mean, coin, coin, 400, seed=5)["fidelity.tool_calls.toy_mean"]["ci"]
    assert again == ci  # seeded


def test_bootstrap_bca_for_small_sets_and_its_interval_contains_the_estimate() -> None:
    rng = np.random.default_rng(1)
    skewed = Sample(rng.exponential(size=80))
    out = bootstrap_intervals(syn_mean, skewed, skewed, 300, seed=2)["fidelity.tool_calls.toy_mean"]
    assert out["ci_method"] == "BCa" and out["ci_n"] == 300
    assert out["ci"][0] < skewed.x.mean() < out["ci"][1]
    large = bootstrap_intervals(syn_mean, skewed, skewed, 50, seed=2, bca_max_n=10)
    assert large["fidelity.tool_calls.toy_mean"]["ci_method"] == "percentile"


def test_biased_interval_is_moved_to_hold_its_estimate() -> None:
    """Distinct rows of a resample never exceed the sample's: a one-sided, biased bootstrap
    distribution whose raw interval excludes the estimate; the interval shown is moved by the median
    bias so that it holds the estimate, and says so."""
    def syn_min_gap(real: Sample, syn: Sample) -> dict:
        value = float(len(np.unique(syn.x)))  # distinct rows: like Vendi, lowered by resampled duplicates
        return {"diversity.tool_calls.toy_distinct": metric("diversity.tool_calls.toy_distinct", value)}

    syn = Sample(np.arange(40, dtype=float))
    rep = report({"diversity.tool_calls.toy_distinct": metric("diversity.tool_calls.toy_distinct", 40.0)})
    add_uncertainty(rep, syn_min_gap, syn, syn, bootstrap=40, seed=4)
    details = rep.metrics["diversity.tool_calls.toy_distinct"].details
    assert details["ci_raw"][1] < 40.0  # the raw interval misses the estimate ...
    assert details["ci"][0] <= 40.0 <= details["ci"][1] and details["ci_excludes_estimate"] is False
    assert details["ci_shift"] < 0 and "median bias" in details["ci_method"]
    lo, hi = details["ci_raw"]
    assert np.isclose(details["ci"][1] - details["ci"][0], max(hi - lo, 40.0 - (lo - details["ci_shift"])))


def test_noise_floor_splits_the_real_set_in_halves() -> None:
    real = Sample(np.arange(10, dtype=float))
    floor = noise_floor(mean_gap, real, 50, seed=1)["fidelity.tool_calls.toy_gap"]
    assert floor["n"] == 50 and floor["half_size"] == 5
    # Halves of 0..9: |mean(A) - mean(B)| = |2·sum(A) - 45| / 5, an odd multiple of 0.2 in [0.2, 5].
    assert 0.2 - 1e-12 <= floor["min"] <= floor["mean"] <= floor["max"] <= 5.0 + 1e-12
    for v in (floor["min"], floor["max"]):
        assert np.isclose(v * 5, round(v * 5)) and round(v * 5) % 2 == 1
    assert floor["std"] > 0


def test_attach_to_report() -> None:
    rep = report({"fidelity.tool_calls.toy_gap": metric("fidelity.tool_calls.toy_gap", 0.5)})
    real, syn = Sample(np.arange(20, dtype=float)), Sample(np.arange(20, dtype=float) + 1)
    add_uncertainty(rep, mean_gap, real, syn, bootstrap=30, noise_repeats=5, seed=3)
    details = rep.metrics["fidelity.tool_calls.toy_gap"].details
    assert len(details["ci"]) == 2 and details["ci"][0] <= details["ci"][1] and details["ci_n"] == 30
    assert details["noise_floor"]["n"] == 5
    assert rep.uncertainty["bootstrap"] == 30 and rep.uncertainty["noise_repeats"] == 5
    assert rep.uncertainty["method"].startswith("scipy.stats.bootstrap: BCa")
    assert details["ci_method"] == "BCa" and details["ci_excludes_estimate"] is False
    assert '"ci"' in rep.to_json()


def test_with_the_metric_engine() -> None:
    """Resampling reuses the evaluator's features: CIs and floor for real metrics, seeded."""
    cities = ["Paris", "Rome", "Oslo", "Lima", "Kyiv"]
    real = Dataset([trajectory(f"r{i}", f"museum tour in {cities[i % 5]} number {i}",
                               ["search", "filter", "sort"][: 1 + i % 3]) for i in range(40)], name="real")
    syn = Dataset([trajectory(f"s{i}", f"a park in {cities[i % 2]} {i}", ["search"] * (1 + i % 2))
                   for i in range(30)], name="syn")
    config = load_config(None, preset="generic", embedding={"model": "lexical"})
    patterns = ["fidelity.tool_calls.tum", "fidelity.instructions.knn_*"]  # skip the d×d eigensolvers
    evaluator = Evaluator(real, config, metric_patterns=patterns, progress=False)
    rep = evaluate_for_report(evaluator, syn, options=ReportOptions(bootstrap=6, noise_repeats=3,
                                                                     report_data=True))
    tum = rep.metrics["fidelity.tool_calls.tum"]
    assert tum.details["ci"][0] <= tum.value + 1e-9 and tum.details["ci_n"] == 6
    assert tum.details["noise_floor"]["half_size"] == 20 and tum.details["noise_floor"]["n"] == 3
    prec = rep.metrics["fidelity.instructions.knn_precision"]
    assert "ci" in prec.details and 0 <= prec.details["noise_floor"]["mean"] <= 1
    again = bootstrap_intervals(evaluator.compute_metrics, evaluator.real_features, evaluator.features(syn),
                                6, seed=config.seed)
    assert again["fidelity.tool_calls.tum"]["ci"] == tum.details["ci"]  # seeded, same features
    assert rep.report_data["embedding_map"]["synthetic"]["n"] == 30
    assert rep.aggregates["members"] == ["real (self)", "syn"]


def test_bootstrap_and_noise_floor_print_progress_lines_when_not_a_terminal(capsys) -> None:
    """In a CI log (stderr not a terminal) the long stages say how far they are."""
    data = Sample(np.random.default_rng(3).normal(size=400))  # 400 > BCa's limit: percentile
    bootstrap_intervals(syn_mean, data, data, 50, seed=1)
    noise_floor(mean_gap, data, 4)
    assert capsys.readouterr().err == ""  # progress is opt-in
    bootstrap_intervals(syn_mean, data, data, 50, seed=1, progress=True)
    noise_floor(mean_gap, data, 4, progress=True)
    err = capsys.readouterr().err.splitlines()
    assert err[0] == "bootstrap: started, 51 resamples"  # the estimate and 50 resamples
    assert err[2].startswith("bootstrap: 10/51 (20 %), ") and "resamples/s, ETA" in err[2]
    assert err[err.index("noise floor: started, 4 splits") - 1].startswith("bootstrap: done, 51/51 resamples")
    assert err[-2].startswith("noise floor: 3/4 (75 %)")
    assert err[-1].startswith("noise floor: done, 4/4 splits")
