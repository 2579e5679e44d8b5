"""The replay environment answers with the tool results recorded in the reference trajectory."""

from __future__ import annotations

import json

from synae.envs.replay import ReplayEnvironment
from synae.schema import Trajectory

TOOLS = [{"type": "function", "function": {"name": "get_weather", "description": "Weather of a city.",
                                           "parameters": {"type": "object", "properties": {}}}}]


def reference() -> Trajectory:
    def call(i: str, args: dict) -> dict:
        function = {"name": "get_weather", "arguments": json.dumps(args)}
        return {"id": i, "type": "function", "function": function}

    return Trajectory.model_validate({
        "id": "r1", "tools": TOOLS,
        "messages": [
            {"role": "user", "content": "Weather in Paris and Rome, then Paris again?"},
            {"role": "assistant", "content": None, "tool_calls": [call("a", {"city": "Paris", "unit": "C"}),
                                                                   call("b", {"city": "Rome"})]},
            {"role": "tool", "tool_call_id": "a", "content": "sunny"},
            {"role": "tool", "tool_call_id": "b", "content": "rain"},
            {"role": "assistant", "content": None, "tool_calls": [call("c", {"unit": "C", "city": "Paris"}),
                                                                   call("d", {"city": "Oslo"})]},
            {"role": "tool", "tool_call_id": "c", "content": "cloudy"},
        ]})


def test_recorded_results_are_replayed_in_order_regardless_of_key_order() -> None:
    env = ReplayEnvironment(reference())
    assert env.call("get_weather", {"city": "Rome"}).content == "rain"
    first = env.call("get_weather", {"unit": "C", "city": "Paris"})
    assert first.ok and first.content == "sunny"
    assert env.call("get_weather", {"city": "Paris", "unit": "C"}).content == "cloudy"
    # Once every equal recorded call is used, the last result repeats.
    assert env.call("get_weather", {"city": "Paris", "unit": "C"}).content == "cloudy"


def test_unrecorded_calls_and_calls_without_results_are_errors() -> None:
    env = ReplayEnvironment(reference())
    other = env.call("get_weather", {"city": "Paris"})
    assert not other.ok and other.content.startswith("Error during execution: no recorded result")
    assert not env.call("get_weather", {"city": "Oslo"}).ok  # recorded call, but no result message
    assert not env.call("unknown_tool", {}).ok


def test_tool_definitions_come_from_the_reference() -> None:
    assert ReplayEnvironment(reference()).tool_definitions() == TOOLS
