"""Anthropic Messages API records (``--from anthropic``): one request body per record, as logged::

    {"id": "conv-1", "model": "claude-…", "system": "You are …",
     "tools": [{"name": "get_weather", "description": "…", "input_schema": {…}}],
     "messages": [{"role": "user", "content": "Weather in Oslo?"},
                  {"role": "assistant", "content": [{"type": "text", "text": "Checking."},
                     {"type": "tool_use", "id": "toolu_1", "name": "get_weather",
                      "input": {"city": "Oslo"}}]},
                  {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "toolu_1",
                                                "content": "rain", "is_error": false}]},
                  {"role": "assistant", "content": "It rains in Oslo."}],
     "response": {"type": "message", "role": "assistant", "content": [...]}}

Mapping: ``system`` (a string or text blocks) → the first, system message; a message's ``text``
blocks → its text; ``tool_use`` blocks → tool calls (``input`` stored as its JSON text); each
``tool_result`` block of a user turn → one ``tool`` message answering ``tool_use_id`` (its content, a
string or text blocks; ``is_error: true`` → message ``metadata.is_error``), followed by the turn's
text, if any, as a user message. An optional ``response`` (a Message object) is the final assistant
turn. ``tools`` → function tools (``input_schema`` → ``parameters``). The id is the record's
conversation id or ``id`` (:func:`~synae.adapters.transcripts.record_id`), else its 0-based
position. Other block types (images, documents, thinking) are left out.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from synae.adapters.common import Thunk
from synae.adapters.transcripts import (
    Transcript,
    block_text,
    function_tool,
    record_id,
    record_thunks,
    tool_call,
)
from synae.errors import DataError
from synae.schema import Trajectory


def is_anthropic(record: Mapping[str, Any]) -> bool:
    """A Messages API record: ``messages`` without ``system``/``tool`` roles, and a top-level
    ``system``, ``max_tokens`` (required by the API) without OpenAI ``tool_calls``, tools with
    ``input_schema`` or content blocks of Anthropic types (``tool_use``/``tool_result``). (Without any
    of these, a record reads the same as OpenAI chat.)"""
    messages = record.get("messages")
    if not isinstance(messages, list) or any(isinstance(m, Mapping) and m.get("role") in ("system", "tool")
                                             for m in messages):
        return False
    tools = record.get("tools") or ()
    if "system" in record or ("max_tokens" in record and not any(
            isinstance(m, Mapping) and "tool_calls" in m for m in messages)):
        return True
    if any(isinstance(t, Mapping) and "input_schema" in t for t in tools):
        return True
    return any(isinstance(m, Mapping) and isinstance(m.get("content"), list)
               and any(isinstance(b, Mapping) and b.get("type") in ("tool_use", "tool_result")
                       for b in m["content"]) for m in messages)


def anthropic_records(path: Path) -> Iterator[tuple[str, Thunk]]:
    """``(location, make_trajectory)`` of every record of ``path``."""
    return record_thunks(path, convert)


def convert(record: dict[str, Any], *, position: int, src: str, location: str) -> Trajectory:
    """One Messages API record as a trajectory (see the module docstring)."""
    messages = record.get("messages")
    if not isinstance(messages, list):
        raise DataError("expected a list of messages", source=src, location=location, field="messages")
    out = Transcript(src)
    system = block_text(record.get("system"))
    if system:
        out.append({"role": "system", "content": system}, where=location)
    turns = list(messages)
    if isinstance(record.get("response"), Mapping):
        turns.append({"role": "assistant", "content": record["response"].get("content")})
    for i, turn in enumerate(turns):
        fld = f"messages.{i}" if i < len(messages) else "response"
        if not isinstance(turn, Mapping) or turn.get("role") not in ("user", "assistant"):
            raise DataError("expected a message with role user or assistant", source=src, location=location,
                            field=fld)
        _turn(out, turn, where=location, fld=fld)
    tools = [function_tool(t.get("name"), t.get("description"), t.get("input_schema"))
             for t in record.get("tools") or () if isinstance(t, Mapping) and "name" in t]
    metadata = {"source_format": "anthropic", **({"model": record["model"]} if "model" in record else {})}
    return out.trajectory(record_id(record, position), location=location, tools=tools, metadata=metadata)


def _turn(out: Transcript, turn: Mapping[str, Any], *, where: str, fld: str) -> None:
    content = turn.get("content")
    blocks = content if isinstance(content, list) else [{"type": "text", "text": content}]
    text = block_text([b for b in blocks if isinstance(b, Mapping)])
    if turn["role"] == "assistant":
        calls = [tool_call(b.get("id"), b.get("name"), b.get("input"))
                 for b in blocks if isinstance(b, Mapping) and b.get("type") == "tool_use"]
        msg: dict[str, Any] = {"role": "assistant", "content": text}
        if calls:
            msg["tool_calls"] = calls
        out.append(msg, where=where, fld=fld)
        return
    for j, block in enumerate(blocks):
        if isinstance(block, Mapping) and block.get("type") == "tool_result":
            result: dict[str, Any] = {"role": "tool", "tool_call_id": str(block.get("tool_use_id")),
                                      "content": block_text(block.get("content"))}
            if block.get("is_error"):
                result["metadata"] = {"is_error": True}
            out.append(result, where=where, fld=f"{fld}.content.{j}.tool_use_id")
    if text is not None:
        out.append({"role": "user", "content": text}, where=where, fld=fld)
