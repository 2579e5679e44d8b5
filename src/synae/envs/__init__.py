"""Tool environments that checkers and agents execute calls against.

- :mod:`synae.envs.base` — :class:`ToolResult` and the :class:`ToolEnvironment` protocol.
- :mod:`synae.envs.t1` — the T1 attraction tools, cache and plan interpreter.
- :mod:`synae.envs.bfcl` — BFCL class instances with safe dispatch and state comparison.
- :mod:`synae.envs.state` — budgeted, iterative, cycle-safe equality of environment states.
- :mod:`synae.envs.budget` — per-trajectory budgets (environment seconds, state comparison size).
- :mod:`synae.envs.equivalence` — rule-based equivalence scorers (``t1_exec``, ``call_match``,
  ``mentions_match``, ``bfcl_state``).
"""

from synae.envs.base import ToolEnvironment, ToolResult
from synae.envs.bfcl import BFCLEnvironment, is_error_result
from synae.envs.t1 import SearchResults, T1Environment, TurnExecution, t1_tool_definitions, t1_tool_docs

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
