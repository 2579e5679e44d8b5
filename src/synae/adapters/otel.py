"""OpenTelemetry GenAI spans (``--from otel``), read per the GenAI semantic conventions of
OpenTelemetry semantic conventions v1.38.0 (status: development; the message attributes date
from v1.37.0).

Input: OTLP/JSON trace exports (``resourceSpans`` → ``scopeSpans`` → ``spans``; one export per
line, or one per file), or one SDK-shaped span per record (:mod:`synae.adapters.spans`). Grouping:
``gen_ai.conversation.id``, else the trace.

Mapping of a model-call span (``gen_ai.operation.name`` ``chat``, ``text_completion`` or
``generate_content``, or any span carrying messages):

- ``gen_ai.system_instructions`` (a JSON array of parts) → a system message, then
  ``gen_ai.input.messages`` (the messages sent) and ``gen_ai.output.messages`` (those returned):
  JSON arrays of ``{"role", "parts": [...]}`` (the attribute may be JSON text or an array);
- part ``text`` (``content``) → the message text (several joined with ``"\\n"``); ``tool_call``
  (``id``, ``name``, ``arguments``) → a tool call; ``tool_call_response`` (``id``, ``response``)
  → a ``tool`` message answering ``id`` (whatever role carries it); other parts are left out;
- ``gen_ai.tool.definitions`` → tool definitions.

A model-call span without ``gen_ai.input.messages`` and ``gen_ai.output.messages`` did not capture
content (it is opt-in): it is counted as not captured, never read as empty text. When no model call
of a conversation captured content, its ``execute_tool`` spans give its calls and results
(``gen_ai.tool.call.id``, ``gen_ai.tool.name``, ``gen_ai.tool.call.arguments``,
``gen_ai.tool.call.result``; an ERROR status marks the result ``metadata.is_error``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

from synae.adapters.common import Thunk
from synae.adapters.spans import NOT_CAPTURED_ARGUMENTS, ModelCall, Span, SpanFormat, span_thunks, trace_spans
from synae.adapters.transcripts import Msg, block_text, json_value, openai_tool, result_text, tool_call
from synae.errors import DataError

SEMCONV_VERSION = "1.38.0"
MODEL_OPERATIONS = frozenset({"chat", "text_completion", "generate_content"})
_ROLES = {"system": "system", "developer": "system", "user": "user", "assistant": "assistant", "tool": "tool"}


def _json(span: Span, key: str, src: str) -> Any:
    return json_value(span.attributes.get(key), source=src, location=span.location, fld=key)


def messages_of(value: Any, *, src: str, where: str, fld: str) -> list[Msg]:
    """Canonical messages of a ``gen_ai.input.messages``/``gen_ai.output.messages`` value: per
    message, its ``tool_call_response`` parts as ``tool`` messages, then (unless its role is
    ``tool``) its text and tool calls as one message, when it has either."""
    if not isinstance(value, list):
        raise DataError("expected a JSON array of messages", source=src, location=where, field=fld)
    out: list[Msg] = []
    for i, message in enumerate(value):
        role = _ROLES.get(str(message.get("role"))) if isinstance(message, Mapping) else None
        if role is None:
            raise DataError("expected a message with a role (system, user, assistant or tool)", source=src,
                            location=where, field=f"{fld}[{i}]")
        parts = [p for p in message.get("parts") or () if isinstance(p, Mapping)]
        out += [{"role": "tool", "tool_call_id": str(p.get("id")), "content": result_text(p.get("response"))}
                for p in parts if p.get("type") == "tool_call_response"]
        text = block_text(parts, key="content")
        calls = [tool_call(p.get("id"), p.get("name"), p.get("arguments")) for p in parts
                 if p.get("type") == "tool_call"]
        if role != "tool" and (text is not None or calls):
            out.append({"role": role, "content": text, **({"tool_calls": calls} if calls else {})})
    return out


def _model_call(span: Span, src: str) -> ModelCall | None:
    attrs = span.attributes
    keys = ("gen_ai.input.messages", "gen_ai.output.messages")
    if attrs.get("gen_ai.operation.name") not in MODEL_OPERATIONS and not any(k in attrs for k in keys):
        return None
    sent: list[Msg] | None = None
    if keys[0] in attrs:
        sent = messages_of(_json(span, keys[0], src), src=src, where=span.location, fld=keys[0])
    received = (messages_of(_json(span, keys[1], src), src=src, where=span.location, fld=keys[1])
                if keys[1] in attrs else None)
    system = block_text(_json(span, "gen_ai.system_instructions", src), key="content")
    if system and sent is not None:
        sent.insert(0, {"role": "system", "content": system})
    definitions = _json(span, "gen_ai.tool.definitions", src)
    tools = [openai_tool(t) for t in definitions] if isinstance(definitions, list) else []
    return ModelCall(sent=sent, received=received, tools=tools)


def _tool_step(span: Span) -> tuple[Msg, Msg] | None:
    attrs = span.attributes
    if attrs.get("gen_ai.operation.name") != "execute_tool" or "gen_ai.tool.call.id" not in attrs:
        return None
    call_id = str(attrs["gen_ai.tool.call.id"])
    result: Msg = {"role": "tool", "tool_call_id": call_id,
                   "content": result_text(attrs.get("gen_ai.tool.call.result"))}
    if span.error:
        result["metadata"] = {"is_error": True}
    if "gen_ai.tool.call.arguments" not in attrs:  # opt-in content not recorded: never "{}" as if empty
        result["metadata"] = {**result.get("metadata", {}), NOT_CAPTURED_ARGUMENTS: True}
    return tool_call(call_id, attrs.get("gen_ai.tool.name"), attrs.get("gen_ai.tool.call.arguments")), result


def _conversation(span: Span) -> str | None:
    value = span.attributes.get("gen_ai.conversation.id")
    return None if value is None else str(value)


OTEL = SpanFormat("otel", trace_spans, _conversation, _model_call, _tool_step)


def is_otel(keys: set[str]) -> bool:
    """Attribute keys of GenAI spans (``gen_ai.*``) rather than OpenInference ones."""
    return not any(k.startswith("llm.") or k == "openinference.span.kind" for k in keys)


def otel_records(path: Path, warn: Callable[[str], None]) -> Iterator[tuple[str, Thunk]]:
    """``(location, make_trajectory)`` of every conversation of ``path``."""
    return span_thunks(path, OTEL, warn)
