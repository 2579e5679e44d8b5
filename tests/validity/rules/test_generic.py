"""Environment-free rule checks of generic chat data (validity/rules/generic.py), alone and through
``ValiditySession`` with the generic preset."""

from __future__ import annotations

import json
from typing import Any

import pytest

from synae.adapters import load_dataset
from synae.config import Config
from synae.errors import DataError
from synae.presets.generic import GenericPreset
from synae.run.scoring.validity import ValiditySession
from synae.schema import FunctionCall, Message, ToolCall, Trajectory
from synae.validity.rules.generic import GenericOutputChecker, GenericToolCallChecker, check_counts
from synae.validity.verdict import Verdict

TOOLS = [
    {"type": "function", "function": {"name": "get_weather", "description": "Current weather of a city.",
                                      "parameters": {
                                          "type": "object",
                                          "properties": {"city": {"type": "string"},
                                                         "unit": {"type": "string",
                                                                  "enum": ["celsius", "fahrenheit"]}},
                                          "required": ["city"]}}},
    {"type": "function", "function": {"name": "create_event", "description": "Add a calendar event.",
                                      "parameters": {
                                          "type": "object",
                                          "properties": {"title": {"type": "string"},
                                                         "date": {"type": "string"},
                                                         "minutes": {"type": "integer", "minimum": 1}},
                                          "required": ["title", "date"]}}},
]
CITIES = ["Oslo", "Lima", "Rome", "Kyiv", "Perth"]


def _call(call_id: str, name: str, arguments: dict[str, Any]) -> dict[str, Any]:
    return {"id": call_id, "type": "function", "function": {"name": name, "arguments": json.dumps(arguments)}}


def chat_record(i: int) -> dict[str, Any]:
    """Even i: a weather question (two cities for i % 4 == 0); odd i: a calendar request."""
    city = CITIES[i % 5]
    if i % 2 == 0:
        calls = [_call(f"w{i}", "get_weather", {"city": city, "unit": "celsius"})]
        if i % 4 == 0:
            calls.append(_call(f"w{i}b", "get_weather", {"city": "Paris"}))
        question = f"What is the weather in {city}?"
        answer = f"It is 12 degrees and cloudy in {city}."
    else:
        event = {"title": f"Lunch with team {i}", "date": f"2024-05-0{i % 9 + 1}", "minutes": 30 + i}
        calls = [_call(f"e{i}", "create_event", event)]
        question = f"Put lunch with team {i} in my calendar."
        answer = f"Lunch with team {i} is in your calendar."
    messages = [{"role": "user", "content": question},
                {"role": "assistant", "content": None, "tool_calls": calls}]
    weather = json.dumps({"temperature": 12, "conditions": "cloudy"})
    messages += [{"role": "tool", "tool_call_id": c["id"],
                  "content": weather if c["function"]["name"] == "get_weather" else "ok"} for c in calls]
    messages.append({"role": "assistant", "content": answer})
    return {"id": f"chat{i}", "messages": messages, "tools": TOOLS}


@pytest.fixture(scope="module")
def real() -> list[Trajectory]:
    return load_dataset([chat_record(i) for i in range(10)], "openai").trajectories


def _with_arguments(traj: Trajectory, arguments: str, name: str | None = None) -> Trajectory:
    """``traj`` with its first call's arguments (and optionally name) replaced."""
    messages = [m.model_copy(deep=True) for m in traj.messages]
    call = messages[1].tool_calls[0]  # type: ignore[index]
    call.function.arguments = arguments
    if name is not None:
        call.function.name = name
    return traj.model_copy(update={"messages": messages})


def corrupted(real: list[Trajectory]) -> list[Trajectory]:
    """The real set with one corruption each on items 0–6; items 7–9 unchanged.

    0 empty output · 1 wrong type · 2 missing required · 3 undeclared tool · 4 orphan tool result ·
    5 unparseable arguments · 6 no ``tools`` (declared/schema not run: still valid)."""
    out = list(real)
    out[0] = real[0].model_copy(update={"output": "  "})
    wrong_type = {"title": "Lunch", "date": "2024-05-02", "minutes": "thirty"}
    out[1] = _with_arguments(real[1], json.dumps(wrong_type))
    out[2] = _with_arguments(real[2], json.dumps({"unit": "celsius"}))
    out[3] = _with_arguments(real[3], json.dumps({"symbol": "ACME"}), name="get_stock_price")
    orphan = [m.model_copy() for m in real[4].messages]
    orphan[2] = orphan[2].model_copy(update={"tool_call_id": "zzz"})
    out[4] = real[4].model_copy(update={"messages": orphan})
    out[5] = _with_arguments(real[5], '{"title": "Lunch", ')
    out[6] = real[6].model_copy(update={"tools": None})
    return out


def test_real_chat_data_passes_every_check(real):
    verdicts = GenericToolCallChecker().check_all(real)
    assert [v.valid for v in verdicts] == [True] * 10
    assert verdicts[0].details["checks"] == {"parses": "passed", "declared": "passed", "schema": "passed",
                                             "results_answer_calls": "passed"}
    assert verdicts[0].details["not_run"] == {} and verdicts[0].checker == "rules.generic@1"
    assert all(v.valid for v in GenericOutputChecker().check_all(real))


def test_each_corruption_fails_exactly_its_check(real):
    verdicts = GenericToolCallChecker().check_all(corrupted(real))
    assert [v.reasons for v in verdicts] == [[], ["schema"], ["schema"], ["declared"],
                                             ["results_answer_calls"], ["parses"], [], [], [], []]
    assert "'thirty' is not of type 'integer'" in verdicts[1].explanation
    assert verdicts[1].explanation.startswith("create_event(): .minutes:")
    assert "'city' is a required property" in verdicts[2].explanation
    assert verdicts[3].explanation == "'get_stock_price' is not a declared tool"
    assert verdicts[3].details["checks"]["schema"] == "not_run"  # the only call is undeclared
    assert verdicts[4].explanation == "tool result 'zzz' answers no earlier tool call"
    assert verdicts[5].details["checks"]["schema"] == "not_run"  # unparsed arguments are not schema-checked
    no_tools = verdicts[6]
    assert no_tools.valid is True
    assert no_tools.details["checks"] == {"parses": "passed", "declared": "not_run", "schema": "not_run",
                                          "results_answer_calls": "passed"}
    assert no_tools.details["not_run"] == {"declared": "no tool definitions", "schema": "no tool definitions"}
    outputs = GenericOutputChecker().check_all(corrupted(real))
    assert [v.valid for v in outputs] == [False, True, True, False] + [True] * 6
    assert outputs[0].reasons == ["empty_output"]
    # the calendar answer of item 3 now follows a stock-price call: it carries nothing of that call
    assert outputs[3].reasons == ["ignores_tool_results"] and "get_stock_price()" in outputs[3].explanation


def test_check_counts_say_which_checks_ran(real):
    counts = check_counts(GenericToolCallChecker().check_all(corrupted(real)))
    assert counts == {"parses": {"passed": 9, "failed": 1, "not_run": 0},
                      "declared": {"passed": 8, "failed": 1, "not_run": 1},
                      "schema": {"passed": 5, "failed": 2, "not_run": 3},
                      "results_answer_calls": {"passed": 9, "failed": 1, "not_run": 0}}


def test_validity_rates_move_as_the_corruption_predicts(real):
    """Through the application layer: 5 of 10 tool-call verdicts invalid, 2 of 10 outputs."""
    session = ValiditySession(real, GenericPreset(), Config(), "rules", progress=False)
    metrics = {m.id: m for m in session.metrics(session.run(corrupted(real)))}
    tool_calls, output = metrics["validity.tool_calls.rate"], metrics["validity.output.rate"]
    assert tool_calls.value == 0.5 and tool_calls.details["checker"] == "rules.generic"
    assert tool_calls.details["reasons"] == {"schema": 2, "declared": 1, "results_answer_calls": 1,
                                             "parses": 1}
    assert tool_calls.details["real_value"] == 1.0 and tool_calls.details["coverage"] == 1.0
    assert output.value == 0.8 and output.details["reasons"] == {"empty_output": 1, "ignores_tool_results": 1}
    assert output.details["real_value"] == 1.0 and output.details["checker"] == "rules.generic_output"


def test_a_trajectory_without_any_applicable_check_is_unscored():
    chat = Trajectory(id="c", messages=[Message(role="user", content="hello")], output=None)
    verdict = GenericToolCallChecker().check(chat)
    assert verdict.valid is None and verdict.reasons == ["no_applicable_check"]
    assert set(verdict.details["not_run"]) == {"parses", "declared", "schema", "results_answer_calls"}
    assert GenericOutputChecker().check(chat).reasons == ["empty_output"]


def test_code_that_does_not_parse_fails_parses():
    traj = Trajectory(id="p", messages=[Message(role="user", content="x"),
                                        Message(role="assistant", code="get_weather(city='Oslo'")])
    verdict = GenericToolCallChecker().check(traj)
    assert verdict.valid is False and verdict.reasons == ["parses"]
    assert verdict.explanation.startswith("SyntaxError")


def test_schema_draft_is_taken_from_the_schema():
    """``$schema`` draft-07 with tuple ``items``: validated by the draft it names, not 2020-12."""
    parameters = {"$schema": "http://json-schema.org/draft-07/schema#", "type": "object",
                  "properties": {"pair": {"type": "array",
                                          "items": [{"type": "string"}, {"type": "integer"}]}}}
    tools = [{"type": "function", "function": {"name": "f", "parameters": parameters}}]

    def verdict(pair: list[Any]) -> Any:
        call = ToolCall(id="c", function=FunctionCall(name="f", arguments=json.dumps({"pair": pair})))
        traj = Trajectory(id="d", tools=tools, messages=[Message(role="assistant", tool_calls=[call])])
        return GenericToolCallChecker().check(traj)

    assert verdict(["a", 1]).valid is True
    assert verdict(["a", "b"]).reasons == ["schema"]


def test_an_invalid_tool_schema_is_a_data_error():
    tools = [{"type": "function", "function": {"name": "f", "parameters": {"type": "no-such-type"}}}]
    call = ToolCall(id="c", function=FunctionCall(name="f", arguments="{}"))
    traj = Trajectory(id="bad", tools=tools, messages=[Message(role="assistant", tool_calls=[call])])
    with pytest.raises(DataError, match=r"trajectory 'bad'.*field 'tools'.*'f'"):
        GenericToolCallChecker().check(traj)


def test_check_counts_keep_the_order_of_first_appearance_and_ignore_other_states():
    def verdict(checks):
        return Verdict(trajectory_id="t", target="output", valid=True, checker="c",
                       details={"checks": checks} if checks else {})

    verdicts = [verdict({"b": "passed"}), verdict({"a": "failed", "b": "not_run"}), verdict(None),
                verdict({"a": "unknown", "c": "passed"})]
    assert check_counts(verdicts) == {"b": {"passed": 1, "failed": 0, "not_run": 1},
                                      "a": {"passed": 0, "failed": 1, "not_run": 0},
                                      "c": {"passed": 1, "failed": 0, "not_run": 0}}
    assert list(check_counts(verdicts)) == ["b", "a", "c"]


def _hand_written_cases() -> list[Trajectory]:
    """Bad and good cases written by hand: no output, a blank one, a cut-off answer, an apology
    after a successful call, a claim of an action no call made, a result that answers no call,
    arguments that are not JSON, an undeclared tool, a schema violation, a chat with no applicable
    check, and a good weather answer."""
    weather = json.dumps({"temperature": 12, "conditions": "cloudy"})

    def traj(i: int, calls: list[dict[str, Any]], results: list[tuple[str, str]], output: str | None,
             tools: list[dict[str, Any]] | None = TOOLS) -> Trajectory:
        messages: list[dict[str, Any]] = [{"role": "user", "content": "What is the weather in Oslo?"}]
        if calls:
            messages.append({"role": "assistant", "content": None, "tool_calls": calls})
        messages += [{"role": "tool", "tool_call_id": cid, "content": text} for cid, text in results]
        return Trajectory.model_validate({"id": f"h{i}", "messages": messages, "tools": tools,
                                          "output": output})

    oslo = [_call("a", "get_weather", {"city": "Oslo"})]
    return [
        traj(0, oslo, [("a", weather)], None),
        traj(1, oslo, [("a", weather)], "   "),
        traj(2, oslo, [("a", weather)], "It is 12 degrees and cloudy in Oslo, so you might want to take a"),
        traj(3, oslo, [("a", weather)], "Sorry, something went wrong."),
        traj(4, oslo, [("a", weather)], "I have booked a table for you and it is 12 degrees in Oslo."),
        traj(5, oslo, [("zz", weather)], "It is 12 degrees and cloudy in Oslo."),
        traj(6, [{"id": "a", "type": "function", "function": {"name": "get_weather", "arguments": "{city"}}],
             [("a", weather)], "It is 12 degrees and cloudy in Oslo."),
        traj(7, [_call("a", "get_forecast", {"city": "Oslo"})], [("a", weather)], "12 degrees in Oslo."),
        traj(8, [_call("a", "get_weather", {"city": 7})], [("a", weather)], "12 degrees in Oslo."),
        traj(9, [], [], None, tools=None),
        traj(10, oslo, [("a", weather)], "It is 12 degrees and cloudy in Oslo."),
    ]


@pytest.mark.parametrize("checker", [GenericToolCallChecker, GenericOutputChecker])
def test_counting_without_verdicts_equals_counting_the_verdicts(real, checker, monkeypatch):
    """A streamed run counts the rule verdicts as they are decided (``tally_all``) instead of
    building them: the counts equal those of the verdicts, check states and the unscored
    ``check_failed`` of an answer whose checks raised included."""
    from synae.run.scoring.validity import VerdictCounts
    from synae.validity.rules import generic

    cases = [*_hand_written_cases(), *corrupted(real)]
    original = generic.output_checks

    def raising_on_h4(traj: Trajectory) -> Any:
        if traj.id == "h4":
            raise ValueError("a check broke")
        return original(traj)

    monkeypatch.setattr(generic, "output_checks", raising_on_h4)
    verdicts = checker().check_all(cases)
    counts = VerdictCounts.of_checker(checker(), cases)
    assert counts == VerdictCounts.of(verdicts)
    assert counts.invalid >= 4 and counts.checks and sum(counts.reasons.values()) >= counts.invalid
    if checker is GenericOutputChecker:
        failed = next(v for v in verdicts if v.trajectory_id == "h4")
        assert failed.valid is None and failed.reasons == ["check_failed"] and "checks" not in failed.details
        assert counts.unscored_reasons == {"check_failed": 1}
        assert counts.reasons["empty_output"] == 4 and counts.reasons["truncated"] == 1  # h0, h1, h9 + 1
    else:
        assert counts.unscored_reasons == {"no_applicable_check": 1}
        assert {"parses", "declared", "schema", "results_answer_calls"} <= set(counts.reasons)
