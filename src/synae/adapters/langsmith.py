"""LangSmith run exports (``--from langsmith``): one run per record, as ``client.list_runs`` /
the run export give them::

    {"id": "…", "trace_id": "…", "parent_run_id": "…", "run_type": "llm", "name": "ChatOpenAI",
     "start_time": "2026-01-05T10:00:00.000000", "extra": {"metadata": {"thread_id": "conv-1"},
     "invocation_params": {"tools": [...]}}, "inputs": {"messages": [[...]]},
     "outputs": {"generations": [[{"message": {...}}]]}}

Runs are spans (:mod:`synae.adapters.spans`: ``trace_id``, ``id``, ``parent_run_id``, ``start_time``);
grouping: the thread id in ``extra.metadata`` (``thread_id``, ``session_id`` or ``conversation_id``,
the keys LangSmith groups threads by), else the trace.

Mapping of an ``llm`` run: ``inputs.messages`` (a list of messages, or a batch of lists: the first)
are the messages sent; ``outputs.generations`` (each list's first generation's ``message``), else
the first of ``outputs.choices`` (an OpenAI chat completion, as ``wrap_openai`` logs it), else
``outputs.messages`` / ``outputs.message``, those returned. Messages are LangChain-serialized
(``{"lc": 1, "type": "constructor", "id": [..., "AIMessage"], "kwargs": {...}}``), ``message_to_dict``
form (``{"type": "ai", "data": {...}}``) or plain (``{"type"|"role", "content", …}``): type
``human``/``ai``/``system``/``tool`` → role; ``content`` (a string or text blocks); ``tool_calls``
(``name``, ``args`` object, ``id``, or OpenAI-style ``function``; else
``additional_kwargs.tool_calls``) → tool calls;
a tool message's ``tool_call_id`` → the call it answers (``status: "error"`` → ``metadata.is_error``).
Tool definitions: ``extra.invocation_params.tools``, else ``inputs.tools`` (OpenAI tools). An
``llm`` run without inputs and outputs recorded (hidden) is counted as not captured. Chain and tool
runs add no messages.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

from synae.adapters.common import Thunk
from synae.adapters.spans import ModelCall, Span, SpanFormat, attributes_of, span_thunks
from synae.adapters.transcripts import Msg, any_tool_call, block_text, mapping, openai_tool, time_ns
from synae.errors import DataError

_TYPES = {"human": "user", "user": "user", "ai": "assistant", "assistant": "assistant", "system": "system",
          "developer": "system", "tool": "tool"}
THREAD_KEYS = ("thread_id", "session_id", "conversation_id")


def is_langsmith(keys: frozenset[str]) -> bool:
    """Keys of a run: ``run_type`` with ``trace_id`` or ``inputs``."""
    return "run_type" in keys and bool({"trace_id", "inputs"} & keys)


def run_span(record: Mapping[str, Any], src: str, location: str) -> Iterator[Span | DataError]:
    """A run as a span (its record as the attributes)."""
    where = f"{location} (run {record.get('name')!r})"
    if not record.get("trace_id"):
        yield DataError("run without a trace id", source=src, location=where, field="trace_id")
    elif not record.get("id"):
        yield DataError("run without an id", source=src, location=where, field="id")
    else:
        yield Span(trace_id=str(record["trace_id"]), span_id=str(record["id"]),
                   parent_id=None if record.get("parent_run_id") is None else str(record["parent_run_id"]),
                   name=str(record.get("name") or ""), start=time_ns(record.get("start_time")),
                   attributes=attributes_of(record), location=where, record=location,
                   error=record.get("error") is not None)


def _metadata(run: Mapping[str, Any]) -> Mapping[str, Any]:
    return mapping(mapping(run.get("extra")).get("metadata"))


def _conversation(span: Span) -> str | None:
    meta = _metadata(span.attributes)
    return next((str(meta[k]) for k in THREAD_KEYS if meta.get(k) is not None), None)


def lc_message(value: Any, *, src: str, where: str, fld: str) -> Msg:
    """One LangChain message (any form of the module docstring) as a canonical message."""
    if not isinstance(value, Mapping):
        raise DataError("expected a message object", source=src, location=where, field=fld)
    if isinstance(value.get("kwargs"), Mapping):
        data = value["kwargs"]
        cls = str((value.get("id") or [""])[-1]).removesuffix("Chunk").removesuffix("Message").lower()
        kind = data.get("type") or cls
    elif isinstance(value.get("data"), Mapping):
        data, kind = value["data"], value.get("type")
    else:
        data, kind = value, value.get("type") or value.get("role")
    role = _TYPES.get(str(kind).lower())
    if role is None:
        raise DataError(f"unknown message type {kind!r}", source=src, location=where, field=fld)
    msg: Msg = {"role": role, "content": block_text(data.get("content"))}
    raw_calls = data.get("tool_calls") or mapping(data.get("additional_kwargs")).get("tool_calls") or ()
    calls = [any_tool_call(c) for c in raw_calls if isinstance(c, Mapping)]
    if calls:
        msg["tool_calls"] = calls
    if role == "tool":
        msg["tool_call_id"] = str(data.get("tool_call_id"))
        if data.get("status") == "error":
            msg["metadata"] = {"is_error": True}
    return msg


def _received(outputs: Mapping[str, Any]) -> list[Any] | None:
    generations = outputs.get("generations")
    if isinstance(generations, list):
        firsts = [g[0] if isinstance(g, list) and g else g for g in generations]
        return [g.get("message") for g in firsts if isinstance(g, Mapping)]
    if isinstance(outputs.get("choices"), list):  # an OpenAI chat completion (``wrap_openai``)
        return [c.get("message") for c in outputs["choices"][:1] if isinstance(c, Mapping)]
    if isinstance(outputs.get("messages"), list):
        return list(outputs["messages"])
    return [outputs["message"]] if "message" in outputs else None


def _model_call(span: Span, src: str) -> ModelCall | None:
    run = span.attributes
    if run.get("run_type") != "llm":
        return None
    sent_raw = mapping(run.get("inputs")).get("messages")
    if isinstance(sent_raw, list) and sent_raw and isinstance(sent_raw[0], list):
        sent_raw = sent_raw[0]
    received_raw = _received(mapping(run.get("outputs")))
    sent = ([lc_message(m, src=src, where=span.location, fld=f"inputs.messages.{i}")
             for i, m in enumerate(sent_raw)]
            if isinstance(sent_raw, list) else None)
    received = ([lc_message(m, src=src, where=span.location, fld=f"outputs.{i}")
                 for i, m in enumerate(received_raw)]
                if received_raw is not None else None)
    params = mapping(mapping(run.get("extra")).get("invocation_params"))
    tools = [openai_tool(t) for t in params.get("tools") or mapping(run.get("inputs")).get("tools") or ()]
    return ModelCall(sent=sent, received=received, tools=tools)


LANGSMITH = SpanFormat("langsmith", run_span, _conversation, _model_call)


def langsmith_records(path: Path, warn: Callable[[str], None]) -> Iterator[tuple[str, Thunk]]:
    """``(location, make_trajectory)`` of every conversation of ``path``."""
    return span_thunks(path, LANGSMITH, warn)
