"""OpenInference spans (``--from openinference``): Phoenix / OpenInference span exports, read per the
OpenInference semantic conventions and tool-calling conventions (the ``spec`` folder of
https://github.com/Arize-ai/openinference).

Input: OTLP/JSON trace exports or one SDK-shaped span per record (:mod:`synae.adapters.spans`), with
flattened attributes (``llm.input_messages.0.message.role``) or, as Phoenix's span tables write them,
nested lists (``llm.input_messages: [{"message.role": …}]``). Grouping: ``session.id``, else the trace.

Mapping of an ``LLM`` span (``openinference.span.kind``):

- ``llm.input_messages.<i>.message.*`` (sent) and ``llm.output_messages.<i>.message.*`` (returned):
  ``message.role``; ``message.content``, else the ``text`` items of
  ``message.contents.<k>.message_content.*``; ``message.tool_calls.<j>.tool_call.id`` /
  ``.function.name`` / ``.function.arguments`` (a JSON string, kept) → tool calls;
  ``message.tool_call_id`` on a ``tool`` message → the call it answers;
- ``llm.tools.<i>.tool.json_schema`` (JSON text of an OpenAI tool) → tool definitions.

An LLM span without input and output messages recorded (hidden by ``OPENINFERENCE_HIDE_INPUTS``/
``…_OUTPUTS``) is counted as not captured. Other span kinds (``CHAIN``, ``AGENT``, ``TOOL``, …) add
no messages; their ids stay in the trajectory's trace links.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

from synae.adapters.common import Thunk
from synae.adapters.spans import ModelCall, Span, SpanFormat, indexed, span_thunks, trace_spans
from synae.adapters.transcripts import Msg, joined_text, json_value, openai_tool, tool_call
from synae.errors import DataError

_ROLES = {"system": "system", "developer": "system", "user": "user", "human": "user",
          "assistant": "assistant",
          "ai": "assistant", "model": "assistant", "tool": "tool", "function": "tool"}


def _message(item: Mapping[str, Any], *, src: str, where: str, fld: str) -> Msg:
    role = _ROLES.get(str(item.get("message.role", "")).lower())
    if role is None:
        raise DataError(f"unknown role {item.get('message.role')!r}", source=src, location=where,
                        field=f"{fld}.message.role")
    content = item.get("message.content")
    if content is None:
        content = joined_text(str(c.get("message_content.text", ""))
                              for c in indexed(item, "message.contents")
                              if c.get("message_content.type", "text") == "text")
    msg: Msg = {"role": role, "content": content}
    calls = [tool_call(c.get("tool_call.id"), c.get("tool_call.function.name"),
                       c.get("tool_call.function.arguments")) for c in indexed(item, "message.tool_calls")]
    if calls:
        msg["tool_calls"] = calls
    if role == "tool":
        msg["tool_call_id"] = str(item.get("message.tool_call_id"))
    return msg


def _model_call(span: Span, src: str) -> ModelCall | None:
    attrs = span.attributes
    if attrs.get("openinference.span.kind") != "LLM":
        return None
    found: list[list[Msg] | None] = []
    for prefix in ("llm.input_messages", "llm.output_messages"):
        items = indexed(attrs, prefix)
        found.append([_message(m, src=src, where=span.location, fld=f"{prefix}.{i}")
                      for i, m in enumerate(items)] if items else None)
    tools = [openai_tool(json_value(t.get("tool.json_schema"), source=src, location=span.location,
                                    fld=f"llm.tools.{i}.tool.json_schema"))
             for i, t in enumerate(indexed(attrs, "llm.tools"))]
    return ModelCall(sent=found[0], received=found[1], tools=tools)


def _conversation(span: Span) -> str | None:
    value = span.attributes.get("session.id")
    return None if value is None else str(value)


OPENINFERENCE = SpanFormat("openinference", trace_spans, _conversation, _model_call)


def openinference_records(path: Path, warn: Callable[[str], None]) -> Iterator[tuple[str, Thunk]]:
    """``(location, make_trajectory)`` of every conversation of ``path``."""
    return span_thunks(path, OPENINFERENCE, warn)
