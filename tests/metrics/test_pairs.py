"""Turn pairs are formed within one trajectory (docs/method.md §3.2)."""

from __future__ import annotations

import pytest

from synae.metrics.pairs import turn_pairs
from synae.schema import FunctionCall, Message, ToolCall, Trajectory


def traj(*messages):
    return Trajectory(id="t", messages=list(messages))


def test_user_assistant_pairs_skip_tool_only_messages():
    call = ToolCall(id="c1", function=FunctionCall(name="f"))
    t = traj(Message(role="user", content="u1"), Message(role="assistant", tool_calls=[call]),
             Message(role="tool", content="r", tool_call_id="c1"), Message(role="assistant", content="a1"),
             Message(role="user", content="u2"), Message(role="user", content="u3"),
             Message(role="assistant", content="a2"))
    assert turn_pairs(t, "user_assistant") == [("u1", "a1"), ("u3", "a2")]
    assert turn_pairs(t, "assistant_user") == [("a1", "u2")]
    assert turn_pairs(t, "user_user") == [("u1", "u2"), ("u2", "u3")]


def test_context_question():
    t = traj(Message(role="user", content="context line\nquestion?\nAnswer yes or no."))
    assert turn_pairs(t, "context_question") == [("context line", "question?")]
    assert turn_pairs(traj(Message(role="user", content="one line")), "context_question") == []
    with pytest.raises(ValueError):
        turn_pairs(t, "nonsense")
