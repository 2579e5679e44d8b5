"""LLM judges: tool-call validity, output validity (T1, ACP, generic) and downstream equivalence.

A judge request is built by :mod:`synae.validity.prompts`, sent through :class:`synae.llm.LLMClient`
(cache, retries, concurrency) and its reply parsed into a verdict (``validity_downstream.md`` §1):

- ``yes`` → valid, ``no`` → invalid (reason ``judge_no``);
- a reply that neither parser rule can read → **unscored**, reason ``unparseable_reply``;
- an empty reply, or a transport failure after the client's retries → **unscored**, ``judge_failed``;
- no judge model configured → **unscored**, ``no_judge`` (no call is made);
- dry run → **unscored**, ``dry_run`` (the call is only counted).

Unscored verdicts are never turned into ``no``. Every verdict keeps the raw reply in
``explanation``; ``details`` holds the model, the prompt version, the parser, whether the reply was
cached and how many fields were truncated.

Structured output: with ``judge.parse = robust`` and ``judge.structured_output`` on, requests ask for
``{"answer": "yes"|"no"}`` through ``response_format`` (JSON schema). The first uncached request is
sent alone as a probe; if the endpoint rejects the parameter (HTTP 400/422) the judge falls back to
plain-text replies for the whole batch and remembers it on the client. Either way the reply goes
through :func:`parse_reply`, which reads JSON answers too.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from synae.config import Config, JudgeSettings
from synae.llm.client import ChatRequest, ChatResponse, LLMClient, LLMError
from synae.llm.reasoning import strip_reasoning
from synae.schema import Trajectory
from synae.validity.prompts import (
    PROMPT_VERSION,
    VERDICT_SCHEMA,
    JudgePrompt,
    output_equivalence_prompt,
    output_validity_prompt,
    tool_call_equivalence_prompt,
    tool_call_validity_prompt,
)
from synae.validity.verdict import CheckTarget, Verdict

ParseMode = Literal["robust", "reference"]
REJECTED_STATUS = ("http_400", "http_422")  # how endpoints refuse an unsupported response_format

_LEADING_JUNK = re.compile(r"^(?:[\s\"'`*#“”‘’]+|answer\s*[:\-])", re.IGNORECASE)
_STARTS_WITH_VERDICT = re.compile(r"^(yes|no)(?![a-z])")
_ANY_VERDICT = re.compile(r"\b(yes|no)\b")


def parse_reply(reply: str | None, mode: ParseMode | None = "robust") -> bool | None:
    """The yes/no verdict in a judge reply; ``None`` when it cannot be read (§1.3).

    Reasoning blocks (``<think>…</think>``) are removed first. A JSON object with an ``answer`` field
    (structured output) is read from that field.

    ``robust``: lower-case; strip leading whitespace, quotes, asterisks, ``#`` and a leading
    ``answer:``/``answer -`` (repeatedly); if the text starts with the word ``yes`` or ``no`` (not
    followed by a letter) that is the verdict; else the first whole-word ``yes`` or ``no`` anywhere
    decides; else ``None``.

    ``reference`` (the research parser): ``"yes"`` as a substring anywhere → yes; else ``"no"`` as a
    substring → no (so "not", "know", "cannot" read as no); else ``None`` — the research counted that
    empty answer as "not yes", which synae reports as ``rate_all`` instead of a silent ``no``.
    ``mode=None`` means ``robust``.
    """
    text = strip_reasoning(reply).lower()
    try:
        data = json.loads(text)
    except ValueError:
        data = None
    if isinstance(data, dict) and isinstance(data.get("answer"), str):
        text = data["answer"].strip().lower()
    if mode == "reference":
        if "yes" in text:
            return True
        return False if "no" in text else None
    previous = None
    while previous != text:
        previous, text = text, _LEADING_JUNK.sub("", text, count=1)
    match = _STARTS_WITH_VERDICT.match(text) or _ANY_VERDICT.search(text)
    return None if match is None else match.group(1) == "yes"


@dataclass
class JudgeOutcome:
    """One judge decision. ``valid`` is ``None`` (unscored) exactly when ``reason`` is one of
    ``unparseable_reply``, ``judge_failed``, ``no_judge``, ``dry_run``; ``judge_no`` for a ``no``."""

    valid: bool | None
    reason: str | None
    raw: str | None = None
    cached: bool = False
    truncated_fields: int = 0
    structured: bool = False
    error: str | None = None

    def to_verdict(self, trajectory_id: str, target: CheckTarget, *, model: str | None, task: str,
                   parse: str) -> Verdict:
        details = {"model": model, "task": task, "prompt_version": PROMPT_VERSION, "parse": parse,
                   "cached": self.cached, "structured": self.structured,
                   "truncated_fields": self.truncated_fields}
        if self.error:
            details["error"] = self.error
        return Verdict(trajectory_id=trajectory_id, target=target, valid=self.valid,
                       reasons=[self.reason] if self.reason else [], checker=f"judge@{PROMPT_VERSION}",
                       explanation=self.raw if self.raw is not None else self.error, details=details)


def _request(prompt: JudgePrompt, settings: JudgeSettings, structured: bool) -> ChatRequest:
    assert settings.model is not None
    return ChatRequest(messages=prompt.messages, model=settings.model, temperature=settings.temperature,
                       max_tokens=settings.max_tokens, response_format=VERDICT_SCHEMA if structured else None)


def _outcome(result: ChatResponse | LLMError, prompt: JudgePrompt, parse: ParseMode,
             structured: bool) -> JudgeOutcome:
    common = {"truncated_fields": prompt.truncated_fields, "structured": structured}
    if isinstance(result, LLMError):
        reason = "dry_run" if result.kind == "dry_run" else "judge_failed"
        return JudgeOutcome(None, reason, error=str(result), **common)
    raw = result.content
    if not strip_reasoning(raw):
        return JudgeOutcome(None, "judge_failed", raw=raw, cached=result.cached, error="empty reply",
                            **common)
    valid = parse_reply(raw, parse)
    reason = "unparseable_reply" if valid is None else (None if valid else "judge_no")
    return JudgeOutcome(valid, reason, raw=raw, cached=result.cached, **common)


def judge_prompts(client: LLMClient | None, settings: JudgeSettings, prompts: Sequence[JudgePrompt], *,
                  description: str = "judge") -> list[JudgeOutcome]:
    """Send judge prompts concurrently and parse the replies (one outcome per prompt, in order).

    No client or no ``settings.model`` → every outcome is unscored with reason ``no_judge``.
    """
    if client is None or not settings.model:
        return [JudgeOutcome(None, "no_judge", truncated_fields=p.truncated_fields) for p in prompts]
    parse: ParseMode = settings.parse or "robust"
    structured = (settings.structured_output and parse == "robust"
                  and "response_format" not in client.rejected_parameters)
    requests = [_request(p, settings, structured) for p in prompts]
    results: list[ChatResponse | LLMError | None] = [None] * len(requests)
    if structured and not client.dry_run:
        probe = next((i for i, r in enumerate(requests) if client.cached_response(r) is None), None)
        if probe is not None:
            first = client.chat_many([requests[probe]], progress=False)[0]
            if isinstance(first, LLMError) and first.kind in REJECTED_STATUS:
                client.rejected_parameters.add("response_format")
                client.usage.add(failed=-1, rejected=1)  # re-sent below; not a failed judgement
                structured = False
                requests = [_request(p, settings, False) for p in prompts]
            else:
                results[probe] = first
    todo = [i for i, r in enumerate(results) if r is None]
    answers = client.chat_many([requests[i] for i in todo], description=description)
    for i, result in zip(todo, answers, strict=True):
        results[i] = result
    return [_outcome(r, p, parse, structured)  # type: ignore[arg-type]
            for r, p in zip(results, prompts, strict=True)]


def _preset_tools(preset: str) -> list[dict[str, Any]] | None:
    """Tool definitions a preset supplies when a trajectory carries none (T1: the attraction tools)."""
    if preset == "t1":
        from synae.envs.t1 import t1_tool_definitions

        return t1_tool_definitions()
    return None


class LLMJudge:
    """A :class:`synae.validity.verdict.Checker` that asks an LLM judge (one call per trajectory).

    ``target="tool_calls"``: tool-call validity (conversation, tools — the trajectory's own, else the
    preset's —, calls per turn, tool results if present). ``target="output"``: output validity (T1
    and generic: conversation, calls, results, final output; ACP: context, question, proposed answer).
    A missing or empty output is invalid (``empty_output``) without a call.
    """

    name = "judge"

    def __init__(self, target: CheckTarget, *, settings: JudgeSettings, client: LLMClient | None,
                 preset: str = "generic") -> None:
        self.target: CheckTarget = target
        self.settings = settings
        self.client = client
        self.preset = preset
        self._default_tools = _preset_tools(preset) if target == "tool_calls" else None

    def prompt(self, traj: Trajectory) -> JudgePrompt:
        """The judge prompt for one trajectory."""
        limit = self.settings.max_field_chars
        if self.target == "tool_calls":
            return tool_call_validity_prompt(traj, traj.tools or self._default_tools, max_field_chars=limit,
                                             full_schemas=self.settings.tool_schemas)
        return output_validity_prompt(traj, preset=self.preset, max_field_chars=limit)

    def check_all(self, trajectories: Sequence[Trajectory]) -> list[Verdict]:
        verdicts: list[Verdict | None] = [None] * len(trajectories)
        asked: list[int] = []
        for i, traj in enumerate(trajectories):
            if self.target == "output" and not (traj.output or "").strip():
                verdicts[i] = Verdict(trajectory_id=traj.id, target=self.target, valid=False,
                                      reasons=["empty_output"], checker=f"judge@{PROMPT_VERSION}",
                                      explanation="the trajectory has no final output")
            else:
                asked.append(i)
        prompts = [self.prompt(trajectories[i]) for i in asked]
        outcomes = judge_prompts(self.client, self.settings, prompts,
                                 description=f"judge {self.target.replace('_', ' ')}")
        for i, prompt, outcome in zip(asked, prompts, outcomes, strict=True):
            verdicts[i] = outcome.to_verdict(trajectories[i].id, self.target, model=self.settings.model,
                                             task=prompt.task, parse=self.settings.parse or "robust")
        return verdicts  # type: ignore[return-value]


def judge_equivalence(client: LLMClient | None, settings: JudgeSettings,
                      target: Literal["tool_calls", "output"], references: Sequence[Trajectory],
                      expected: Sequence[str | Sequence[str]], actual: Sequence[str | Sequence[str]], *,
                      description: str = "judge equivalence") -> list[JudgeOutcome]:
    """Downstream equivalence judging (§1.4, last two rows), one outcome per item, in order.

    ``references[i]`` supplies the conversation; ``expected[i]``/``actual[i]`` are the reference and
    the agent's tool calls (plan code or call strings; a list is joined with newlines) for
    ``target="tool_calls"``, or the two final outputs for ``target="output"``. ``valid`` = equivalent.
    """
    if not len(references) == len(expected) == len(actual):
        raise ValueError("references, expected and actual must have the same length")
    limit = settings.max_field_chars
    if target == "tool_calls":
        prompts = [tool_call_equivalence_prompt(t, e, a, max_field_chars=limit)
                   for t, e, a in zip(references, expected, actual, strict=True)]
    else:
        prompts = [output_equivalence_prompt(t, e if isinstance(e, str) else "\n".join(e),
                                             a if isinstance(a, str) else "\n".join(a), max_field_chars=limit)
                   for t, e, a in zip(references, expected, actual, strict=True)]
    return judge_prompts(client, settings, prompts, description=description)


def judge_client(config: Config, *, progress: bool = True) -> LLMClient | None:
    """The LLM client for the configured judge, or ``None`` when no judge model is configured."""
    if not config.judge.model:
        return None
    return LLMClient(config.llm, progress=progress)


def judge_info(settings: JudgeSettings) -> dict[str, Any]:
    """What a report records about the judge: model, parameters, parser, prompt version."""
    return {"model": settings.model, "temperature": settings.temperature, "max_tokens": settings.max_tokens,
            "parse": settings.parse, "structured_output": settings.structured_output,
            "max_field_chars": settings.max_field_chars, "prompt_version": PROMPT_VERSION}
