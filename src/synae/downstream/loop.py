"""The downstream turn loops (``docs/method.md`` §7.5).

At each user turn the agent sees the conversation so far and the results of its own earlier calls, may
call tools in several steps until it answers, and finally produces the output. Every step is recorded
in the *agent trajectory*, a canonical :class:`~synae.schema.Trajectory` that keeps the reference's
id, user messages and scripted assistant responses and adds the agent's calls (assistant messages with
``tool_calls``; T1 also ``code``), their results (``tool`` messages, errors in message metadata) and
its output. ``metadata.downstream`` records the agent, run, step counts, LLM calls, errors and whether
the run was terminated by the step limit.

- **T1 (code protocol, §7.5)**: per user turn one plan prompt (tool docs, planning rules, worked
  examples, conversation so far, cache summary; the reply's ``<CODE>`` block is run by the T1
  interpreter against the trajectory's cache); then one output prompt with the cache contents.
- **BFCL / generic (tool-calling protocol, §7.5)**: per user turn up to ``max_steps`` steps; each step
  queries the model, executes its calls (native ``tool_calls``, or a Python call list with
  ``call_format = "python"``) in the trajectory's environments and appends the results; a reply
  without calls ends the turn; hitting the step limit terminates the trajectory (a failure).
  Calls run in the preset's ``agent_environment`` (BFCL: :class:`~synae.envs.bfcl.BFCLEnvironment`;
  generic: the replay environment). The last text reply is the output when the preset has outputs.
- **ACP (§7.5)**: one question, one reply; the first whole-word ``yes``/``no`` is the answer.

An agent that crashes (or whose LLM call fails) fails its trajectory and the others go on; an
:class:`~synae.errors.LLMFatalError` (the endpoint cannot serve the run at all: bad key, unknown
model, …) stops the whole run at once and is raised to the caller.

Each trajectory runs under its own budget (``LoopSettings.limits``, :mod:`synae.envs.budget`): when
its tool calls use up the environment time, the run of that trajectory stops and the agent
trajectory (the messages so far) records ``metadata.downstream.unscored`` =
``"time_budget_exceeded: …"``; so does any other failure of the loop itself
(``"agent_run_failed: <error>"``). Scoring makes such a trajectory unscored; the others go on.

Trajectories run concurrently (asyncio); turns within one trajectory run in order. Tool-call ids are
assigned by the loop (``call_<turn>_<k>``), never taken from the model, so the same run always sends
the same requests and a re-run is answered from the LLM reply cache.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from pydantic import ValidationError

from synae.downstream.agents import Agent, AgentReply, AgentStep
from synae.downstream.prompts import (
    acp_messages,
    render_cache_contents,
    t1_output_messages,
    t1_plan_messages,
    tool_system_message,
)
from synae.envs.base import ToolEnvironment, ToolResult
from synae.envs.budget import BudgetExceeded, TrajectoryLimits, trajectory_budget
from synae.errors import LLMFatalError
from synae.schema import FunctionCall, Message, ToolCall, Trajectory, to_chat_messages
from synae.toolcalls import extract_code, parse_call_list, parse_calls, to_tool_calls
from synae.views import is_response, turns

MAX_STEPS_PER_TURN = 20
_YES_NO = re.compile(r"\b(yes|no)\b")


def parse_yes_no(text: str | None) -> str | None:
    """The first whole-word ``yes`` or ``no`` of the lower-cased text, else ``None`` (§7.5)."""
    match = _YES_NO.search((text or "").lower())
    return match.group(1) if match else None


@dataclass
class LoopSettings:
    """Limits of the loops: steps per turn (BFCL/generic), records per cache key (T1 output prompt),
    trajectories in flight at once, and each trajectory's budgets (running and scoring it)."""

    max_steps: int = MAX_STEPS_PER_TURN
    max_records: int = 30
    concurrency: int = 16
    limits: TrajectoryLimits = field(default_factory=TrajectoryLimits)


@dataclass(frozen=True)
class AgentLoop:
    """One downstream protocol: how an agent runs on a reference, and what that costs.

    ``run(recorder, preset, settings, temperature)`` produces the agent trajectory;
    ``budget(user_turns)`` gives (LLM calls per model agent and run, exact?) from the number of user
    turns of every reference; ``answers_only``: the agent contributes only the final output (the
    reference's messages are kept as they are, no tool results).
    """

    name: str
    run: Callable[[Recorder, LoopPreset, LoopSettings, float], Awaitable[Trajectory]]
    budget: Callable[[Sequence[int]], tuple[int, bool]]
    answers_only: bool = False


class LoopPreset(Protocol):
    """What the loops need from a benchmark preset (passed in by :mod:`synae.run`)."""

    @property
    def name(self) -> str: ...

    @property
    def has_outputs(self) -> bool: ...

    @property
    def agent_temperature(self) -> float: ...

    @property
    def agent_loop(self) -> AgentLoop: ...

    def agent_environment(self, reference: Trajectory) -> ToolEnvironment: ...


@dataclass
class Recorder:
    """Collects the agent trajectory's messages and the run's bookkeeping."""

    reference: Trajectory
    agent: Agent
    run: int
    messages: list[Message] = field(default_factory=list)
    llm_calls: int = 0
    steps: int = 0
    errors: list[str] = field(default_factory=list)
    terminated: bool = False
    extra: dict[str, Any] = field(default_factory=dict)

    async def ask(self, step: AgentStep) -> AgentReply:
        try:
            reply = await self.agent.respond(step)
        except LLMFatalError:  # the endpoint cannot serve the run at all: stop it, not this trajectory
            raise
        except Exception as exc:  # an agent that crashes fails this trajectory, the others go on
            reply = AgentReply(error=f"agent_crashed: {type(exc).__name__}: {exc}")
        self.llm_calls += reply.llm_calls
        self.steps += 1
        if reply.error:
            self.errors.append(f"turn {step.turn} step {step.step}: {reply.error}")
        return reply

    def trajectory(self, output: str | None, preset: str, *, tool_results: bool = True) -> Trajectory:
        metadata = dict(self.reference.metadata)
        if tool_results:
            metadata["tool_results"] = "present"
        metadata["downstream"] = {
            "agent": self.agent.name, "model": self.agent.model, "run": self.run,
            "reference_id": self.reference.id, "preset": preset, "steps": self.steps,
            "llm_calls": self.llm_calls, "errors": self.errors, "terminated": self.terminated,
            **self.extra,
        }
        data = self.reference.model_dump(exclude_unset=True)
        data.update(messages=[m.model_dump(exclude_none=True) for m in self.messages], output=output,
                    metadata=metadata)
        try:
            return Trajectory.model_validate(data)
        except ValidationError:  # a reference built without validation (readers refuse it): keep it as is
            return Trajectory.model_construct(**{**data, "messages": list(self.messages)})


def _result_message(call_id: str, name: str, result: ToolResult) -> Message:
    return Message(role="tool", tool_call_id=call_id, name=name, content=result.content,
                   metadata={"error": result.error} if result.error else None)


# --------------------------------------------------------------------------------------------
# T1 (§7.5)


async def _run_t1(rec: Recorder, preset: LoopPreset, settings: LoopSettings,
                  temperature: float) -> Trajectory:
    from synae.envs.t1 import T1Environment, t1_tool_docs

    env = T1Environment()
    docs = t1_tool_docs()
    conversation: list[Message] = []
    last_turn = 0
    for turn in turns(rec.reference):
        if turn.user is not None:
            last_turn = turn.index
            conversation.append(turn.user)
            rec.messages.append(turn.user)
            step = AgentStep(reference=rec.reference, run=rec.run, phase="plan", turn=turn.index, step=0,
                             messages=t1_plan_messages(docs, conversation, env.cache_summary()),
                             temperature=temperature)
            reply = await rec.ask(step)
            code = extract_code(reply.content or "")
            execution = env.run_plan(code)
            calls = to_tool_calls(parse_calls(code).calls, turn=turn.index) if code else []
            meta: dict[str, Any] = {"reply": reply.content}
            if execution.error:
                meta.update(error=execution.error, error_code=execution.error_code)
            rec.messages.append(Message(role="assistant", content=None, code=code, tool_calls=calls or None,
                                        metadata=meta))
            # Results of the executed calls, joined to the parsed calls by position (print excluded).
            executed = [c for c in execution.calls if c.name != "print"]
            for call, record in zip(calls, executed, strict=False):
                rec.messages.append(_result_message(call.id, call.function.name, record.result))
        for message in turn.messages:  # scripted responses (the reference's calls are never shown)
            if is_response(message) and not message.tool_calls and message.code is None:
                conversation.append(message)
                rec.messages.append(message)
    contents = env.cache_contents(max_records=settings.max_records)
    rec.extra["cache_capped"] = {k: v["n_records"] for k, v in contents.items() if v["truncated"]}
    step = AgentStep(reference=rec.reference, run=rec.run, phase="output", turn=last_turn, step=0,
                     messages=t1_output_messages(conversation, render_cache_contents(contents)),
                     temperature=temperature)
    reply = await rec.ask(step)
    return rec.trajectory(reply.content if reply.error is None else None, preset.name)


# --------------------------------------------------------------------------------------------
# BFCL and generic (§7.5)


def _decode_arguments(raw: str) -> dict[str, Any] | None:
    try:
        value = json.loads(raw)
    except (json.JSONDecodeError, TypeError):
        return None
    return value if isinstance(value, dict) else None


def _reply_calls(reply: AgentReply, agent: Agent, tools: Sequence[str]) -> tuple[list[ToolCall], str | None]:
    """The calls of one reply (native, or parsed from a Python call list) and a parse error if any."""
    if agent.call_format == "python":
        if not reply.content:
            return [], None
        parsed = parse_call_list(reply.content, declared_tools=tools)
        if parsed.error:
            return [], parsed.error
        return to_tool_calls(parsed.calls, turn=0), None
    return list(reply.tool_calls), None


async def _run_tool_calling(rec: Recorder, preset: LoopPreset, settings: LoopSettings,
                            temperature: float) -> Trajectory:
    env = preset.agent_environment(rec.reference)
    tools = rec.reference.tools or env.tool_definitions()
    names = [t.get("function", {}).get("name", "") for t in tools]
    history: list[dict[str, Any]] = [tool_system_message(tools, rec.agent.call_format)]
    last_text: str | None = None
    for turn in turns(rec.reference):
        if turn.user is None:
            continue
        rec.messages.append(turn.user)
        history.extend(to_chat_messages([turn.user]))
        n_calls = 0
        for step_index in range(settings.max_steps):
            step = AgentStep(reference=rec.reference, run=rec.run, phase="call", turn=turn.index,
                             step=step_index, messages=list(history), tools=tools, temperature=temperature)
            reply = await rec.ask(step)
            calls, parse_error = _reply_calls(reply, rec.agent, names)
            if not calls:
                meta = {"parse_error": parse_error} if parse_error else None
                if reply.content:
                    last_text = reply.content
                    history.append({"role": "assistant", "content": reply.content})
                    rec.messages.append(Message(role="assistant", content=reply.content, metadata=meta))
                break
            ids = [f"call_{turn.index}_{n_calls + k}" for k in range(len(calls))]
            n_calls += len(calls)
            recorded: list[ToolCall] = []
            results: list[tuple[str, str, ToolResult]] = []
            malformed: dict[str, str] = {}
            for call_id, call in zip(ids, calls, strict=True):
                arguments = _decode_arguments(call.function.arguments)
                if arguments is None:
                    malformed[call_id] = call.function.arguments
                    result = ToolResult.failure(f"arguments of {call.function.name!r} are not a JSON object")
                else:
                    result = env.call(call.function.name, arguments)
                kept = call.function.arguments if arguments is not None else "{}"
                recorded.append(ToolCall(id=call_id,
                                         function=FunctionCall(name=call.function.name, arguments=kept)))
                results.append((call_id, call.function.name, result))
            call_meta: dict[str, Any] | None = {"malformed_arguments": malformed} if malformed else None
            rec.messages.append(Message(role="assistant", content=reply.content, tool_calls=recorded,
                                        metadata=call_meta))
            rec.messages.extend(_result_message(i, n, r) for i, n, r in results)
            if rec.agent.call_format == "python":
                history.append({"role": "assistant", "content": reply.content})
                listing = [{"call": n, "result": r.content} for _, n, r in results]
                history.append({"role": "user", "content": "Results of the function calls:\n"
                                + json.dumps(listing, ensure_ascii=False)})
            else:
                history.append({"role": "assistant", "content": reply.content, "tool_calls": [
                    {"id": i, "type": "function", "function": {"name": c.function.name,
                                                               "arguments": c.function.arguments}}
                    for i, c in zip(ids, calls, strict=True)]})
                history.extend({"role": "tool", "tool_call_id": i, "content": r.content}
                               for i, _, r in results)
        else:
            rec.terminated = True
            rec.errors.append(f"turn {turn.index}: step limit of {settings.max_steps} reached")
            break
    output = last_text if preset.has_outputs else None
    return rec.trajectory(output, preset.name)


# --------------------------------------------------------------------------------------------
# ACP (§7.5)


async def _run_acp(rec: Recorder, preset: LoopPreset, settings: LoopSettings,
                   temperature: float) -> Trajectory:
    users = [m for m in rec.reference.messages if m.role == "user"]
    rec.messages.extend(users)
    step = AgentStep(reference=rec.reference, run=rec.run, phase="answer", turn=len(users), step=0,
                     messages=acp_messages(users[-1].content or "" if users else ""), temperature=temperature)
    reply = await rec.ask(step)
    answer = parse_yes_no(reply.content)
    rec.extra.update(reply=reply.content, answer=answer)
    return rec.trajectory(answer if answer is not None else (reply.content or ""), preset.name,
                          tool_results=False)


CODE_PLAN_LOOP = AgentLoop("code_plan", _run_t1, lambda turns: (sum(t + 1 for t in turns), True))
"""T1 (§7.5): one plan call per user turn plus one output call (Σ(L + 1), exact)."""
TOOL_CALLING_LOOP = AgentLoop("tool_calling", _run_tool_calling,
                              lambda turns: (sum(max(t, 1) for t in turns), False))
"""BFCL / generic (§7.5): at least one call per user turn (a lower bound)."""
ANSWER_LOOP = AgentLoop("answer", _run_acp, lambda turns: (len(turns), True), answers_only=True)
"""ACP (§7.5): one call per trajectory (exact)."""


# --------------------------------------------------------------------------------------------
# Entry points


async def run_trajectory(reference: Trajectory, agent: Agent, preset: LoopPreset, run: int = 0,
                         settings: LoopSettings | None = None) -> Trajectory:
    """Run ``agent`` on one reference trajectory with the preset's loop (``preset.agent_loop``) at
    the preset's default temperature, within ``settings.limits``; returns the agent trajectory (same
    ``id``), marked unscored when its budget ran out or the loop failed (module docstring)."""
    settings = settings or LoopSettings()
    rec = Recorder(reference=reference, agent=agent, run=run)
    try:
        with trajectory_budget(settings.limits.start()):
            return await preset.agent_loop.run(rec, preset, settings, preset.agent_temperature)
    except LLMFatalError:
        raise
    except BudgetExceeded as exc:
        reason = str(exc)
    except Exception as exc:  # a failure of this trajectory's run costs this trajectory only
        reason = f"agent_run_failed: {type(exc).__name__}: {exc}"
    rec.errors.append(reason)
    rec.extra["unscored"] = reason
    return rec.trajectory(None, preset.name, tool_results=not preset.agent_loop.answers_only)


async def arun_dataset(references: Sequence[Trajectory], agent: Agent, preset: LoopPreset, run: int = 0,
                       settings: LoopSettings | None = None,
                       on_done: Callable[[Trajectory], None] | None = None) -> list[Trajectory]:
    """Run ``agent`` on every trajectory concurrently (at most ``settings.concurrency`` at once);
    agent trajectories in input order. ``on_done`` is called as each one finishes. An
    :class:`~synae.errors.LLMFatalError` cancels the trajectories still running and is raised."""
    settings = settings or LoopSettings()
    semaphore = asyncio.Semaphore(settings.concurrency)

    async def one(reference: Trajectory) -> Trajectory:
        async with semaphore:
            result = await run_trajectory(reference, agent, preset, run, settings)
        if on_done is not None:
            on_done(result)
        return result

    tasks = [asyncio.ensure_future(one(r)) for r in references]
    try:
        return list(await asyncio.gather(*tasks))
    except BaseException:  # LLMFatalError (or cancellation): stop the trajectories still running
        for task in tasks:
            task.cancel()
        raise


def run_dataset(references: Sequence[Trajectory], agent: Agent, preset: LoopPreset, run: int = 0,
                settings: LoopSettings | None = None) -> list[Trajectory]:
    """Synchronous :func:`arun_dataset`."""
    return asyncio.run(arun_dataset(references, agent, preset, run, settings))
