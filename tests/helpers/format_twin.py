"""The OpenAI chat twin of the trace-format conformance tests (tests/adapters/test_<format>.py).

Three conversations — tool calls with text, two parallel calls with an error result, a multi-turn
conversation — with tool definitions. Every format's golden records hold the same conversations;
its reader must give exactly these trajectories (ids, messages, tool calls, tool results,
outputs, tools), ``synae inspect`` the same counts and ``synae convert`` the same records.

Ids: ``conv-1``, the trace id ``TRACE_2`` (conversation 2 has no conversation id in the span
formats, so its trace names it), ``conv-3``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from helpers.synae_cli import run_synae
from synae.adapters import load_dataset
from synae.schema import Dataset, Trajectory

TRACE_2 = "4bf92f3577b34da6a3ce929d0e0e4736"
SYSTEM = "You are a helpful travel assistant."
WEATHER_PARAMS = {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}
CURRENCY_PARAMS = {"type": "object", "properties": {"amount": {"type": "number"}, "from": {"type": "string"},
                                                    "to": {"type": "string"}},
                   "required": ["amount", "from", "to"]}
WEATHER_DOC = "Current weather in a city."
CURRENCY_DOC = "Convert an amount between currencies."
TOOLS = [{"type": "function", "function": {"name": "get_weather", "description": WEATHER_DOC,
                                           "parameters": WEATHER_PARAMS}},
         {"type": "function", "function": {"name": "convert_currency", "description": CURRENCY_DOC,
                                           "parameters": CURRENCY_PARAMS}}]
ARGS = {"call_1": '{"city": "Oslo"}', "call_2": '{"amount": 100, "from": "EUR", "to": "NOK"}',
        "call_3": '{"city": "Paris"}', "call_4": '{"city": "Lima"}'}
ERROR_RESULT = "error: weather service unavailable"


def _call(call_id: str, name: str) -> dict[str, Any]:
    return {"id": call_id, "type": "function", "function": {"name": name, "arguments": ARGS[call_id]}}


TWIN: list[dict[str, Any]] = [
    {"id": "conv-1", "tools": TOOLS, "messages": [
        {"role": "system", "content": SYSTEM},
        {"role": "user", "content": "What is the weather in Oslo?"},
        {"role": "assistant", "content": "Let me check.", "tool_calls": [_call("call_1", "get_weather")]},
        {"role": "tool", "tool_call_id": "call_1", "content": "rain, 8 °C"},
        {"role": "assistant", "content": "It is raining in Oslo, 8 °C."}]},
    {"id": TRACE_2, "tools": TOOLS, "messages": [
        {"role": "user", "content": "Convert 100 EUR to NOK and check the weather in Paris."},
        {"role": "assistant", "content": None, "tool_calls": [_call("call_2", "convert_currency"),
                                                              _call("call_3", "get_weather")]},
        {"role": "tool", "tool_call_id": "call_2", "content": "1160.5 NOK"},
        {"role": "tool", "tool_call_id": "call_3", "content": ERROR_RESULT},
        {"role": "assistant", "content": "100 EUR is 1160.5 NOK. I could not get the weather in Paris."}]},
    {"id": "conv-3", "tools": TOOLS, "messages": [
        {"role": "system", "content": SYSTEM},
        {"role": "user", "content": "Hi!"},
        {"role": "assistant", "content": "Hello! How can I help?"},
        {"role": "user", "content": "Weather in Lima?"},
        {"role": "assistant", "content": None, "tool_calls": [_call("call_4", "get_weather")]},
        {"role": "tool", "tool_call_id": "call_4", "content": "sunny, 24 °C"},
        {"role": "assistant", "content": "Sunny in Lima, 24 °C."}]},
]


def write_jsonl(path: Path, records: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    return path


def projection(dataset: Iterable[Trajectory]) -> list[dict[str, Any]]:
    """What must match the twin: ids, messages (roles, text, tool calls, results), outputs, tools."""
    out = []
    for t in dataset:
        messages = [{"role": m.role, "content": m.content, "tool_call_id": m.tool_call_id,
                     "tool_calls": [(c.id, c.name, c.function.arguments) for c in m.tool_calls or ()]}
                    for m in t.messages]
        out.append({"id": t.id, "messages": messages, "output": t.output, "tools": t.tools})
    return out


def twin_dataset(tmp_path: Path) -> Dataset:
    return load_dataset(write_jsonl(tmp_path / "twin.jsonl", TWIN), "openai")


def assert_twin(dataset: Dataset, tmp_path: Path) -> None:
    """``dataset`` holds exactly the twin's trajectories (metadata aside)."""
    assert projection(dataset) == projection(twin_dataset(tmp_path))


COUNT_KEYS = ("n", "messages", "tool_calls", "tool_names", "with_output", "n_skipped")


def assert_cli_like_twin(path: Path, fmt: str, tmp_path: Path, capsys: Any, monkeypatch: Any) -> None:
    """``synae inspect`` detects ``fmt`` and reports the twin's counts; ``synae convert`` writes the
    twin's trajectories."""
    twin = write_jsonl(tmp_path / "twin.jsonl", TWIN)
    stats = {}
    for name, file in (("twin", twin), (fmt, path)):
        code, out, err = run_synae(["inspect", file, "--json"], capsys, monkeypatch)
        assert code == 0, err
        stats[name] = json.loads(out)
    assert stats[fmt]["format"] == fmt
    assert {k: stats[fmt][k] for k in COUNT_KEYS} == {k: stats["twin"][k] for k in COUNT_KEYS}
    converted = tmp_path / f"{fmt}.canonical.jsonl"
    code, _, err = run_synae(["convert", path, "--out", converted], capsys, monkeypatch)
    assert code == 0, err
    assert projection(load_dataset(converted, "canonical")) == projection(twin_dataset(tmp_path))
