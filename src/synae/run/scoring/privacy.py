"""The privacy score: one anchored number for "does D′ leak D?" (``docs/metrics.md``, "Privacy").

For every privacy metric M (a share, lower is better) of the synthetic set, with value x:

  u(M) = clip( (x_floor − x) / (x_floor − x_best), 0, 1 ),   score = mean of u(M) over the metrics used

- **x_best** (1 = "leaks no more than an independent sample"): M of the *independent anchor* — a
  seeded half split of D (permutation with the config's seed), the second half evaluated as if it were
  synthetic against the first half as real, from D's features (nothing re-embedded). Exact copies are
  the exception: their anchor is D's own duplication rate **leave-one-out** (the share of real
  trajectories whose view equals another real trajectory's, :func:`~synae.metrics.privacy.duplicate_share`).
  A synthetic set is matched against all m real trajectories, a half split against m/2 only, so on a
  small vocabulary (a few tools, a few cities) an independent sample matches about twice as often as
  the half split: leave-one-out matches against m − 1, the synthetic set's own reference size.
- **x_floor** (0 = "the collapse of privacy"): M of the *collapse anchor*, D′ = a resample of D. Every
  privacy metric is exactly 1 on copies of real trajectories (a copy equals its source, lies at distance
  0 from it, contains its own text and its own PII), so x_floor = 1, the metrics' worst bound.
- A metric is excluded (listed with the reason) when it is null for the synthetic set or the anchor,
  when nothing of its kind can leak in the anchor (no eligible trajectory, e.g. D has no PII), or when
  the independent anchor already leaks fully (x_best ≥ x_floor: D is mostly duplicates).
- Label as for the other anchored pillars (``docs/method.md`` §5.3 with A_r = 1): Strong if 1 − score ≤
  0.05, Poor if ≥ 0.15, else Moderate; ``None`` with a reason when no metric is usable.
- **Copies are leaks, not a degree.** Whole-trajectory copies (:func:`synae.metrics.privacy.whole_copies`:
  every view equal to one real trajectory's, exactly or up to punctuation, spacing and case) are
  counted for D′ and, leave-one-out, for D itself (its own duplication rate p₀). When D′ has k near
  copies among n eligible trajectories, the label is **Poor** whatever the mean if
  k > 0 and either p₀ = 0 or the binomial tail P(X ≥ k | n, p₀) < :data:`COPY_ALPHA` (more copies
  than the real data's own duplication explains). The count is in ``privacy[member].copies`` and the
  rule is a forced ``trajectory`` target of the pillar (:func:`synae.run.scoring.aggregate.force_target`).

The anchor depends on D alone and is computed once per real feature set (``real.memo``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from synae.metrics import registry
from synae.metrics.features import DatasetFeatures, PrivacyFeatures
from synae.metrics.privacy import duplicate_share, trajectory_keys, whole_copies
from synae.metrics.registry import MetricContext
from synae.results import Aggregates, MetricResult, PillarLabel
from synae.run.scoring.aggregate import (
    SELF_ROW,
    AggregateOptions,
    _label,
    apply_target_labels,
    force_target,
    normalise,
    set_targets,
    target_scores,
    theoretical_worst,
)

PILLAR = "privacy"
COPY_ALPHA = 0.01  # one-sided level of "more whole copies than the half split's own rate"
COPY_TARGET = "trajectory"  # the forced target of the copy rule
MEANING = ("1 = leaks no more than an independent sample of the real data; "
           "0 = no better than copying real trajectories.")


@dataclass
class PrivacyScore:
    """The privacy score of one synthetic set, its anchors and the metrics used or excluded."""

    score: float | None
    label: PillarLabel
    normalised: dict[str, float] = field(default_factory=dict)
    best: dict[str, float] = field(default_factory=dict)  # the independent anchor's values (x_best)
    floor: dict[str, float] = field(default_factory=dict)  # the collapse anchor's values (x_floor)
    excluded: list[dict[str, str]] = field(default_factory=list)
    seed: int = 0
    split: tuple[int, int] = (0, 0)  # sizes of the half split (real half, held-out half)
    copies: dict[str, Any] | None = None  # whole-trajectory copies (copy_check), None when not counted

    def to_json(self) -> dict[str, Any]:
        out = {"score": self.score, "label": dict(self.label), "normalised": dict(self.normalised),
               "anchors": {"independent": dict(self.best), "collapse": dict(self.floor),
                           "seed": self.seed, "split": list(self.split)},
               "excluded": list(self.excluded), "meaning": MEANING}
        if self.copies is not None:
            out["copies"] = self.copies
        return out


def _tail(k: int, n: int, p: float) -> float:
    """P(X ≥ k) for X ~ Binomial(n, p) (``scipy.special.bdtrc``; 1 for k ≤ 0)."""
    if k <= 0:
        return 1.0
    from scipy.special import bdtrc

    return float(bdtrc(k - 1, n, p))


def copy_check(real: DatasetFeatures, synthetic: DatasetFeatures) -> dict[str, Any] | None:
    """Whole-trajectory copies of D in D′ and, leave-one-out, in D (the anchor), and whether they are
    leaks (the module doc's rule): ``{"exact": …, "near": …, "anchor": {"exact", "near"} (count,
    eligible), "rate", "anchor_rate", "p_value", "leak"}``; ``None`` without privacy views."""
    if real.privacy is None or synthetic.privacy is None:
        return None
    found = whole_copies(real.privacy, synthetic.privacy)
    key = "privacy.whole_copies_anchor"
    if key not in real.memo:
        real.memo[key] = {kind: dict(zip(("count", "eligible"),
                                         duplicate_share(trajectory_keys(real.privacy, loose)), strict=True))
                          for kind, loose in (("exact", False), ("near", True))}
    anchor_counts: dict[str, dict[str, int]] = real.memo[key]
    near, base = found["near"], anchor_counts["near"]
    rate = near["count"] / near["eligible"] if near["eligible"] else 0.0
    p0 = base["count"] / base["eligible"] if base["eligible"] else 0.0
    p_value = _tail(near["count"], near["eligible"], p0) if p0 > 0 else (0.0 if near["count"] else 1.0)
    leak = near["count"] > 0 and (p0 == 0 or p_value < COPY_ALPHA)
    return {**found, "anchor": anchor_counts, "rate": rate, "anchor_rate": p0, "p_value": p_value,
            "alpha": COPY_ALPHA, "leak": leak}


def half_split(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """The seeded split of ``range(n)``: a permutation's first ⌈n/2⌉ (the real half) and the rest, each
    in increasing order."""
    perm = np.random.default_rng(seed).permutation(n)
    half = math.ceil(n / 2)
    return np.sort(perm[:half]), np.sort(perm[half:])


def independent_anchor(real: DatasetFeatures, metric_ids: list[str], context: MetricContext,
                       seed: int) -> dict[str, MetricResult]:
    """The privacy metrics ``metric_ids`` of D's held-out half against its real half (memoised)."""
    key = f"privacy.independent_anchor.{seed}"
    cache: dict[str, MetricResult] = real.memo.setdefault(key, {})
    todo = [mid for mid in metric_ids if mid not in cache]
    if todo:
        first, second = half_split(real.n, seed)
        a, b = real.subset(first), real.subset(second)
        shared: dict[str, Any] = {}
        for mid in todo:
            try:
                cache[mid] = registry.compute_metric(mid, a, b, context, shared)
            except Exception as exc:  # one anchor's error excludes that metric only
                cache[mid] = registry.failed(mid, f"error: {type(exc).__name__}: {exc}")
            if mid.endswith(".exact_copies") and real.privacy is not None and cache[mid].value is not None:
                cache[mid] = _leave_one_out(cache[mid], real.privacy)
    return {mid: cache[mid] for mid in metric_ids}


def _leave_one_out(record: MetricResult, views: PrivacyFeatures) -> MetricResult:
    """An exact-copies anchor record with D's own leave-one-out duplication rate as its value."""
    view = views.views.get(record.target)
    if view is None:
        return record
    leaking, eligible = duplicate_share(np.where(view.present, view.view_hash, np.uint64(0)))
    details = {**record.details, "leaking": leaking, "eligible": eligible, "anchor": "leave_one_out"}
    return record.model_copy(update={"value": leaking / eligible if eligible else 0.0, "details": details})


def privacy_score(real: DatasetFeatures, synthetic_metrics: Mapping[str, MetricResult],
                  context: MetricContext, *, seed: int | None = None,
                  options: AggregateOptions | None = None,
                  synthetic: DatasetFeatures | None = None) -> PrivacyScore:
    """The anchored privacy score of the synthetic set whose records are ``synthetic_metrics`` (only
    the privacy pillar's are read), against ``real`` (D's features, as given to the evaluator).
    ``seed`` defaults to ``context.seed``; ``options`` give the label thresholds. With ``synthetic``
    (D′'s features) the whole-trajectory copies are counted too (:func:`copy_check`)."""
    options = options or AggregateOptions()
    seed = context.seed if seed is None else seed
    ids = [mid for mid, r in synthetic_metrics.items() if r.pillar == PILLAR]
    anchor = independent_anchor(real, ids, context, seed) if real.n >= 2 else {}
    first, second = half_split(real.n, seed)
    out = PrivacyScore(None, _label(1.0, None, options), seed=seed, split=(first.size, second.size))
    for mid in ids:
        result, ref = synthetic_metrics[mid], anchor.get(mid)
        floor = theoretical_worst(result)
        if result.value is None:
            reason = f"null_for_member: {result.reason or result.status}"
        elif ref is None or ref.value is None:
            why = ref.reason if ref is not None else "fewer than 2 real trajectories"
            reason = f"anchor_undefined: {why}"
        elif ref.details.get("eligible") == 0:
            reason = "anchor_undefined: nothing of this kind can leak in D's half split"
        elif floor is None or not floor > ref.value:
            reason = "anchor_not_better: the independent half split leaks as much as copies"
        else:
            out.best[mid], out.floor[mid] = float(ref.value), floor
            out.normalised[mid] = normalise(float(result.value), float(ref.value), floor, result.direction)
            continue
        out.excluded.append({"id": mid, "pillar": PILLAR, "reason": reason})
    if out.normalised:
        out.score = sum(out.normalised.values()) / len(out.normalised)
    out.label = _label(1.0, out.score, options)
    if synthetic is not None:
        out.copies = copy_check(real, synthetic)
    return out


def has_privacy_metrics(metrics: Mapping[str, MetricResult]) -> bool:
    """Whether any record of ``metrics`` belongs to the privacy pillar."""
    return any(r.pillar == PILLAR for r in metrics.values())


def attach_privacy(aggregates: Aggregates, name: str, score: PrivacyScore, options: AggregateOptions) -> None:
    """Add member ``name``'s privacy score and label to ``aggregates`` (in place): the pillar score and
    label beside the others, the self row's reference 1, and ``aggregates["privacy"][name]`` with the
    anchors, the metrics used and the excluded ones."""
    aggregates["scores"].setdefault(name, {})["privacy"] = score.score
    aggregates["labels"].setdefault(name, {})["privacy"] = score.label
    if SELF_ROW in aggregates["scores"]:
        aggregates["scores"][SELF_ROW]["privacy"] = 1.0
        aggregates["labels"].setdefault(SELF_ROW, {})["privacy"] = _label(1.0, 1.0, options)
    aggregates.setdefault("privacy", {})[name] = score.to_json()
    set_targets(aggregates, name, PILLAR, target_scores(score.normalised, list(score.normalised)))
    copies = score.copies
    if copies is not None and copies["leak"]:
        near = copies["near"]
        force_target(aggregates, name, PILLAR, COPY_TARGET, "Poor",
                     f"{near['count']}/{near['eligible']} whole copies of real trajectories, above the real "
                     f"set's own rate ({copies['anchor_rate']:.1%})", score=None)
    apply_target_labels(aggregates, options)
