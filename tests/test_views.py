"""Views of a trajectory (docs/method.md §2.2, §2.5)."""

from __future__ import annotations

from synae.adapters.common import code_message
from synae.schema import FunctionCall, Message, ToolCall, Trajectory
from synae.views import (
    instruction_transcript,
    responses,
    text_sequence,
    tool_call_sequence,
    turns,
    user_messages,
)


def make() -> Trajectory:
    return Trajectory(id="v", messages=[
        Message(role="system", content="sys"),
        Message(role="assistant", content="Hello"),
        Message(role="user", content="Art in Boston"),
        code_message('a = search_attractions(city="Boston")\nprint(a)', turn=1),
        Message(role="tool", tool_call_id="call_1_0", content="[]"),
        Message(role="assistant", content=" "),
        Message(role="user", content="thanks"),
        code_message("broken(", turn=2),
        Message(role="assistant", content=None,
                tool_calls=[ToolCall(id="x", function=FunctionCall(name="done"))]),
    ])


def test_text_views():
    traj = make()
    assert user_messages(traj) == ["Art in Boston", "thanks"] and responses(traj) == ["Hello"]
    assert text_sequence(traj, "user") == [("user", "Art in Boston"), ("user", "thanks")]
    assert instruction_transcript(traj) == "assistant: Hello\nuser: Art in Boston\nuser: thanks"


def test_turns():
    parts = turns(make())
    assert [t.index for t in parts] == [0, 1, 2]
    assert len(parts[1].tool_call_messages) == 1 and len(parts[2].tool_call_messages) == 2


def test_tool_call_sequence_profiles():
    traj = make()
    default = tool_call_sequence(traj)
    assert default.names == ["search_attractions", "done"] and default.unparsable_code == 1
    assert tool_call_sequence(traj, extraction="all").names == ["search_attractions", "print", "done"]
    reference = tool_call_sequence(traj, scope="trajectory", extraction="all")
    assert reference.names == [] and reference.unparsable_code == 1


def test_output_message_is_not_a_response():
    from synae.views import is_output_message, is_response, output_message_index

    traj = Trajectory(id="o", messages=[
        Message(role="user", content="Weather?"),
        Message(role="assistant", content="Checking.", tool_calls=[
            ToolCall(id="c", function=FunctionCall(name="weather", arguments="{}"))]),
        Message(role="tool", tool_call_id="c", content="rain"),
        Message(role="assistant", content="It rains."),
        Message(role="system", content="end")])
    assert output_message_index(traj) == 3
    assert responses(traj) == ["Checking.", "It rains."]  # unmarked: still a response
    traj.messages[3].metadata = {"is_output": True}
    assert is_output_message(traj.messages[3]) and not is_response(traj.messages[3])
    assert responses(traj) == ["Checking."]
    assert instruction_transcript(traj) == "user: Weather?\nassistant: Checking."
    assert text_sequence(traj, "user") == [("user", "Weather?")]
    traj.messages.append(Message(role="user", content="thanks"))
    assert output_message_index(traj) is None
    blank = Trajectory(id="b", messages=[Message(role="user", content="x"),
                                         Message(role="assistant", content=" ")])
    assert output_message_index(blank) is None
