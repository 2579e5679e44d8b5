"""Prompt templates of synae's LLM judges (``docs/method.md`` §6.1, §6.3), written for synae.

Every judge request has the same shape: a system message saying that the model is an evaluator that
answers only "yes" or "no", and one user message with the task material (sections headed
``## …``), the evaluation rules, the question and the cue ``Answer (yes/no):``.

Each material field (conversation, tool list, tool calls, tool results, output, …) is truncated to a
character budget (``judge.max_field_chars``, default 8 000): the first ``budget`` characters are kept
and `` [truncated]`` is appended; :class:`JudgePrompt` counts the truncated fields.

:data:`PROMPT_VERSION` is a hash of every template text below; reports record it so that verdicts
from different prompt versions are never mixed up.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from synae.schema import Message, Trajectory
from synae.toolcalls import render_call
from synae.views import turns

TRUNCATION_MARKER = " [truncated]"

JudgeTask = Literal["tool_calls", "output", "output_t1", "output_acp", "tool_call_equivalence",
                    "output_equivalence"]

SYSTEM_MESSAGE = (
    "You are a strict evaluator of AI assistants. You read the material you are given, apply the "
    "evaluation rules, and answer the question with a single word: \"yes\" or \"no\". Do not explain "
    "your answer."
)

TASK_TEXTS: dict[str, dict[str, Any]] = {
    "tool_calls": {
        "intro": "Below are a conversation between a user and an AI assistant, the tools the assistant "
                 "could use, and the tool calls the assistant made to serve the user.",
        "rules": [
            "Answer \"yes\" only if the tool calls correctly and completely carry out what the user asked.",
            "Every argument must match the entities stated in the conversation exactly (the right city, "
            "state, attraction type, file name, amount, date, …). A wrong, missing or invented value "
            "means \"no\".",
            "A call that cannot succeed (an unknown tool, a missing required argument, an argument of the "
            "wrong type, an operation on something that does not exist) means \"no\".",
            "Partially correct calls mean \"no\": every part of the request must be handled.",
            "Bookkeeping calls, such as saving results to a cache or loading them from it, are fine; the "
            "names of variables and cache keys do not matter.",
        ],
        "question": "Do these tool calls correctly and completely carry out what the user asked?",
    },
    "output": {
        "intro": "Below are a conversation between a user and an AI assistant, the tool calls the "
                 "assistant made, and the final output it returned to the user.",
        "rules": [
            "Answer \"yes\" only if the final output is consistent with the conversation and with the tool "
            "calls: it addresses what the user asked and reflects what the calls were meant to "
            "accomplish.",
            "An output that contradicts the conversation or the tool calls, or is about a different "
            "subject, place or item than the one the user asked about, means \"no\".",
            "A partially correct output means \"no\".",
        ],
        "question": "Is the final output consistent with the conversation and the tool calls?",
    },
    "output_t1": {
        "intro": "Below are a conversation between a traveller and an AI travel assistant, the tool calls "
                 "the assistant made to search for attractions, and the final output it returned.",
        "rules": [
            "Answer \"yes\" only if the final output is consistent with the conversation and with the tool "
            "calls: it reflects the same city, state and attraction type as the conversation, and what "
            "the calls were meant to accomplish.",
            "An output that contradicts the conversation or the tool calls, or recommends a different "
            "attraction type or a different location, means \"no\".",
            "A partially correct output means \"no\".",
        ],
        "question": "Is the final output consistent with the conversation and the tool calls?",
    },
    "output_acp": {
        "intro": "Below are the description of a planning problem in its current state, a yes/no question "
                 "about it, and a proposed answer.",
        "rules": [
            "Work out the correct answer from the described state and the rules of the domain.",
            "Answer \"yes\" only if the proposed answer is the correct answer to the question in this "
            "state; otherwise answer \"no\".",
        ],
        "question": "Is the proposed answer correct for this question in the described state?",
    },
    "tool_call_equivalence": {
        "intro": "Below are a conversation between a user and an AI assistant, the expected (reference) "
                 "tool calls for it, and the actual tool calls an assistant made.",
        "rules": [
            "Answer \"yes\" only if the actual calls accomplish the same goal as the expected calls.",
            "Semantically equivalent argument values are fine (for example \"OR\" and \"Oregon\").",
            "A different order of calls is fine when it gives the same result; different variable or "
            "cache names are fine.",
            "Partially equivalent calls (a missing step, a different value, an extra call that changes "
            "the result) mean \"no\".",
        ],
        "question": "Do the actual tool calls accomplish the same goal as the expected tool calls?",
    },
    "output_equivalence": {
        "intro": "Below are a conversation between a user and an AI assistant, the expected (reference) "
                 "final output, and the actual final output an assistant produced.",
        "rules": [
            "Answer \"yes\" only if the actual output conveys the same information and meaning as the "
            "expected output.",
            "Different wording is fine: judge the content, not the style.",
            "A partially equivalent output (missing or different information) means \"no\".",
        ],
        "question": "Does the actual output convey the same information and meaning as the expected output?",
    },
}

ANSWER_CUE = "Answer (yes/no):"

# JSON schema for servers that support structured output (``response_format``).
VERDICT_SCHEMA: dict[str, Any] = {
    "type": "json_schema",
    "json_schema": {
        "name": "verdict",
        "strict": True,
        "schema": {"type": "object", "properties": {"answer": {"type": "string", "enum": ["yes", "no"]}},
                   "required": ["answer"], "additionalProperties": False},
    },
}

PROMPT_VERSION = hashlib.sha256(
    json.dumps([SYSTEM_MESSAGE, TASK_TEXTS, ANSWER_CUE, TRUNCATION_MARKER, VERDICT_SCHEMA],
               sort_keys=True).encode("utf-8")).hexdigest()[:12]


@dataclass
class JudgePrompt:
    """Chat messages of one judge request and how many of its fields were truncated."""

    task: str
    messages: list[dict[str, Any]]
    truncated_fields: int = 0


class _Builder:
    """Collects ``## title`` sections, truncating each field to the budget."""

    def __init__(self, max_field_chars: int) -> None:
        self.max_field_chars = max_field_chars
        self.sections: list[str] = []
        self.truncated = 0

    def add(self, title: str, text: str) -> None:
        text = text.strip() or "(none)"
        if len(text) > self.max_field_chars:
            text = text[: self.max_field_chars] + TRUNCATION_MARKER
            self.truncated += 1
        self.sections.append(f"## {title}\n{text}")

    def build(self, task: str) -> JudgePrompt:
        texts = TASK_TEXTS[task]
        rules = "\n".join(f"- {rule}" for rule in texts["rules"])
        body = "\n\n".join([texts["intro"], *self.sections, f"## Evaluation rules\n{rules}",
                            f"## Question\n{texts['question']}", ANSWER_CUE])
        messages = [{"role": "system", "content": SYSTEM_MESSAGE}, {"role": "user", "content": body}]
        return JudgePrompt(task=task, messages=messages, truncated_fields=self.truncated)


# ---------------------------------------------------------------------------------------------
# Rendering the material


def conversation_text(traj: Trajectory) -> str:
    """User messages (numbered) and assistant responses, role-labelled, in order; tool-call-only
    messages and tool results are left out (they have their own sections)."""
    lines = []
    n_user = 0
    for msg in traj.messages:
        if msg.role == "user":
            n_user += 1
            lines.append(f"user ({n_user}): {msg.content or ''}")
        elif msg.role == "assistant" and msg.content and msg.content.strip():
            lines.append(f"assistant: {msg.content.strip()}")
    return "\n".join(lines)


def calls_of_message(msg: Message) -> str:
    """The calls of one assistant message: its verbatim ``code`` (T1 plan, BFCL call strings), else
    the structured ``tool_calls`` rendered as Python-style calls, one per line."""
    if msg.code is not None and msg.code.strip():
        return msg.code.strip()
    calls = msg.tool_calls or []
    return "\n".join(render_call(c.function.name, c.function.parsed_arguments()) for c in calls)


def tool_calls_text(traj: Trajectory) -> str:
    """The tool calls in order, grouped per user turn when the turn alignment is known
    (``metadata.turn_alignment != "unknown"``); ``""`` when there are none."""
    call_messages = [m for m in traj.messages if m.role == "assistant" and (m.tool_calls or m.code)]
    if not call_messages:
        return ""
    if traj.metadata.get("turn_alignment") == "unknown":
        return "(for the whole conversation)\n" + "\n".join(calls_of_message(m) for m in call_messages)
    blocks = []
    for turn in turns(traj):
        calls = [calls_of_message(m) for m in turn.tool_call_messages]
        if turn.index == 0 and not calls:  # greeting before the first user message
            continue
        label = f"After user message {turn.index}:" if turn.index else "Before the first user message:"
        blocks.append(f"{label}\n" + ("\n".join(calls) if calls else "(no calls)"))
    return "\n\n".join(blocks)


def tool_results_text(traj: Trajectory) -> str:
    """``name → result`` per tool message, in order; ``""`` when the trajectory has no results."""
    names = {c.id: c.function.name for m in traj.messages for c in m.tool_calls or []}
    return "\n".join(f"{names.get(m.tool_call_id or '', m.name or 'tool')} → {m.content or ''}"
                     for m in traj.messages if m.role == "tool")


def one_line_description(description: str, limit: int = 200) -> str:
    """A short description: the part after ``Tool description:`` (BFCL docs) when present, first
    sentence, whitespace collapsed, at most ``limit`` characters."""
    text = description.split("Tool description:", 1)[-1]
    text = re.sub(r"\s+", " ", text).strip()
    match = re.match(r"(.+?[.!?])(\s|$)", text)
    text = match.group(1) if match else text
    return text if len(text) <= limit else text[: limit - 1] + "…"


def tools_text(tools: Sequence[dict[str, Any]], *, full_schemas: bool = False) -> str:
    """``- name: description`` per OpenAI tool definition; with ``full_schemas`` the parameter JSON
    schema follows each line."""
    lines = []
    for tool in tools:
        fn = tool.get("function", tool) if isinstance(tool, dict) else {}
        name = fn.get("name", "?")
        line = f"- {name}: {one_line_description(str(fn.get('description') or ''))}".rstrip(": ")
        if full_schemas and fn.get("parameters"):
            line += f"\n  parameters: {json.dumps(fn['parameters'], ensure_ascii=False)}"
        lines.append(line)
    return "\n".join(lines)


def _joined(calls: str | Sequence[str]) -> str:
    return calls if isinstance(calls, str) else "\n".join(calls)


# ---------------------------------------------------------------------------------------------
# One function per judge task


def tool_call_validity_prompt(traj: Trajectory, tools: Sequence[dict[str, Any]] | None, *,
                              max_field_chars: int = 8000, full_schemas: bool = False,
                              show_results: bool = True) -> JudgePrompt:
    """Tool-call validity (T1, BFCL, generic): conversation, tools, calls per turn, results if any."""
    b = _Builder(max_field_chars)
    b.add("Conversation", conversation_text(traj))
    if tools:
        b.add("Available tools", tools_text(tools, full_schemas=full_schemas))
    b.add("Tool calls", tool_calls_text(traj))
    results = tool_results_text(traj) if show_results else ""
    if results:
        b.add("Tool results", results)
    return b.build("tool_calls")


def output_validity_prompt(traj: Trajectory, *, max_field_chars: int = 8000,
                           task: JudgeTask = "output") -> JudgePrompt:
    """Output validity (generic; T1 with ``task="output_t1"``): conversation, tool calls, tool
    results if present, final output."""
    b = _Builder(max_field_chars)
    b.add("Conversation", conversation_text(traj))
    b.add("Tool calls", tool_calls_text(traj))
    results = tool_results_text(traj)
    if results:
        b.add("Tool results", results)
    b.add("Final output", traj.output or "")
    return b.build(task)


def t1_output_validity_prompt(traj: Trajectory, *, max_field_chars: int = 8000) -> JudgePrompt:
    """T1 output validity: the generic material with the T1 rules (``output_t1``)."""
    return output_validity_prompt(traj, max_field_chars=max_field_chars, task="output_t1")


def acp_output_validity_prompt(traj: Trajectory, *, max_field_chars: int = 8000) -> JudgePrompt:
    """ACP output validity: context (line 1 of the first user message), question (the other non-empty
    lines but the answer-format line), proposed answer."""
    b = _Builder(max_field_chars)
    first_user = next((m.content or "" for m in traj.messages if m.role == "user"), "")
    lines = first_user.split("\n")
    b.add("Context", lines[0])
    b.add("Question", "\n".join(line for line in lines[1:] if line.strip()
                                 and line.strip() != "Only answer yes or no."))
    b.add("Proposed answer", traj.output or "")
    return b.build("output_acp")


def tool_call_equivalence_prompt(traj: Trajectory, expected_calls: str | Sequence[str],
                                 actual_calls: str | Sequence[str], *,
                                 max_field_chars: int = 8000) -> JudgePrompt:
    """Downstream tool-call equivalence: conversation of ``traj``, expected and actual calls (call
    strings or plan code; a sequence is joined with newlines)."""
    b = _Builder(max_field_chars)
    b.add("Conversation", conversation_text(traj))
    b.add("Expected tool calls", _joined(expected_calls))
    b.add("Actual tool calls", _joined(actual_calls))
    return b.build("tool_call_equivalence")


def output_equivalence_prompt(traj: Trajectory, expected_output: str, actual_output: str, *,
                              max_field_chars: int = 8000) -> JudgePrompt:
    """Downstream output equivalence: conversation of ``traj``, expected and actual final output."""
    b = _Builder(max_field_chars)
    b.add("Conversation", conversation_text(traj))
    b.add("Expected output", expected_output)
    b.add("Actual output", actual_output)
    return b.build("output_equivalence")
