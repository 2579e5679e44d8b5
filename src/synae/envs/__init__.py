"""Tool environments that checkers and agents execute calls against.

- :mod:`synae.envs.base` — :class:`ToolResult` and the :class:`ToolEnvironment` protocol.
- :mod:`synae.envs.t1` — the T1 attraction tools, cache and plan interpreter.
- :mod:`synae.envs.bfcl` — BFCL class instances with safe dispatch and state comparison.
- :mod:`synae.envs.state` — budgeted, iterative, cycle-safe equality of environment states.
- :mod:`synae.envs.budget` — per-trajectory budgets (environment seconds, state comparison size).
- :mod:`synae.envs.equivalence` — rule-based equivalence scorers (``t1_exec``, ``call_match``,
  ``mentions_match``, ``bfcl_state``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from synae.lazy import lazy_export

if TYPE_CHECKING:
    from synae.envs.base import ToolEnvironment, ToolResult
    from synae.envs.bfcl import BFCLEnvironment, is_error_result
    from synae.envs.t1 import SearchResults, T1Environment, TurnExecution, t1_tool_definitions, t1_tool_docs

_HOMES = {**dict.fromkeys(("ToolEnvironment", "ToolResult"), "synae.envs.base"),
          **dict.fromkeys(("BFCLEnvironment", "is_error_result"), "synae.envs.bfcl"),
          **dict.fromkeys(("SearchResults", "T1Environment", "TurnExecution", "t1_tool_definitions",
                           "t1_tool_docs"), "synae.envs.t1")}


def __getattr__(name: str) -> Any:
    """Each name is imported from its module on first use: a rule checker that needs only
    :mod:`synae.envs.budget` loads neither the T1 ontology nor BFCL's environments."""
    return lazy_export(__name__, _HOMES, name)


__all__ = [
    "BFCLEnvironment",
    "SearchResults",
    "T1Environment",
    "ToolEnvironment",
    "ToolResult",
    "TurnExecution",
    "is_error_result",
    "t1_tool_definitions",
    "t1_tool_docs",
]
