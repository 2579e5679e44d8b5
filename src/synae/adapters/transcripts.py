"""Helpers the trace and API-log readers share (``anthropic``, ``responses``, ``otel``,
``openinference``, ``langsmith``): building an OpenAI-chat message list with checked tool results,
merging the histories that successive model calls were sent, tool definitions and text parts in the
canonical form, and the final checked :class:`~synae.schema.Trajectory`.

Canonical forms every reader produces, so that the same conversation gives the same trajectory
whatever format it was logged in:

- a tool call is ``{"id", "type": "function", "function": {"name", "arguments"}}``; arguments given
  as a JSON string are kept verbatim, any other value is stored as ``json.dumps(value,
  ensure_ascii=False)`` (what :class:`~synae.schema.FunctionCall` does with an object);
- a tool definition is ``{"type": "function", "function": {"name"[, "description"][,
  "parameters"]}}`` (other keys of the source, e.g. ``strict``, are dropped);
- text split over several parts is joined with ``"\\n"``; parts that are not text (images, files,
  reasoning) are left out;
- the output is the final assistant answer (``output_from = last-assistant``,
  :func:`synae.adapters.common.apply_output_from`).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from synae.adapters.chat import _validate
from synae.adapters.common import Source, Thunk, apply_output_from, iter_records
from synae.errors import DataError
from synae.schema import Trajectory

Msg = dict[str, Any]
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


def arguments_text(value: Any) -> str:
    """Tool-call arguments as the canonical JSON string: a string is kept as is (``""`` and
    ``None`` → ``"{}"``), anything else is ``json.dumps(value, ensure_ascii=False)``."""
    if value is None or value == "":
        return "{}"
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def tool_call(call_id: Any, name: Any, arguments: Any) -> Msg:
    """One canonical tool call (see the module docstring)."""
    return {"id": str(call_id), "type": "function",
            "function": {"name": str(name), "arguments": arguments_text(arguments)}}


def any_tool_call(call: Mapping[str, Any]) -> Msg:
    """A tool call given either as ``{"id", "name", "args"|"arguments"|"input"}`` (LangChain, OTel,
    Anthropic) or in OpenAI form ``{"id", "function": {"name", "arguments"}}``."""
    function = call.get("function")
    if isinstance(function, Mapping):
        return tool_call(call.get("id"), function.get("name"), function.get("arguments"))
    arguments = next((call[k] for k in ("args", "arguments", "input") if k in call), None)
    return tool_call(call.get("id"), call.get("name"), arguments)


CONVERSATION_KEYS = ("conversation_id", "thread_id", "session_id")


def record_id(record: Mapping[str, Any], position: int) -> str:
    """The trajectory id of a logged request: its ``conversation`` (a string or ``{"id": …}``), else
    ``conversation_id``, else ``metadata.conversation_id``/``thread_id``/``session_id``, else its
    ``id``, else its 0-based position in the file."""
    conversation = record.get("conversation")
    if isinstance(conversation, Mapping):
        conversation = conversation.get("id")
    metadata = mapping(record.get("metadata"))
    found = [conversation, record.get("conversation_id"), *(metadata.get(k) for k in CONVERSATION_KEYS),
             record.get("id")]
    return str(next((v for v in found if v not in (None, "")), position))


def function_tool(name: Any, description: Any = None, parameters: Any = None) -> Msg:
    """One canonical function-tool definition; absent description/parameters stay absent."""
    function: Msg = {"name": str(name)}
    if description is not None:
        function["description"] = description
    if parameters is not None:
        function["parameters"] = parameters
    return {"type": "function", "function": function}


def openai_tool(definition: Any) -> Any:
    """A tool definition in the canonical form: ``{"type": "function", "function": {...}}`` (OpenAI
    chat) or a flat ``{"name", "description", "parameters"}`` (OpenAI Responses, OTel
    ``gen_ai.tool.definitions``); anything else is kept as is."""
    if isinstance(definition, Mapping):
        inner = definition.get("function")
        if isinstance(inner, Mapping) and "name" in inner:
            return function_tool(inner["name"], inner.get("description"), inner.get("parameters"))
        if "name" in definition and definition.get("type", "function") == "function":
            return function_tool(definition["name"], definition.get("description"),
                                 definition.get("parameters"))
    return definition


def mapping(value: Any) -> Mapping[str, Any]:
    """``value`` when it is a mapping, else an empty one (for optional nested objects)."""
    return value if isinstance(value, Mapping) else {}


def joined_text(parts: Iterable[str]) -> str | None:
    """Text parts joined with ``"\\n"``; no parts → ``None``."""
    texts = list(parts)
    return "\n".join(texts) if texts else None


def block_text(content: Any, *, text_types: tuple[str, ...] = ("text",), key: str = "text") -> str | None:
    """The text of a content value: a string as is, a list of blocks ``{"type": t, key: …}`` with
    ``t`` in ``text_types`` joined (:func:`joined_text`), anything else ``None``."""
    if content is None or isinstance(content, str):
        return content
    if isinstance(content, list):
        return joined_text(str(b.get(key, "")) for b in content
                           if isinstance(b, Mapping) and b.get("type") in text_types)
    return None


def result_text(value: Any) -> str | None:
    """A tool result as text: a string as is, ``None`` stays ``None``, anything else as JSON."""
    if value is None or isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False)


def json_value(value: Any, *, source: str, location: str, fld: str) -> Any:
    """``value`` decoded when it is JSON text (attributes often carry JSON as a string)."""
    if not isinstance(value, str):
        return value
    try:
        return json.loads(value)
    except json.JSONDecodeError as exc:
        raise DataError(f"malformed JSON ({exc.msg})", source=source, location=location, field=fld) from None


def time_ns(value: Any) -> int:
    """A timestamp as integer nanoseconds: an integer (or its decimal text, OTLP ``*TimeUnixNano``)
    as is, ISO 8601 text through :meth:`datetime.fromisoformat` (no zone = UTC); missing or unreadable → 0
    (such spans sort first, then by file order)."""
    if value is None or value == "":
        return 0
    if isinstance(value, (int, float)):
        return int(value)
    text = str(value)
    if text.isdigit():
        return int(text)
    try:
        stamp = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return 0
    if stamp.tzinfo is None:
        stamp = stamp.replace(tzinfo=timezone.utc)
    delta = stamp - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000_000 + delta.microseconds * 1000


def _key(msg: Msg) -> tuple[Any, ...]:
    """What makes two messages the same message (metadata aside)."""
    calls = tuple((c["id"], c["function"]["name"], c["function"]["arguments"])
                  for c in msg.get("tool_calls") or ())
    content = None if calls and msg.get("content") == "" else msg.get("content")
    return (msg["role"], content, calls, msg.get("tool_call_id"))


@dataclass
class Transcript:
    """The messages of one conversation, built in order.

    :meth:`append` checks that a ``tool`` message answers an earlier call (a
    :class:`~synae.errors.DataError` naming ``where`` otherwise). :meth:`merge` adds the messages a
    model call was sent, each message once whether every call is sent the whole history, a sliding
    window of it or only the new messages:

    1. leading system messages equal to the transcript's own leading ones are dropped (a system
       prompt pinned in front of a window);
    2. the longest start of the rest that repeats the end of the transcript (the history sent
       again) is dropped;
    3. when nothing repeats but the rest starts with the transcript's first message after its system
       messages and is at least as long as the transcript, it is taken as the whole history with an
       earlier message edited by the application: what lies beyond the transcript's length is new;
    4. the rest is appended.

    (A message identical to the last one, sent again on its own, is taken as repeated.)
    """

    source: str
    messages: list[Msg] = field(default_factory=list)
    calls: set[str] = field(default_factory=set)

    def append(self, msg: Msg, *, where: str, fld: str | None = None) -> None:
        """Append ``msg`` (a ``tool`` message must answer an earlier call; an assistant message with
        tool calls and empty text gets ``content: null``, as OpenAI chat writes it)."""
        if msg.get("tool_calls") and msg.get("content") == "":
            msg = {**msg, "content": None}
        if msg["role"] == "tool" and msg.get("tool_call_id") not in self.calls:
            raise DataError(f"tool result for call {msg.get('tool_call_id')!r} without an earlier tool call",
                            source=self.source, location=where, field=fld)
        self.calls.update(c["id"] for c in msg.get("tool_calls") or ())
        self.messages.append(msg)

    def add_calls(self, calls: list[Msg], *, where: str) -> None:
        """Add tool calls to the last message when it is an assistant message without results
        after it, else as a new assistant message without text."""
        last = self.messages[-1] if self.messages else None
        if last is not None and last["role"] == "assistant":
            last["tool_calls"] = [*(last.get("tool_calls") or []), *calls]
            self.calls.update(c["id"] for c in calls)
        else:
            self.append({"role": "assistant", "content": None, "tool_calls": calls}, where=where)

    def merge(self, sent: list[Msg], *, where: str) -> None:
        """Append what ``sent`` adds to the transcript (see the class docstring)."""
        keys = [_key(m) for m in sent]
        skip = 0
        while (skip < min(len(keys), len(self.messages)) and keys[skip][0] == "system"
               and keys[skip] == _key(self.messages[skip])):
            skip += 1
        rest = keys[skip:]
        tail = [_key(m) for m in self.messages[-len(rest):]] if rest else []
        overlap = next((k for k in range(min(len(tail), len(rest)), 0, -1) if rest[:k] == tail[-k:]), 0)
        if (not overlap and rest and len(self.messages) > skip and len(sent) >= len(self.messages)
                and rest[0] == _key(self.messages[skip])):
            overlap = len(self.messages) - skip
        for msg in sent[skip + overlap:]:
            self.append(msg, where=where)

    def trajectory(self, traj_id: str, *, location: str, tools: list[Any] | None = None,
                   metadata: Msg | None = None) -> Trajectory:
        """The checked trajectory (output = the final assistant answer)."""
        data: Msg = {"id": traj_id, "messages": self.messages}
        if tools:
            data["tools"] = tools
        if metadata:
            data["metadata"] = metadata
        traj = _validate(data, src=self.source, location=location)
        return apply_output_from(traj, "last-assistant", has_field=False)


def dedup_tools(tools: list[Any], more: Iterable[Any]) -> None:
    """Append the definitions of ``more`` whose function name (else the whole definition) is new."""
    def name(tool: Any) -> Any:
        return tool.get("function", {}).get("name") if isinstance(tool, Mapping) else json.dumps(tool)
    seen = {name(t) for t in tools}
    for tool in more:
        if name(tool) not in seen:
            seen.add(name(tool))
            tools.append(tool)


# --------------------------------------------------------------------------------------------
# Per-record formats (one trajectory per record)


def record_thunks(path: Path, convert: Any) -> Iterator[tuple[str, Thunk]]:
    """``(location, make_trajectory)`` of every record of ``path`` (JSON Lines, a JSON array or a
    table, :func:`synae.adapters.common.iter_records`); ``convert(record, position=, src=,
    location=)`` builds the trajectory."""
    source = Source(str(path), path=path)
    for position, (location, get) in enumerate(iter_records(source)):
        def make(get: Any = get, position: int = position, location: str = location) -> Trajectory:
            return convert(get(), position=position, src=source.label, location=location)  # type: ignore[no-any-return]
        yield location, make
