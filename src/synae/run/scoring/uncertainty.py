"""Bootstrap confidence intervals and the real-vs-real noise floor of every metric.

Both reuse the metric engine's features (``Evaluator.features`` → ``DatasetFeatures``), so nothing
is re-embedded: a resample is ``features.subset(indices)`` and the metrics of a resample are
``evaluator.compute_metrics(real_features, synthetic_features)``.

- **Bootstrap CI** (``--bootstrap N``): ``scipy.stats.bootstrap`` over the synthetic set's row
  indices (N resamples with replacement, size m′, seeded; option ``resample="both"`` also resamples
  the real set). Method: **BCa** when the resampled sets are small enough for its jackknife
  (n + m ≤ ``bca_max_n`` extra metric evaluations; default 300), **percentile** otherwise, and also
  when BCa is undefined (a constant bootstrap distribution) or some resamples leave the metric
  undefined (then the percentile interval of the defined ones). Written to ``details.ci = [lo, hi]``,
  ``details.ci_n`` (resamples where the metric was defined), ``details.ci_method`` and
  ``details.ci_excludes_estimate``. **No interval excludes its estimate**: a metric that is biased
  under resampling (k-NN recall and Vendi are, because a bootstrap sample holds duplicates) has a
  bootstrap distribution shifted away from the estimate, and its raw interval can miss it. Such an
  interval is moved by the bootstrap's median bias b = median(θ*) − θ̂ to [lo − b, hi − b] (which
  holds θ̂ whenever the median lies in the raw interval; otherwise it is widened to reach θ̂), and
  ``ci_method`` says so (``details.ci_shift`` = b, ``details.ci_raw`` = the raw interval). One
  metric computation per resample serves every metric (a cache keyed by the resampled indices).
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

import warnings
from collections.abc import Callable, Mapping
from typing import Any, Literal

import numpy as np

from synae.config import DEFAULT_SEED
from synae.results import EvaluationReport, MetricResult

Resample = Literal["synthetic", "both"]


MetricFn = Callable[[Any, Any], Mapping[str, MetricResult]]
BCA_MAX_N = 300  # BCa's jackknife costs one metric computation per resampled row


def _size(features: Any) -> int:
    n = getattr(features, "n", None)
    return int(n) if n is not None else len(features)


def _collect(samples: dict[str, list[float]], metrics: Mapping[str, MetricResult]) -> None:
    for mid, result in metrics.items():
        if result.value is not None and np.isfinite(result.value):
            samples.setdefault(mid, []).append(float(result.value))


def bootstrap_intervals(compute: MetricFn, real: Any, synthetic: Any, n_boot: int, *,
                        seed: int = DEFAULT_SEED, confidence: float = 0.95,
                        resample: Resample = "synthetic",
                        bca_max_n: int = BCA_MAX_N, progress: bool = False) -> dict[str, dict[str, Any]]:
    """Bootstrap CI per metric ID: ``{"ci": [lo, hi], "ci_n": k, "ci_method": "BCa" | "percentile"}``
    (``scipy.stats.bootstrap``, same seeded resamples for every metric; see the module doc).
    ``progress``: a line on stderr every ~10 % of the resamples or 30 s (a bar on a terminal)."""
    if n_boot < 1:
        raise ValueError("n_boot must be >= 1")
    m, n = _size(real), _size(synthetic)
    both = resample == "both"
    data = (np.arange(n), np.arange(m)) if both else (np.arange(n),)
    cache: dict[tuple[bytes, ...], dict[str, float]] = {}
    method = "BCa" if n + (m if both else 0) <= bca_max_n else "percentile"
    # distinct metric computations: the estimate, the resamples and (BCa) the jackknife samples
    total = 1 + n_boot + (n + (m if both else 0) if method == "BCa" else 0)
    from synae.llm.progress import StageProgress  # rich: imported only where a bootstrap runs

    with StageProgress(total, "bootstrap", unit="resamples", enabled=progress) as shown:
        def values_of(samples: tuple[np.ndarray, ...]) -> dict[str, float]:
            key = tuple(np.asarray(s, dtype=np.int64).tobytes() for s in samples)
            if key not in cache:
                syn = synthetic.subset(samples[0])
                ref = real.subset(samples[1]) if both else real
                cache[key] = {mid: float(r.value) for mid, r in compute(ref, syn).items()
                              if r.value is not None and np.isfinite(r.value)}
                shown.advance()
            return cache[key]

        estimates = values_of(data)
        out: dict[str, dict[str, Any]] = {}
        for mid, estimate in estimates.items():
            def statistic(*samples: np.ndarray, _mid: str = mid, axis: int = -1) -> float:
                return values_of(samples).get(_mid, np.nan)

            out[mid] = covering(_interval(data, statistic, n_boot, method, confidence, seed), estimate)
    return out


def covering(interval: dict[str, Any], estimate: float) -> dict[str, Any]:
    """``interval`` unchanged when it holds ``estimate``; else moved by the bootstrap's median bias
    (``interval["median"]`` − estimate) and, if that still misses it, widened to reach it (see the
    module doc). The bootstrap median is dropped from the result."""
    out = dict(interval)
    median = out.pop("median", None)
    lo, hi = out["ci"]
    if not (np.isfinite(lo) and np.isfinite(hi)) or lo - 1e-12 <= estimate <= hi + 1e-12:
        return out
    shift = float(median) - estimate if median is not None and np.isfinite(median) else 0.0
    new_lo, new_hi = lo - shift, hi - shift
    new_lo, new_hi = min(new_lo, estimate), max(new_hi, estimate)
    out.update(ci=[new_lo, new_hi], ci_raw=[lo, hi], ci_shift=shift,
               ci_method=f"{out['ci_method']}, moved by the bootstrap's median bias")
    return out


def _interval(data: tuple[np.ndarray, ...], statistic: Callable[..., float], n_boot: int, method: str,
              confidence: float, seed: int) -> dict[str, Any]:
    """One metric's interval; BCa falls back to percentile when it is undefined (degenerate).
    ``scipy.stats`` (~1 s to import) is imported here, only when intervals are asked for."""
    from scipy.stats import DegenerateDataWarning, bootstrap

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DegenerateDataWarning)
        warnings.simplefilter("ignore", RuntimeWarning)
        res = bootstrap(data, statistic, n_resamples=n_boot, vectorized=False, paired=False,
                        confidence_level=confidence, method=method, rng=np.random.default_rng(seed))
    dist = np.asarray(res.bootstrap_distribution, dtype=float)
    finite = dist[np.isfinite(dist)]
    lo, hi = float(res.confidence_interval.low), float(res.confidence_interval.high)
    if finite.size < dist.size or not (np.isfinite(lo) and np.isfinite(hi)):
        method = "percentile"
        alpha = 1.0 - confidence
        lo, hi = ((float(np.quantile(finite, alpha / 2)), float(np.quantile(finite, 1 - alpha / 2)))
                  if finite.size else (np.nan, np.nan))
    median = float(np.median(finite)) if finite.size else None
    return {"ci": [lo, hi], "ci_n": int(finite.size), "ci_method": method, "median": median}


def noise_floor(compute: MetricFn, real: Any, repeats: int, *,
                seed: int = DEFAULT_SEED, progress: bool = False) -> dict[str, dict[str, Any]]:
    """Per metric ID: the metric between random halves of the real set, over ``repeats`` splits
    (``progress``: lines on stderr as in :func:`bootstrap_intervals`)."""
    if repeats < 1:
        raise ValueError("repeats must be >= 1")
    rng = np.random.default_rng(seed)
    m = _size(real)
    half = m // 2
    samples: dict[str, list[float]] = {}
    from synae.llm.progress import StageProgress

    with StageProgress(repeats, "noise floor", unit="splits", enabled=progress) as shown:
        for _ in range(repeats):
            perm = rng.permutation(m)
            _collect(samples, compute(real.subset(perm[:half]), real.subset(perm[half:2 * half])))
            shown.advance()
    out = {}
    for mid, v in samples.items():
        arr = np.asarray(v)
        out[mid] = {"mean": float(arr.mean()), "std": float(arr.std(ddof=1)) if len(arr) > 1 else None,
                    "min": float(arr.min()), "max": float(arr.max()), "n": len(arr), "half_size": half}
    return out


def attach(report: EvaluationReport, *, intervals: Mapping[str, dict[str, Any]] | None = None,
           floor: Mapping[str, dict[str, Any]] | None = None, settings: dict[str, Any] | None = None) -> None:
    """Write ``details.ci``/``ci_n``/``ci_method``/``ci_excludes_estimate`` and
    ``details.noise_floor`` into the report's records."""
    for mid, result in report.metrics.items():
        if intervals and mid in intervals:
            result.details.update(intervals[mid])
            lo, hi = intervals[mid]["ci"]
            if result.value is not None and np.isfinite(lo) and np.isfinite(hi):
                result.details["ci_excludes_estimate"] = not lo - 1e-12 <= result.value <= hi + 1e-12
        if floor and mid in floor:
            result.details["noise_floor"] = floor[mid]
    report.uncertainty = {**(report.uncertainty or {}), **(settings or {})}


def add_uncertainty(report: EvaluationReport, compute: MetricFn, real: Any, synthetic: Any, *,
                    bootstrap: int = 0, noise_repeats: int = 0, seed: int = DEFAULT_SEED,
                    confidence: float = 0.95, resample: Resample = "synthetic",
                    floor: Mapping[str, dict[str, Any]] | None = None,
                    progress: bool = False) -> EvaluationReport:
    """Bootstrap CIs (``bootstrap`` > 0) and the noise floor (``noise_repeats`` > 0, or a ``floor``
    computed once for several synthetic sets) attached to ``report``; returns it (``progress``: lines
    on stderr while they run)."""
    intervals = (bootstrap_intervals(compute, real, synthetic, bootstrap, seed=seed, confidence=confidence,
                                     resample=resample, progress=progress) if bootstrap else None)
    if floor is None and noise_repeats:
        floor = noise_floor(compute, real, noise_repeats, seed=seed, progress=progress)
    settings: dict[str, Any] = {"seed": seed}
    if bootstrap:
        settings.update(bootstrap=bootstrap, confidence=confidence, resample=resample,
                        method="scipy.stats.bootstrap: BCa where it applies, else percentile; an interval "
                               "that missed its estimate is moved by the median bias (per metric: "
                               "details.ci_method)")
    if floor:
        settings["noise_repeats"] = noise_repeats or next(iter(floor.values()))["n"]
    attach(report, intervals=intervals, floor=floor, settings=settings)
    return report
