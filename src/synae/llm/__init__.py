"""OpenAI-compatible LLM access: async client with concurrency, retries, disk cache, accounting."""

from synae.llm.client import ChatRequest, ChatResponse, LLMClient, LLMError, UsageStats
from synae.llm.reasoning import strip_reasoning
from synae.llm.text_tools import parse_text_tool_calls

__all__ = ["ChatRequest", "ChatResponse", "LLMClient", "LLMError", "UsageStats", "parse_text_tool_calls",
           "strip_reasoning"]
