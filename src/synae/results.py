"""Typed, JSON-serialisable results (``docs/method.md`` §2.1): the bottom layer every other may import.

A :class:`MetricResult` is one metric's record; an :class:`EvaluationReport` is one evaluation of a
synthetic dataset against a real one; :class:`ComparisonResults` is several synthetic sets evaluated
against one real set (``synae compare``: one report per member under ``members``, in the order
given, the group aggregates, the optional swept parameter). Reports are written as standard JSON:
no ``NaN`` or ``Infinity`` token ever appears (non-finite values become ``null`` with a reason),
``-0.0`` is written as ``0.0``. HTML and plots render from this JSON alone.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, with_config
from typing_extensions import NotRequired, TypedDict

from synae.errors import DataError
from synae.files import atomic_write_text, check_input_file

Status = Literal["ok", "skipped", "failed"]
Direction = Literal["lower_is_better", "higher_is_better"]
Pillar = Literal["validity", "fidelity", "diversity", "privacy"]
Target = Literal["instructions", "tool_calls", "output", "downstream"]
Label = Literal["Strong", "Moderate", "Poor"]


def clean_json(value: Any) -> Any:
    """Recursively make a value standard-JSON safe: non-finite floats -> None, -0.0 -> 0.0,
    numpy scalars/arrays -> Python values, tuples/sets -> lists, Paths -> strings."""
    if isinstance(value, dict):
        return {str(k): clean_json(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [clean_json(v) for v in value]
    if isinstance(value, (set, frozenset)):
        return [clean_json(v) for v in sorted(value, key=str)]
    if isinstance(value, Path):
        return str(value)
    if hasattr(value, "tolist") and not isinstance(value, (str, bytes)):  # numpy
        return clean_json(value.tolist())
    if isinstance(value, bool) or value is None or isinstance(value, (int, str)):
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            return None
        return 0.0 if value == 0 else value
    return value


class MetricResult(BaseModel):
    """One computed metric (value is ``None`` whenever status is not ``ok``)."""

    model_config = ConfigDict(extra="forbid")
    id: str
    value: float | None
    status: Status = "ok"
    reason: str | None = None
    pillar: Pillar
    target: Target
    direction: Direction
    bounds: tuple[float, float | None]
    n_real: int | None = None
    n_synthetic: int | None = None
    details: dict[str, Any] = Field(default_factory=dict)
    warnings: list[str] = Field(default_factory=list)

    def to_json_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = clean_json(self.model_dump(mode="python"))
        if self.value is not None and not math.isfinite(self.value):
            data.update(value=None, status="failed", reason=f"non_finite: computed {self.value}")
        return data


class PillarLabel(TypedDict):
    """A member's label for one pillar (or one target of a pillar); ``label`` and ``delta`` are
    ``None`` when ``reason`` says why. ``capped_by`` names the target whose worse label the pillar's
    label was lowered to, and ``uncapped`` is the label the pillar score alone would give."""

    label: Label | None
    delta: float | None
    reason: str | None
    capped_by: NotRequired[str]
    uncapped: NotRequired[Label | None]


class TargetScore(TypedDict):
    """One target of one pillar for one member (``aggregates.targets``): its score (the mean of the
    pillar's per-metric values — validity rates, normalised u — over the target's metrics), the
    metrics it averages, its label, and how it was decided. ``forced`` (with ``reason``) is a label
    set by a rule rather than a score: a target the real set has and the synthetic set lost, or
    whole-trajectory copies of the real set. ``basis`` says what the score rests on (validity:
    ``structural`` when only structural checks — parses, schema — ran)."""

    score: float | None
    metrics: list[str]
    label: NotRequired[PillarLabel]
    forced: NotRequired[Label]
    reason: NotRequired[str]
    basis: NotRequired[str]


class ExcludedMetric(TypedDict):
    """A metric left out of its pillar score (``null_for_member`` or ``no_ideal_bound``)."""

    id: str
    pillar: str
    reason: str
    members: list[str]


class MetricBounds(TypedDict):
    """The normalisation of one metric in a group: the group's worst value and each member's best."""

    pillar: str
    direction: Direction
    worst: float
    best: dict[str, float | None]
    floor: NotRequired[str]  # anchored scale: "anchor" (collapse anchor) or "theoretical" (worst bound)
    worst_by_member: NotRequired[dict[str, float]]  # anchored comparisons: each member's floor


@with_config(ConfigDict(extra="allow"))
class Aggregates(TypedDict):
    """Pillar scores and labels of a comparison group (``synae.run.scoring.aggregate``,
    ``docs/method.md`` §5); the ``aggregates`` object of a results JSON."""

    members: list[str]
    reference: str | None
    diversity_bound: str
    thresholds: dict[str, float]
    metrics: dict[str, list[str]]  # pillar -> the metric IDs its score uses
    excluded: list[ExcludedMetric]
    bounds: dict[str, MetricBounds]
    normalised: dict[str, dict[str, float]]  # member -> metric ID -> u in [0, 1]
    scores: dict[str, dict[str, float | None]]  # member -> pillar -> score
    labels: dict[str, dict[str, PillarLabel]]  # member -> pillar -> label
    self_row: NotRequired[str]  # "ideal", "computed" or "reference" (anchored: the scale's 1)
    notes: NotRequired[list[str]]
    scale: NotRequired[str]  # "anchored" (docs/method.md §5.4) or "group" (§5.1)
    meaning: NotRequired[str]  # what an anchored score of 1 and of 0 mean
    anchors: NotRequired[dict[str, Any]]  # anchored: member -> collapse anchor (indices, copies, floor, ...)
    noise_floor_scores: NotRequired[dict[str, float | None]]  # anchored score of a real half split
    privacy: NotRequired[dict[str, Any]]  # member -> its privacy score, anchors and excluded metrics
    targets: NotRequired[dict[str, dict[str, dict[str, TargetScore]]]]  # member -> pillar -> target -> score
    # the synthetic members, best first (synae.run.scoring.aggregate.rank_members)
    ranking: NotRequired[list[str]]
    calibration: NotRequired[dict[str, dict[str, list[dict[str, Any]]]]]  # member -> pillar -> placements
    calibration_source: NotRequired[dict[str, Any]]  # the calibration placed on: its real set, page, problems


class DatasetSummary(BaseModel):
    name: str
    source: str | None = None
    format: str | None = None
    n: int
    fingerprint: str
    n_skipped: int = 0


class EmbedderInfo(BaseModel):
    model_config = ConfigDict(extra="allow")
    model: str
    dimension: int | None = None
    window: int | None = None
    stats: dict[str, Any] = Field(default_factory=dict)


METRIC_COLUMNS = ("member", "id", "pillar", "target", "value", "status", "reason", "n_real", "n_synthetic",
                  "real_value", "ci_lo", "ci_hi")
"""The columns of :meth:`EvaluationReport.to_pandas` / :meth:`ComparisonResults.to_pandas`."""


def metric_rows(member: str, metrics: dict[str, MetricResult]) -> list[dict[str, Any]]:
    """One row per metric of ``member`` (:data:`METRIC_COLUMNS`): the record's fields, the real
    set's own value (``details.real_value``, diversity and validity metrics) and the bootstrap
    interval (``details.ci``), ``None`` where absent or not a number."""
    rows = []
    for m in metrics.values():
        ci = m.details.get("ci")
        lo, hi = ci if isinstance(ci, (list, tuple)) and len(ci) == 2 else (None, None)
        real = m.details.get("real_value")
        real = real if isinstance(real, (int, float)) and not isinstance(real, bool) else None
        rows.append({"member": member, "id": m.id, "pillar": m.pillar, "target": m.target,
                     "value": m.value, "status": m.status, "reason": m.reason, "n_real": m.n_real,
                     "n_synthetic": m.n_synthetic,
                     "real_value": real,
                     "ci_lo": lo, "ci_hi": hi})
    return rows


def metrics_frame(rows: list[dict[str, Any]]) -> Any:
    """``rows`` (:func:`metric_rows`) as a pandas DataFrame with :data:`METRIC_COLUMNS` (pandas is
    imported here, not when results are loaded)."""
    import pandas as pd

    return pd.DataFrame(rows, columns=list(METRIC_COLUMNS))


def _omitted_notes(result: EvaluationReport | ComparisonResults) -> set[str]:
    """The run-level notes left out of the JSON: ``warnings`` when empty, ``skipped`` when ``None``
    (results written before they were declared fields carry neither key then)."""
    omitted = set() if result.warnings else {"warnings"}
    return omitted if result.skipped is not None else omitted | {"skipped"}


class EvaluationReport(BaseModel):
    """One evaluation: config, datasets, embedder, metrics keyed by ID, optional aggregates.

    ``warnings``: notes on the whole run (e.g. a synthetic set that still needs completion);
    ``skipped``: with ``inputs.skip_invalid``, the records dropped per dataset (``{name: {"n_skipped":
    n, "first": [reason, …]}}``, :func:`synae.run.commands.skipped_records`). Both are written only
    when set (non-empty / not ``None``).
    """

    model_config = ConfigDict(extra="allow")
    synae_version: str
    created_at: str | None = None
    config: dict[str, Any]
    datasets: dict[str, DatasetSummary]
    embedder: EmbedderInfo | None = None
    metrics: dict[str, MetricResult] = Field(default_factory=dict)
    aggregates: Aggregates | None = None
    timings: dict[str, float] = Field(default_factory=dict)
    # Plot and drill-down data of the HTML report (synae.run.scoring.report_data.build_report_data).
    report_data: dict[str, Any] | None = None
    # Bootstrap / noise-floor settings when computed (synae.run.scoring.uncertainty); values are per metric.
    uncertainty: dict[str, Any] | None = None
    warnings: list[str] = Field(default_factory=list)
    skipped: dict[str, dict[str, Any]] | None = None

    def to_json_dict(self) -> dict[str, Any]:
        exclude = {"metrics", *_omitted_notes(self)}
        data: dict[str, Any] = clean_json(self.model_dump(mode="python", exclude=exclude))
        data["metrics"] = {k: m.to_json_dict() for k, m in self.metrics.items()}
        return data

    def to_json(self, indent: int | None = 2) -> str:
        return json.dumps(self.to_json_dict(), indent=indent, allow_nan=False, ensure_ascii=False)

    def write(self, path: str | Path) -> None:
        """Write the JSON atomically (a temporary file renamed when complete)."""
        atomic_write_text(path, self.to_json() + "\n")

    @property
    def member(self) -> str:
        """The synthetic set's name (``datasets["synthetic"]``; ``synthetic`` when absent)."""
        synthetic = self.datasets.get("synthetic")
        return synthetic.name if synthetic is not None else "synthetic"

    def to_pandas(self) -> Any:
        """The metrics as a tidy pandas DataFrame: one row per metric, columns
        :data:`METRIC_COLUMNS` (``member`` is the synthetic set's name)."""
        return metrics_frame(metric_rows(self.member, self.metrics))

    @classmethod
    def read(cls, path: str | Path) -> EvaluationReport:
        return cls.model_validate_json(Path(path).read_text(encoding="utf-8"))


class ComparisonResults(BaseModel):
    """One comparison group: ``members`` maps a label to that set's evaluation; ``warnings`` and
    ``skipped`` as in :class:`EvaluationReport` (over every dataset of the group)."""

    model_config = ConfigDict(extra="allow")
    kind: Literal["comparison"] = "comparison"
    synae_version: str
    created_at: str | None = None
    config: dict[str, Any]
    members: dict[str, EvaluationReport]
    param_name: str | None = None
    param_values: list[float] | None = None
    aggregates: Aggregates | None = None
    report_data: dict[str, Any] | None = None
    timings: dict[str, float] = Field(default_factory=dict)
    warnings: list[str] = Field(default_factory=list)
    skipped: dict[str, dict[str, Any]] | None = None

    def to_json_dict(self) -> dict[str, Any]:
        exclude = {"members", *_omitted_notes(self)}
        data: dict[str, Any] = clean_json(self.model_dump(mode="python", exclude=exclude))
        data["members"] = {k: m.to_json_dict() for k, m in self.members.items()}
        return data

    def to_pandas(self) -> Any:
        """The metrics of every member as one tidy pandas DataFrame: one row per member × metric,
        members in the order given, columns :data:`METRIC_COLUMNS`."""
        return metrics_frame([row for label, report in self.members.items()
                              for row in metric_rows(label, report.metrics)])

    def to_json(self, indent: int | None = 2) -> str:
        return json.dumps(self.to_json_dict(), indent=indent, allow_nan=False, ensure_ascii=False)

    def write(self, path: str | Path) -> None:
        """Write the JSON atomically (a temporary file renamed when complete)."""
        atomic_write_text(path, self.to_json() + "\n")


def load_any(path: str | Path) -> EvaluationReport | ComparisonResults:
    """Read a results JSON written by ``synae evaluate`` or ``synae compare``."""
    path = check_input_file(path, "results file")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if isinstance(data, dict) and data.get("kind") == "comparison":
            return ComparisonResults.model_validate(data)
        return EvaluationReport.model_validate(data)
    except (OSError, ValueError) as exc:
        raise DataError(f"not a readable synae results file: {str(exc).splitlines()[0]}",
                        source=str(path)) from exc
