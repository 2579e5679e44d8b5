"""LLM judges: tool-call validity, output validity (T1, ACP, generic) and downstream equivalence.

A judge request is built by :mod:`synae.validity.prompts`, sent through :class:`synae.llm.LLMClient`
(cache, retries, concurrency) and its reply parsed into a verdict (``docs/method.md`` §6.1):

- ``yes`` → valid, ``no`` → invalid (reason ``judge_no``);
- a reply that neither parser rule can read, still after ``max_retries`` repair turns →
  **unscored**, reason ``unparseable_reply`` (such replies are never cached: a re-run asks again);
- an empty reply (also after the repair turns), or a transport failure after the client's retries
  → **unscored**, ``judge_failed``;
- no judge model configured → **unscored**, ``no_judge`` (no call is made);
- dry run → **unscored**, ``dry_run`` (the call is only counted).

Unscored verdicts are never turned into ``no``. Every verdict keeps the raw reply in
``explanation``; ``details`` holds the model, the prompt version, the parser, whether the reply was
cached and how many fields were truncated.

Structured output: with ``judge.parse = robust`` and ``judge.structured_output`` on, requests ask for
``{"answer": "yes"|"no"}`` through ``response_format`` (JSON schema). The first uncached request is
sent alone as a probe; if the endpoint rejects the parameter (HTTP 400/422, or a 500 naming
``response_format``/``json_schema``/``grammar`` as llama.cpp sends) the client re-sends it as plain
text and remembers that for the rest of the run, so the whole batch goes as plain text. Either way
the reply goes through :func:`parse_reply`, which reads JSON answers too.

Downstream equivalence: two outputs (or call listings) that are equal after :func:`normalise_text`
are equivalent without a judge call (reason ``identical``).
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from synae.config import JudgeSettings
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
REPAIR_TURN = "Your reply could not be read. Answer with exactly one word: yes or no."

_LEADING_JUNK = re.compile(r"^(?:[\s\"'`*#“”‘’]+|answer\s*[:\-])", re.IGNORECASE)
_STARTS_WITH_VERDICT = re.compile(r"^(yes|no)(?![a-z])")
_ANY_VERDICT = re.compile(r"\b(yes|no)\b")


def parse_reply(reply: str | None, mode: ParseMode | None = "robust") -> bool | None:
    """The yes/no verdict in a judge reply; ``None`` when it cannot be read (§6.2).

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
    ``unparseable_reply``, ``judge_failed``, ``no_judge``, ``dry_run``; ``judge_no`` for a ``no``;
    ``identical`` for an equivalence decided without a call (equal after normalisation)."""

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
    truncated = prompt.truncated_fields
    if isinstance(result, LLMError):
        reason = "dry_run" if result.kind == "dry_run" else "judge_failed"
        return JudgeOutcome(None, reason, error=str(result), truncated_fields=truncated,
                            structured=structured)
    raw = result.content
    if not strip_reasoning(raw):
        return JudgeOutcome(None, "judge_failed", raw=raw, cached=result.cached, error="empty reply",
                            truncated_fields=truncated, structured=structured)
    valid = parse_reply(raw, parse)
    verdict_reason = "unparseable_reply" if valid is None else (None if valid else "judge_no")
    return JudgeOutcome(valid, verdict_reason, raw=raw, cached=result.cached, truncated_fields=truncated,
                        structured=structured)


def _repair_request(request: ChatRequest, bad: ChatResponse) -> ChatRequest:
    """``request`` continued by the unreadable reply and a short turn asking for the required format."""
    messages = [*request.messages, {"role": "assistant", "content": bad.content or ""},
                {"role": "user", "content": REPAIR_TURN}]
    return dataclasses.replace(request, messages=messages)


def judge_prompts(client: LLMClient | None, settings: JudgeSettings, prompts: Sequence[JudgePrompt], *,
                  description: str = "judge") -> list[JudgeOutcome]:
    """Send judge prompts concurrently and parse the replies (one outcome per prompt, in order).

    No client or no ``settings.model`` → every outcome is unscored with reason ``no_judge``.

    Transient failures are retried, lasting ones recorded: the client retries transport and server
    errors; then, for up to ``max_retries`` more rounds, a request that still failed with a retryable
    error is sent again, and a reply the parser cannot read (or an empty one; never cached) is
    re-asked with a repair turn (:data:`REPAIR_TURN`) — a readable repair answer is cached as the
    answer to the original question. So a re-run answers every judged item from the
    cache (its verdict cannot change) and asks again only the items left unscored. The client
    counts scored and unscored items (:meth:`LLMClient.raise_if_all_unscored`).
    """
    if client is None or not settings.model:
        return [JudgeOutcome(None, "no_judge", truncated_fields=p.truncated_fields) for p in prompts]
    parse: ParseMode = settings.parse or "robust"

    def readable(response: ChatResponse) -> bool:
        return parse_reply(response.content, parse) is not None

    structured = (settings.structured_output and parse == "robust"
                  and "response_format" not in client.rejected_parameters)
    requests = [_request(p, settings, structured) for p in prompts]
    results: list[ChatResponse | LLMError | None] = [None] * len(requests)
    if structured and not client.dry_run:
        # One request alone first: an endpoint that refuses response_format is found out (and the
        # client re-sends without it) before the whole batch is sent.
        probe = next((i for i, r in enumerate(requests) if client.cached_response(r) is None), None)
        if probe is not None:
            results[probe] = client.chat_many([requests[probe]], progress=False, accept=readable)[0]
    todo = [i for i, r in enumerate(results) if r is None]
    answers = client.chat_many([requests[i] for i in todo], description=description, accept=readable)
    for i, result in zip(todo, answers, strict=True):
        results[i] = result
    for _ in range(client.settings.max_retries):
        again = [i for i, r in enumerate(results) if isinstance(r, LLMError) and r.retryable]
        bad = [i for i, r in enumerate(results) if isinstance(r, ChatResponse) and not readable(r)]
        if not again and not bad:
            break
        sends = [requests[i] for i in again] + [_repair_request(requests[i], results[i])  # type: ignore[arg-type]
                                                for i in bad]
        answers = client.chat_many(sends, description=f"{description} (again)", accept=readable)
        for i, answer in zip(again + bad, answers, strict=True):
            if i in again or isinstance(answer, ChatResponse):
                results[i] = answer
            if i in bad and isinstance(answer, ChatResponse) and readable(answer):
                client.remember(requests[i], answer)
    structured = structured and "response_format" not in client.rejected_parameters
    outcomes = [_outcome(r, p, parse, structured)  # type: ignore[arg-type]
                for r, p in zip(results, prompts, strict=True)]
    counted = [o for o in outcomes if o.reason != "dry_run"]
    client.record_items(scored=sum(o.valid is not None for o in counted),
                        unscored=sum(o.valid is None for o in counted))
    return outcomes


class LLMJudge:
    """A :class:`synae.validity.verdict.Checker` that asks an LLM judge (one call per trajectory).

    ``target="tool_calls"``: tool-call validity (conversation, tools — the trajectory's own, else
    ``default_tools`` —, calls per turn, tool results if present). ``target="output"``: output
    validity with ``output_prompt(traj, *, max_field_chars)`` (default: the generic prompt —
    conversation, calls, results, final output; a preset may supply its own, e.g. ACP's context,
    question and proposed answer). A missing or empty output is invalid (``empty_output``) without a
    call.
    """

    name = "judge"

    def __init__(self, target: CheckTarget, *, settings: JudgeSettings, client: LLMClient | None,
                 default_tools: list[dict[str, Any]] | None = None,
                 output_prompt: Callable[..., JudgePrompt] | None = None) -> None:
        self.target: CheckTarget = target
        self.settings = settings
        self.client = client
        self._default_tools = default_tools if target == "tool_calls" else None
        self._output_prompt = output_prompt or output_validity_prompt

    def prompt(self, traj: Trajectory) -> JudgePrompt:
        """The judge prompt for one trajectory."""
        limit = self.settings.max_field_chars
        if self.target == "tool_calls":
            return tool_call_validity_prompt(traj, traj.tools or self._default_tools, max_field_chars=limit,
                                             full_schemas=self.settings.tool_schemas)
        return self._output_prompt(traj, max_field_chars=limit)

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


def normalise_text(text: str | Sequence[str]) -> str:
    """The form equivalence compares before asking a judge: a list joined with newlines, outer
    whitespace stripped, every whitespace run collapsed to one space, case-folded."""
    return " ".join(_joined(text).split()).casefold()


def judge_equivalence(client: LLMClient | None, settings: JudgeSettings,
                      target: Literal["tool_calls", "output"], references: Sequence[Trajectory],
                      expected: Sequence[str | Sequence[str]], actual: Sequence[str | Sequence[str]], *,
                      description: str = "judge equivalence") -> list[JudgeOutcome]:
    """Downstream equivalence judging (§6.3, last two rows), one outcome per item, in order.

    ``references[i]`` supplies the conversation; ``expected[i]``/``actual[i]`` are the reference and
    the agent's tool calls (plan code or call strings; a list is joined with newlines) for
    ``target="tool_calls"``, or the two final outputs for ``target="output"``. ``valid`` = equivalent.
    A pair equal after :func:`normalise_text` is equivalent without a judge call (reason
    ``identical``, also when no judge is configured); only the other pairs are sent.
    """
    if not len(references) == len(expected) == len(actual):
        raise ValueError("references, expected and actual must have the same length")
    limit = settings.max_field_chars
    outcomes: list[JudgeOutcome | None] = [
        JudgeOutcome(True, "identical", raw=None) if normalise_text(e) == normalise_text(a) else None
        for e, a in zip(expected, actual, strict=True)]
    asked = [i for i, o in enumerate(outcomes) if o is None]
    if target == "tool_calls":
        prompts = [tool_call_equivalence_prompt(references[i], expected[i], actual[i], max_field_chars=limit)
                   for i in asked]
    else:
        prompts = [output_equivalence_prompt(references[i], _joined(expected[i]), _joined(actual[i]),
                                             max_field_chars=limit) for i in asked]
    answers = judge_prompts(client, settings, prompts, description=description)
    for i, outcome in zip(asked, answers, strict=True):
        outcomes[i] = outcome
    return outcomes  # type: ignore[return-value]


def _joined(text: str | Sequence[str]) -> str:
    return text if isinstance(text, str) else "\n".join(text)


def judge_info(settings: JudgeSettings) -> dict[str, Any]:
    """What a report records about the judge: model, parameters, parser, prompt version."""
    return {"model": settings.model, "temperature": settings.temperature, "max_tokens": settings.max_tokens,
            "parse": settings.parse, "structured_output": settings.structured_output,
            "max_field_chars": settings.max_field_chars, "prompt_version": PROMPT_VERSION}
