"""OpenAI Responses records (``--from responses``) give exactly the OpenAI chat twin.

Golden records written by hand from the OpenAI Responses API reference (``POST /v1/responses``:
``instructions``; ``input`` items ``message`` (content a string or ``input_text``/``output_text``
parts), ``function_call`` (``call_id``, ``name``, ``arguments`` string) and ``function_call_output``
(``call_id``, ``output``); flat function ``tools``; ``conversation``; a Response object's ``output``).
"""

from __future__ import annotations

import pytest

from helpers import format_twin as twin
from synae.adapters import detect_format, load_dataset
from synae.errors import DataError

TOOLS = [{"type": "function", "name": "get_weather", "description": twin.WEATHER_DOC,
          "parameters": twin.WEATHER_PARAMS,
          "strict": True},
         {"type": "function", "name": "convert_currency", "description": twin.CURRENCY_DOC,
          "parameters": twin.CURRENCY_PARAMS, "strict": True}]


def _call(call_id, name):
    return {"type": "function_call", "id": f"fc_{call_id}", "call_id": call_id, "name": name,
            "arguments": twin.ARGS[call_id], "status": "completed"}


def _answer(text):
    return {"type": "message", "id": "msg_x", "role": "assistant", "status": "completed",
            "content": [{"type": "output_text", "text": text, "annotations": []}]}


GOLDEN = [
    {"conversation": "conv-1", "model": "gpt-5", "instructions": twin.SYSTEM, "tools": TOOLS, "input": [
        {"type": "message", "role": "user", "content": "What is the weather in Oslo?"},
        _answer("Let me check."), _call("call_1", "get_weather"),
        {"type": "function_call_output", "call_id": "call_1", "output": "rain, 8 °C"}],
     "output": [_answer("It is raining in Oslo, 8 °C.")]},
    {"conversation": {"id": twin.TRACE_2}, "model": "gpt-5", "tools": TOOLS, "input": [
        {"role": "user", "content": [{"type": "input_text",
                                      "text": "Convert 100 EUR to NOK and check the weather in Paris."}]},
        _call("call_2", "convert_currency"), _call("call_3", "get_weather"),
        {"type": "function_call_output", "call_id": "call_2", "output": "1160.5 NOK"},
        {"type": "function_call_output", "call_id": "call_3", "output": twin.ERROR_RESULT}],
     "output": [_answer("100 EUR is 1160.5 NOK. I could not get the weather in Paris.")]},
    {"conversation": "conv-3", "model": "gpt-5", "tools": TOOLS, "input": [
        {"type": "message", "role": "developer", "content": twin.SYSTEM},
        {"type": "message", "role": "user", "content": "Hi!"},
        _answer("Hello! How can I help?"),
        {"type": "message", "role": "user", "content": "Weather in Lima?"},
        {"type": "reasoning", "id": "rs_1", "summary": []},
        _call("call_4", "get_weather"),
        {"type": "function_call_output", "call_id": "call_4", "output": "sunny, 24 °C"}],
     "output": [_answer("Sunny in Lima, 24 °C.")]},
]


def test_responses_gives_the_twin(tmp_path):
    path = twin.write_jsonl(tmp_path / "responses.jsonl", GOLDEN)
    assert detect_format(path) == "responses"
    twin.assert_twin(load_dataset(path), tmp_path)


def test_responses_cli_matches_the_twin(tmp_path, capsys, monkeypatch):
    path = twin.write_jsonl(tmp_path / "responses.jsonl", GOLDEN)
    twin.assert_cli_like_twin(path, "responses", tmp_path, capsys,
                         monkeypatch)


def test_responses_output_without_its_call(tmp_path):
    bad = {"conversation": "x", "input": [{"type": "function_call_output", "call_id": "nope", "output": "?"}]}
    path = twin.write_jsonl(tmp_path / "bad.jsonl", [bad, GOLDEN[1]])
    with pytest.raises(DataError, match=r"line 1: field 'input.0.call_id': tool result for call 'nope'"):
        load_dataset(path)
    dataset = load_dataset(path, skip_invalid=True)
    assert [t.id for t in dataset] == [twin.TRACE_2] and dataset.n_skipped == 1


def test_response_object_with_output_text_and_metadata_conversation_id(tmp_path):
    record = {"object": "response", "id": "resp_1", "metadata": {"conversation_id": "conv-1"},
              "instructions": twin.SYSTEM, "tools": TOOLS, "input": GOLDEN[0]["input"],
              "output_text": "It is raining in Oslo, 8 °C."}
    path = twin.write_jsonl(tmp_path / "responses.jsonl", [record])
    (traj,) = load_dataset(path)
    assert traj.id == "conv-1" and traj.output == "It is raining in Oslo, 8 °C."
    assert traj.metadata["response_id"] == "resp_1" and len(traj.messages) == 5
