"""OpenInference spans (``--from openinference``) give exactly the OpenAI chat twin.

Golden spans written by hand from the OpenInference semantic and tool-calling conventions
(https://github.com/Arize-ai/openinference/tree/main/spec): ``openinference.span.kind``,
``llm.input_messages.<i>.message.role``/``.content``/``.tool_call_id``,
``message.tool_calls.<j>.tool_call.id``/``.function.name``/``.function.arguments``,
``llm.output_messages…``, ``llm.tools.<i>.tool.json_schema``, ``session.id``), one span per line in
the shape the OpenTelemetry Python SDK writes (``span.to_json()``: ``context.trace_id``/``span_id``
with ``0x``, ``parent_id``, ISO ``start_time``, flat ``attributes``). Conversation 3 is two traces of
one session; one span writes its messages as Phoenix's nested lists.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from helpers.format_twin import (
    ARGS,
    ERROR_RESULT,
    SYSTEM,
    TOOLS,
    TRACE_2,
    assert_cli_like_twin,
    assert_twin,
    write_jsonl,
)
from synae.adapters import detect_format, load_dataset
from synae.errors import DataError

T1 = "0af7651916cd43dd8448eb211c80319c"
T3A, T3B = "5b8aa5a2d2c872e8321cf37308d69df2", "6e0c63257de34c92bf9efcd03927272e"


def span(trace, span_id, parent, kind, second, attributes):
    return {"name": f"{kind.lower()} span", "context": {"trace_id": f"0x{trace}", "span_id": f"0x{span_id}",
                                                        "trace_state": "[]"},
            "kind": "SpanKind.INTERNAL", "parent_id": f"0x{parent}" if parent else None,
            "start_time": f"2026-01-05T10:00:{second:02d}.000000Z",
            "end_time": f"2026-01-05T10:00:{second:02d}.500000Z",
            "status": {"status_code": "OK"}, "attributes": {"openinference.span.kind": kind, **attributes},
            "events": [], "links": [],
            "resource": {"attributes": {"service.name": "travel"}, "schema_url": ""}}


def messages(prefix: str, items: list[dict[str, Any]]) -> dict[str, Any]:
    """Flattened ``<prefix>.<i>.message.*`` attributes of OpenAI-style messages."""
    out: dict[str, Any] = {}
    for i, m in enumerate(items):
        head = f"{prefix}.{i}.message"
        out[f"{head}.role"] = m["role"]
        if m.get("content") is not None:
            out[f"{head}.content"] = m["content"]
        if "tool_call_id" in m:
            out[f"{head}.tool_call_id"] = m["tool_call_id"]
        for j, (call_id, name) in enumerate(m.get("calls", ())):
            call = f"{head}.tool_calls.{j}.tool_call"
            out |= {f"{call}.id": call_id, f"{call}.function.name": name,
                    f"{call}.function.arguments": ARGS[call_id]}
    return out


TOOL_SCHEMAS = {f"llm.tools.{i}.tool.json_schema": json.dumps(t) for i, t in enumerate(TOOLS)}


def llm(trace, span_id, parent, second, sent, received, session=None):
    extra = {"session.id": session} if session else {}
    return span(trace, span_id, parent, "LLM", second, {
        "llm.model_name": "gpt-5", "llm.provider": "openai", **TOOL_SCHEMAS,
        **messages("llm.input_messages", sent), **messages("llm.output_messages", received), **extra})


SYS = {"role": "system", "content": SYSTEM}
ASK_1 = {"role": "user", "content": "What is the weather in Oslo?"}
CALL_1 = {"role": "assistant", "content": "Let me check.", "calls": [("call_1", "get_weather")]}
ASK_2 = {"role": "user", "content": "Convert 100 EUR to NOK and check the weather in Paris."}
CALLS_2 = {"role": "assistant", "calls": [("call_2", "convert_currency"), ("call_3", "get_weather")]}
HI, HELLO = {"role": "user", "content": "Hi!"}, {"role": "assistant", "content": "Hello! How can I help?"}
LIMA = {"role": "user", "content": "Weather in Lima?"}
CALL_4 = {"role": "assistant", "calls": [("call_4", "get_weather")]}


def answer(text):
    return {"role": "assistant", "content": text}


def result(call_id, text):
    return {"role": "tool", "tool_call_id": call_id, "content": text}


GOLDEN = [
    span(T1, "00f067aa0ba902b7", None, "AGENT", 0, {"session.id": "conv-1", "input.value": ASK_1["content"]}),
    llm(T1, "b7ad6b7169203331", "00f067aa0ba902b7", 1, [SYS, ASK_1], [CALL_1]),
    span(T1, "b9c7c989f97918e1", "00f067aa0ba902b7", "TOOL", 2, {"tool.name": "get_weather",
                                                                 "input.value": ARGS["call_1"],
                                                                 "output.value": "rain, 8 °C"}),
    llm(T1, "c1d2e3f4a5b6c7d8", "00f067aa0ba902b7", 3, [SYS, ASK_1, CALL_1, result("call_1", "rain, 8 °C")],
        [answer("It is raining in Oslo, 8 °C.")]),
    llm(TRACE_2, "a1b2c3d4e5f60719", None, 10, [ASK_2], [CALLS_2]),
    llm(TRACE_2, "a1b2c3d4e5f6071c", None, 12,
        [ASK_2, CALLS_2, result("call_2", "1160.5 NOK"), result("call_3", ERROR_RESULT)],
        [answer("100 EUR is 1160.5 NOK. I could not get the weather in Paris.")]),
    llm(T3A, "e1e2e3e4e5e6e7e9", None, 20, [SYS, HI], [HELLO], session="conv-3"),
    llm(T3B, "d1d2d3d4d5d6d7d9", None, 30, [SYS, HI, HELLO, LIMA], [CALL_4], session="conv-3"),
    llm(T3B, "d1d2d3d4d5d6d7db", None, 32, [SYS, HI, HELLO, LIMA, CALL_4, result("call_4", "sunny, 24 °C")],
        [answer("Sunny in Lima, 24 °C.")], session="conv-3"),
]
# Phoenix's span tables write the message list nested: the same span, another shape
_last = GOLDEN[-1]["attributes"]
_last["llm.output_messages"] = [{"message.role": "assistant", "message.content": "Sunny in Lima, 24 °C."}]
del _last["llm.output_messages.0.message.role"], _last["llm.output_messages.0.message.content"]


def test_openinference_gives_the_twin(tmp_path):
    path = write_jsonl(tmp_path / "openinference.jsonl", GOLDEN)
    assert detect_format(path) == "openinference"
    dataset = load_dataset(path)
    assert_twin(dataset, tmp_path)
    assert dataset[0].metadata["span_id"] == "00f067aa0ba902b7"
    assert dataset[2].metadata["trace_ids"] == [T3A, T3B]


def test_openinference_cli_matches_the_twin(tmp_path, capsys, monkeypatch):
    assert_cli_like_twin(write_jsonl(tmp_path / "oi.jsonl", GOLDEN), "openinference", tmp_path, capsys,
                         monkeypatch)


def test_openinference_malformed_spans(tmp_path):
    no_trace = json.loads(json.dumps(GOLDEN[4]))
    no_trace["context"]["trace_id"] = None
    path = write_jsonl(tmp_path / "bad.jsonl", [*GOLDEN[:4], no_trace])
    with pytest.raises(DataError, match=r"line 5 \('llm span'\): field 'traceId': span without a trace id"):
        load_dataset(path)
    assert [t.id for t in load_dataset(path, skip_invalid=True)] == ["conv-1"]
    orphan = llm(T1, "b7ad6b7169203331", None, 1, [ASK_1, result("call_7", "x")], [])
    with pytest.raises(DataError, match=r"tool result for call 'call_7' without an earlier tool call"):
        load_dataset(write_jsonl(tmp_path / "orphan.jsonl", [orphan]), "openinference")


def test_rows_of_phoenix_span_table(tmp_path):
    """The same spans as rows of Phoenix's span table written as JSON Lines (dotted column names,
    times in epoch milliseconds as pandas writes them)."""
    rows = [{"name": s["name"], "span_kind": s["attributes"]["openinference.span.kind"],
             "parent_id": s["parent_id"] and s["parent_id"][2:], "start_time": 1767607200000 + i,
             "status_code": "OK", "context.trace_id": s["context"]["trace_id"][2:],
             "context.span_id": s["context"]["span_id"][2:],
             **{f"attributes.{k}": v for k, v in s["attributes"].items()}} for i, s in enumerate(GOLDEN)]
    path = write_jsonl(tmp_path / "phoenix_spans.jsonl", rows)
    assert detect_format(path) == "openinference"
    assert_twin(load_dataset(path), tmp_path)
