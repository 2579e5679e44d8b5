"""OpenAI Responses records (``--from responses``) give exactly the OpenAI chat twin.

Golden records written by hand from the OpenAI Responses API reference (``POST /v1/responses``:
``instructions``; ``input`` items ``message`` (content a string or ``input_text``/``output_text``
parts), ``function_call`` (``call_id``, ``name``, ``arguments`` string) and ``function_call_output``
(``call_id``, ``output``); flat function ``tools``; ``conversation``; a Response object's ``output``).
"""

from __future__ import annotations

import pytest

from helpers.format_twin import (
    ARGS,
    CURRENCY_DOC,
    CURRENCY_PARAMS,
    ERROR_RESULT,
    SYSTEM,
    TRACE_2,
    WEATHER_DOC,
    WEATHER_PARAMS,
    assert_cli_like_twin,
    assert_twin,
    write_jsonl,
)
from synae.adapters import detect_format, load_dataset
from synae.errors import DataError

TOOLS = [{"type": "function", "name": "get_weather", "description": WEATHER_DOC, "parameters": WEATHER_PARAMS,
          "strict": True},
         {"type": "function", "name": "convert_currency", "description": CURRENCY_DOC,
          "parameters": CURRENCY_PARAMS, "strict": True}]


def _call(call_id, name):
    return {"type": "function_call", "id": f"fc_{call_id}", "call_id": call_id, "name": name,
            "arguments": ARGS[call_id], "status": "completed"}


def _answer(text):
    return {"type": "message", "id": "msg_x", "role": "assistant", "status": "completed",
            "content": [{"type": "output_text", "text": text, "annotations": []}]}


GOLDEN = [
    {"conversation": "conv-1", "model": "gpt-5", "instructions": SYSTEM, "tools": TOOLS, "input": [
        {"type": "message", "role": "user", "content": "What is the weather in Oslo?"},
        _answer("Let me check."), _call("call_1", "get_weather"),
        {"type": "function_call_output", "call_id": "call_1", "output": "rain, 8 °C"}],
     "output": [_answer("It is raining in Oslo, 8 °C.")]},
    {"conversation": {"id": TRACE_2}, "model": "gpt-5", "tools": TOOLS, "input": [
        {"role": "user", "content": [{"type": "input_text",
                                      "text": "Convert 100 EUR to NOK and check the weather in Paris."}]},
        _call("call_2", "convert_currency"), _call("call_3", "get_weather"),
        {"type": "function_call_output", "call_id": "call_2", "output": "1160.5 NOK"},
        {"type": "function_call_output", "call_id": "call_3", "output": ERROR_RESULT}],
     "output": [_answer("100 EUR is 1160.5 NOK. I could not get the weather in Paris.")]},
    {"conversation": "conv-3", "model": "gpt-5", "tools": TOOLS, "input": [
        {"type": "message", "role": "developer", "content": SYSTEM},
        {"type": "message", "role": "user", "content": "Hi!"},
        _answer("Hello! How can I help?"),
        {"type": "message", "role": "user", "content": "Weather in Lima?"},
        {"type": "reasoning", "id": "rs_1", "summary": []},
        _call("call_4", "get_weather"),
        {"type": "function_call_output", "call_id": "call_4", "output": "sunny, 24 °C"}],
     "output": [_answer("Sunny in Lima, 24 °C.")]},
]


def test_responses_gives_the_twin(tmp_path):
    path = write_jsonl(tmp_path / "responses.jsonl", GOLDEN)
    assert detect_format(path) == "responses"
    assert_twin(load_dataset(path), tmp_path)


def test_responses_cli_matches_the_twin(tmp_path, capsys, monkeypatch):
    assert_cli_like_twin(write_jsonl(tmp_path / "responses.jsonl", GOLDEN), "responses", tmp_path, capsys,
                         monkeypatch)


def test_responses_output_without_its_call(tmp_path):
    bad = {"conversation": "x", "input": [{"type": "function_call_output", "call_id": "nope", "output": "?"}]}
    path = write_jsonl(tmp_path / "bad.jsonl", [bad, GOLDEN[1]])
    with pytest.raises(DataError, match=r"line 1: field 'input.0.call_id': tool result for call 'nope'"):
        load_dataset(path)
    dataset = load_dataset(path, skip_invalid=True)
    assert [t.id for t in dataset] == [TRACE_2] and dataset.n_skipped == 1
