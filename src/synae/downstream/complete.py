"""Agent completion: tool calls and outputs for trajectories that have instructions only
(``docs/method.md`` §8.8).

The generator agent runs the downstream loop of the benchmark (:mod:`synae.downstream.loop`) on each
trajectory, and what it did is stored in the trajectory:

- **T1**: per user turn the agent's code becomes an assistant message (``code`` + parsed
  ``tool_calls``), executed by the T1 interpreter; results are ``tool`` messages
  (``metadata.tool_results = "present"``) and execution errors sit in the message's metadata; the
  final recommendation becomes ``output``. Scripted assistant responses are kept as they are.
- **BFCL**: every step's calls become assistant tool-call messages of that turn, with their results. A
  turn without calls stays an empty turn; ``drop_empty_turns=True`` reproduces the research's bug
  (call groups shifted onto the earliest user turns, misaligning turns and questions).
- **ACP**: outputs come from the generator and are kept; with ``acp_answer_with_agent=True`` the agent
  answers the question instead.

The preset (passed in by :mod:`synae.run`) decides: its ``agent_loop`` (an ``answers_only`` loop —
ACP — keeps the source's messages and takes only the output, and runs only with
``acp_answer_with_agent``) and ``empty_turn_shift`` (whether ``drop_empty_turns`` applies — BFCL).

``metadata.generation.completion`` records the agent, its model and parameters, and any errors.
"""

from __future__ import annotations

import asyncio
from typing import Any, Protocol

from synae.downstream.agents import Agent
from synae.downstream.loop import LoopPreset, LoopSettings, arun_dataset
from synae.schema import Dataset, Message, Trajectory
from synae.views import turns


def _completion_record(agent: Agent, trajectory: Trajectory) -> dict[str, Any]:
    run = trajectory.metadata.get("downstream", {})
    record: dict[str, Any] = {"agent": agent.name, "model": agent.model,
                              "temperature": getattr(agent, "temperature", None),
                              "max_tokens": getattr(agent, "max_tokens", None),
                              "call_format": agent.call_format, "llm_calls": run.get("llm_calls", 0)}
    if run.get("errors"):
        record["errors"] = run["errors"]
    if run.get("terminated"):
        record["terminated"] = True
    return record


def shift_call_groups(trajectory: Trajectory) -> Trajectory:
    """The research's ``drop_empty_turns`` behaviour: drop the turns without calls from the list of per-turn
    call groups, then give group i to user turn i (later turns end up empty)."""
    spans = turns(trajectory)

    def is_call(m: Message) -> bool:
        return bool(m.tool_calls) or m.role == "tool"

    groups = [[m for m in t.messages if is_call(m)] for t in spans if t.user is not None]
    non_empty = [g for g in groups if g]
    messages: list[Message] = []
    k = 0
    for t in spans:
        rest = [m for m in t.messages if not is_call(m)]
        if t.user is None:
            messages.extend(t.messages)
            continue
        messages.append(t.user)
        if k < len(non_empty):
            messages.extend(non_empty[k])
        k += 1
        messages.extend(rest)
    return trajectory.model_copy(update={"messages": messages})


class CompletionPreset(LoopPreset, Protocol):
    """The loop's preset hooks plus whether ``drop_empty_turns`` applies to its trajectories."""

    @property
    def empty_turn_shift(self) -> bool: ...


def _finish(source: Trajectory, done: Trajectory, agent: Agent, preset: CompletionPreset,
            drop_empty_turns: bool) -> Trajectory:
    metadata = dict(done.metadata)
    metadata.pop("downstream", None)
    generation = dict(metadata.get("generation") or {})
    generation["completion"] = _completion_record(agent, done)
    metadata["generation"] = generation
    if preset.agent_loop.answers_only:
        return source.model_copy(update={"output": done.output, "metadata": metadata})
    completed = done.model_copy(update={"metadata": metadata})
    if preset.empty_turn_shift and drop_empty_turns:
        completed = shift_call_groups(completed)
    return completed


async def acomplete_dataset(dataset: Dataset, agent: Agent, preset: CompletionPreset, *,
                            drop_empty_turns: bool = False, acp_answer_with_agent: bool = False,
                            settings: LoopSettings | None = None) -> Dataset:
    """Async :func:`complete_dataset`."""
    if preset.agent_loop.answers_only and not acp_answer_with_agent:
        return dataset
    done = await arun_dataset(dataset.trajectories, agent, preset, 0, settings)
    completed = [_finish(s, d, agent, preset, drop_empty_turns) for s, d in zip(dataset, done, strict=True)]
    return Dataset(trajectories=completed, name=dataset.name, source=dataset.source, format=dataset.format,
                   warnings=list(dataset.warnings))


def complete_dataset(dataset: Dataset, agent: Agent, preset: CompletionPreset, *,
                     drop_empty_turns: bool = False, acp_answer_with_agent: bool = False,
                     settings: LoopSettings | None = None) -> Dataset:
    """Fill in the tool calls (with results) and outputs of instruction-only trajectories by running
    ``agent`` (built by :func:`synae.run.factory.agent`) with the benchmark's downstream loop; run
    index 0 (``seed = 0`` for model agents)."""
    return asyncio.run(acomplete_dataset(dataset, agent, preset, drop_empty_turns=drop_empty_turns,
                                         acp_answer_with_agent=acp_answer_with_agent, settings=settings))
