"""Every metric's stable ID and metadata (``metrics.md`` §3), and builders of report records.

IDs with a qualifier are registered as templates: ``fidelity.instructions.knd.<pair>``,
``fidelity.instructions.am.<attribute>``, ``fidelity.tool_calls.planning.k<k>``,
``fidelity.downstream.tdd.<t>``, ``fidelity.downstream.rd.<t>``. :func:`spec` resolves a concrete ID.
Other modules (validity, downstream, report) build their records with :func:`make_result`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Literal

from synae.metrics.base import MetricValue
from synae.report.models import Direction, MetricResult, Pillar, Target

EmbeddingNeed = Literal["transcripts", "outputs", "pairs"]
LOWER: Direction = "lower_is_better"
HIGHER: Direction = "higher_is_better"


@dataclass(frozen=True)
class MetricSpec:
    """Metadata of one metric (or one template of metrics)."""

    id: str  # concrete ID or template with one ``<placeholder>``
    pillar: Pillar
    target: Target
    direction: Direction
    bounds: tuple[float, float | None]
    unit: str
    meaning: str  # one plain-language sentence for reports
    embeds: EmbeddingNeed | None = None  # which texts must be embedded to compute it

    def matches(self, metric_id: str) -> bool:
        return _template_regex(self.id).fullmatch(metric_id) is not None


def _template_regex(template: str) -> re.Pattern[str]:
    parts = re.split(r"<[^>]+>", template)
    return re.compile(r"\S+".join(re.escape(p) for p in parts))


_SPECS: tuple[MetricSpec, ...] = (
    MetricSpec("validity.tool_calls.rate", "validity", "tool_calls", HIGHER, (0.0, 1.0), "trajectories",
               "Share of synthetic trajectories whose tool calls accomplish their own instructions."),
    MetricSpec("validity.output.rate", "validity", "output", HIGHER, (0.0, 1.0), "trajectories",
               "Share of synthetic trajectories whose final output correctly answers their instructions."),
    MetricSpec("fidelity.instructions.knd.<pair>", "fidelity", "instructions", LOWER, (0.0, 2.0), "pairs",
               "How differently consecutive turns relate to each other (embedding similarity of turn pairs) "
               "in the synthetic set compared with the real set.", "pairs"),
    MetricSpec("fidelity.instructions.am.<attribute>", "fidelity", "instructions", LOWER, (0.0, None),
               "items",
               "How differently a simple property of the instructions (length, turns, topic labels) is "
               "distributed in the synthetic set compared with the real set."),
    MetricSpec("fidelity.instructions.knn_precision", "fidelity", "instructions", HIGHER, (0.0, 1.0),
               "trajectories", "Share of synthetic conversations that look like some real conversation "
               "(they fall on the real data's manifold).", "transcripts"),
    MetricSpec("fidelity.instructions.knn_recall", "fidelity", "instructions", HIGHER, (0.0, 1.0),
               "trajectories", "Share of real conversations that the synthetic set covers.", "transcripts"),
    MetricSpec("fidelity.instructions.fid", "fidelity", "instructions", LOWER, (0.0, None), "trajectories",
               "Distance between the embedding distributions (mean and spread) of real and synthetic "
               "conversations.", "transcripts"),
    MetricSpec("fidelity.tool_calls.tum", "fidelity", "tool_calls", LOWER, (0.0, 1.0), "calls",
               "How differently often each tool is called in the synthetic set compared with the real set."),
    MetricSpec("fidelity.tool_calls.tcnm", "fidelity", "tool_calls", LOWER, (0.0, None), "trajectories",
               "How different the number of tool calls per trajectory is between the two sets."),
    MetricSpec("fidelity.tool_calls.planning.k<k>", "fidelity", "tool_calls", LOWER, (0.0, 1.0), "windows",
               "How differently the next tool is chosen after the previous k−1 tools in the synthetic set "
               "compared with the real set."),
    MetricSpec("fidelity.output.knn_precision", "fidelity", "output", HIGHER, (0.0, 1.0), "outputs",
               "Share of synthetic final outputs that look like some real output.", "outputs"),
    MetricSpec("fidelity.output.knn_recall", "fidelity", "output", HIGHER, (0.0, 1.0), "outputs",
               "Share of real final outputs that the synthetic outputs cover.", "outputs"),
    MetricSpec("fidelity.output.fid", "fidelity", "output", LOWER, (0.0, None), "outputs",
               "Distance between the embedding distributions of real and synthetic final outputs.",
               "outputs"),
    MetricSpec("fidelity.output.am.token_length", "fidelity", "output", LOWER, (0.0, None), "outputs",
               "How different the length (in words) of the final outputs is between the two sets."),
    MetricSpec("fidelity.downstream.tdd.<t>", "fidelity", "downstream", LOWER, (0.0, 1.0), "agents",
               "How much the agents' success rates differ between the synthetic and the real tasks "
               "(task difficulty discrepancy)."),
    MetricSpec("fidelity.downstream.rd.<t>", "fidelity", "downstream", HIGHER, (-1.0, 1.0), "agents",
               "Whether the synthetic tasks rank the agents in the same order as the real tasks "
               "(Spearman correlation; 1 = same ranking)."),
    MetricSpec("diversity.instructions.vendi", "diversity", "instructions", HIGHER, (1.0, None),
               "trajectories", "Effective number of distinct conversations in the synthetic set "
               "(Vendi score).", "transcripts"),
    MetricSpec("diversity.instructions.ad", "diversity", "instructions", HIGHER, (0.0, None), "trajectories",
               "How evenly the synthetic conversations spread over attribute combinations (entropy)."),
    MetricSpec("diversity.tool_calls.vendi", "diversity", "tool_calls", HIGHER, (1.0, None), "trajectories",
               "Effective number of distinct tool-call sequences in the synthetic set (Vendi score)."),
    MetricSpec("diversity.output.vendi", "diversity", "output", HIGHER, (1.0, None), "outputs",
               "Effective number of distinct final outputs in the synthetic set (Vendi score).", "outputs"),
)

REGISTRY: dict[str, MetricSpec] = {s.id: s for s in _SPECS}
_ATTRIBUTE_CATEGORICAL_BOUNDS = (0.0, 1.0)


def spec(metric_id: str) -> MetricSpec:
    """The metadata of a concrete metric ID (template IDs resolved). Unknown ID → ``KeyError``."""
    if metric_id in REGISTRY:
        return REGISTRY[metric_id]
    # Qualified IDs such as validity.tool_calls.rate.rules inherit their parent's metadata.
    parent = metric_id.rsplit(".", 1)[0]
    for s in _SPECS:
        if s.matches(metric_id) or (s.id == parent and "<" not in s.id):
            return s
    raise KeyError(f"unknown metric id {metric_id!r}")


def make_result(metric_id: str, value: MetricValue | float | None, *, status: str | None = None,
                reason: str | None = None, categorical: bool = False, **extra: Any) -> MetricResult:
    """A :class:`MetricResult` for ``metric_id`` with the registry's pillar/target/direction/bounds.

    ``value`` may be a :class:`MetricValue` (its reason, counts, details and warnings are used), a
    float, or ``None``. A ``None`` value without explicit status is ``skipped``. ``categorical``
    marks attribute-match metrics on labels (bounds [0, 1] instead of [0, ∞)).
    """
    s = spec(metric_id)
    fields: dict[str, Any] = {}
    if isinstance(value, MetricValue):
        fields = {"n_real": value.n_real, "n_synthetic": value.n_synthetic,
                  "details": dict(value.details), "warnings": list(value.warnings)}
        reason = reason or value.reason
        value = value.value
    fields.update(extra)
    bounds = _ATTRIBUTE_CATEGORICAL_BOUNDS if categorical else s.bounds
    if status is None:
        status = "ok" if value is not None else "skipped"
    fields.setdefault("details", {}).setdefault("unit", s.unit)
    return MetricResult(id=metric_id, value=None if status != "ok" else value, status=status, reason=reason,
                        pillar=s.pillar, target=s.target, direction=s.direction, bounds=bounds, **fields)


def skipped(metric_id: str, reason: str, **extra: Any) -> MetricResult:
    """A ``skipped`` record (not applicable or undefined) with a reason."""
    return make_result(metric_id, None, status="skipped", reason=reason, **extra)


def failed(metric_id: str, reason: str, **extra: Any) -> MetricResult:
    """A ``failed`` record (an error while computing) with the reason."""
    return make_result(metric_id, None, status="failed", reason=reason, **extra)


def meaning(metric_id: str) -> str:
    """The one-sentence plain-language meaning of a metric."""
    return spec(metric_id).meaning
