"""Pillar scores and Strong / Moderate / Poor labels (``docs/method.md`` §5).

A *comparison group* G is a set of members (datasets evaluated against the same real set D with the
same configuration), each given as ``{metric_id: MetricResult}``. The group normally contains the
*self row* (D evaluated as if it were synthetic); :func:`ideal_self_row` builds it from the ideal
values that D-vs-D provably yields (``docs/method.md`` §5.9: every distance 0, k-NN precision/recall 1,
Vendi/AD equal to their value on D).

Normalisation of metric M for member s::

    u_s(M) = clip((x_s - x_worst) / (x_best - x_worst), 0, 1)

with x_best the metric's ideal bound and x_worst the worst value of M in G (max for lower-is-better,
min for higher-is-better). If x_worst is not worse than x_best, u_s(M) = 1 for every member.
Ideal bounds: distances -> their lower bound (0); k-NN precision/recall, RD -> their upper bound (1);
Vendi and AD -> the value on D (``details.real_value``, option ``diversity_bound = reference_value``)
or, with ``theoretical``, Vendi -> the member's own n and AD -> ln K.

Pillar scores: validity = mean of the available headline validity rates (not re-normalised);
fidelity / diversity = mean of u over the pillar's metrics that are non-null for every member (the
others are listed under ``excluded``). Labels against a reference member r: δ = (A_r - A_s) / A_r;
Strong if δ ≤ strong (0.05), Poor if δ ≥ poor (0.15), else Moderate; ``None`` with a reason when
A_r is 0 or missing (validity falls back to the ideal A_r = 1.0).

**Anchored scale** (``docs/method.md`` §5.4, the default profile): :func:`aggregate_anchored` scores one
set on a fixed scale between the ideal (x_best, as above) and the *collapse anchor* C (n′ copies of
one real trajectory; x_floor = mean of M over 5 seeded choices, computed by
``synae.run.scoring.pipeline.collapse_anchor``)::

    u_s(M) = clip((x_s - x_floor) / (x_best - x_floor), 0, 1)

Where C is not worse than x_best, x_floor is the metric's theoretical worst bound (lower bound when
higher is better, upper bound when lower is better); without one (unbounded and C ideal) the metric
is excluded with reason ``anchor_not_worse_and_unbounded``. Downstream TDD/RD: C's agent success
rates are the agents' per-trajectory success on D averaged over runs (no agent is run on C); a
report without those outcomes has no downstream anchor, and TDD/RD are excluded with reason
``anchor_not_derivable``. The score of a set depends on D, the configuration and the set alone,
never on other members. Labels use A_r = 1 (the self row).

**Targets** (:func:`apply_target_labels`): every pillar score is also given per target (the second
part of a metric ID: instructions, tool_calls, output, downstream) as the mean of the same
per-metric values (validity rates, normalised u) over that target's metrics, under
``aggregates.targets[member][pillar][target]``, each labelled like a pillar (against the reference's
score for that target; A_r = 1 on the anchored scale). A pillar's label is never better than its
worst target's label: a better one is lowered to it (``capped_by`` names the target, ``uncapped``
keeps the label of the mean). A target may carry a label forced by a rule (``forced`` with a
``reason``: a target the real set has and the synthetic set lost; whole-trajectory copies for
privacy). **Ranking** (:func:`rank_members`) orders the synthetic members by the same rule: first by
their worst pillar label, then by the mean over pillars of min(pillar score, lowest target score).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from synae.results import (
    Aggregates,
    ExcludedMetric,
    Label,
    MetricBounds,
    MetricResult,
    PillarLabel,
    TargetScore,
)

PILLARS = ("validity", "fidelity", "diversity")  # normalised and scored here (docs/method.md §5)
# Every pillar a report shows: the privacy score has its own anchors (synae.run.scoring.privacy)
REPORTED_PILLARS = (*PILLARS, "privacy")
VALIDITY_HEADLINES = ("validity.tool_calls.rate", "validity.output.rate")
DUPLICATE_QUALIFIERS = frozenset({"rules", "judge"})
SELF_ROW = "real (self)"
LOST_TARGET = "missing_in_synthetic"  # reason of a validity rate whose target the synthetic set lost
LABEL_RANK: dict[str, int] = {"Poor": 0, "Moderate": 1, "Strong": 2}
LABEL_TOL = 1e-9  # thresholds are inclusive; absorbs float rounding of δ (1 - 0.95 = 0.05000000000000004)

ANCHORED_MEANING = ("1 = as close to the real data as the real data itself; "
                    "0 = no better than repeating one real trajectory")

DiversityBound = Literal["reference_value", "theoretical"]
AggregateScale = Literal["anchored", "group"]
Members = Mapping[str, Mapping[str, MetricResult]]


@dataclass
class AggregateOptions:
    """How the group is scored; defaults follow ``docs/method.md`` §5."""

    diversity_bound: DiversityBound = "reference_value"
    strong: float = 0.05
    poor: float = 0.15
    reference: str | None = None  # member used for labels; default: the self row
    metric_ids: list[str] | None = None  # IDs configured for aggregation; default: every computed one
    exclude: list[str] = field(default_factory=list)
    scale: AggregateScale | None = None  # None: the config's (see synae.run.scoring.pipeline.aggregate_scale)


def is_diversity_score(metric_id: str) -> bool:
    """Vendi and AD: unbounded (by data) higher-is-better metrics normalised against a bound."""
    return metric_id.endswith(".vendi") or metric_id.endswith(".ad")


def is_aggregated(result: MetricResult) -> bool:
    """Whether a metric enters its pillar score by default (qualified duplicates do not)."""
    if result.pillar == "validity":
        return result.id in VALIDITY_HEADLINES
    return result.id.rsplit(".", 1)[-1] not in DUPLICATE_QUALIFIERS


def _ln_k(result: MetricResult) -> float | None:
    details = result.details
    for key in ("ln_K", "ln_k", "log_K"):
        if isinstance(details.get(key), (int, float)):
            return float(details[key])
    k = details.get("K", details.get("k_combinations"))
    return math.log(k) if isinstance(k, (int, float)) and k > 0 else None


def ideal_value(result: MetricResult, bound: DiversityBound = "reference_value") -> float | None:
    """x_best of ``docs/method.md`` §5.1 for this record (``None`` when it cannot be determined)."""
    if is_diversity_score(result.id):
        if bound == "reference_value":
            real = result.details.get("real_value")
            return float(real) if isinstance(real, (int, float)) else None
        if result.id.endswith(".ad"):
            return _ln_k(result)
        return float(result.n_synthetic) if result.n_synthetic else None
    lo, hi = result.bounds
    if result.direction == "lower_is_better":
        return float(lo)
    return None if hi is None else float(hi)


def ideal_self_row(metrics: Mapping[str, MetricResult],
                   bound: DiversityBound = "reference_value") -> dict[str, MetricResult]:
    """The self row D vs D from one member's records: every metric at its ideal value.

    Validity rates are taken from ``details.real_value`` when the evaluator scored D too, else left
    out (labels then use the ideal 1.0). With the theoretical bound, Vendi/AD keep the value on D.
    """
    row: dict[str, MetricResult] = {}
    for mid, result in metrics.items():
        if result.pillar == "validity" or is_diversity_score(mid):
            value = result.details.get("real_value")
        else:
            value = ideal_value(result, bound)
        if not isinstance(value, (int, float)) or result.value is None:
            continue
        details = dict(result.details)
        row[mid] = result.model_copy(update={"value": float(value), "details": details,
                                             "n_synthetic": result.n_real})
    return row


def normalise(value: float, best: float, worst: float, direction: str) -> float:
    """u = clip((x - worst) / (best - worst), 0, 1); 1 when worst is not worse than best."""
    worse = worst > best if direction == "lower_is_better" else worst < best
    if not worse:
        return 1.0
    return min(1.0, max(0.0, (value - worst) / (best - worst)))


def _selected(members: Members, options: AggregateOptions) -> dict[str, list[str]]:
    ids: dict[str, list[str]] = {p: [] for p in PILLARS}
    seen: set[str] = set()
    for metrics in members.values():
        for mid, result in metrics.items():
            if mid in seen or mid in options.exclude or result.pillar not in ids:
                continue  # pillars without a score (privacy) are reported, not aggregated
            wanted = mid in options.metric_ids if options.metric_ids is not None else is_aggregated(result)
            if wanted:
                seen.add(mid)
                ids[result.pillar].append(mid)
    return {p: sorted(v) for p, v in ids.items()}


def _label(a_ref: float | None, a_s: float | None, options: AggregateOptions) -> PillarLabel:
    if a_s is None:
        return {"label": None, "delta": None, "reason": "score_unavailable"}
    if a_ref is None:
        return {"label": None, "delta": None, "reason": "reference_unavailable"}
    if a_ref == 0:
        return {"label": None, "delta": None, "reason": "reference_score_zero"}
    delta = (a_ref - a_s) / a_ref
    strong = delta <= options.strong + LABEL_TOL
    label: Label = "Strong" if strong else "Poor" if delta >= options.poor - LABEL_TOL else "Moderate"
    return {"label": label, "delta": delta, "reason": None}


def metric_target(metric_id: str) -> str:
    """The target of a metric ID ``pillar.target.name`` (its second part)."""
    parts = metric_id.split(".")
    return parts[1] if len(parts) > 2 else parts[-1]


def target_scores(values: Mapping[str, float], ids: list[str]) -> dict[str, TargetScore]:
    """Per target, the mean of ``values`` over the IDs of ``ids`` with that target that have a value
    (targets none of whose metrics has a value are left out)."""
    groups: dict[str, list[str]] = {}
    for mid in ids:
        if mid in values:
            groups.setdefault(metric_target(mid), []).append(mid)
    return {t: {"score": sum(values[m] for m in mids) / len(mids), "metrics": mids}
            for t, mids in groups.items()}


def set_targets(aggregates: Aggregates, name: str, pillar: str, targets: Mapping[str, TargetScore]) -> None:
    """Record member ``name``'s target scores of ``pillar`` (replacing the computed ones of the same
    targets; forced entries already there are kept)."""
    pillars = aggregates.setdefault("targets", {}).setdefault(name, {})
    current = pillars.setdefault(pillar, {})
    for target, entry in targets.items():
        if "forced" not in current.get(target, {}):
            current[target] = entry


def force_target(aggregates: Aggregates, name: str, pillar: str, target: str, label: Label, reason: str,
                 **extra: object) -> None:
    """Give member ``name``'s ``pillar`` a target whose label is ``label`` by rule (see the module
    doc), keeping the target's score when it has one."""
    pillars = aggregates.setdefault("targets", {}).setdefault(name, {}).setdefault(pillar, {})
    entry = pillars.get(target) or {"score": None, "metrics": []}
    entry = {**entry, "forced": label, "reason": reason}
    entry.update(extra)  # type: ignore[typeddict-item]
    pillars[target] = entry


def _reference_target(aggregates: Aggregates, pillar: str, target: str) -> float | None:
    """A_r of one target: 1 when the reference is the self row on the anchored scale (and for
    validity when the reference has no value), else the reference member's score of the target."""
    ref = aggregates.get("reference")
    if ref is None or (ref == SELF_ROW and aggregates.get("scale") == "anchored") or pillar == "privacy":
        return 1.0
    entry = (aggregates.get("targets") or {}).get(ref, {}).get(pillar, {}).get(target)
    score = entry["score"] if entry else None
    return 1.0 if score is None and pillar == "validity" else score


def _capped(label: PillarLabel, by_target: Mapping[str, TargetScore]) -> PillarLabel:
    """``label`` lowered to the worst label among the targets (forced labels apply even where the
    pillar has no score)."""
    worst: tuple[int, str, Label] | None = None
    for target, entry in by_target.items():
        own = entry.get("label")
        lab = own["label"] if own else None
        if lab is not None and (worst is None or LABEL_RANK[lab] < worst[0]):
            worst = (LABEL_RANK[lab], target, lab)
    current = label.get("uncapped", label["label"]) if "capped_by" in label else label["label"]
    if worst is None:
        return label
    rank, target, lab = worst
    forced = "forced" in by_target[target]
    if (current is None and not forced) or (current is not None and LABEL_RANK[current] <= rank):
        return label
    reason = label["reason"] if current is not None else by_target[target].get("reason")
    return {"label": lab, "delta": label["delta"], "reason": reason, "capped_by": target, "uncapped": current}


def apply_target_labels(aggregates: Aggregates, options: AggregateOptions) -> None:
    """Label every target of ``aggregates.targets`` (a forced label as given, else as a pillar score
    against :func:`_reference_target`), lower each pillar label to its worst target's, and set
    ``aggregates.ranking`` (:func:`rank_members`). In place; applying it twice changes nothing."""
    for name, pillars in (aggregates.get("targets") or {}).items():
        for pillar, by_target in pillars.items():
            for target, entry in by_target.items():
                if "forced" in entry:
                    entry["label"] = {"label": entry["forced"], "delta": None, "reason": entry.get("reason")}
                else:
                    reference = _reference_target(aggregates, pillar, target)
                    entry["label"] = _label(reference, entry["score"], options)
            labels = aggregates["labels"].setdefault(name, {})
            current = labels.get(pillar) or _label(1.0, None, options)
            labels[pillar] = _capped(current, by_target)
    aggregates["ranking"] = rank_members(aggregates)


def headline_score(aggregates: Aggregates, name: str, pillar: str) -> float | None:
    """min(pillar score, its lowest target score): the number a ranking may read for a pillar."""
    score = aggregates["scores"].get(name, {}).get(pillar)
    if score is None:
        return None
    targets = (aggregates.get("targets") or {}).get(name, {}).get(pillar, {})
    lows = [e["score"] for e in targets.values() if e.get("score") is not None]
    return min([score, *[float(v) for v in lows if v is not None]])


def rank_members(aggregates: Aggregates) -> list[str]:
    """The synthetic members, best first: a member's worst pillar label first (every member without a
    Poor pillar before any with one; no label counts as neither), then the mean over pillars of
    :func:`headline_score`; members with no score at all come last, in their given order."""
    def key(name: str) -> tuple[int, float]:
        labels = [entry["label"] for entry in aggregates["labels"].get(name, {}).values() if entry["label"]]
        worst = min((LABEL_RANK[lab] for lab in labels), default=LABEL_RANK["Strong"])
        scores = [s for p in aggregates["scores"].get(name, {})
                  if (s := headline_score(aggregates, name, p)) is not None]
        return (-worst, -(sum(scores) / len(scores)) if scores else float("inf"))

    names = [n for n in aggregates["members"] if n != SELF_ROW]
    return sorted(names, key=key)


def aggregate(members: Members, options: AggregateOptions | None = None) -> Aggregates:
    """Pillar scores, normalised values and labels of a comparison group (JSON-ready dict).

    ``members`` maps a member name to its metric records; include the self row (see
    :func:`ideal_self_row`, conventionally named :data:`SELF_ROW`) for the default reference.
    """
    options = options or AggregateOptions()
    names = list(members)
    reference = options.reference or (SELF_ROW if SELF_ROW in members else None)
    if reference is not None and reference not in members:
        raise ValueError(f"reference member {reference!r} is not in the group {names}")
    selected = _selected(members, options)
    excluded: list[ExcludedMetric] = []
    normalised: dict[str, dict[str, float]] = {n: {} for n in names}
    bounds: dict[str, MetricBounds] = {}

    for pillar in ("fidelity", "diversity"):
        for mid in selected[pillar]:
            records = {n: members[n].get(mid) for n in names}
            missing = [n for n, r in records.items() if r is None or r.value is None]
            bests = {n: ideal_value(r, options.diversity_bound) for n, r in records.items() if r is not None}
            no_best = [n for n, b in bests.items() if b is None and n not in missing]
            if missing or no_best:
                reason = "null_for_member" if missing else "no_ideal_bound"
                excluded.append({"id": mid, "pillar": pillar, "reason": reason,
                                 "members": missing or no_best})
                continue
            direction = next(r.direction for r in records.values() if r is not None)
            values = {n: float(r.value) for n, r in records.items() if r is not None and r.value is not None}
            worst = max(values.values()) if direction == "lower_is_better" else min(values.values())
            known = {n: b for n, b in bests.items() if b is not None}  # every member's, checked above
            for n, x in values.items():
                normalised[n][mid] = normalise(x, float(known[n]), worst, direction)
            bounds[mid] = {"pillar": pillar, "direction": direction, "worst": worst,
                           "best": {n: bests[n] for n in names}}

    scores: dict[str, dict[str, float | None]] = {}
    for n in names:
        rates = [float(v) for mid in selected["validity"]
                 if mid in members[n] and (v := members[n][mid].value) is not None]
        scores[n] = {"validity": sum(rates) / len(rates) if rates else None}
        for pillar in ("fidelity", "diversity"):
            used = [normalised[n][mid] for mid in selected[pillar] if mid in normalised[n]]
            scores[n][pillar] = sum(used) / len(used) if used else None

    labels: dict[str, dict[str, PillarLabel]] = {}
    for n in names:
        labels[n] = {}
        for pillar in PILLARS:
            a_ref = scores[reference][pillar] if reference is not None else None
            if pillar == "validity" and a_ref is None:
                a_ref = 1.0
            labels[n][pillar] = _label(a_ref, scores[n][pillar], options)

    used_ids = {p: [m for m in selected[p] if p == "validity" or m in bounds] for p in PILLARS}
    result: Aggregates = {
        "members": names,
        "reference": reference,
        "diversity_bound": options.diversity_bound,
        "thresholds": {"strong": options.strong, "poor": options.poor},
        "metrics": used_ids,
        "excluded": excluded,
        "bounds": bounds,
        "normalised": normalised,
        "scores": scores,
        "labels": labels,
        "scale": "group",
    }
    for n in names:
        set_validity_targets(result, n, members[n], selected["validity"])
        for pillar in ("fidelity", "diversity"):
            set_targets(result, n, pillar, target_scores(normalised[n], used_ids[pillar]))
    apply_target_labels(result, options)
    return result


def set_validity_targets(aggregates: Aggregates, name: str, metrics: Mapping[str, MetricResult],
                         ids: list[str]) -> None:
    """Member ``name``'s validity targets: each headline rate, its ``basis`` (``structural`` when the
    rule checks that ran are all structural, :data:`STRUCTURAL_CHECKS`), and a forced Poor for a
    target the synthetic set lost (a rate skipped with reason :data:`LOST_TARGET`)."""
    targets = target_scores(_rates(metrics, ids), ids)
    for entry in targets.values():
        basis = validity_basis(metrics[entry["metrics"][0]])
        if basis:
            entry["basis"] = basis
    set_targets(aggregates, name, "validity", targets)
    for mid in VALIDITY_HEADLINES:
        result = metrics.get(mid)
        if result is not None and result.value is None and (result.reason or "").startswith(LOST_TARGET):
            force_target(aggregates, name, "validity", result.target, "Poor", result.reason or LOST_TARGET)


STRUCTURAL_CHECKS = frozenset({"parses", "declared", "schema", "results_answer_calls", "empty_output"})


def validity_basis(result: MetricResult) -> str | None:
    """What a validity rate rests on: ``judge``; ``structural`` when the rule checks that ran
    (``details.checks``, passed or failed at least once) are all structural (parsing, declared tools,
    schemas, results answering calls, a non-empty output); ``rules`` otherwise (``None`` when the
    record does not say)."""
    checker = str(result.details.get("checker") or "")
    if checker == "judge":
        return "judge"
    checks = result.details.get("checks")
    if not isinstance(checks, Mapping):
        return "rules" if checker else None
    ran = [name for name, states in checks.items()
           if isinstance(states, Mapping) and (states.get("passed", 0) or states.get("failed", 0))]
    return "structural" if ran and all(name in STRUCTURAL_CHECKS for name in ran) else "rules"


def _rates(metrics: Mapping[str, MetricResult], ids: list[str]) -> dict[str, float]:
    """The non-null values of ``ids`` among ``metrics`` (the validity rates)."""
    return {mid: float(v) for mid in ids if mid in metrics and (v := metrics[mid].value) is not None}


def bounded_closeness(metrics: Mapping[str, MetricResult]) -> dict[str, float]:
    """Closeness to the ideal value, in [0, 1], of every computed metric with finite bounds.

    For bounds [lo, hi]: (hi − x) / (hi − lo) when lower is better, (x − lo) / (hi − lo) when higher
    is better (1 = ideal). Unbounded metrics (Wasserstein, FID, Vendi, AD) are left out: they have no
    scale-free ideal without a comparison group.
    """
    out: dict[str, float] = {}
    for mid, m in metrics.items():
        lo, hi = m.bounds
        if m.value is None or hi is None or hi <= lo:
            continue
        share = (m.value - lo) / (hi - lo)
        out[mid] = min(1.0, max(0.0, 1.0 - share if m.direction == "lower_is_better" else share))
    return out


def aggregate_single(metrics: Mapping[str, MetricResult], name: str = "synthetic",
                     options: AggregateOptions | None = None,
                     self_row: Mapping[str, MetricResult] | None = None) -> Aggregates:
    """Aggregates of one evaluation: the group {self row, the synthetic set}.

    With only one synthetic member, every fidelity or diversity metric that is not ideal is also the
    group's worst, so its u is 0 by construction and the pillar score would only count the metrics
    that happen to be ideal. Those two scores (and labels) are therefore ``null`` with reason
    ``single_set_group``; the per-metric ``normalised`` values stay, and validity — a plain mean of
    rates — is scored and labelled as usual. ``synae compare`` gives graded scores.
    """
    options = options or AggregateOptions()
    row = dict(self_row) if self_row is not None else ideal_self_row(metrics, options.diversity_bound)
    result = aggregate({SELF_ROW: row, name: metrics}, options)
    result["self_row"] = "computed" if self_row is not None else "ideal"
    for pillar in ("fidelity", "diversity"):
        result["scores"][name][pillar] = None
        result["labels"][name][pillar] = {"label": None, "delta": None, "reason": "single_set_group"}
        for entry in result.get("targets", {}).get(name, {}).get(pillar, {}).values():
            entry["score"] = None
    apply_target_labels(result, options)
    result["notes"] = ["single synthetic set: fidelity and diversity scores are normalised within a "
                       "comparison group, which needs at least two synthetic sets (synae compare); "
                       "the per-metric values and the validity score stand on their own"]
    return result


# ------------------------------------------------------------------------------------------------
# Anchored scale (docs/method.md §5.4)


@dataclass
class Anchor:
    """The collapse anchor C of one synthetic set: ``floor[mid]`` = mean of M over the choices
    (``per_choice[mid]``, one value per index in ``indices``, ``None`` where undefined);
    ``reasons[mid]`` says why a metric has no anchor value."""

    indices: list[int]
    copies: int
    seed: int
    floor: dict[str, float | None] = field(default_factory=dict)
    per_choice: dict[str, list[float | None]] = field(default_factory=dict)
    reasons: dict[str, str] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {"indices": list(self.indices), "copies": self.copies, "seed": self.seed,
                "floor": dict(self.floor), "per_choice": dict(self.per_choice), "reasons": dict(self.reasons)}


def theoretical_worst(result: MetricResult) -> float | None:
    """The metric's worst bound: its lower bound when higher is better, else its upper bound."""
    lo, hi = result.bounds
    if result.direction == "higher_is_better":
        return float(lo)
    return None if hi is None else float(hi)


def _is_worse(value: float, than: float, direction: str) -> bool:
    return value > than if direction == "lower_is_better" else value < than


def anchored_floor(result: MetricResult, anchor: Anchor, best: float) -> tuple[float | None, str]:
    """x_floor of ``docs/method.md`` §5.4 and its source (``anchor`` or ``theoretical``), or ``None`` and
    the reason the metric is excluded."""
    floor = anchor.floor.get(result.id)
    if floor is None:
        return None, anchor.reasons.get(result.id, "anchor_undefined: the collapse anchor has no value")
    if _is_worse(floor, best, result.direction):
        return floor, "anchor"
    worst = theoretical_worst(result)
    if worst is not None and _is_worse(worst, best, result.direction):
        return worst, "theoretical"
    return None, ("anchor_not_worse_and_unbounded: the collapse anchor is ideal and the metric has no "
                  "worst bound")


def aggregate_anchored(metrics: Mapping[str, MetricResult], anchor: Anchor, name: str = "synthetic",
                       options: AggregateOptions | None = None) -> Aggregates:
    """Anchored pillar scores and labels of one synthetic set (``docs/method.md`` §5.4).

    The group is {self row, the set}; the self row is the reference with score 1 on every pillar
    (A_r = 1), so δ = 1 − A_s. Metrics without a usable anchor are listed in ``excluded`` with the
    reason; the chosen anchor trajectories are in ``anchors``.
    """
    options = options or AggregateOptions()
    selected = _selected({name: metrics}, options)
    excluded: list[ExcludedMetric] = []
    normalised: dict[str, float] = {}
    bounds: dict[str, MetricBounds] = {}
    for pillar in ("fidelity", "diversity"):
        for mid in selected[pillar]:
            result = metrics[mid]
            best = ideal_value(result, options.diversity_bound)
            if result.value is None:
                reason = f"null_for_member: {result.reason or result.status}"
            elif best is None:
                reason = "no_ideal_bound"
            else:
                floor, reason = anchored_floor(result, anchor, best)
                if floor is not None:
                    normalised[mid] = normalise(float(result.value), best, floor, result.direction)
                    bounds[mid] = {"pillar": pillar, "direction": result.direction, "worst": floor,
                                   "best": {name: best}, "floor": reason}
                    continue
            excluded.append({"id": mid, "pillar": pillar, "reason": reason, "members": [name]})
    rates = _rates(metrics, selected["validity"])
    scores: dict[str, float | None] = {"validity": sum(rates.values()) / len(rates) if rates else None}
    for pillar in ("fidelity", "diversity"):
        used = [normalised[mid] for mid in selected[pillar] if mid in normalised]
        scores[pillar] = sum(used) / len(used) if used else None
    labels = {p: _label(1.0, scores[p], options) for p in PILLARS}
    used_ids = {p: [m for m in selected[p] if p == "validity" or m in bounds] for p in PILLARS}
    out: Aggregates = {
        "members": [SELF_ROW, name],
        "reference": SELF_ROW,
        "diversity_bound": options.diversity_bound,
        "thresholds": {"strong": options.strong, "poor": options.poor},
        "metrics": used_ids,
        "excluded": excluded,
        "bounds": bounds,
        "normalised": {SELF_ROW: dict.fromkeys(normalised, 1.0), name: normalised},
        "scores": {SELF_ROW: dict.fromkeys(PILLARS, 1.0), name: scores},
        "labels": {SELF_ROW: {p: _label(1.0, 1.0, options) for p in PILLARS}, name: labels},
        "self_row": "reference",
        "scale": "anchored",
        "meaning": ANCHORED_MEANING,
        "anchors": {name: anchor.to_json()},
    }
    set_validity_targets(out, name, metrics, selected["validity"])
    for pillar in ("fidelity", "diversity"):
        set_targets(out, name, pillar, target_scores(normalised, used_ids[pillar]))
    apply_target_labels(out, options)
    return out


def combine_anchored(per_member: Mapping[str, Aggregates],
                     options: AggregateOptions | None = None) -> Aggregates:
    """The comparison's aggregates from each member's :func:`aggregate_anchored` result: every score
    is the member's own (adding a set changes no other set's score). With ``options.reference`` (a
    member), labels compare each member with that member's score instead of A_r = 1."""
    options = options or AggregateOptions()
    names = list(per_member)
    if options.reference is not None and options.reference not in per_member:
        raise ValueError(f"reference member {options.reference!r} is not in the group {names}")
    first = next(iter(per_member.values()), None)
    scores: dict[str, dict[str, float | None]] = {SELF_ROW: dict.fromkeys(PILLARS, 1.0)}
    normalised: dict[str, dict[str, float]] = {SELF_ROW: {}}
    labels: dict[str, dict[str, PillarLabel]] = {SELF_ROW: {p: _label(1.0, 1.0, options) for p in PILLARS}}
    metrics: dict[str, list[str]] = {p: [] for p in PILLARS}
    excluded: list[ExcludedMetric] = []
    bounds: dict[str, MetricBounds] = {}
    anchors: dict[str, Any] = {}
    targets: dict[str, dict[str, dict[str, TargetScore]]] = {}
    for name, agg in per_member.items():
        scores[name] = dict(agg["scores"][name])
        targets[name] = agg.get("targets", {}).get(name, {})
        normalised[name] = dict(agg["normalised"][name])
        normalised[SELF_ROW].update(dict.fromkeys(agg["normalised"][name], 1.0))
        for p in PILLARS:
            metrics[p].extend(m for m in agg["metrics"][p] if m not in metrics[p])
        excluded.extend(agg["excluded"])
        for mid, b in agg["bounds"].items():
            merged = bounds.setdefault(mid, {**b, "best": {}, "worst": b["worst"]})
            merged["best"].update(b["best"])
            merged.setdefault("worst_by_member", {})[name] = b["worst"]
        anchors.update(agg.get("anchors", {}))
    privacy: dict[str, Any] = {}
    for agg in per_member.values():
        privacy.update(agg.get("privacy", {}))
    pillars = (*PILLARS, "privacy") if privacy else PILLARS
    if privacy:
        scores[SELF_ROW]["privacy"] = 1.0
        labels[SELF_ROW]["privacy"] = _label(1.0, 1.0, options)
    ref = options.reference
    for name in names:
        labels[name] = {p: _label(1.0 if ref is None else scores[ref].get(p), scores[name].get(p), options)
                        for p in pillars}
    combined: Aggregates = {
        "members": [SELF_ROW, *names],
        "reference": ref or SELF_ROW,
        "diversity_bound": first["diversity_bound"] if first else options.diversity_bound,
        "thresholds": {"strong": options.strong, "poor": options.poor},
        "metrics": metrics,
        "excluded": excluded,
        "bounds": bounds,
        "normalised": normalised,
        "scores": scores,
        "labels": labels,
        "self_row": "reference",
        "scale": "anchored",
        "meaning": ANCHORED_MEANING,
        "anchors": anchors,
    }
    if privacy:
        combined["privacy"] = privacy
    combined["targets"] = targets
    apply_target_labels(combined, options)
    return combined


def shown_pillars(aggregates: Aggregates) -> tuple[str, ...]:
    """The pillars a report shows for ``aggregates``: validity, fidelity, diversity, and privacy when
    a privacy score was computed."""
    return REPORTED_PILLARS if aggregates.get("privacy") else PILLARS
