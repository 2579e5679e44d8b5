"""OpenAI-compatible LLM access: async client with concurrency, retries, disk cache, accounting."""

from synae.llm.client import ChatRequest, ChatResponse, LLMClient, LLMError, UsageStats
from synae.llm.reasoning import strip_reasoning

__all__ = ["ChatRequest", "ChatResponse", "LLMClient", "LLMError", "UsageStats", "strip_reasoning"]
