"""Generic schema check of tool calls (docs/method.md §6.6)."""

from __future__ import annotations

import json

import pytest

from synae.schema import FunctionCall, Message, ToolCall, Trajectory
from synae.validity.rules.schema import SchemaChecker, schema_problems, tool_parameters

TOOLS = [{"type": "function", "function": {"name": "book", "description": "Book a trip.", "parameters": {
    "type": "object",
    "properties": {
        "city": {"type": "string"},
        "nights": {"type": "integer"},
        "budget": {"type": "number"},
        "refundable": {"type": "boolean"},
        "guests": {"type": "array", "items": {"type": "object", "properties": {"age": {"type": "integer"}}}},
        "extras": {"type": "object"},
        "class": {"type": "string", "enum": ["economy", "business"]},
        "anything": {"description": "no type: any value"},
    },
    "required": ["city", "nights"]}}}]
PARAMS = tool_parameters(TOOLS)


@pytest.mark.parametrize("arguments", [
    {"city": "Rome", "nights": 2},
    {"city": "Rome", "nights": 2, "budget": 100, "refundable": False, "guests": [{"age": 3}],
     "extras": {"x": 1}, "class": "business", "anything": [None]},
    {"city": "Rome", "nights": 2, "budget": 99.5},
    {"__args__": ["Rome", 2, 10.0]},
])
def test_valid_arguments(arguments):
    assert schema_problems("book", arguments, PARAMS) == []


@pytest.mark.parametrize(("name", "arguments", "code"), [
    ("fly", {}, "unknown_tool"),
    ("book", {"city": "Rome"}, "missing_parameter"),
    ("book", {"city": "Rome", "nights": 2, "pets": 1}, "unknown_parameter"),
    ("book", {"city": "Rome", "nights": True}, "wrong_type"),  # bool is not an integer
    ("book", {"city": "Rome", "nights": 2.0}, "wrong_type"),
    ("book", {"city": "Rome", "nights": 2, "budget": "100"}, "wrong_type"),
    ("book", {"city": "Rome", "nights": 2, "refundable": 1}, "wrong_type"),
    ("book", {"city": "Rome", "nights": 2, "guests": {"age": 3}}, "wrong_type"),
    ("book", {"city": "Rome", "nights": 2, "guests": [{"age": "3"}]}, "wrong_type"),
    ("book", {"city": "Rome", "nights": 2, "extras": []}, "wrong_type"),
    ("book", {"city": "Rome", "nights": 2, "class": "first"}, "not_in_enum"),
    ("book", {"city": {"$var": "c"}, "nights": 2}, "non_literal_argument"),
    ("book", {"city": {"$expr": "input()"}, "nights": 2}, "non_literal_argument"),
    ("book", {"__args__": ["Rome", 2, 1.0, True, [], {}, "economy", 0, "surplus"]}, "too_many_positional"),
    ("book", {"__args__": ["Rome"], "city": "Paris", "nights": 1}, "duplicate_argument"),
])
def test_problems(name, arguments, code):
    assert code in [c for c, _ in schema_problems(name, arguments, PARAMS)]


def test_positional_names_and_object_parameters():
    swapped = {"__args__": [2, "Rome"]}
    assert schema_problems("book", swapped, PARAMS, positional_names=["nights", "city"]) == []
    reference = {"city": {"$var": "c"}, "nights": 1}
    assert schema_problems("book", reference, PARAMS, object_parameters={"city"}) == []


def trajectory(calls: list[tuple[str, dict]], tools=TOOLS) -> Trajectory:
    tool_calls = [ToolCall(id=f"c{i}", function=FunctionCall(name=n, arguments=json.dumps(a)))
                  for i, (n, a) in enumerate(calls)]
    messages = [Message(role="user", content="Book Rome"),
                Message(role="assistant", tool_calls=tool_calls or None)]
    return Trajectory(id="g", tools=tools, messages=messages)


def test_schema_checker_verdicts():
    checker = SchemaChecker()
    valid, invalid, untyped = checker.check_all([
        trajectory([("book", {"city": "Rome", "nights": 2})]),
        trajectory([("book", {"city": "Rome"}), ("fly", {})]),
        trajectory([("book", {"city": "Rome"})], tools=None)])
    assert valid.valid is True and valid.reasons == []
    assert invalid.valid is False and invalid.reasons == ["missing_parameter", "unknown_tool"]
    assert untyped.valid is None and untyped.reasons == ["no_tool_definitions"]
