"""Tool calls written as JSON text in ``content`` (llama.cpp without function calling)."""

from __future__ import annotations

import asyncio
import json

import pytest

from helpers.openai_server import Reply, ScriptedOpenAIServer
from synae.config import LLMSettings
from synae.llm.client import ChatRequest, LLMClient
from synae.llm.text_tools import parse_text_tool_calls

TOOLS = [{"type": "function", "function": {"name": "power", "parameters": {"type": "object"}}}]


def names_and_args(calls: list[dict]) -> list[tuple[str, dict]]:
    return [(c["function"]["name"], json.loads(c["function"]["arguments"])) for c in calls]


@pytest.mark.parametrize(("text", "expected"), [
    ('{"name": "power", "arguments": {"base": 2, "exponent": 3}}', [("power", {"base": 2, "exponent": 3})]),
    ('[{"name": "a", "arguments": {}}, {"name": "b", "parameters": {"x": 1}}]', [("a", {}), ("b", {"x": 1})]),
    ('```json\n{"name": "a", "arguments": "{\\"x\\": 2}"}\n```', [("a", {"x": 2})]),
    ('<tool_call>\n{"name": "a", "arguments": {}}\n</tool_call>\n<tool_call>{"name": "b", "arguments": {}}'
     '</tool_call>', [("a", {}), ("b", {})]),
    ("Sure! I will call power now.", []),
    ('Here: {"name": "a", "arguments": {}}', []),
    ('{"answer": "yes"}', []),
    ('{"name": "a", "arguments": [1, 2]}', []),
    ('<tool_call>{"name": "a"}</tool_call> and some prose', []),
    ('{"name": "a", "arguments": {"x": 1}, "weather": "sunny"}', []),
    ("", []), (None, []), ("{not json", []),
])
def test_text_tool_call_forms(text: str | None, expected: list) -> None:
    calls = parse_text_tool_calls(text)
    assert names_and_args(calls) == expected
    assert [c["id"] for c in calls] == [f"call_{i}" for i in range(len(expected))]


def test_llama_cpp_server_sends_calls_as_text_and_the_agent_reads_them() -> None:
    from synae.downstream.agents import AgentStep, ModelAgent
    from synae.schema import Message, Trajectory

    reference = Trajectory(id="r", messages=[Message(role="user", content="2^3?")])
    step = AgentStep(reference=reference, run=0, phase="call", turn=1, step=0,
                     messages=[{"role": "user", "content": "2^3?"}], tools=TOOLS)
    call = Reply.tools(("power", {"base": 2, "exponent": 3}))
    with ScriptedOpenAIServer([call], flavor="llama.cpp") as server:
        client = LLMClient(LLMSettings(cache=False), base_url=server.base_url, progress=False)
        raw = client.chat(ChatRequest(messages=step.messages, model="m", tools=TOOLS))
        server.push(Reply.tools(("power", {"base": 2, "exponent": 3})))
        reply = asyncio.run(ModelAgent(model="m", client=client).respond(step))
    assert raw.tool_calls == [] and json.loads(raw.content) == {"name": "power",
                                                                 "arguments": {"base": 2, "exponent": 3}}
    assert reply.content is None and [c.function.name for c in reply.tool_calls] == ["power"]
    assert json.loads(reply.tool_calls[0].function.arguments) == {"base": 2, "exponent": 3}
