"""Scores back out as OpenTelemetry GenAI evaluation events (``synae export-otel``).

Reads what synae wrote — verdict files (``synae validate --out``, JSON Lines, one verdict per line)
and results JSONs (``synae evaluate``/``compare --out``) — and writes one OTLP/JSON logs document
(``resourceLogs`` → ``scopeLogs`` → ``logRecords``, the OpenTelemetry protocol's JSON mapping, as
``POST /v1/logs`` takes it) whose log records are ``gen_ai.evaluation.result`` events of the
OpenTelemetry semantic conventions v1.38.0 (GenAI, status development):

- one per verdict: ``gen_ai.evaluation.name`` = ``synae.validity.<target>`` (``tool_calls`` or
  ``output``), ``gen_ai.evaluation.score.value`` = 1.0 (valid) or 0.0 (invalid) — absent for an
  unscored verdict, which is never 0 —, ``gen_ai.evaluation.score.label`` = ``valid`` / ``invalid``
  / ``unscored``, ``gen_ai.evaluation.explanation`` = the checker and its reason codes (never the
  free-text explanation, which may quote the trajectory); ``traceId``/``spanId`` = the trajectory's
  source trace and root span when it was read from spans (the verdict row's ``trace_id``/``span_id``,
  as OTLP hex ids: :func:`otlp_id`);
- one per privacy flag of a results JSON's drill-down (``report_data.privacy``, stored when the
  evaluation also wrote its HTML report): name
  ``synae.privacy.<kind>`` (``exact_copies``, ``verbatim_spans``, ``near_copies``, ``pii_echo``),
  label ``flagged``, explanation naming the metric and, for PII echo, the counts per kind (never the
  values), linked like the verdicts of the same trajectory id;
- one per pillar score of a results JSON's ``aggregates`` (per member but the reference, the real
  set scored against itself): name ``synae.<pillar>``,
  the score (absent when ``null``) and label (``Strong``/``Moderate``/``Weak``, absent when none),
  explanation ``set <member>``; not linked to a trace (a set spans many).

Every record carries ``synae.trajectory_id`` (verdicts, flags) or ``synae.member`` (pillars) and
``synae.target``; severity INFO (9); ``timeUnixNano`` = the results' ``created_at``, else the time
of the export.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Iterator, Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

from synae import __version__
from synae.errors import DataError
from synae.files import atomic_write_text
from synae.results import ComparisonResults, EvaluationReport, load_any

EVENT = "gen_ai.evaluation.result"
SEMCONV_VERSION = "1.38.0"
SEVERITY_INFO = 9


def attribute(key: str, value: Any) -> dict[str, Any]:
    """One OTLP/JSON ``KeyValue`` (strings, booleans, integers as decimal text, doubles)."""
    if isinstance(value, bool):
        return {"key": key, "value": {"boolValue": value}}
    if isinstance(value, int):
        return {"key": key, "value": {"intValue": str(value)}}
    if isinstance(value, float):
        return {"key": key, "value": {"doubleValue": value}}
    return {"key": key, "value": {"stringValue": str(value)}}


def event(name: str, *, when: int, score: float | None = None, label: str | None = None,
          explanation: str | None = None, link: Mapping[str, Any] | None = None,
          extra: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """One ``gen_ai.evaluation.result`` log record (absent values are left out)."""
    attrs = {"gen_ai.evaluation.name": name, "gen_ai.evaluation.score.value": score,
             "gen_ai.evaluation.score.label": label, "gen_ai.evaluation.explanation": explanation,
             **(extra or {})}
    record: dict[str, Any] = {"timeUnixNano": str(when), "observedTimeUnixNano": str(when),
                              "severityNumber": SEVERITY_INFO, "severityText": "INFO", "eventName": EVENT,
                              "attributes": [attribute(k, v) for k, v in attrs.items() if v is not None]}
    for key, field, digits in (("traceId", "trace_id", 32), ("spanId", "span_id", 16)):
        if link and isinstance(link.get(field), str) and (value := otlp_id(link[field], digits)):
            record[key] = value
    return record


def otlp_id(value: str, digits: int) -> str | None:
    """An id as OTLP/JSON writes it: ``digits`` lowercase hex characters (32 for a trace, 16 for a
    span). Hex ids are taken as they are (``0x`` and hyphens dropped, so a LangSmith UUID is its 32
    hex digits); a longer one keeps its last ``digits`` (a UUID run id as a span id); anything else
    (not hex, too short, all zeros, which OTLP reserves for "no id") gives ``None``: the event is
    written without that link rather than with an id a collector would refuse."""
    text = value.strip().lower().removeprefix("0x").replace("-", "")
    if len(text) < digits or any(c not in "0123456789abcdef" for c in text):
        return None
    text = text[-digits:]
    return None if set(text) == {"0"} else text


def verdict_events(rows: Iterable[Mapping[str, Any]], when: int) -> Iterator[dict[str, Any]]:
    """The events of verdict rows (``synae validate --out`` lines)."""
    for row in rows:
        valid = row.get("valid")
        label = "unscored" if valid is None else "valid" if valid else "invalid"
        reasons = ", ".join(str(r) for r in row.get("reasons") or ()) or "none"
        yield event(f"synae.validity.{row.get('target')}", when=when,
                    score=None if valid is None else float(bool(valid)), label=label,
                    explanation=f"{row.get('checker')} ({row.get('kind')}): reasons {reasons}", link=row,
                    extra={"synae.trajectory_id": row.get("trajectory_id"),
                           "synae.target": row.get("target")})


def _members(result: EvaluationReport | ComparisonResults) -> list[tuple[str, EvaluationReport]]:
    if isinstance(result, ComparisonResults):
        return list(result.members.items())
    return [(result.datasets["synthetic"].name if "synthetic" in result.datasets else "synthetic", result)]


def results_events(result: EvaluationReport | ComparisonResults, links: Mapping[str, Mapping[str, Any]],
                   when: int) -> Iterator[dict[str, Any]]:
    """Privacy flags and pillar scores of a results JSON (see the module docstring)."""
    for member, report in _members(result):
        for metric, rows in ((report.report_data or {}).get("privacy") or {}).items():
            for row in rows:
                kind = str(metric).rsplit(".", 1)[-1]
                counts = ", ".join(f"{k}: {n}" for k, n in (row.get("pii") or {}).items())
                explanation = f"{metric} in set {member}" + (f" (PII echoed: {counts})" if counts else "")
                tid = row.get("synthetic")
                yield event(f"synae.privacy.{kind}", when=when, label="flagged", explanation=explanation,
                            link=links.get(str(tid)), extra={"synae.trajectory_id": tid,
                                                             "synae.target": row.get("target")})
    aggregates = result.aggregates or next((r.aggregates for _, r in _members(result) if r.aggregates), None)
    if aggregates is None:
        return
    for member, scores in (aggregates.get("scores") or {}).items():
        if member == aggregates.get("reference"):
            continue
        labels: Mapping[str, Any] = (aggregates.get("labels") or {}).get(member) or {}
        for pillar, score in scores.items():
            label = (labels.get(pillar) or {}).get("label")
            yield event(f"synae.{pillar}", when=when, score=None if score is None else float(score),
                        label=label, explanation=f"set {member}",
                        extra={"synae.member": member, "synae.target": pillar})


def read_verdicts(path: Path) -> list[dict[str, Any]]:
    """The rows of a verdict file; :class:`DataError` naming the line for one that is not a verdict."""
    rows = []
    with path.open(encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as exc:
                raise DataError(f"malformed JSON ({exc.msg})", source=str(path),
                                location=f"line {lineno}") from None
            if not isinstance(row, dict) or not {"trajectory_id", "target", "valid"} <= row.keys():
                raise DataError("not a verdict (expected trajectory_id, target and valid; the lines `synae "
                                "validate --out` writes)", source=str(path), location=f"line {lineno}")
            rows.append(row)
    return rows


def _is_verdicts(path: Path) -> bool:
    """The file is empty (no verdicts) or its first line is a verdict row (a results JSON is
    indented over many lines)."""
    with path.open(encoding="utf-8") as fh:
        first = fh.readline()
    if not first.strip():
        return True
    try:
        row = json.loads(first)
    except json.JSONDecodeError:
        return False
    return isinstance(row, dict) and "trajectory_id" in row


def _time(created_at: str | None) -> int | None:
    if not created_at:
        return None
    try:
        return int(datetime.fromisoformat(created_at.replace("Z", "+00:00")).timestamp() * 1e9)
    except ValueError:
        return None


def evaluation_logs(paths: Iterable[Path]) -> dict[str, Any]:
    """The OTLP/JSON logs document of the verdict files and results JSONs ``paths``."""
    verdicts: list[dict[str, Any]] = []
    results: list[EvaluationReport | ComparisonResults] = []
    for path in paths:
        if not path.is_file():
            raise DataError("file not found", source=str(path))
        if _is_verdicts(path):
            verdicts += read_verdicts(path)
        else:
            results.append(load_any(path))
    now = time.time_ns()
    when = next((t for r in results if (t := _time(r.created_at)) is not None), now)
    links = {str(r["trajectory_id"]): r for r in verdicts if isinstance(r.get("trace_id"), str)}
    records = list(verdict_events(verdicts, when))
    for result in results:
        records += results_events(result, links, when)
    scope = {"scope": {"name": "synae", "version": __version__}, "logRecords": records}
    resource = {"attributes": [attribute("service.name", "synae"),
                               attribute("telemetry.sdk.name", "synae"),
                               attribute("synae.semconv_version", SEMCONV_VERSION)]}
    return {"resourceLogs": [{"resource": resource, "scopeLogs": [scope]}]}


def write_evaluation_logs(paths: Iterable[Path], out: Path) -> int:
    """Write :func:`evaluation_logs` to ``out`` (atomically); returns the number of events."""
    document = evaluation_logs(paths)
    atomic_write_text(out, json.dumps(document, ensure_ascii=False, allow_nan=False) + "\n")
    return len(document["resourceLogs"][0]["scopeLogs"][0]["logRecords"])
