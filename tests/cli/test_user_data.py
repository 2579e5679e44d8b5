"""Your own traces end to end: an OpenAI chat JSONL export through `inspect`, `generate` and
`evaluate --validity rules` with the generic preset.

The data is built here (seeded): weather/calendar agent conversations with tool definitions, tool
calls (``arguments`` as JSON text in even records, as objects in odd ones), tool results and a final
answer. The synthetic twin breaks known records, so the rule-validity rates are known exactly.
"""

from __future__ import annotations

import copy
import json
import random
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from helpers.synae_cli import run_synae
from synae.run.inputs.data import load_dataset

TOOLS: list[dict[str, Any]] = [
    {"type": "function", "function": {
        "name": "get_weather", "description": "Current weather in a city.",
        "parameters": {"type": "object", "properties": {
            "city": {"type": "string"}, "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]}},
            "required": ["city"], "additionalProperties": False}}},
    {"type": "function", "function": {
        "name": "get_forecast", "description": "Daily forecast for the next days.",
        "parameters": {"type": "object", "properties": {
            "city": {"type": "string"}, "days": {"type": "integer", "minimum": 1, "maximum": 7}},
            "required": ["city", "days"], "additionalProperties": False}}},
    {"type": "function", "function": {
        "name": "list_events", "description": "Calendar events on a date.",
        "parameters": {"type": "object", "properties": {"date": {"type": "string"}},
                       "required": ["date"], "additionalProperties": False}}},
    {"type": "function", "function": {
        "name": "create_event", "description": "Add an event to the calendar.",
        "parameters": {"type": "object", "properties": {
            "title": {"type": "string"}, "date": {"type": "string"},
            "duration_minutes": {"type": "integer", "minimum": 5}},
            "required": ["title", "date"], "additionalProperties": False}}},
]
CITIES = ["Oslo", "Lisbon", "Nairobi", "Osaka", "Denver", "Lima", "Hanoi", "Tallinn", "Perth", "Quito"]
SKIES = ["rain", "sunshine", "fog", "light snow", "thunderstorms", "a clear sky", "drizzle", "wind"]
TITLES = ["dentist", "team sync", "yoga class", "budget review", "lunch with Ana", "flight to Rome",
          "piano lesson", "code review"]
DATES = [f"2025-0{m}-{d:02d}" for m in (3, 4, 5) for d in (2, 9, 14, 21, 28)]
WEATHER_ASKS = ["What's the weather in {city} right now?", "Is it cold in {city} today?",
                "How does the sky look over {city}?", "Tell me the current conditions in {city}, please."]
FORECAST_ASKS = ["Will I need an umbrella in {city} over the next {days} days?",
                 "Give me a {days}-day forecast for {city}.", "Plan ahead: {city} weather for {days} days?"]
CALENDAR_ASKS = ["What do I have on {date}?", "Am I free on {date}?", "List my meetings for {date}."]
CREATE_ASKS = ["Book '{title}' on {date} for {minutes} minutes.", "Add {title} to my calendar on {date}.",
               "Schedule {title} for {date}, {minutes} minutes long."]
# the corruptions of the synthetic twin, one record each (records are 0-based positions)
WRONG_TYPE = (1, 8, 15)        # a string argument becomes a number
MISSING_REQUIRED = (3, 10, 21)  # a required argument is removed
UNDECLARED = (5, 12, 26)        # the first call names a tool that `tools` does not declare
EMPTIED = (2, 9, 17)            # the final answer's content becomes ""
BLANK = (19,)                   # ... becomes whitespace
DROPPED = (24,)                 # the final answer message is removed (the record ends on a tool result)
REPLACED = (4, 13, 28)          # the final answer becomes another record's (still a non-empty output)


@dataclass
class ChatPair:
    """The files of a real/synthetic pair and the counts the assertions need."""

    real: Path
    synthetic: Path
    n: int
    n_calls: int
    calls_per_record: dict[int, int] = field(default_factory=dict)
    tool_counts: dict[str, int] = field(default_factory=dict)


def _call(position: int, turn: int, k: int, name: str, arguments: dict[str, Any],
          as_text: bool) -> dict[str, Any]:
    return {"id": f"call_{position}_{turn}_{k}", "type": "function",
            "function": {"name": name, "arguments": json.dumps(arguments) if as_text else arguments}}


def _turn(rng: random.Random) -> tuple[str, list[tuple[str, dict[str, Any]]], list[str], str]:
    """One user request: (question, [(tool, arguments)], tool results, final answer)."""
    kind = rng.choice(["weather", "forecast", "calendar", "create", "trip"])
    city, date = rng.choice(CITIES), rng.choice(DATES)
    if kind == "weather":
        unit = rng.choice(["celsius", "fahrenheit"])
        temp, sky = rng.randint(-5, 33), rng.choice(SKIES)
        return (rng.choice(WEATHER_ASKS).format(city=city), [("get_weather", {"city": city, "unit": unit})],
                [json.dumps({"temperature": temp, "unit": unit, "sky": sky})],
                f"In {city} it is {temp} degrees {unit} with {sky}.")
    if kind == "forecast":
        days = rng.randint(2, 6)
        sky = rng.choice(SKIES)
        return (rng.choice(FORECAST_ASKS).format(city=city, days=days),
                [("get_forecast", {"city": city, "days": days})],
                [json.dumps({"days": [{"day": d, "sky": rng.choice(SKIES)} for d in range(days)]})],
                f"Over the next {days} days {city} expects mostly {sky}; "
                f"{'bring an umbrella' if 'rain' in sky or 'drizzle' in sky else 'no umbrella needed'}.")
    if kind == "calendar":
        events = rng.sample(TITLES, rng.randint(0, 2))
        return (rng.choice(CALENDAR_ASKS).format(date=date), [("list_events", {"date": date})],
                [json.dumps({"events": events})],
                f"On {date} you have {', '.join(events)}." if events else f"Your calendar is free on {date}.")
    if kind == "create":
        title, minutes = rng.choice(TITLES), rng.choice([15, 30, 45, 60, 90])
        return (rng.choice(CREATE_ASKS).format(title=title, date=date, minutes=minutes),
                [("create_event", {"title": title, "date": date, "duration_minutes": minutes})],
                [json.dumps({"ok": True, "event_id": f"ev{rng.randint(100, 999)}"})],
                f"Done: '{title}' is on your calendar for {date} ({minutes} min).")
    sky = rng.choice(SKIES)
    events = rng.sample(TITLES, 1)
    return (f"I'm going to {city} on {date}: what's the weather there and what's on my calendar?",
            [("get_weather", {"city": city}), ("list_events", {"date": date})],
            [json.dumps({"temperature": rng.randint(0, 30), "sky": sky}), json.dumps({"events": events})],
            f"{city} has {sky} today, and on {date} you have {events[0]}.")


def user_turns(position: int) -> int:
    """User requests in record ``position``: two in records 6, 16, 25, 26, 36, …, else one."""
    return 2 if position % 10 == 6 or position == 25 else 1


def build_real(n: int = 30, seed: int = 7) -> list[dict[str, Any]]:
    """``n`` OpenAI chat records (module docstring), :func:`user_turns` requests each."""
    rng = random.Random(seed)
    records = []
    for position in range(n):
        as_text = position % 2 == 0
        messages: list[dict[str, Any]] = [{"role": "system", "content": "You are a weather and calendar "
                                           "assistant. Use the tools."}]
        for turn in range(user_turns(position)):
            question, calls, results, answer = _turn(rng)
            tool_calls = [_call(position, turn, k, name, args, as_text)
                          for k, (name, args) in enumerate(calls)]
            messages += [{"role": "user", "content": question},
                         {"role": "assistant", "content": None, "tool_calls": tool_calls}]
            messages += [{"role": "tool", "tool_call_id": c["id"], "content": r}
                         for c, r in zip(tool_calls, results, strict=True)]
            messages.append({"role": "assistant", "content": answer})
        records.append({"messages": messages, "tools": TOOLS})
    return records


def _arguments(call: dict[str, Any]) -> dict[str, Any]:
    args = call["function"]["arguments"]
    parsed: dict[str, Any] = json.loads(args) if isinstance(args, str) else args
    return parsed


def _set_arguments(call: dict[str, Any], arguments: dict[str, Any]) -> None:
    call["function"]["arguments"] = (json.dumps(arguments) if isinstance(call["function"]["arguments"], str)
                                     else arguments)


def _first_call(record: dict[str, Any]) -> dict[str, Any]:
    call: dict[str, Any] = next(m for m in record["messages"] if m.get("tool_calls"))["tool_calls"][0]
    return call


def _final(record: dict[str, Any]) -> dict[str, Any]:
    final: dict[str, Any] = record["messages"][-1]
    return final


def build_synthetic(real: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A deep copy of ``real`` with the corruptions named by the module constants."""
    out = copy.deepcopy(real)
    for i in WRONG_TYPE:  # a string argument (city/date/title) gets a number
        call = _first_call(out[i])
        args = _arguments(call)
        key = next(k for k in ("city", "date", "title") if k in args)
        _set_arguments(call, {**args, key: 42})
    for i in MISSING_REQUIRED:
        call = _first_call(out[i])
        args = _arguments(call)
        key = next(k for k in ("city", "date", "title") if k in args)
        _set_arguments(call, {k: v for k, v in args.items() if k != key})
    for i in UNDECLARED:
        _first_call(out[i])["function"]["name"] = "book_flight"
    for i in EMPTIED:
        _final(out[i])["content"] = ""
    for i in BLANK:
        _final(out[i])["content"] = "   "
    for i in DROPPED:
        out[i]["messages"].pop()
    for i in REPLACED:
        _final(out[i])["content"] = _final(real[(i + 7) % len(real)])["content"]
    return out


def write_jsonl(records: list[dict[str, Any]], path: Path) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


def chat_pair(folder: Path, n: int = 30, seed: int = 7) -> ChatPair:
    """``real.jsonl`` and ``syn.jsonl`` in ``folder``, with the real set's call counts."""
    real = build_real(n, seed)
    calls = [c for r in real for m in r["messages"] for c in m.get("tool_calls") or ()]
    tool_counts: dict[str, int] = {}
    for c in calls:
        tool_counts[c["function"]["name"]] = tool_counts.get(c["function"]["name"], 0) + 1
    multi = {i: sum(len(m.get("tool_calls") or ()) for m in r["messages"]) for i, r in enumerate(real)}
    return ChatPair(real=write_jsonl(real, folder / "real.jsonl"),
                    synthetic=write_jsonl(build_synthetic(real), folder / "syn.jsonl"),
                    n=n, n_calls=len(calls), calls_per_record=multi, tool_counts=tool_counts)


@pytest.fixture
def pair(tmp_path: Path) -> ChatPair:
    return chat_pair(tmp_path)


def test_the_builder_mixes_argument_encodings_and_answers_every_call(pair: ChatPair) -> None:
    records = [json.loads(line) for line in pair.real.read_text().splitlines()]
    kinds = {type(c["function"]["arguments"]) for r in records for m in r["messages"]
             for c in m.get("tool_calls") or ()}
    assert kinds == {str, dict}
    for r in records:
        ids = [c["id"] for m in r["messages"] for c in m.get("tool_calls") or ()]
        assert ids == [m["tool_call_id"] for m in r["messages"] if m["role"] == "tool"]
        assert r["messages"][-1]["role"] == "assistant" and r["messages"][-1]["content"]
    # the corruption sets do not overlap within a target, so the expected rates below are exact
    call_rows = [*WRONG_TYPE, *MISSING_REQUIRED, *UNDECLARED]
    output_rows = [*EMPTIED, *BLANK, *DROPPED, *REPLACED]
    assert len(set(call_rows)) == len(call_rows) and len(set(output_rows)) == len(output_rows)


def test_user_traces_inspect_generate_and_evaluate(pair: ChatPair, tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str],
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    # inspect the raw export
    code, out, err = run_synae(["inspect", pair.real, "--json"], capsys, monkeypatch)
    assert code == 0, err
    stats = json.loads(out)
    n_users = sum(user_turns(i) for i in range(pair.n))
    assert stats["n"] == pair.n and stats["format"] == "openai" and stats["preset"] == "generic"
    assert stats["messages"] == {"system": pair.n, "user": n_users, "assistant": 2 * n_users,
                                 "tool": pair.n_calls}
    assert stats["tool_calls"] == pair.n_calls and stats["unparsed_tool_calls"] == 0
    assert stats["tool_names"] == pair.tool_counts

    # evaluate the broken twin with rule validity
    results = tmp_path / "results.json"
    code, out, err = run_synae(["evaluate", "--real", pair.real, "--synthetic", pair.synthetic,
                                "--validity", "rules", "--embedder", "lexical", "--out", results],
                               capsys, monkeypatch)
    assert code == 0, err
    data = json.loads(results.read_text())
    metrics = data["metrics"]
    output_metrics = {k: m for k, m in metrics.items()
                      if k.startswith(("fidelity.output.", "diversity.output."))}
    assert {k.split(".")[0] for k in output_metrics} == {"fidelity", "diversity"}
    assert {k: m["status"] for k, m in output_metrics.items()} == dict.fromkeys(output_metrics, "ok")

    bad_calls = len(WRONG_TYPE) + len(MISSING_REQUIRED) + len(UNDECLARED)
    calls = metrics["validity.tool_calls.rate"]
    assert calls["status"] == "ok"
    assert calls["value"] == pytest.approx((pair.n - bad_calls) / pair.n, abs=1e-12)  # 21/30
    assert calls["details"]["real_value"] == 1.0
    # every record has calls, tool results and tools: parses/declared/results_answer_calls run on all
    # 30; schema runs except where the only call is undeclared
    schema_not_run = sum(1 for i in UNDECLARED if pair.calls_per_record[i] == 1)
    assert calls["details"]["checks"] == {
        "parses": {"passed": pair.n, "failed": 0, "not_run": 0},
        "declared": {"passed": pair.n - len(UNDECLARED), "failed": len(UNDECLARED), "not_run": 0},
        "schema": {"passed": pair.n - len(WRONG_TYPE) - len(MISSING_REQUIRED) - schema_not_run,
                   "failed": len(WRONG_TYPE) + len(MISSING_REQUIRED), "not_run": schema_not_run},
        "results_answer_calls": {"passed": pair.n, "failed": 0, "not_run": 0},
    }
    no_output = len(EMPTIED) + len(BLANK) + len(DROPPED)
    bad_outputs = no_output + len(REPLACED)  # a replaced answer quotes another record's date or temperature
    outputs = metrics["validity.output.rate"]
    assert outputs["status"] == "ok"
    assert outputs["value"] == pytest.approx((pair.n - bad_outputs) / pair.n, abs=1e-12)  # 22/30
    checks = outputs["details"]["checks"]
    assert checks["empty_output"] == {"passed": pair.n - no_output, "failed": no_output, "not_run": 0}
    assert checks["ungrounded_values"] == {"passed": pair.n - bad_outputs, "failed": len(REPLACED),
                                           "not_run": no_output}
    assert all(checks[c]["failed"] == 0 for c in ("unsupported_action_claim", "garbled_text", "truncated"))
    scores = data["aggregates"]["scores"]["syn"]
    assert scores["fidelity"] is not None and scores["diversity"] is not None
    assert scores["validity"] == pytest.approx((calls["value"] + outputs["value"]) / 2)

    # generate an invalidated set from the same export
    generated = tmp_path / "inv.jsonl"
    code, out, err = run_synae(["generate", "invalidate", "--input", pair.real, "--preset", "generic",
                                "--param", "0.3", "--out", generated], capsys, monkeypatch)
    assert code == 0, err
    inv = load_dataset(generated)
    assert len(inv) == pair.n
    provenance = [t.metadata["generation"] for t in inv]
    assert {p["method"] for p in provenance} == {"invalidate"}
    assert {p["params"]["v"] for p in provenance} == {0.3}
    assert sorted(p["source_id"] for p in provenance) == sorted(str(i) for i in range(pair.n))
    assert sum(p["modified"] for p in provenance) == int(pair.n * 0.3)
    sidecar = json.loads(generated.with_name("inv.meta.json").read_text())
    assert sidecar["counts"]["n_modified"] == int(pair.n * 0.3)
