"""Anthropic Messages records (``--from anthropic``) give exactly the OpenAI chat twin.

Golden records written by hand from the Anthropic Messages API reference (API version
``2023-06-01``: ``system``, ``tools`` with ``input_schema``, content blocks ``text`` / ``tool_use``
(``input`` an object) / ``tool_result`` (``tool_use_id``, ``content``, ``is_error``) in user turns).
"""

from __future__ import annotations

import pytest

from helpers import format_twin as twin
from synae.adapters import detect_format, load_dataset
from synae.errors import DataError

TOOLS = [{"name": "get_weather", "description": twin.WEATHER_DOC, "input_schema": twin.WEATHER_PARAMS},
         {"name": "convert_currency", "description": twin.CURRENCY_DOC, "input_schema": twin.CURRENCY_PARAMS}]

GOLDEN = [
    {"id": "conv-1", "model": "claude-sonnet-4-5", "max_tokens": 1024, "system": twin.SYSTEM, "tools": TOOLS,
     "messages": [
         {"role": "user", "content": "What is the weather in Oslo?"},
         {"role": "assistant", "content": [
             {"type": "text", "text": "Let me check."},
             {"type": "tool_use", "id": "call_1", "name": "get_weather", "input": {"city": "Oslo"}}]},
         {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "call_1",
                                       "content": "rain, 8 °C"}]}],
     "response": {"id": "msg_01", "type": "message", "role": "assistant", "stop_reason": "end_turn",
                  "content": [{"type": "text", "text": "It is raining in Oslo, 8 °C."}]}},
    {"id": twin.TRACE_2, "model": "claude-sonnet-4-5", "max_tokens": 1024, "tools": TOOLS, "messages": [
        {"role": "user", "content": [{"type": "text",
                                      "text": "Convert 100 EUR to NOK and check the weather in Paris."}]},
        {"role": "assistant", "content": [
            {"type": "tool_use", "id": "call_2", "name": "convert_currency",
             "input": {"amount": 100, "from": "EUR", "to": "NOK"}},
            {"type": "tool_use", "id": "call_3", "name": "get_weather", "input": {"city": "Paris"}}]},
        {"role": "user", "content": [
            {"type": "tool_result", "tool_use_id": "call_2",
             "content": [{"type": "text", "text": "1160.5 NOK"}]},
            {"type": "tool_result", "tool_use_id": "call_3", "content": twin.ERROR_RESULT,
             "is_error": True}]},
        {"role": "assistant", "content": "100 EUR is 1160.5 NOK. I could not get the weather in Paris."}]},
    {"id": "conv-3", "model": "claude-sonnet-4-5", "max_tokens": 1024,
     "system": [{"type": "text", "text": twin.SYSTEM}], "tools": TOOLS, "messages": [
         {"role": "user", "content": "Hi!"},
         {"role": "assistant", "content": "Hello! How can I help?"},
         {"role": "user", "content": "Weather in Lima?"},
         {"role": "assistant", "content": [
             {"type": "tool_use", "id": "call_4", "name": "get_weather", "input": {"city": "Lima"}}]},
         {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "call_4",
                                       "content": "sunny, 24 °C"}]},
         {"role": "assistant", "content": [{"type": "text", "text": "Sunny in Lima, 24 °C."}]}]},
]


def test_anthropic_gives_the_twin(tmp_path):
    path = twin.write_jsonl(tmp_path / "anthropic.jsonl", GOLDEN)
    assert detect_format(path) == "anthropic"
    dataset = load_dataset(path)
    twin.assert_twin(dataset, tmp_path)
    error = dataset[1].messages[3]
    assert error.content == twin.ERROR_RESULT and error.metadata == {"is_error": True}


def test_anthropic_cli_matches_the_twin(tmp_path, capsys, monkeypatch):
    path = twin.write_jsonl(tmp_path / "anthropic.jsonl", GOLDEN)
    twin.assert_cli_like_twin(path, "anthropic", tmp_path, capsys,
                         monkeypatch)


def test_anthropic_tool_result_without_its_call(tmp_path):
    bad = {"id": "x", "system": "s", "messages": [
        {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "nope", "content": "?"}]}]}
    path = twin.write_jsonl(tmp_path / "bad.jsonl", [GOLDEN[0], bad])
    with pytest.raises(DataError, match=r"line 2: field 'messages.0.content.0.tool_use_id': tool result for "
                                        r"call 'nope' without an earlier tool call"):
        load_dataset(path)
    dataset = load_dataset(path, skip_invalid=True)
    assert [t.id for t in dataset] == ["conv-1"] and dataset.n_skipped == 1


def test_plain_request_is_detected_by_max_tokens(tmp_path):
    plain = {"model": "claude-sonnet-4-5", "max_tokens": 256, "messages": [
        {"role": "user", "content": "Hi!"}, {"role": "assistant", "content": "Hello! How can I help?"}]}
    path = twin.write_jsonl(tmp_path / "plain.jsonl", [plain, GOLDEN[1]])
    assert detect_format(path) == "anthropic"
    assert [t.id for t in load_dataset(path)] == ["0", twin.TRACE_2]
