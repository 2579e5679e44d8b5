"""Bootstrap confidence intervals and the real-vs-real noise floor of every metric.

Both reuse the metric engine's features (``Evaluator.features`` → ``DatasetFeatures``), so nothing
is re-embedded: a resample is ``features.subset(indices)`` and the metrics of a resample are
``evaluator.compute_metrics(real_features, synthetic_features)``.

- **Bootstrap CI** (``--bootstrap N``): N resamples of the synthetic set with replacement (size m′;
  option ``resample="both"`` also resamples the real set), seeded; the CI is the percentile interval
  [q_{α/2}, q_{1−α/2}] of the N values (α = 1 − confidence, numpy's linear interpolation). Written
  to ``details.ci = [lo, hi]`` with ``details.ci_n`` = number of resamples where the metric was
  defined. Percentile intervals of metrics sensitive to duplicates (Vendi, k-NN) are biased by the
  copies a bootstrap sample contains; read them as spread, not as exact coverage.
- **Noise floor** (``--noise-floor R``): the real set is split R times into two random disjoint halves
  of ⌊m/2⌋ trajectories (seeded) and each metric is computed with one half as "real" and the other as
  "synthetic". ``details.noise_floor = {mean, std, min, max, n, half_size}`` (std with divisor n − 1,
  ``None`` for n = 1). A synthetic value within about two std of the mean is indistinguishable from
  sampling noise. Metrics that depend on n (FID, k-NN) are measured at half size, so the floor is a
  conservative (larger-distance) estimate for them.

Only metrics that ``compute_metrics`` returns get intervals (validity and downstream metrics come
from checkers and agents and are not resampled).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Literal

import numpy as np

from synae.config import DEFAULT_SEED
from synae.report.models import EvaluationReport, MetricResult

Resample = Literal["synthetic", "both"]


MetricFn = Callable[[Any, Any], Mapping[str, MetricResult]]


def _size(features: Any) -> int:
    n = getattr(features, "n", None)
    return int(n) if n is not None else len(features)


def _collect(samples: dict[str, list[float]], metrics: Mapping[str, MetricResult]) -> None:
    for mid, result in metrics.items():
        if result.value is not None and np.isfinite(result.value):
            samples.setdefault(mid, []).append(float(result.value))


def bootstrap_intervals(compute: MetricFn, real: Any, synthetic: Any, n_boot: int, *,
                        seed: int = DEFAULT_SEED, confidence: float = 0.95,
                        resample: Resample = "synthetic") -> dict[str, dict[str, Any]]:
    """Percentile bootstrap CI per metric ID: ``{"ci": [lo, hi], "ci_n": k}``."""
    if n_boot < 1:
        raise ValueError("n_boot must be >= 1")
    rng = np.random.default_rng(seed)
    m, n = _size(real), _size(synthetic)
    samples: dict[str, list[float]] = {}
    for _ in range(n_boot):
        syn = synthetic.subset(rng.integers(0, n, size=n))
        ref = real.subset(rng.integers(0, m, size=m)) if resample == "both" else real
        _collect(samples, compute(ref, syn))
    alpha = 1.0 - confidence
    return {mid: {"ci": [float(np.quantile(v, alpha / 2)), float(np.quantile(v, 1 - alpha / 2))],
                  "ci_n": len(v)} for mid, v in samples.items()}


def noise_floor(compute: MetricFn, real: Any, repeats: int, *,
                seed: int = DEFAULT_SEED) -> dict[str, dict[str, Any]]:
    """Per metric ID: the metric between random halves of the real set, over ``repeats`` splits."""
    if repeats < 1:
        raise ValueError("repeats must be >= 1")
    rng = np.random.default_rng(seed)
    m = _size(real)
    half = m // 2
    samples: dict[str, list[float]] = {}
    for _ in range(repeats):
        perm = rng.permutation(m)
        _collect(samples, compute(real.subset(perm[:half]), real.subset(perm[half:2 * half])))
    out = {}
    for mid, v in samples.items():
        arr = np.asarray(v)
        out[mid] = {"mean": float(arr.mean()), "std": float(arr.std(ddof=1)) if len(arr) > 1 else None,
                    "min": float(arr.min()), "max": float(arr.max()), "n": len(arr), "half_size": half}
    return out


def attach(report: EvaluationReport, *, intervals: Mapping[str, dict[str, Any]] | None = None,
           floor: Mapping[str, dict[str, Any]] | None = None, settings: dict[str, Any] | None = None) -> None:
    """Write ``details.ci``/``ci_n`` and ``details.noise_floor`` into the report's records."""
    for mid, result in report.metrics.items():
        if intervals and mid in intervals:
            result.details.update(intervals[mid])
        if floor and mid in floor:
            result.details["noise_floor"] = floor[mid]
    report.uncertainty = {**(report.uncertainty or {}), **(settings or {})}


def add_uncertainty(report: EvaluationReport, compute: MetricFn, real: Any, synthetic: Any, *,
                    bootstrap: int = 0, noise_repeats: int = 0, seed: int = DEFAULT_SEED,
                    confidence: float = 0.95, resample: Resample = "synthetic",
                    floor: Mapping[str, dict[str, Any]] | None = None) -> EvaluationReport:
    """Bootstrap CIs (``bootstrap`` > 0) and the noise floor (``noise_repeats`` > 0, or a ``floor``
    computed once for several synthetic sets) attached to ``report``; returns it."""
    intervals = (bootstrap_intervals(compute, real, synthetic, bootstrap, seed=seed, confidence=confidence,
                                     resample=resample) if bootstrap else None)
    if floor is None and noise_repeats:
        floor = noise_floor(compute, real, noise_repeats, seed=seed)
    settings: dict[str, Any] = {"seed": seed}
    if bootstrap:
        settings.update(bootstrap=bootstrap, confidence=confidence, resample=resample, method="percentile")
    if floor:
        settings["noise_repeats"] = noise_repeats or next(iter(floor.values()))["n"]
    attach(report, intervals=intervals, floor=floor, settings=settings)
    return report
