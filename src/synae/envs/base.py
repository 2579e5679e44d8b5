"""The protocol every tool environment follows (``docs/method.md`` §7.1, §7.3).

An environment executes *encoded* tool calls — the argument dicts of :mod:`synae.toolcalls`
(keywords by name, positional arguments under ``"__args__"``, ``{"$var": …}`` / ``{"$expr": …}``
for non-literals) — and answers with a :class:`ToolResult`:

- ``content``: the result string an agent sees (``"Error during execution: …"`` on failure);
- ``error``: ``None`` on success, else a short human-readable message;
- ``value``: the Python return value (``None`` on error or when the tool returns nothing).

Nothing is ever run through ``eval``/``exec``: environments dispatch whitelisted callables with
literal arguments only.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

ERROR_PREFIX = "Error during execution: "


@dataclass(frozen=True)
class ToolResult:
    """The outcome of one tool call."""

    content: str
    error: str | None = None
    value: Any = None

    @property
    def ok(self) -> bool:
        return self.error is None

    @classmethod
    def failure(cls, message: str) -> ToolResult:
        """An error result whose content carries the BFCL-style ``Error during execution:`` prefix."""
        return cls(content=ERROR_PREFIX + message, error=message)


class ToolEnvironment(Protocol):
    """Something that executes encoded tool calls and describes its tools."""

    def call(self, name: str, arguments: dict[str, Any]) -> ToolResult:
        """Execute one call; never raises for bad input (the error is in the result)."""
        ...

    def tool_definitions(self) -> list[dict[str, Any]]:
        """OpenAI ``{"type": "function", "function": {...}}`` definitions of the offered tools."""
        ...
