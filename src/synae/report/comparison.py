"""Results of ``synae compare``: several synthetic sets evaluated against one real set.

The JSON (``DIR/results.json``) holds one :class:`EvaluationReport` per synthetic set under
``members`` (in the order given), the group aggregates (``metrics.md`` §5, self row included), the
optional swept parameter, and ``report_data`` shared by all members (the real side of plots).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from synae.errors import DataError
from synae.report.models import EvaluationReport, clean_json


class ComparisonResults(BaseModel):
    """One comparison group: ``members`` maps a label to that set's evaluation."""

    model_config = ConfigDict(extra="allow")
    kind: Literal["comparison"] = "comparison"
    synae_version: str
    created_at: str | None = None
    config: dict[str, Any]
    members: dict[str, EvaluationReport]
    param_name: str | None = None
    param_values: list[float] | None = None
    aggregates: dict[str, Any] | None = None
    report_data: dict[str, Any] | None = None
    timings: dict[str, float] = Field(default_factory=dict)

    def to_json_dict(self) -> dict[str, Any]:
        data = clean_json(self.model_dump(mode="python", exclude={"members"}))
        data["members"] = {k: m.to_json_dict() for k, m in self.members.items()}
        return data

    def write(self, path: str | Path) -> None:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        text = json.dumps(self.to_json_dict(), indent=2, allow_nan=False, ensure_ascii=False)
        path.write_text(text + "\n", encoding="utf-8")


def load_any(path: str | Path) -> EvaluationReport | ComparisonResults:
    """Read a results JSON written by ``synae evaluate`` or ``synae compare``."""
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if isinstance(data, dict) and data.get("kind") == "comparison":
            return ComparisonResults.model_validate(data)
        return EvaluationReport.model_validate(data)
    except (OSError, ValueError) as exc:
        raise DataError(f"not a readable synae results file: {str(exc).splitlines()[0]}",
                        source=str(path)) from exc
