"""OpenAI-compatible LLM access: async client with concurrency, retries, disk cache, accounting.

The client (:mod:`synae.llm.client`, with :mod:`asyncio` and the HTTP stack) is imported when one
of its names is first read from this package, not with the package: :mod:`synae.llm.progress`
(progress bars for every long stage) must not bring it into runs that call no LLM."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from synae.lazy import lazy_export

if TYPE_CHECKING:
    from synae.llm.client import ChatRequest, ChatResponse, LLMClient, LLMError, UsageStats
    from synae.llm.reasoning import strip_reasoning
    from synae.llm.text_tools import parse_text_tool_calls

_CLIENT = ("ChatRequest", "ChatResponse", "LLMClient", "LLMError", "UsageStats")
_HOMES = {**dict.fromkeys(_CLIENT, "synae.llm.client"),
          "strip_reasoning": "synae.llm.reasoning", "parse_text_tool_calls": "synae.llm.text_tools"}


def __getattr__(name: str) -> Any:
    return lazy_export(__name__, _HOMES, name)


__all__ = ["ChatRequest", "ChatResponse", "LLMClient", "LLMError", "UsageStats", "parse_text_tool_calls",
           "strip_reasoning"]
