"""The replay environment: answers tool calls with the results recorded in a reference trajectory.

For trajectories that have no executable environment (generic preset: any tool-calling data with
``tool`` result messages), an agent can still be run turn by turn: a call whose name and arguments
equal a recorded call of the reference gets that call's recorded result string.

Matching: names must be equal and arguments equal after JSON normalisation (key order ignored).
Equal recorded calls are answered in recording order; once all are used, the last one's result is
repeated (calling the same tool with the same arguments again gives the same answer). A call that
matches nothing — or whose recorded call has no result message — is answered with the error result
``Error during execution: no recorded result for <name>(<arguments>)``.
"""

from __future__ import annotations

import json
from collections import defaultdict
from typing import Any

from synae.envs.base import ToolResult
from synae.schema import Trajectory


def _key(name: str, arguments: dict[str, Any]) -> tuple[str, str]:
    return name, json.dumps(arguments, sort_keys=True, ensure_ascii=False)


class ReplayEnvironment:
    """Replays the tool results of ``reference`` (see the module docstring)."""

    def __init__(self, reference: Trajectory) -> None:
        self._tools = list(reference.tools or [])
        results = {m.tool_call_id: m.content or "" for m in reference.messages
                   if m.role == "tool" and m.tool_call_id is not None}
        self._recorded: dict[tuple[str, str], list[str]] = defaultdict(list)
        for message in reference.messages:
            for call in message.tool_calls or ():
                if call.id in results:
                    key = _key(call.function.name, call.function.parsed_arguments())
                    self._recorded[key].append(results[call.id])
        self._used: dict[tuple[str, str], int] = defaultdict(int)

    def call(self, name: str, arguments: dict[str, Any]) -> ToolResult:
        key = _key(name, arguments)
        recorded = self._recorded.get(key)
        if not recorded:
            return ToolResult.failure(f"no recorded result for {name}({key[1]})")
        index = min(self._used[key], len(recorded) - 1)
        self._used[key] += 1
        return ToolResult(content=recorded[index], value=recorded[index])

    def tool_definitions(self) -> list[dict[str, Any]]:
        return list(self._tools)
