"""CI gates: check a results JSON against thresholds (``synae gate``).

Thresholds file (YAML or TOML): a mapping from a *key* to bounds, optionally nested under a
top-level ``thresholds`` key. A key is

- a metric ID (``fidelity.tool_calls.tum``) — its ``value`` is checked;
- a pillar name (``validity``, ``fidelity``, ``diversity``) — the pillar score from ``aggregates``.

Bounds: ``min`` (value ≥ min) and/or ``max`` (value ≤ max); for a pillar also ``min_label``
(``Moderate`` accepts Moderate and Strong, ``Strong`` only Strong). The key ``judge`` takes one
bound, ``min_kappa``: the LLM judge's Cohen's κ on its calibration (``synae judge calibrate``) as
recorded with the judge validity metrics (``details.judge_calibration.kappa``; the lowest over the
judged targets) must be ≥ it; results whose judge metrics record no calibration are missing.
Example (YAML)::

    fidelity.tool_calls.tum: {max: 0.1}
    fidelity.instructions.knn_precision: {min: 0.5}
    validity: {min: 0.9}
    fidelity: {min_label: Moderate}
    judge: {min_kappa: 0.4}

Pillar keys read the results' ``aggregates``: for one synthetic set these are the anchored scores
and labels (``docs/method.md`` §5.4, the default profile), so ``fidelity: {min: 0.6}`` or
``diversity: {min_label: Moderate}`` gate a single ``synae evaluate``.

Outcome per check: ``pass``, ``fail`` or ``missing`` (metric absent, null, or aggregates not
computed) — a missing check carries the reason (the metric's, or why the pillar is not scored).
Exit codes: 0 all pass; 1 at least one failure; 3 no failure but at least one missing key;
2 bad input (unreadable results or thresholds, unknown bound name).
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from synae.errors import ConfigError, DataError
from synae.files import check_input_file
from synae.report.meanings import missing_reason
from synae.run.scoring.aggregate import REPORTED_PILLARS, SELF_ROW

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

EXIT_PASS, EXIT_FAIL, EXIT_MISSING = 0, 1, 3
LABEL_RANK = {"Poor": 0, "Moderate": 1, "Strong": 2}
BOUND_KEYS = frozenset({"min", "max", "min_label", "min_kappa"})
JUDGE_KEY = "judge"


@dataclass
class Check:
    """The outcome of one threshold for one member."""

    member: str
    key: str
    bound: str  # e.g. "≤ 0.1"
    value: float | str | None
    outcome: str  # pass | fail | missing
    reason: str | None = None  # why the value is missing

    def to_dict(self) -> dict[str, Any]:
        return {"member": self.member, "key": self.key, "bound": self.bound, "value": self.value,
                "outcome": self.outcome, "reason": self.reason}


def load_thresholds(path: str | Path) -> dict[str, dict[str, Any]]:
    """Read and validate a thresholds file (``.toml`` is TOML, anything else YAML)."""
    path = check_input_file(path, "thresholds file")
    try:
        text = path.read_text(encoding="utf-8")
        data = tomllib.loads(text) if path.suffix == ".toml" else yaml.safe_load(text)
    except (OSError, yaml.YAMLError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read thresholds: {exc}") from exc
    if isinstance(data, dict) and isinstance(data.get("thresholds"), dict):
        data = data["thresholds"]
    if not isinstance(data, dict) or not data:
        raise ConfigError(f"{path}: expected a mapping of metric ID or pillar -> {{min/max}}")
    out: dict[str, dict[str, Any]] = {}
    for key, bounds in data.items():
        if not isinstance(bounds, dict) or not bounds or set(bounds) - BOUND_KEYS:
            raise ConfigError(f"{path}: {key}: bounds must be a mapping with keys among min, max, min_label")
        if "min_label" in bounds and (key not in REPORTED_PILLARS or bounds["min_label"] not in LABEL_RANK):
            raise ConfigError(f"{path}: {key}: min_label applies to pillars and is Poor, Moderate or Strong")
        if (key == JUDGE_KEY) != ("min_kappa" in bounds) or (key == JUDGE_KEY and len(bounds) > 1):
            raise ConfigError(f"{path}: {key}: min_kappa is the one bound of the key {JUDGE_KEY!r}")
        for name in ("min", "max", "min_kappa"):
            if name in bounds and not isinstance(bounds[name], (int, float)):
                raise ConfigError(f"{path}: {key}: {name} must be a number")
        out[str(key)] = bounds
    return out


def load_results(path: str | Path) -> dict[str, Any]:
    """Read a results JSON (one evaluation or a comparison)."""
    path = check_input_file(path, "results file")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise DataError(f"cannot read results: {exc}", source=str(path)) from exc
    if not isinstance(data, dict) or ("metrics" not in data and "members" not in data):
        raise DataError("not a synae results file (no 'metrics' or 'members')", source=str(path))
    return data


def evaluations(results: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """member name -> one evaluation dict (a comparison's members, or the single evaluation)."""
    if results.get("kind") == "comparison":
        return dict(results["members"])
    return {member_name(results): results}


def member_name(report: dict[str, Any]) -> str:
    """The synthetic member's name in a single evaluation's aggregates."""
    aggregates = report.get("aggregates") or {}
    others = [m for m in aggregates.get("members", []) if m != SELF_ROW]
    return others[0] if others else "synthetic"


def _pillar_info(aggregates: dict[str, Any] | None, member: str, pillar: str) -> tuple[Any, Any]:
    if not aggregates:
        return None, None
    score = (aggregates.get("scores") or {}).get(member, {}).get(pillar)
    label = (aggregates.get("labels") or {}).get(member, {}).get(pillar, {}).get("label")
    return score, label


def _pillar_reason(aggregates: dict[str, Any] | None, member: str, pillar: str) -> str:
    if not aggregates:
        return "no aggregates in the results"
    return missing_reason(aggregates, member, pillar)  # type: ignore[arg-type]


def check(results: dict[str, Any], thresholds: dict[str, dict[str, Any]],
          members: list[str] | None = None) -> list[Check]:
    """Evaluate every threshold for every selected member."""
    reports = evaluations(results)
    names = members or list(reports)
    unknown = [n for n in names if n not in reports]
    if unknown:
        raise ConfigError(f"unknown member(s) {unknown}; results contain {list(reports)}")
    checks: list[Check] = []
    for name in names:
        report = reports[name]
        for key, bounds in thresholds.items():
            if key == JUDGE_KEY:
                value, reason = judge_kappa(report)
                label = None
            elif key in REPORTED_PILLARS:
                source = results if results.get("kind") == "comparison" else report
                value, label = _pillar_info(source.get("aggregates"), name, key)
                reason = _pillar_reason(source.get("aggregates"), name, key)
            else:
                record = (report.get("metrics") or {}).get(key)
                value = (record or {}).get("value")
                label = None
                reason = ("not in the results" if record is None
                          else record.get("reason") or record.get("status"))
            for bound, limit in bounds.items():
                one = _one(name, key, bound, limit, value, label)
                if one.outcome == "missing":
                    one.reason = reason
                checks.append(one)
    return checks


def judge_kappa(report: dict[str, Any]) -> tuple[float | None, str]:
    """The lowest judge κ recorded with the report's judge validity metrics, and why it is missing."""
    judged = [m for m in (report.get("metrics") or {}).values()
              if (m.get("details") or {}).get("checker") == "judge"]
    if not judged:
        return None, "no validity metric judged by an LLM judge"
    kappas = [c.get("kappa") for m in judged if isinstance(c := m["details"].get("judge_calibration"), dict)]
    if not kappas:
        return None, "no judge calibration recorded (synae judge calibrate, then --judge-calibration)"
    defined = [float(k) for k in kappas if isinstance(k, (int, float))]
    if len(defined) < len(kappas):
        return None, "the judge's kappa is undefined on its calibration"
    return min(defined), ""


def _one(member: str, key: str, bound: str, limit: Any, value: Any, label: Any) -> Check:
    if bound == "min_label":
        text = f"label ≥ {limit}"
        if label is None:
            return Check(member, key, text, None, "missing")
        ok = LABEL_RANK[label] >= LABEL_RANK[limit]
        return Check(member, key, text, label, "pass" if ok else "fail")
    text = f"κ ≥ {limit}" if bound == "min_kappa" else f"≥ {limit}" if bound == "min" else f"≤ {limit}"
    if not isinstance(value, (int, float)):
        return Check(member, key, text, None, "missing")
    ok = value <= limit if bound == "max" else value >= limit
    return Check(member, key, text, float(value), "pass" if ok else "fail")


def exit_code(checks: list[Check]) -> int:
    """0 all pass; 1 any failure; 3 no failure but a missing/null key."""
    outcomes = {c.outcome for c in checks}
    if "fail" in outcomes:
        return EXIT_FAIL
    if "missing" in outcomes:
        return EXIT_MISSING
    return EXIT_PASS
