"""The executable metric registry: every metric's stable ID, metadata and computation (``docs/method.md``).

A metric is one decorated function::

    @metric("fidelity.tool_calls.planning.k<k>", direction=LOWER, bounds=(0.0, 1.0), unit="windows",
            needs=("calls",), applies=has_tool_calls, instances=lambda c: [str(k) for k in ...],
            meaning="How differently the next tool is chosen ...")
    def planning(m: MetricInputs) -> MetricValue: ...

- The ID gives the pillar and target (``<pillar>.<target>.<name>``); a ``<placeholder>`` makes it a
  *template* whose concrete IDs come from ``instances(context)`` (``m.qualifier`` is the value).
- ``needs``: the features the metric reads (:data:`Feature`); the evaluator embeds only what the
  selected metrics need, and ``details.embedding`` is attached for the embedded one; PII is looked
  for, and per-token hashes kept, only in the views of the selected metrics that need ``pii`` /
  ``tokens``.
- ``applies(context)``: whether the metric applies to an evaluation (e.g. the preset has tool calls).
- ``replicas(context) = r``: how the metric treats a synthetic set of n identical rows (the collapse
  anchor): its value on n ≥ r copies of one row equals its value on r copies whose features carry
  ``weight = n / r`` (:attr:`DatasetFeatures.weight`; a metric whose value does not depend on n
  ignores the weight). Unset: the anchor materialises all n copies.
- Metrics produced by another stage (validity rates, downstream TDD/RD) are :func:`declare`\\ d with
  their metadata and ``produced_by``; qualified IDs (``validity.tool_calls.rate.rules``) inherit their
  parent's metadata.

Report order (:func:`ordered`, which :func:`plan` follows) is by pillar, then registration order.
The built-in metrics are registered by :mod:`synae.metrics.computations` (imported by the package).
Other modules (validity, downstream, report) build their records with :func:`make_result`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, get_args

from synae.config import MetricOptions
from synae.metrics.base import MetricValue
from synae.metrics.features import DatasetFeatures
from synae.results import Direction, MetricResult, Pillar, Target

Feature = Literal["transcripts", "outputs", "pairs", "calls", "attributes", "ad_labels", "privacy", "pii",
                  "tokens"]
EMBEDDED: tuple[Feature, ...] = ("transcripts", "outputs", "pairs")  # features that are embeddings
Producer = Literal["evaluator", "validity", "downstream"]
LOWER: Direction = "lower_is_better"
HIGHER: Direction = "higher_is_better"
PILLAR_ORDER: tuple[Pillar, ...] = get_args(Pillar)


@dataclass(frozen=True)
class MetricContext:
    """What the preset and the config decide for one evaluation, as plain data.

    ``synae.run`` builds it from the preset's hooks (the metric layer never imports presets):
    ``am_attributes`` are the preset's AM attributes for the real set, ``keyword_vocabulary_sizes``
    the number of terms of each keyword attribute (AD's K counts them + 1 for ``"Other"``).
    """

    options: MetricOptions = field(default_factory=MetricOptions)
    seed: int = 0
    has_tool_calls: bool = True
    has_outputs: bool = True
    knd_pairs: tuple[str, ...] = ()
    am_attributes: tuple[str, ...] = ()
    output_am_attributes: tuple[str, ...] = ()
    tool_vocabulary: frozenset[str] | None = None
    ad_attributes: tuple[str, ...] = ()
    keyword_vocabulary_sizes: Mapping[str, int] = field(default_factory=dict)


@dataclass
class MetricInputs:
    """One metric call: the concrete ID, its spec, both feature sets, the context, and ``shared`` — a
    scratch dict common to the metrics of one evaluation (k-NN precision and recall share one pass)."""

    metric_id: str
    spec: MetricSpec
    real: DatasetFeatures
    synthetic: DatasetFeatures
    context: MetricContext
    shared: dict[str, Any]

    @property
    def qualifier(self) -> str | None:
        """The value of the template's placeholder (``"k3"`` → ``"3"``); ``None`` for plain IDs."""
        return self.spec.qualifier(self.metric_id)

    @property
    def attribute(self) -> str | None:
        """The attribute an attribute-match metric reads."""
        return self.spec.attribute_of(self.metric_id)


Compute = Callable[[MetricInputs], "MetricValue | MetricResult"]
Applies = Callable[[MetricContext], bool]
Instances = Callable[[MetricContext], Sequence[str]]
Replicas = Callable[[MetricContext], int]


def one_row(context: MetricContext) -> int:
    """``replicas`` of a metric whose value on n identical synthetic rows is its value on one row."""
    return 1


def always(context: MetricContext) -> bool:
    """Applies to every evaluation."""
    return True


def has_tool_calls(context: MetricContext) -> bool:
    """Applies when the preset's trajectories have tool calls."""
    return context.has_tool_calls


def has_outputs(context: MetricContext) -> bool:
    """Applies when the preset's trajectories have final outputs."""
    return context.has_outputs


@dataclass(frozen=True)
class MetricSpec:
    """Metadata of one metric (or one template of metrics) and, for the evaluator's, its computation."""

    id: str  # concrete ID or template with one ``<placeholder>``
    pillar: Pillar
    target: Target
    direction: Direction
    bounds: tuple[float, float | None]
    unit: str
    meaning: str  # one plain-language sentence for reports
    needs: frozenset[Feature] = frozenset()
    compute: Compute | None = None
    produced_by: Producer = "evaluator"
    applies: Applies = always
    instances: Instances | None = None  # placeholder values (templates only)
    attribute: str | None = None  # the attribute read when ``needs`` has "attributes" (else the qualifier)
    replicas: Replicas | None = None  # rows of a set of identical rows that give its value (module doc)

    @property
    def is_template(self) -> bool:
        return "<" in self.id

    @property
    def embedding(self) -> Feature | None:
        """The embedded feature the metric reads (at most one), else ``None``."""
        return next((f for f in EMBEDDED if f in self.needs), None)

    def matches(self, metric_id: str) -> bool:
        return _template_regex(self.id).fullmatch(metric_id) is not None

    def qualifier(self, metric_id: str) -> str | None:
        if not self.is_template:
            return None
        match = _template_regex(self.id).fullmatch(metric_id)
        return None if match is None else match.group(1)

    def attribute_of(self, metric_id: str) -> str | None:
        if "attributes" not in self.needs:
            return None
        return self.attribute or self.qualifier(metric_id)

    def ids(self, context: MetricContext) -> list[str]:
        """The concrete IDs of this spec for an evaluation (none when it does not apply)."""
        if self.produced_by != "evaluator" or not self.applies(context):
            return []
        if not self.is_template:
            return [self.id]
        values = self.instances(context) if self.instances is not None else ()
        head, _, rest = self.id.partition("<")
        tail = rest.partition(">")[2]
        return [f"{head}{v}{tail}" for v in values]


def _template_regex(template: str) -> re.Pattern[str]:
    parts = re.split(r"<[^>]+>", template)
    return re.compile(r"(\S+)".join(re.escape(p) for p in parts))


REGISTRY: dict[str, MetricSpec] = {}  # insertion order = report order


def register(s: MetricSpec) -> MetricSpec:
    """Add a spec (ID unique; pillar and target must match the ID's first two parts)."""
    if s.id in REGISTRY:
        raise ValueError(f"metric {s.id!r} is already registered")
    if not s.id.startswith(f"{s.pillar}.{s.target}."):
        raise ValueError(f"metric {s.id!r}: the ID must start with '{s.pillar}.{s.target}.'")
    if s.produced_by == "evaluator" and s.compute is None:
        raise ValueError(f"metric {s.id!r}: an evaluator metric needs a computation")
    REGISTRY[s.id] = s
    return s


def unregister(metric_id: str) -> None:
    """Remove a registered spec (tests and plug-ins that register temporarily)."""
    del REGISTRY[metric_id]


def _split(metric_id: str) -> tuple[Pillar, Target]:
    parts = metric_id.split(".")
    pillar, target = [*parts, "", ""][:2]
    if pillar not in get_args(Pillar) or target not in get_args(Target) or len(parts) < 3:
        raise ValueError(f"metric ID {metric_id!r} must be <pillar>.<target>.<name> with pillar in "
                         f"{get_args(Pillar)} and target in {get_args(Target)}")
    return pillar, target  # type: ignore[return-value]


def metric(metric_id: str, *, direction: Direction, bounds: tuple[float, float | None], unit: str,
           meaning: str, needs: tuple[Feature, ...] = (), applies: Applies = always,
           instances: Instances | None = None, attribute: str | None = None,
           replicas: Replicas | None = None) -> Callable[[Compute], Compute]:
    """Decorator: register ``fn(inputs) -> MetricValue | MetricResult`` as the computation of
    ``metric_id`` (see the module docstring). The function is returned unchanged, so one function may
    carry several decorators (e.g. the same computation for two targets)."""
    pillar, target = _split(metric_id)

    def decorate(fn: Compute) -> Compute:
        register(MetricSpec(metric_id, pillar, target, direction, bounds, unit, meaning,
                            needs=frozenset(needs), compute=fn, applies=applies, instances=instances,
                            attribute=attribute, replicas=replicas))
        return fn

    return decorate


def declare(metric_id: str, *, direction: Direction, bounds: tuple[float, float | None], unit: str,
            meaning: str, produced_by: Producer) -> MetricSpec:
    """Register the metadata of a metric that another stage produces (validity, downstream)."""
    pillar, target = _split(metric_id)
    return register(MetricSpec(metric_id, pillar, target, direction, bounds, unit, meaning,
                               produced_by=produced_by))


def spec(metric_id: str) -> MetricSpec:
    """The metadata of a concrete metric ID (template IDs resolved). Unknown ID → ``KeyError``."""
    if metric_id in REGISTRY:
        return REGISTRY[metric_id]
    # Qualified IDs such as validity.tool_calls.rate.rules inherit their parent's metadata.
    parent = metric_id.rsplit(".", 1)[0]
    for s in REGISTRY.values():
        if s.matches(metric_id) or (s.id == parent and not s.is_template):
            return s
    raise KeyError(f"unknown metric id {metric_id!r}")


def replicas(metric_id: str, context: MetricContext) -> int | None:
    """The rows of a set of identical synthetic rows that give ``metric_id``'s value (see the module
    docstring); ``None`` when the metric does not say (all rows needed)."""
    s = spec(metric_id)
    return None if s.replicas is None else s.replicas(context)


def plan(context: MetricContext) -> list[str]:
    """Every metric ID the evaluator computes for ``context``, in report order (:func:`ordered`)."""
    return ordered(i for s in REGISTRY.values() for i in s.ids(context))


def ordered(metric_ids: Iterable[str]) -> list[str]:
    """``metric_ids`` in report order: by pillar (validity, fidelity, diversity), then registration
    order, then the given order (template instances, unknown IDs last within their pillar)."""
    positions = {s.id: i for i, s in enumerate(REGISTRY.values())}

    def key(item: tuple[int, str]) -> tuple[int, int, int]:
        index, mid = item
        try:
            s = spec(mid)
        except KeyError:
            pillar = mid.split(".")[0]
            rank = PILLAR_ORDER.index(pillar) if pillar in PILLAR_ORDER else len(PILLAR_ORDER)
            return rank, len(positions), index
        return PILLAR_ORDER.index(s.pillar), positions[s.id], index

    return [mid for _, mid in sorted(enumerate(dict.fromkeys(metric_ids)), key=key)]


def compute_metric(metric_id: str, real: DatasetFeatures, synthetic: DatasetFeatures, context: MetricContext,
                   shared: dict[str, Any]) -> MetricResult:
    """Run the registered computation of ``metric_id``; a returned :class:`MetricValue` becomes a record
    with the registry metadata and, for an embedding metric, ``details.embedding`` (the embedding
    statistics of both sides, merged)."""
    s = spec(metric_id)
    if s.compute is None:
        raise KeyError(f"{metric_id!r} is produced by {s.produced_by}, not computed from features")
    out = s.compute(MetricInputs(metric_id, s, real, synthetic, context, shared))
    if isinstance(out, MetricResult):
        return out
    source = s.embedding
    stats = [f.embedding[source] for f in (real, synthetic) if source is not None and source in f.embedding]
    if stats:
        merged = stats[0] if len(stats) == 1 else stats[0].merge(stats[1])
        out.details["embedding"] = merged.to_dict()
    return make_result(metric_id, out)


_ATTRIBUTE_CATEGORICAL_BOUNDS = (0.0, 1.0)


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
