"""Plain language for reports: a metric ID's meaning (from the metric registry) and why a pillar
score is missing."""

from __future__ import annotations

from synae.metrics import registry
from synae.results import Aggregates

REASON_TEXT = {
    "single_set_group": ("group scale: needs at least two synthetic sets (synae compare) or the "
                         "anchored scale"),
    "reference_unavailable": "the reference member has no score",
    "reference_score_zero": "the reference member scores 0",
}


def meaning(metric_id: str) -> str:
    """One sentence saying what the metric measures ("" for an ID the registry does not know)."""
    try:
        return registry.meaning(metric_id)
    except KeyError:
        return ""


def missing_reason(aggregates: Aggregates, name: str, pillar: str) -> str:
    """Why a member has no score or label for a pillar, in words."""
    label = aggregates["labels"].get(name, {}).get(pillar)
    reason = label["reason"] if label else None
    if reason in REASON_TEXT:
        return REASON_TEXT[reason]
    if pillar == "validity":
        return "no validity checker ran (validity.checker = none, or --metrics left it out)"
    excluded = [e for e in aggregates["excluded"] if e["pillar"] == pillar and name in e["members"]]
    if excluded:
        parts = "; ".join(f"{e['id']}: {e['reason']}" for e in excluded[:4])
        return f"no metric of this pillar could be scored ({parts})"
    return "no metric of this pillar was computed (see --metrics)"
