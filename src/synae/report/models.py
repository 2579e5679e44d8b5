"""Typed, JSON-serialisable results (``metrics.md`` §0.2).

A :class:`MetricResult` is one metric's record; an :class:`EvaluationReport` is one evaluation of a
synthetic dataset against a real one. Reports are written as standard JSON: no ``NaN`` or
``Infinity`` token ever appears (non-finite values become ``null`` with a reason), ``-0.0`` is
written as ``0.0``. HTML and plots render from this JSON alone.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

Status = Literal["ok", "skipped", "failed"]
Direction = Literal["lower_is_better", "higher_is_better"]
Pillar = Literal["validity", "fidelity", "diversity"]
Target = Literal["instructions", "tool_calls", "output", "downstream"]


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
        data = clean_json(self.model_dump(mode="python"))
        if self.value is not None and not math.isfinite(self.value):
            data.update(value=None, status="failed", reason=f"non_finite: computed {self.value}")
        return data


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


class EvaluationReport(BaseModel):
    """One evaluation: config, datasets, embedder, metrics keyed by ID, optional aggregates."""

    model_config = ConfigDict(extra="allow")
    synae_version: str
    created_at: str | None = None
    config: dict[str, Any]
    datasets: dict[str, DatasetSummary]
    embedder: EmbedderInfo | None = None
    metrics: dict[str, MetricResult] = Field(default_factory=dict)
    aggregates: dict[str, Any] | None = None
    timings: dict[str, float] = Field(default_factory=dict)
    # Plot and drill-down data of the HTML report (synae.report.data.build_report_data).
    report_data: dict[str, Any] | None = None
    # Bootstrap / noise-floor settings when computed (synae.report.uncertainty); values are per metric.
    uncertainty: dict[str, Any] | None = None

    def to_json_dict(self) -> dict[str, Any]:
        data = clean_json(self.model_dump(mode="python", exclude={"metrics"}))
        data["metrics"] = {k: m.to_json_dict() for k, m in self.metrics.items()}
        return data

    def to_json(self, indent: int | None = 2) -> str:
        return json.dumps(self.to_json_dict(), indent=indent, allow_nan=False, ensure_ascii=False)

    def write(self, path: str | Path) -> None:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(self.to_json() + "\n", encoding="utf-8")

    @classmethod
    def read(cls, path: str | Path) -> EvaluationReport:
        return cls.model_validate_json(Path(path).read_text(encoding="utf-8"))
