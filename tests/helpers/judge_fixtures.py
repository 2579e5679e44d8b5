"""Small generic sets and scripted judges for the judge-calibration tests (loopback server)."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from typing import Any

from synae.schema import Trajectory
from synae.toolcalls import render_call
from synae.validity.prompts import SYSTEM_MESSAGE

N = 10
_QUESTION = re.compile(r"weather in City(\d+) on day (\d+)\?")


def output_of(i: int) -> str:
    return f"On day {i} City{i} will be sunny with {10 + i} degrees and a light breeze"


def record(i: int) -> dict[str, Any]:
    """A generic record: one get_weather call for (City i, day i), its result and an output."""
    params = {"type": "object", "properties": {"city": {"type": "string"}, "day": {"type": "integer"}},
              "required": ["city", "day"]}
    tools = [{"type": "function", "function": {"name": name, "description": f"{name} of a city",
                                               "parameters": params}} for name in ("get_weather", "get_time")]
    call = {"id": f"c{i}", "type": "function",
            "function": {"name": "get_weather", "arguments": json.dumps({"city": f"City{i}", "day": i})}}
    return {"id": f"r{i}", "tools": tools, "output": output_of(i), "messages": [
        {"role": "user", "content": f"What is the weather in City{i} on day {i}?"},
        {"role": "assistant", "content": None, "tool_calls": [call]},
        {"role": "tool", "tool_call_id": f"c{i}", "content": f"day {i}: sunny, {10 + i} degrees, breeze"}]}


def real_set(n: int = N) -> list[Trajectory]:
    return [Trajectory.model_validate(record(i)) for i in range(n)]


def write_real(path: Path, n: int = N) -> Path:
    path.write_text("".join(json.dumps(record(i)) + "\n" for i in range(n)), encoding="utf-8")
    return path


def prompt_of(body: dict[str, Any]) -> str:
    messages = body["messages"]
    assert messages[0]["content"] == SYSTEM_MESSAGE
    return str(messages[1]["content"])


def construction_judge(body: dict[str, Any]) -> str:
    """``yes`` exactly when the material is the untouched original of the question asked: the
    call of that city and day (tool calls), the output written for it (outputs)."""
    prompt = prompt_of(body)
    i = int(_QUESTION.search(prompt).group(1))  # type: ignore[union-attr]
    if "## Final output" in prompt:
        return "yes" if f"## Final output\n{output_of(i)}\n" in prompt else "no"
    return "yes" if render_call("get_weather", {"city": f"City{i}", "day": i}) in prompt else "no"


def random_judge(body: dict[str, Any]) -> str:
    """yes/no from a hash of the prompt: independent of the labels, deterministic across runs."""
    return "yes" if hashlib.sha256(prompt_of(body).encode()).digest()[0] % 2 else "no"
