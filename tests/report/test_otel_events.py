"""``synae export-otel``: verdicts, privacy flags and pillar scores as ``gen_ai.evaluation.result``
events (OpenTelemetry semantic conventions v1.38.0) in OTLP/JSON logs, linked to the input's traces.

The schema below is written from the OTLP protobuf definitions (``opentelemetry/proto/logs/v1/
logs.proto``, ``common/v1/common.proto``, ``resource/v1/resource.proto``, OTLP 1.5+) and the OTLP/JSON
mapping of the OpenTelemetry protocol specification: field names in lowerCamelCase, 64-bit integers
as decimal strings (numbers accepted), enums as integers, ``traceId``/``spanId`` as hex (32/16
digits, not base64), unknown fields rejected.
"""

from __future__ import annotations

import json

import jsonschema

from adapters.test_otel import GOLDEN, T1, T3A
from helpers.format_twin import TRACE_2, write_jsonl
from helpers.synae_cli import run_synae
from synae.report.otel_events import evaluation_logs

U64 = {"anyOf": [{"type": "string", "pattern": "^[0-9]+$"}, {"type": "integer", "minimum": 0}]}
ANY_VALUE = {"type": "object", "maxProperties": 1, "additionalProperties": False, "properties": {
    "stringValue": {"type": "string"}, "boolValue": {"type": "boolean"},
    "intValue": {"anyOf": [{"type": "string", "pattern": "^-?[0-9]+$"}, {"type": "integer"}]},
    "doubleValue": {"type": "number"}, "bytesValue": {"type": "string"},
    "arrayValue": {"type": "object", "additionalProperties": False,
                   "properties": {"values": {"type": "array", "items": {"$ref": "#/$defs/AnyValue"}}}},
    "kvlistValue": {"type": "object", "additionalProperties": False,
                    "properties": {"values": {"type": "array", "items": {"$ref": "#/$defs/KeyValue"}}}}}}
KEY_VALUE = {"type": "object", "required": ["key", "value"], "additionalProperties": False,
             "properties": {"key": {"type": "string"}, "value": {"$ref": "#/$defs/AnyValue"}}}
ATTRIBUTES = {"type": "array", "items": {"$ref": "#/$defs/KeyValue"}}
LOG_RECORD = {"type": "object", "additionalProperties": False, "properties": {
    "timeUnixNano": U64, "observedTimeUnixNano": U64,
    "severityNumber": {"type": "integer", "minimum": 0, "maximum": 24}, "severityText": {"type": "string"},
    "body": {"$ref": "#/$defs/AnyValue"}, "attributes": ATTRIBUTES,
    "droppedAttributesCount": {"type": "integer", "minimum": 0},
    "flags": {"type": "integer", "minimum": 0},
    "traceId": {"type": "string", "pattern": "^[0-9a-f]{32}$"},
    "spanId": {"type": "string", "pattern": "^[0-9a-f]{16}$"}, "eventName": {"type": "string"}}}
OTLP_LOGS = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "$defs": {"AnyValue": ANY_VALUE, "KeyValue": KEY_VALUE, "LogRecord": LOG_RECORD},
    "type": "object", "required": ["resourceLogs"], "additionalProperties": False,
    "properties": {"resourceLogs": {"type": "array", "items": {
        "type": "object", "additionalProperties": False, "properties": {
            "resource": {"type": "object", "additionalProperties": False,
                         "properties": {"attributes": ATTRIBUTES,
                                        "droppedAttributesCount": {"type": "integer"}}},
            "schemaUrl": {"type": "string"},
            "scopeLogs": {"type": "array", "items": {
                "type": "object", "additionalProperties": False, "properties": {
                    "scope": {"type": "object", "additionalProperties": False, "properties": {
                        "name": {"type": "string"}, "version": {"type": "string"}, "attributes": ATTRIBUTES,
                        "droppedAttributesCount": {"type": "integer"}}},
                    "schemaUrl": {"type": "string"},
                    "logRecords": {"type": "array", "items": {"$ref": "#/$defs/LogRecord"}}}}}}}}},
}


def _attributes(record):
    return {kv["key"]: next(iter(kv["value"].values())) for kv in record["attributes"]}


def test_events_of_a_run_on_spans_carry_the_trace_ids(tmp_path, capsys, monkeypatch):
    spans = write_jsonl(tmp_path / "otel.jsonl", GOLDEN)
    verdicts, events = tmp_path / "verdicts.jsonl", tmp_path / "events.json"
    code, _, err = run_synae(["validate", spans, "--validity", "rules", "--out", verdicts], capsys,
                             monkeypatch)
    assert code == 0, err
    code, out, err = run_synae(["export-otel", verdicts, "--out", events], capsys, monkeypatch)
    assert code == 0, err
    assert "6 evaluation events" in out
    document = json.loads(events.read_text(encoding="utf-8"))
    jsonschema.validate(document, OTLP_LOGS)
    records = document["resourceLogs"][0]["scopeLogs"][0]["logRecords"]
    assert {r["eventName"] for r in records} == {"gen_ai.evaluation.result"}
    assert {r["traceId"] for r in records} == {T1, TRACE_2, T3A}  # each conversation's first trace
    first = _attributes(records[0])
    assert first["gen_ai.evaluation.name"] == "synae.validity.tool_calls"
    assert first["gen_ai.evaluation.score.value"] == 1.0 and first["gen_ai.evaluation.score.label"] == "valid"
    assert records[0]["spanId"] == "00f067aa0ba902b7" and first["synae.trajectory_id"] == "conv-1"


def _results(tmp_path):
    """A hand-made results JSON: pillar scores (the reference row too) and one privacy flag."""
    label = {"label": "Moderate", "delta": 0.2, "reason": None}
    results = {
        "synae_version": "0.1.0", "created_at": "2026-01-05T10:00:00Z", "config": {},
        "datasets": {"real": {"name": "real", "n": 3, "fingerprint": "r"},
                     "synthetic": {"name": "otel", "n": 3, "fingerprint": "s"}},
        "metrics": {},
        "aggregates": {"members": ["real (self)", "otel"], "reference": "real (self)",
                       "diversity_bound": "",
                       "thresholds": {}, "metrics": {}, "excluded": [], "bounds": {}, "normalised": {},
                       "scores": {"real (self)": {"validity": 1.0},
                                  "otel": {"validity": 0.5, "privacy": None}},
                       "labels": {"otel": {"validity": label}}},
        "report_data": {"privacy": {"privacy.instructions.pii_echo": [
            {"metric": "privacy.instructions.pii_echo", "target": "instructions", "synthetic": "conv-1",
             "real": "conv-1", "pii": {"email": 2}, "text": "«email»"}]}},
    }
    path = tmp_path / "results.json"
    path.write_text(json.dumps(results, indent=2), encoding="utf-8")
    return path


def test_pillar_scores_privacy_flags_and_unscored_verdicts(tmp_path):
    verdicts = tmp_path / "verdicts.jsonl"
    write_jsonl(verdicts, [
        {"trajectory_id": "conv-1", "target": "output", "kind": "judge", "valid": None,
         "reasons": ["judge_failed"],
         "checker": "judge", "explanation": "raw reply", "trace_id": T1, "span_id": "00f067aa0ba902b7"}])
    document = evaluation_logs([verdicts, _results(tmp_path)])
    jsonschema.validate(document, OTLP_LOGS)
    records = document["resourceLogs"][0]["scopeLogs"][0]["logRecords"]
    by_name = {_attributes(r)["gen_ai.evaluation.name"]: r for r in records}
    assert set(by_name) == {"synae.validity.output", "synae.privacy.pii_echo", "synae.validity",
                            "synae.privacy"}  # no event for the reference row
    unscored = _attributes(by_name["synae.validity.output"])
    assert "gen_ai.evaluation.score.value" not in unscored  # unscored is never 0
    assert unscored["gen_ai.evaluation.score.label"] == "unscored"
    assert "raw reply" not in unscored["gen_ai.evaluation.explanation"]
    flag = by_name["synae.privacy.pii_echo"]
    assert flag["traceId"] == T1 and "email: 2" in _attributes(flag)["gen_ai.evaluation.explanation"]
    pillar = _attributes(by_name["synae.validity"])
    assert pillar["gen_ai.evaluation.score.value"] == 0.5
    assert pillar["gen_ai.evaluation.score.label"] == "Moderate"
    assert "traceId" not in by_name["synae.validity"]
    assert "gen_ai.evaluation.score.value" not in _attributes(by_name["synae.privacy"])
    assert records[0]["timeUnixNano"] == "1767607200000000000"  # the results' created_at


def test_not_a_verdict_file_is_a_data_error(tmp_path, capsys, monkeypatch):
    bad = write_jsonl(tmp_path / "bad.jsonl", [{"trajectory_id": "a", "target": "output", "valid": True},
                                               {"id": "b"}])
    code, _, err = run_synae(["export-otel", bad, "--out", tmp_path / "e.json"], capsys, monkeypatch)
    assert code == 2 and "bad.jsonl: line 2: not a verdict" in err and not (tmp_path / "e.json").exists()


def test_an_empty_verdict_file_gives_no_events(tmp_path):
    empty = tmp_path / "verdicts.jsonl"
    empty.write_text("", encoding="utf-8")
    document = evaluation_logs([empty])
    jsonschema.validate(document, OTLP_LOGS)
    assert document["resourceLogs"][0]["scopeLogs"][0]["logRecords"] == []


def test_ids_are_written_as_otlp_hex_whatever_the_source_spelled():
    """LangSmith ids are UUIDs, OpenInference ids may carry 0x: the events carry 32/16 hex digits
    (a collector refuses anything else), and an id that cannot be one is left out, not invented."""
    from synae.report.otel_events import event, otlp_id

    uuid = "6c66040f-73a2-4006-818f-9c87a446c3c0"
    assert otlp_id(uuid, 32) == "6c66040f73a24006818f9c87a446c3c0"
    assert otlp_id(uuid, 16) == "818f9c87a446c3c0"
    assert otlp_id("0xEEE19B7EC3C1B174", 16) == "eee19b7ec3c1b174"
    assert otlp_id("run-7", 16) is None and otlp_id("0" * 32, 32) is None
    record = event("validity.output", when=1, score=1.0, link={"trace_id": uuid, "span_id": uuid})
    assert record["traceId"] == "6c66040f73a24006818f9c87a446c3c0" and record["spanId"] == "818f9c87a446c3c0"
    assert "spanId" not in event("x", when=1, link={"trace_id": uuid, "span_id": "root"})
