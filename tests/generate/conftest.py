"""Datasets of the benchmarks' shape the generator tests run on (``bench_data``), the real files for
the tests of the research's numbers (``real_*``, ``data`` tests), and a small generic tool-calling
dataset (loaded once per session; tests copy, never mutate: every generator deep-copies what it
outputs)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from synae.run.inputs.data import load_dataset
from synae.schema import Dataset, Message, Trajectory


@pytest.fixture(scope="session")
def t1_valid(bench_data: Path) -> Dataset:
    """T1-Augmented-Valid in file order: base of invalidation and the case study."""
    return load_dataset(bench_data / "t1" / "t1_attraction_augmented_valid.csv")


@pytest.fixture(scope="session")
def real_t1_valid(shared_data: Path) -> Dataset:
    """The real T1-Augmented-Valid (n = 100)."""
    return load_dataset(shared_data / "t1" / "t1_attraction_augmented_valid.csv")


@pytest.fixture(scope="session")
def t1_turns(bench_data: Path) -> Dataset:
    """The turn-level T1 conversations in integer-ID order."""
    return load_dataset(bench_data / "t1" / "t1_attraction_turns_with_output.csv", sort="int_id")


@pytest.fixture(scope="session")
def real_t1_turns(shared_data: Path) -> Dataset:
    """The 225 real turn-level T1 conversations in integer-ID order."""
    return load_dataset(shared_data / "t1" / "t1_attraction_turns_with_output.csv", sort="int_id")


@pytest.fixture(scope="session")
def bfcl_older(bench_data: Path) -> Dataset:
    """The older BFCL copy (questions + ground truth), which the research generated from."""
    folder = bench_data / "bfcl" / "v_older"
    return load_dataset(folder / "BFCL_v4_multi_turn_base_instr.json",
                        answers=folder / "BFCL_v4_multi_turn_base_tool_calls.json")


@pytest.fixture(scope="session")
def real_bfcl_older(shared_data: Path) -> Dataset:
    folder = shared_data / "bfcl" / "v_older"
    return load_dataset(folder / "BFCL_v4_multi_turn_base_instr.json",
                        answers=folder / "BFCL_v4_multi_turn_base_tool_calls.json")


@pytest.fixture(scope="session")
def bfcl_newer(bench_data: Path) -> Dataset:
    return load_dataset(bench_data / "bfcl" / "BFCL_v4_multi_turn_base.json")


@pytest.fixture(scope="session")
def acp(bench_data: Path) -> Dataset:
    return load_dataset(bench_data / "acp" / "acp_app_prog.csv")


@pytest.fixture(scope="session")
def real_acp(shared_data: Path) -> Dataset:
    return load_dataset(shared_data / "acp" / "acp_app_prog.csv")


CHAT_TOOLS = [
    {"type": "function", "function": {
        "name": "get_weather", "description": "Current weather of a city.",
        "parameters": {"type": "object", "properties": {
            "city": {"type": "string"}, "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]}},
            "required": ["city"]}}},
    {"type": "function", "function": {
        "name": "create_event", "description": "Add an event to the calendar.",
        "parameters": {"type": "object", "properties": {
            "title": {"type": "string"}, "date": {"type": "string"}, "duration_minutes": {"type": "integer"}},
            "required": ["title", "date"]}}},
    {"type": "function", "function": {
        "name": "list_events", "description": "Events of one day.",
        "parameters": {"type": "object", "properties": {"date": {"type": "string"}}, "required": ["date"]}}},
]
CITIES = ("Oslo", "Lisbon", "Nairobi", "Lima", "Osaka")


def chat_conversation(i: int) -> Trajectory:
    """Conversation ``i`` of the generic fixture: 20 weather (i < 20) and 10 calendar ones, each a
    user request, one tool call, its result and a final answer (also the output)."""
    if i < 20:
        city = CITIES[i % len(CITIES)]
        request, name = f"What is the weather in {city} right now?", "get_weather"
        arguments = {"city": city, "unit": "celsius"}
        result = json.dumps({"city": city, "temperature": 10 + i, "sky": "clear"})
        answer = f"It is {10 + i} degrees and clear in {city}."
        attributes = {"topic": "weather", "city": city}
    else:
        date = f"2026-03-{i - 10:02d}"
        request, name = f"Put a team meeting on {date} for 30 minutes.", "create_event"
        arguments = {"title": "team meeting", "date": date, "duration_minutes": 30}
        result = json.dumps({"id": f"evt{i}", "status": "created"})
        answer = f"Done: the team meeting is on your calendar for {date}."
        attributes = {"topic": "calendar", "city": None}
    call = {"id": f"call_{i}", "type": "function",
            "function": {"name": name, "arguments": json.dumps(arguments)}}
    return Trajectory(id=f"chat{i}", messages=[
        Message(role="system", content="You are a helpful assistant with weather and calendar tools."),
        Message(role="user", content=request),
        Message.model_validate({"role": "assistant", "content": None, "tool_calls": [call]}),
        Message(role="tool", tool_call_id=f"call_{i}", content=result),
        Message(role="assistant", content=answer)],
        output=answer, tools=CHAT_TOOLS, attributes=attributes)


@pytest.fixture(scope="session")
def chat() -> Dataset:
    """30 OpenAI-chat tool-calling conversations without benchmark metadata (generic preset)."""
    return Dataset(trajectories=[chat_conversation(i) for i in range(30)], name="chat", source="chat.jsonl")
