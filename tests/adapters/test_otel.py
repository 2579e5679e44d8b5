"""OpenTelemetry GenAI spans (``--from otel``) give exactly the OpenAI chat twin.

Golden spans written by hand from the OpenTelemetry semantic conventions v1.38.0 for generative AI
(``invoke_agent`` / ``chat`` / ``execute_tool`` spans; ``gen_ai.system_instructions``,
``gen_ai.input.messages``, ``gen_ai.output.messages`` with ``text`` / ``tool_call`` /
``tool_call_response`` parts, ``gen_ai.tool.definitions``, ``gen_ai.tool.call.id``,
``gen_ai.conversation.id``) in the OTLP/JSON encoding of the OpenTelemetry protocol (``resourceSpans``
→ ``scopeSpans`` → ``spans``, ids as hex, times as decimal nanosecond text, attributes as
``{"key", "value": {"stringValue": …}}``), one export per line as a collector's file exporter writes.
Conversation 1 carries its conversation id on the agent span only; conversation 2 has none (its trace
names it); conversation 3 spans two traces, written in reverse time order within a line.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from helpers import format_twin as twin
from helpers.synae_cli import run_synae
from synae.adapters import detect_format, load_dataset
from synae.adapters.otel import otel_records
from synae.errors import DataError

T1 = "0af7651916cd43dd8448eb211c80319c"
T3A, T3B = "5b8aa5a2d2c872e8321cf37308d69df2", "6e0c63257de34c92bf9efcd03927272e"
DEFINITIONS = [{"type": "function", "name": "get_weather", "description": twin.WEATHER_DOC,
                "parameters": twin.WEATHER_PARAMS},
               {"type": "function", "name": "convert_currency", "description": twin.CURRENCY_DOC,
                "parameters": twin.CURRENCY_PARAMS}]


def attrs(**values: Any) -> list[dict[str, Any]]:
    """OTLP attributes; keys use ``__`` for ``.``; lists/dicts are JSON text (as SDKs record them)."""
    out = []
    for key, value in values.items():
        text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
        out.append({"key": key.replace("__", "."), "value": {"stringValue": text}})
    return out


def span(trace, span_id, parent, name, start, attributes, status=None):
    out = {"traceId": trace, "spanId": span_id, "name": name, "kind": 1 if parent is None else 3,
           "startTimeUnixNano": str(start), "endTimeUnixNano": str(start + 900), "attributes": attributes,
           "status": status or {}}
    if parent:
        out["parentSpanId"] = parent
    return out


def export(*spans):
    return {"resourceSpans": [{"resource": {"attributes": attrs(service__name="travel-agent")},
                               "scopeSpans": [{"scope": {"name": "travel.agent", "version": "1.0"},
                                               "spans": list(spans)}]}]}


def text(role, content):
    return {"role": role, "parts": [{"type": "text", "content": content}]}


def chat(trace, span_id, parent, start, sent, received, system=True):
    extra = {"gen_ai__system_instructions": [{"type": "text", "content": twin.SYSTEM}]} if system else {}
    return span(trace, span_id, parent, "chat gpt-5", start, attrs(
        gen_ai__operation__name="chat", gen_ai__provider__name="openai", gen_ai__request__model="gpt-5",
        gen_ai__tool__definitions=DEFINITIONS, gen_ai__input__messages=sent,
        gen_ai__output__messages=received, **extra))


def tool(trace, span_id, parent, start, call_id, name, status=None):
    return span(trace, span_id, parent, f"execute_tool {name}", start, attrs(
        gen_ai__operation__name="execute_tool", gen_ai__tool__name=name, gen_ai__tool__call__id=call_id,
        gen_ai__tool__type="function"), status)


def agent(trace, span_id, start, conversation=None):
    extra = {"gen_ai__conversation__id": conversation} if conversation else {}
    return span(trace, span_id, None, "invoke_agent travel", start, attrs(
        gen_ai__operation__name="invoke_agent", gen_ai__agent__name="travel", **extra))


def call(call_id, name, arguments):
    return {"type": "tool_call", "id": call_id, "name": name, "arguments": arguments}


def response(call_id, result):
    return {"role": "tool", "parts": [{"type": "tool_call_response", "id": call_id, "response": result}]}


ASK_1 = text("user", "What is the weather in Oslo?")
CALL_1 = {"role": "assistant", "parts": [{"type": "text", "content": "Let me check."},
                                         call("call_1", "get_weather", {"city": "Oslo"})],
          "finish_reason": "tool_call"}
ASK_2 = text("user", "Convert 100 EUR to NOK and check the weather in Paris.")
CALLS_2 = {"role": "assistant", "parts": [
    call("call_2", "convert_currency", {"amount": 100, "from": "EUR", "to": "NOK"}),
    call("call_3", "get_weather", {"city": "Paris"})]}
HELLO = [text("user", "Hi!")]
HELLO_OUT = text("assistant", "Hello! How can I help?")
CALL_4 = {"role": "assistant", "parts": [call("call_4", "get_weather", {"city": "Lima"})]}

GOLDEN = [
    export(agent(T1, "00f067aa0ba902b7", 1000, "conv-1"),
           chat(T1, "b7ad6b7169203331", "00f067aa0ba902b7", 1100, [ASK_1], [CALL_1]),
           tool(T1, "b9c7c989f97918e1", "00f067aa0ba902b7", 1200, "call_1", "get_weather"),
           chat(T1, "c1d2e3f4a5b6c7d8", "00f067aa0ba902b7", 1300,
                [ASK_1, CALL_1, response("call_1", "rain, 8 °C")],
                [text("assistant", "It is raining in Oslo, 8 °C.")])),
    export(agent(twin.TRACE_2, "a1b2c3d4e5f60718", 2000),
           chat(twin.TRACE_2, "a1b2c3d4e5f60719", "a1b2c3d4e5f60718", 2100, [ASK_2], [CALLS_2], system=False),
           tool(twin.TRACE_2, "a1b2c3d4e5f6071a", "a1b2c3d4e5f60718", 2200, "call_2", "convert_currency"),
           tool(twin.TRACE_2, "a1b2c3d4e5f6071b", "a1b2c3d4e5f60718", 2300, "call_3", "get_weather",
                {"code": 2, "message": "weather service unavailable"}),
           chat(twin.TRACE_2, "a1b2c3d4e5f6071c", "a1b2c3d4e5f60718", 2400,
                [ASK_2, CALLS_2, {"role": "tool", "parts": [
                    {"type": "tool_call_response", "id": "call_2", "response": "1160.5 NOK"},
                    {"type": "tool_call_response", "id": "call_3", "response": twin.ERROR_RESULT}]}],
                [text("assistant", "100 EUR is 1160.5 NOK. I could not get the weather in Paris.")],
                system=False)),
    export(chat(T3B, "d1d2d3d4d5d6d7d9", "d1d2d3d4d5d6d7d8", 4100,
                [*HELLO, HELLO_OUT, text("user", "Weather in Lima?")], [CALL_4]),
           agent(T3B, "d1d2d3d4d5d6d7d8", 4000, "conv-3"),
           tool(T3B, "d1d2d3d4d5d6d7da", "d1d2d3d4d5d6d7d8", 4200, "call_4", "get_weather"),
           chat(T3B, "d1d2d3d4d5d6d7db", "d1d2d3d4d5d6d7d8", 4300,
                [*HELLO, HELLO_OUT, text("user", "Weather in Lima?"), CALL_4,
                 response("call_4", "sunny, 24 °C")],
                [text("assistant", "Sunny in Lima, 24 °C.")]),
           agent(T3A, "e1e2e3e4e5e6e7e8", 3000, "conv-3"),
           chat(T3A, "e1e2e3e4e5e6e7e9", "e1e2e3e4e5e6e7e8", 3100, HELLO, [HELLO_OUT])),
]


def test_otel_gives_the_twin_with_trace_links(tmp_path):
    path = twin.write_jsonl(tmp_path / "otel.jsonl", GOLDEN)
    assert detect_format(path) == "otel"
    dataset = load_dataset(path)
    twin.assert_twin(dataset, tmp_path)
    first, second, third = dataset
    assert first.metadata == {"source_format": "otel", "trace_id": T1, "span_id": "00f067aa0ba902b7",
                              "trace_ids": [T1], "conversation_id": "conv-1"}
    assert "conversation_id" not in second.metadata and second.metadata["trace_id"] == twin.TRACE_2
    assert third.metadata["trace_ids"] == [T3A, T3B] and third.metadata["span_id"] == "e1e2e3e4e5e6e7e8"
    assert first.messages[3].metadata["span_id"] == "c1d2e3f4a5b6c7d8"  # the tool result came with chat 2
    assert not dataset.warnings


def test_otel_cli_matches_the_twin(tmp_path, capsys, monkeypatch):
    path = twin.write_jsonl(tmp_path / "otel.jsonl", GOLDEN)
    twin.assert_cli_like_twin(path, "otel", tmp_path, capsys, monkeypatch)


def test_content_not_captured_is_counted_never_empty_text(tmp_path):
    bare = export(agent(T1, "00f067aa0ba902b7", 1000, "conv-1"),
                  span(T1, "b7ad6b7169203331", "00f067aa0ba902b7", "chat gpt-5", 1100,
                       attrs(gen_ai__operation__name="chat")),
                  span(T1, "b9c7c989f97918e1", "00f067aa0ba902b7", "execute_tool get_weather", 1200,
                       attrs(gen_ai__operation__name="execute_tool", gen_ai__tool__name="get_weather",
                             gen_ai__tool__call__id="call_1")),
                  span(T1, "c1d2e3f4a5b6c7d8", "00f067aa0ba902b7", "chat gpt-5", 1300,
                       attrs(gen_ai__operation__name="chat")))
    dataset = load_dataset(twin.write_jsonl(tmp_path / "bare.jsonl", [bare]), "otel")
    (traj,) = dataset
    assert traj.metadata["not_captured"] == 2
    assert [(m.role, m.content) for m in traj.messages] == [("assistant", None), ("tool", None)]
    assert traj.messages[0].tool_calls[0].function.name == "get_weather" and traj.output is None
    assert any("2 model call(s) without recorded messages" in w for w in dataset.warnings)


def test_inspect_reports_content_not_captured(tmp_path, capsys, monkeypatch):
    bare = export(agent(T1, "00f067aa0ba902b7", 1000, "conv-1"),
                  span(T1, "b7ad6b7169203331", "00f067aa0ba902b7", "chat gpt-5", 1100,
                       attrs(gen_ai__operation__name="chat")))
    path = twin.write_jsonl(tmp_path / "bare.jsonl", [bare, GOLDEN[1]])
    code, out, err = run_synae(["inspect", path, "--json"], capsys, monkeypatch)
    assert code == 0, err
    stats = json.loads(out)
    assert stats["not_captured"] == 1 and stats["warnings"] >= 1 and stats["n"] == 2
    code, out, _ = run_synae(["inspect", path], capsys, monkeypatch)
    assert "model calls not captured" in out


def test_span_without_trace_id_and_result_without_call(tmp_path):
    broken = json.loads(json.dumps(GOLDEN[1]))
    del broken["resourceSpans"][0]["scopeSpans"][0]["spans"][2]["traceId"]
    path = twin.write_jsonl(tmp_path / "broken.jsonl", [GOLDEN[0], broken])
    with pytest.raises(DataError, match=r"line 2, span 3 \('execute_tool convert_currency'\): "
                                        "field 'traceId': span without a trace id"):
        load_dataset(path)
    dataset = load_dataset(path, skip_invalid=True)
    assert [t.id for t in dataset] == ["conv-1", twin.TRACE_2] and dataset.n_skipped == 1

    orphan = export(chat(T1, "b7ad6b7169203331", None, 1100, [response("call_9", "x")], []))
    with pytest.raises(DataError, match=r"line 1, span 1 \('chat gpt-5'\): tool result for call 'call_9'"):
        load_dataset(twin.write_jsonl(tmp_path / "orphan.jsonl", [orphan]), "otel")


def test_failed_tool_span_marks_its_result_and_conversations_come_as_they_end(tmp_path):
    dataset = load_dataset(twin.write_jsonl(tmp_path / "otel.jsonl", GOLDEN))
    assert dataset[1].messages[3].metadata["is_error"] is True  # execute_tool call_3 has status ERROR
    assert "is_error" not in dataset[1].messages[2].metadata
    path = tmp_path / "partly_bad.jsonl"
    path.write_text(json.dumps(GOLDEN[0]) + "\n" + json.dumps(GOLDEN[1]) + "\n{not json\n", encoding="utf-8")
    records = otel_records(path, lambda warning: None)
    location, make = next(records)  # conversation 1 is rebuilt before the later lines are read
    assert (location, make().id) == ("line 1", "conv-1")
    assert next(records)[0] == "line 2"
    location, make = next(records)
    with pytest.raises(DataError, match="line 3: malformed JSON"):
        make()


def _otlp(*spans: dict[str, Any]) -> str:
    return json.dumps({"resourceSpans": [{"scopeSpans": [{"spans": list(spans)}]}]})


def _attrs(**values: str) -> list[dict[str, Any]]:
    return [{"key": k.replace("__", "."), "value": {"stringValue": v}} for k, v in values.items()]


TRACE = "5b8efff798038103d269b633813fc60c"


def test_a_span_exported_twice_is_read_once(tmp_path):
    """Exporters that retry repeat spans (same trace and span id): the conversation is not doubled."""
    chat = {"traceId": TRACE, "spanId": "eee19b7ec3c1b174", "name": "chat gpt-4o",
            "startTimeUnixNano": "1767607200000000000", "attributes": _attrs(
                gen_ai__operation__name="chat",
                gen_ai__input__messages=json.dumps([{"role": "user",
                                                     "parts": [{"type": "text", "content": "Hi"}]}]),
                gen_ai__output__messages=json.dumps([{"role": "assistant", "finish_reason": "stop",
                                                      "parts": [{"type": "text", "content": "Hello"}]}]))}
    path = tmp_path / "dup.jsonl"
    path.write_text(_otlp(chat) + "\n" + _otlp(chat) + "\n")
    [traj] = load_dataset(path, fmt="otel").trajectories
    assert [(m.role, m.content) for m in traj.messages] == [("user", "Hi"), ("assistant", "Hello")]


def test_arguments_not_captured_are_marked_not_made_empty_and_tools_are_kept(tmp_path):
    """An execute_tool span without gen_ai.tool.call.arguments: the call is marked as not captured
    (its arguments are not judged), and the chat span's tool definitions are kept."""
    from synae.validity.rules.generic import GenericToolCallChecker

    tools = json.dumps([{"type": "function", "name": "get_weather",
                         "parameters": {"type": "object", "required": ["city"]}}])
    chat = {"traceId": TRACE, "spanId": "eee19b7ec3c1b174", "name": "chat gpt-4o",
            "startTimeUnixNano": "1767607200000000000",
            "attributes": _attrs(gen_ai__operation__name="chat", gen_ai__conversation__id="c1",
                                 gen_ai__tool__definitions=tools)}
    step = {"traceId": TRACE, "spanId": "eee19b7ec3c1b175", "name": "execute_tool get_weather",
            "startTimeUnixNano": "1767607201000000000",
            "attributes": _attrs(gen_ai__operation__name="execute_tool", gen_ai__tool__name="get_weather",
                                 gen_ai__tool__call__id="call_1")}
    path = tmp_path / "nc.jsonl"
    path.write_text(_otlp(chat, step) + "\n")
    [traj] = load_dataset(path, fmt="otel").trajectories
    caller = next(m for m in traj.messages if m.tool_calls)
    assert (caller.metadata or {})["arguments_not_captured"] == ["call_1"]
    assert traj.tools and traj.tools[0]["function"]["name"] == "get_weather"
    verdict = GenericToolCallChecker().check(traj)
    assert verdict.valid is not False  # "{}" is not judged against the schema: it was never recorded
    assert verdict.details["checks"]["schema"] == "not_run"
