"""Small generic trajectories with tool calls, results, outputs and a stored ``topic`` attribute."""

from __future__ import annotations

import json

from synae.schema import FunctionCall, Message, ToolCall, Trajectory


def records(prefix: str, n: int) -> list[Trajectory]:
    """``n`` trajectories with ids ``<prefix><i>``: 0–2 calls with their results, an output."""
    out = []
    for i in range(n):
        calls = [ToolCall(id=f"{prefix}{i}-{j}", function=FunctionCall(name=["find", "book"][j % 2],
                                                                          arguments=json.dumps({"q": i})))
                 for j in range(i % 3)]
        messages = [Message(role="user", content=f"find a {['park', 'museum', 'cafe'][i % 3]} near {i}"),
                    Message(role="assistant", content=None if calls else "none needed",
                            tool_calls=calls or None),
                    *[Message(role="tool", tool_call_id=c.id, content=f"result {i}") for c in calls],
                    Message(role="assistant", content=f"found {i % 4} places")]
        out.append(Trajectory(id=f"{prefix}{i}", messages=messages, output=f"found {i % 4} places",
                              attributes={"topic": ["a", "b"][i % 2]}))
    return out
