"""OpenAI Responses API records (``--from responses``): one request per record, as logged,
optionally with the response's ``output`` items::

    {"conversation": "conv-1", "instructions": "You are …",
     "tools": [{"type": "function", "name": "get_weather", "description": "…", "parameters": {…}}],
     "input": [{"type": "message", "role": "user", "content": "Weather in Oslo?"},
               {"type": "function_call", "call_id": "call_1", "name": "get_weather",
                "arguments": "{\\"city\\": \\"Oslo\\"}"},
               {"type": "function_call_output", "call_id": "call_1", "output": "rain"}],
     "output": [{"type": "message", "role": "assistant",
                 "content": [{"type": "output_text", "text": "It rains in Oslo."}]}]}

Mapping: ``instructions`` → the first, system message; ``input`` (a string → one user message, or
a list of items) then ``output`` (a list of items) in order: ``message`` items (also items with a
``role`` and no ``type``; ``developer`` → ``system``; content a string or ``input_text``/
``output_text`` parts) → messages; ``function_call`` items → tool calls (``call_id``, ``name``,
``arguments`` kept as the JSON string) added to the assistant message just before them, else to a
new assistant message; ``function_call_output`` items → ``tool`` messages answering ``call_id``
(``output`` a string or text parts). Other items (reasoning, built-in tool calls) are left out.
Without ``output`` items, an ``output_text`` string is the final assistant answer. Function
``tools`` → canonical function tools; others are kept as given. The id is the record's
``conversation`` (a string or ``{"id": …}``) or another conversation id, else its ``id``, else its
0-based position (:func:`~synae.adapters.transcripts.record_id`).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from synae.adapters.common import Thunk
from synae.adapters.transcripts import (
    Transcript,
    block_text,
    openai_tool,
    record_id,
    record_thunks,
    tool_call,
)
from synae.errors import DataError
from synae.schema import Trajectory

_TEXT_PARTS = ("input_text", "output_text", "text")
_ROLES = {"user": "user", "assistant": "assistant", "system": "system", "developer": "system"}


def is_responses(record: Mapping[str, Any]) -> bool:
    """A Responses API record: ``input`` (a list of items or a string with ``instructions``), or a
    Response object (``object == "response"``)."""
    return (isinstance(record.get("input"), list) or record.get("object") == "response"
            or (isinstance(record.get("input"), str) and "instructions" in record))


def responses_records(path: Path) -> Iterator[tuple[str, Thunk]]:
    """``(location, make_trajectory)`` of every record of ``path``."""
    return record_thunks(path, convert)


def convert(record: dict[str, Any], *, position: int, src: str, location: str) -> Trajectory:
    """One Responses API record as a trajectory (see the module docstring)."""
    out = Transcript(src)
    if isinstance(record.get("instructions"), str) and record["instructions"]:
        out.append({"role": "system", "content": record["instructions"]}, where=location)
    items = record.get("input")
    if isinstance(items, str):
        items = [{"type": "message", "role": "user", "content": items}]
    for key, value in (("input", items), ("output", record.get("output"))):
        if value is None:
            continue
        if not isinstance(value, list):
            raise DataError("expected a list of items", source=src, location=location, field=key)
        for i, item in enumerate(value):
            _item(out, item, where=location, fld=f"{key}.{i}")
    if record.get("output") is None and isinstance(record.get("output_text"), str):
        out.append({"role": "assistant", "content": record["output_text"]}, where=location)
    tools = [openai_tool(t) for t in record.get("tools") or ()]
    metadata: dict[str, Any] = {"source_format": "responses"}
    if record.get("object") == "response" and "id" in record:
        metadata["response_id"] = record["id"]
    return out.trajectory(record_id(record, position), location=location, tools=tools, metadata=metadata)


def _item(out: Transcript, item: Any, *, where: str, fld: str) -> None:
    if not isinstance(item, Mapping):
        raise DataError("expected an item object", source=out.source, location=where, field=fld)
    kind = item.get("type", "message" if "role" in item else None)
    if kind == "message":
        role = _ROLES.get(str(item.get("role")))
        if role is None:
            raise DataError(f"unknown role {item.get('role')!r}", source=out.source, location=where,
                            field=f"{fld}.role")
        out.append({"role": role, "content": block_text(item.get("content"), text_types=_TEXT_PARTS)},
                   where=where, fld=fld)
    elif kind == "function_call":
        out.add_calls([tool_call(item.get("call_id"), item.get("name"), item.get("arguments"))], where=where)
    elif kind == "function_call_output":
        out.append({"role": "tool", "tool_call_id": str(item.get("call_id")),
                    "content": block_text(item.get("output"), text_types=_TEXT_PARTS)},
                   where=where, fld=f"{fld}.call_id")
