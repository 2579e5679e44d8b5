"""Tool calls sent as JSON text in ``content`` (servers without native function calling).

llama.cpp (llama-cpp-python without a function-calling chat format) and some fine-tuned models
answer a tools request with the call written into the message text instead of ``tool_calls``.
:func:`parse_text_tool_calls` recognises these forms, and only when the whole reply is calls:

- a JSON object ``{"name": …, "arguments": {…}}`` (``"parameters"`` is accepted for
  ``"arguments"``; arguments may also be a JSON string), or a list of such objects;
- the same inside a Markdown code fence (```` ```json … ``` ````, language tag optional);
- one or more ``<tool_call>…</tool_call>`` blocks (Hermes/Qwen style), each holding one object or a
  list, with nothing but whitespace around them.

Anything else (prose, a JSON object without a string ``name``, invalid JSON) is not a call: the
function returns ``[]`` and the reply stays text. Parsing uses :func:`json.loads` only.
"""

from __future__ import annotations

import json
import re
from typing import Any

_FENCE = re.compile(r"^```[A-Za-z0-9_-]*\s*\n?(.*?)\n?```$", re.DOTALL)
_TAG = re.compile(r"<tool_call>(.*?)</tool_call>", re.DOTALL)


def _as_call(item: Any, index: int) -> dict[str, Any] | None:
    if not isinstance(item, dict) or not isinstance(item.get("name"), str) or not item["name"]:
        return None
    if set(item) - {"name", "arguments", "parameters", "id", "type"}:
        return None
    arguments = item.get("arguments", item.get("parameters", {}))
    if isinstance(arguments, str):
        try:
            arguments = json.loads(arguments) if arguments.strip() else {}
        except ValueError:
            return None
    if not isinstance(arguments, dict):
        return None
    return {"id": str(item.get("id") or f"call_{index}"), "type": "function",
            "function": {"name": item["name"], "arguments": json.dumps(arguments, ensure_ascii=False)}}


def _calls_in(text: str, start: int) -> list[dict[str, Any]] | None:
    try:
        value = json.loads(text)
    except ValueError:
        return None
    items = value if isinstance(value, list) else [value]
    calls = [_as_call(item, start + i) for i, item in enumerate(items)]
    if not items or any(c is None for c in calls):
        return None
    return calls  # type: ignore[return-value]


def parse_text_tool_calls(content: str | None) -> list[dict[str, Any]]:
    """OpenAI-format tool-call dicts written as text in ``content`` (see the module docstring);
    ``[]`` when the reply is not (entirely) tool calls."""
    text = (content or "").strip()
    if not text:
        return []
    blocks = _TAG.findall(text)
    if blocks:
        if _TAG.sub("", text).strip():
            return []
        calls: list[dict[str, Any]] = []
        for block in blocks:
            found = _calls_in(block.strip(), len(calls))
            if found is None:
                return []
            calls.extend(found)
        return calls
    fence = _FENCE.match(text)
    if fence:
        text = fence.group(1).strip()
    if not text.startswith(("{", "[")):
        return []
    return _calls_in(text, 0) or []
