"""LangSmith run exports (``--from langsmith``) give exactly the OpenAI chat twin.

Golden runs written by hand from the LangSmith run data format (the ``Run`` schema of the langsmith
SDK: ``id``, ``trace_id``, ``parent_run_id``, ``run_type`` chain/llm/tool, ``start_time``,
``inputs``/``outputs``, ``extra.metadata`` with the thread id, ``extra.invocation_params.tools``)
with LangChain-serialized messages (``{"lc": 1, "type": "constructor", "id": [..., "AIMessage"],
"kwargs": {...}}``, ``tool_calls`` with an ``args`` object, ``ToolMessage`` with ``tool_call_id``
and ``status``). Conversation 1 writes its messages in ``message_to_dict`` form.
"""

from __future__ import annotations

import json

import pytest

from helpers.format_twin import (
    ERROR_RESULT,
    SYSTEM,
    TOOLS,
    TRACE_2,
    TWIN,
    assert_cli_like_twin,
    assert_twin,
    projection,
    write_jsonl,
)
from synae.adapters import detect_format, load_dataset
from synae.errors import DataError

R1, R3A, R3B = "1ef6a0c2-0001-4000-8000-000000000001", "1ef6a0c2-0003-4000-8000-000000000001", \
    "1ef6a0c2-0004-4000-8000-000000000001"
ARGS = {"call_1": {"city": "Oslo"}, "call_2": {"amount": 100, "from": "EUR", "to": "NOK"},
        "call_3": {"city": "Paris"}, "call_4": {"city": "Lima"}}


def lc(cls, **kwargs):
    return {"lc": 1, "type": "constructor", "id": ["langchain", "schema", "messages", cls], "kwargs": kwargs}


def calls(*items):
    return [{"name": name, "args": ARGS[call_id], "id": call_id, "type": "tool_call"}
            for call_id, name in items]


def run(run_id, trace, parent, run_type, second, inputs, outputs, thread=None, name=None):
    meta = {"thread_id": thread} if thread else {}
    extra = {"metadata": meta}
    if run_type == "llm":
        extra["invocation_params"] = {"model": "gpt-5", "tools": TOOLS}
    return {"id": run_id, "trace_id": trace, "parent_run_id": parent, "run_type": run_type,
            "name": name or {"llm": "ChatOpenAI", "chain": "agent"}.get(run_type, "tool"),
            "start_time": f"2026-01-05T10:00:{second:02d}.000000",
            "end_time": f"2026-01-05T10:00:{second:02d}.500000",
            "inputs": inputs, "outputs": outputs, "extra": extra, "error": None, "tags": [],
            "session_id": "7d4c1c6e-0000-4000-8000-00000000abcd"}


def gen(message):
    return {"generations": [[{"text": "", "type": "ChatGeneration", "message": message}]], "llm_output": None}


SYS = lc("SystemMessage", content=SYSTEM, type="system")
ASK_2 = lc("HumanMessage", content="Convert 100 EUR to NOK and check the weather in Paris.", type="human")
CALLS_2 = lc("AIMessage", content="", type="ai", tool_calls=calls(("call_2", "convert_currency"),
                                                                 ("call_3", "get_weather")))
HI = lc("HumanMessage", content="Hi!", type="human")
HELLO = lc("AIMessage", content="Hello! How can I help?", type="ai", tool_calls=[])
LIMA = lc("HumanMessage", content="Weather in Lima?", type="human")
CALL_4 = lc("AIMessageChunk", content="", type="ai", tool_calls=calls(("call_4", "get_weather")))
# message_to_dict form
D_SYS = {"type": "system", "data": {"content": SYSTEM, "type": "system"}}
D_ASK = {"type": "human", "data": {"content": "What is the weather in Oslo?", "type": "human"}}
D_CALL = {"type": "ai", "data": {"content": [{"type": "text", "text": "Let me check."}], "type": "ai",
                                 "tool_calls": calls(("call_1", "get_weather"))}}
D_RESULT = {"type": "tool", "data": {"content": "rain, 8 °C", "tool_call_id": "call_1", "type": "tool"}}

GOLDEN = [
    run(R1, R1, None, "chain", 0, {"messages": [D_ASK]}, {}, thread="conv-1", name="LangGraph"),
    run("r1-llm-1", R1, R1, "llm", 1, {"messages": [[D_SYS, D_ASK]]}, gen(D_CALL), thread="conv-1"),
    run("r1-tool", R1, R1, "tool", 2, {"input": "Oslo"}, {"output": "rain, 8 °C"}, name="get_weather"),
    run("r1-llm-2", R1, R1, "llm", 3, {"messages": [[D_SYS, D_ASK, D_CALL, D_RESULT]]},
        gen({"type": "ai", "data": {"content": "It is raining in Oslo, 8 °C.", "type": "ai"}})),
    run(TRACE_2, TRACE_2, None, "chain", 10, {}, {}),
    run("r2-llm-1", TRACE_2, TRACE_2, "llm", 11, {"messages": [[ASK_2]]}, gen(CALLS_2)),
    run("r2-llm-2", TRACE_2, TRACE_2, "llm", 13, {"messages": [[
        ASK_2, CALLS_2, lc("ToolMessage", content="1160.5 NOK", tool_call_id="call_2", type="tool"),
        lc("ToolMessage", content=ERROR_RESULT, tool_call_id="call_3", status="error", type="tool")]]},
        gen(lc("AIMessage", content="100 EUR is 1160.5 NOK. I could not get the weather in Paris.",
               type="ai"))),
    run(R3A, R3A, None, "llm", 20, {"messages": [[SYS, HI]]}, gen(HELLO), thread="conv-3"),
    run("r3b-llm-1", R3B, None, "llm", 30, {"messages": [[SYS, HI, HELLO, LIMA]]}, gen(CALL_4),
        thread="conv-3"),
    run("r3b-llm-2", R3B, None, "llm", 32, {"messages": [[
        SYS, HI, HELLO, LIMA, CALL_4,
        lc("ToolMessage", content="sunny, 24 °C", tool_call_id="call_4", type="tool")]]},
        gen(lc("AIMessage", content="Sunny in Lima, 24 °C.", type="ai")), thread="conv-3"),
]


def test_langsmith_gives_the_twin(tmp_path):
    path = write_jsonl(tmp_path / "runs.jsonl", GOLDEN)
    assert detect_format(path) == "langsmith"
    dataset = load_dataset(path)
    assert_twin(dataset, tmp_path)
    assert dataset[1].messages[3].metadata["is_error"] is True
    assert dataset[0].metadata["trace_id"] == R1 and dataset[0].metadata["span_id"] == R1


def test_langsmith_cli_matches_the_twin(tmp_path, capsys, monkeypatch):
    assert_cli_like_twin(write_jsonl(tmp_path / "runs.jsonl", GOLDEN), "langsmith", tmp_path, capsys,
                         monkeypatch)


def test_langsmith_malformed_runs(tmp_path):
    no_trace = json.loads(json.dumps(GOLDEN[5]))
    del no_trace["trace_id"]
    path = write_jsonl(tmp_path / "bad.jsonl", [*GOLDEN[:4], no_trace])
    with pytest.raises(DataError, match=r"line 5 \(run 'ChatOpenAI'\): field 'trace_id': "
                                        "run without a trace id"):
        load_dataset(path, "langsmith")
    assert [t.id for t in load_dataset(path, "langsmith", skip_invalid=True)] == ["conv-1"]


def test_plain_openai_style_messages(tmp_path):
    """Runs whose messages are OpenAI chat dicts (``role``, ``tool_calls`` with ``function``), as
    ``wrap_openai`` logs them."""
    messages = TWIN[0]["messages"]
    runs = [run("p-1", "p", None, "llm", 1, {"messages": messages[:4]}, {"messages": [messages[4]]},
                thread="conv-1")]
    # as wrap_openai logs a call: the request's tools, the chat completion as the outputs
    runs[0]["extra"], runs[0]["inputs"]["tools"] = {"metadata": {"thread_id": "conv-1"}}, TOOLS
    runs[0]["outputs"] = {"id": "chatcmpl-1", "object": "chat.completion",
                          "choices": [{"index": 0, "message": messages[4], "finish_reason": "stop"}]}
    (traj,) = load_dataset(write_jsonl(tmp_path / "plain.jsonl", runs))
    twin = load_dataset(write_jsonl(tmp_path / "twin.jsonl", TWIN[:1]), "openai")
    assert projection([traj]) == projection(twin)
