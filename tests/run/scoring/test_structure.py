"""Lost structure counted at load time (synae.run.scoring.structure), on hand-written traces."""

from __future__ import annotations

from synae.run.scoring.structure import structure_counts, structure_warnings
from synae.schema import Dataset, FunctionCall, Message, ToolCall, Trajectory


def _call(i: str) -> ToolCall:
    return ToolCall(id=i, function=FunctionCall(name="add_event", arguments={"title": "Standup"}))


def test_empty_assistant_turns_and_unanswered_calls_are_counted_and_warned() -> None:
    dropped = Trajectory(id="sharegpt-1", output="Added.", messages=[
        Message(role="user", content="Add standup"), Message(role="assistant", content="  "),
        Message(role="assistant", content="Added.")])
    unanswered = Trajectory(id="log-7", output="Done", messages=[
        Message(role="user", content="Add standup"),
        Message(role="assistant", tool_calls=[_call("a"), _call("b")]),
        Message(role="tool", tool_call_id="a", content="ok"), Message(role="assistant", content="Done")])
    fine = Trajectory(id="ok", output="Hi", messages=[Message(role="user", content="hi"),
                                                        Message(role="assistant", content="Hi")])
    counts = structure_counts([[dropped, unanswered, fine]])
    assert (counts.trajectories, counts.empty_assistant, counts.unanswered_calls) == (3, 1, 1)
    assert counts.first == {"empty_assistant": "sharegpt-1", "unanswered_calls": "log-7"}
    warnings = structure_warnings(Dataset([dropped, unanswered, fine], name="export"))
    assert len(warnings) == 2
    assert warnings[0].startswith("export: 1 assistant messages are empty") and "'sharegpt-1'" in warnings[0]
    assert warnings[1].startswith("export: 1 tool calls have no tool result") and "'log-7'" in warnings[1]


def test_code_calls_and_complete_traces_raise_nothing() -> None:
    code = Trajectory(id="t1", messages=[Message(role="user", content="x"),
                                         Message(role="assistant", code="search(q='x')")])
    answered = Trajectory(id="t2", messages=[Message(role="user", content="x"),
                                             Message(role="assistant", tool_calls=[_call("a")]),
                                             Message(role="tool", tool_call_id="a", content="ok")])
    assert structure_warnings(Dataset([code, answered], name="clean")) == []
