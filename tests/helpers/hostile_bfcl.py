"""Hostile BFCL file-system trajectories, written by the tests themselves (issue 21): valid call
sequences whose *state* is expensive or awkward to compare.

- :func:`doubling_calls` — ``mkdir``/``cd`` into a work folder and ``mkdir d0``, then per level
  ``cp d<i> e<i>`` (a twin), ``mkdir d<i+1>`` and both copied into it: 3 + 4·levels calls whose
  folders share sub-folders, 2^levels paths (40 levels: 163 calls, about 10^12 paths).
- :func:`self_copy_calls` — a folder copied into itself (the copy contains itself: a cycle).
- :func:`nested_calls` — ``depth`` folders, each inside the previous one.
- :func:`nested_config` — an ``initial_config`` with ``depth`` nested folders (too deep to copy
  recursively from a few hundred levels on).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from synae.schema import MAX_NESTING, FunctionCall, Message, ToolCall, Trajectory, nesting_depth

Call = tuple[str, dict[str, Any]]


def doubling_calls(levels: int) -> list[Call]:
    calls: list[Call] = [("mkdir", {"dir_name": "work"}), ("cd", {"folder": "work"}),
                         ("mkdir", {"dir_name": "d0"})]
    for i in range(levels):
        calls += [("cp", {"source": f"d{i}", "destination": f"e{i}"}), ("mkdir", {"dir_name": f"d{i + 1}"}),
                  ("cp", {"source": f"d{i}", "destination": f"d{i + 1}"}),
                  ("cp", {"source": f"e{i}", "destination": f"d{i + 1}"})]
    return calls


def self_copy_calls() -> list[Call]:
    return [("mkdir", {"dir_name": "loop"}), ("cp", {"source": "loop", "destination": "loop"})]


def nested_calls(depth: int) -> list[Call]:
    return [call for _ in range(depth) for call in (("mkdir", {"dir_name": "n"}), ("cd", {"folder": "n"}))]


def nested_config(depth: int) -> dict[str, Any]:
    folder: dict[str, Any] = {"type": "directory", "contents": {}}
    top = folder
    for _ in range(depth):
        inner: dict[str, Any] = {"type": "directory", "contents": {}}
        folder["contents"]["n"] = inner
        folder = inner
    return {"GorillaFileSystem": {"root": {"top": top}}}


def fs_trajectory(trajectory_id: str, calls: Sequence[Call],
                  initial_config: dict[str, Any] | None = None) -> Trajectory:
    """One user turn, one assistant message with every call, a result message per call. A config
    nested deeper than the schema allows (``synae.schema.MAX_NESTING``: readers refuse such a record)
    is built without validation, as a Python caller could, to test the environments' own defence."""
    tool_calls = [ToolCall(id=f"c{i}", function=FunctionCall(name=name, arguments=json.dumps(args)))
                  for i, (name, args) in enumerate(calls)]
    messages = [Message(role="user", content="Organise my folders."),
                Message(role="assistant", content=None, tool_calls=tool_calls)]
    messages += [Message(role="tool", tool_call_id=c.id, content="{}") for c in tool_calls]
    environment = {"involved_classes": ["GorillaFileSystem"], "initial_config": initial_config or {}}
    if nesting_depth(environment) > MAX_NESTING:
        return Trajectory.model_construct(id=trajectory_id, messages=messages, environment=environment)
    return Trajectory(id=trajectory_id, messages=messages, environment=environment)
