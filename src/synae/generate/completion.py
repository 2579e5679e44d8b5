"""Tool calls and outputs for generated instruction-only trajectories (``docs/method.md`` §8.8).

Blank-filled and few-shot T1/BFCL/generic trajectories hold instructions only
(``metadata.generation.needs_completion``). :func:`complete` runs the downstream agent loop of the
preset with a generator model (:mod:`synae.downstream.complete`) on them and records the model in
``metadata.generation.completion``; ACP trajectories are returned unchanged (their outputs come
from the generator). Placeholder (empty) trajectories are kept as they are.

Generic data runs the tool-calling loop with the trajectory's own ``tools`` (native tool calling);
the calls execute in the preset's ``completion_environment`` for the generated trajectory and its
source (``metadata.generation.source_id`` looked up in ``sources``): the replay environment of the
source's recorded results (a call the source never made gets an error result). BFCL executes in
the generated trajectory's own environment.

Agent failures (an LLM request that failed or was refused, a step limit) do not stop the completion:
they are recorded per trajectory in ``metadata.generation.completion.errors``, and
:func:`completion_failures` lists them (the generate command counts and prints them).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Protocol

from synae.config import Config
from synae.downstream.complete import CompletionPreset
from synae.downstream.loop import AgentLoop
from synae.envs.base import ToolEnvironment
from synae.generate.llm_support import LLMOptions
from synae.schema import Dataset, Trajectory

MAX_LISTED_FAILURES = 20  # failures listed by id in a sidecar (all are counted)


def completion_failures(dataset: Dataset) -> list[dict[str, str]]:
    """``{"id", "error"}`` of every trajectory whose completion recorded agent errors (the first
    error), in dataset order."""
    failures = []
    for traj in dataset:
        errors = ((traj.metadata.get("generation") or {}).get("completion") or {}).get("errors") or []
        if errors:
            failures.append({"id": traj.id, "error": str(errors[0])})
    return failures


class GenerationCompletionPreset(CompletionPreset, Protocol):
    """The completion hooks plus where a generated trajectory's calls execute."""

    def completion_environment(self, trajectory: Trajectory,
                               source: Trajectory | None) -> ToolEnvironment: ...


@dataclass(frozen=True)
class _WithSources:
    """``preset`` with ``agent_environment`` given by its ``completion_environment`` (source looked
    up by ``metadata.generation.source_id``)."""

    preset: GenerationCompletionPreset
    sources: Mapping[str, Trajectory]

    @property
    def name(self) -> str:
        return self.preset.name

    @property
    def has_outputs(self) -> bool:
        return self.preset.has_outputs

    @property
    def agent_temperature(self) -> float:
        return self.preset.agent_temperature

    @property
    def agent_loop(self) -> AgentLoop:
        return self.preset.agent_loop

    @property
    def empty_turn_shift(self) -> bool:
        return self.preset.empty_turn_shift

    def agent_environment(self, reference: Trajectory) -> ToolEnvironment:
        source_id = (reference.metadata.get("generation") or {}).get("source_id")
        source = self.sources.get(str(source_id)) if source_id is not None else None
        return self.preset.completion_environment(reference, source)


def complete(dataset: Dataset, model: str, *, llm: LLMOptions, preset: GenerationCompletionPreset,
             sources: Iterable[Trajectory] = (), drop_empty_turns: bool = False) -> Dataset:
    """``dataset`` with tool calls and outputs produced by the agent ``model`` (``oracle``, or a
    model served by ``llm.client``) running the loop of ``preset`` (passed in by :mod:`synae.run`);
    ``sources``: the real trajectories the generated ones name as ``source_id``. Unchanged when the
    preset's agent only answers (ACP)."""
    from synae.downstream.agents import make_agent
    from synae.downstream.complete import complete_dataset

    if preset.agent_loop.answers_only:
        return dataset
    config = Config(llm=llm.settings)
    agent = make_agent(model, config, client=llm.client, temperature=llm.temperature)
    todo = [t for t in dataset if t.messages]
    loop_preset = _WithSources(preset, {s.id: s for s in sources})
    done = complete_dataset(Dataset(trajectories=todo, name=dataset.name, source=dataset.source), agent,
                            loop_preset, drop_empty_turns=drop_empty_turns)
    by_id = {t.id: t for t in done}
    out = []
    for traj in dataset:
        new = by_id.get(traj.id, traj)
        if traj.id in by_id:
            new.metadata["generation"] = {**new.metadata.get("generation", {}), "needs_completion": False}
            new.attributes = traj.attributes
        out.append(new)
    return Dataset(trajectories=out, name=dataset.name, source=dataset.source, n_skipped=dataset.n_skipped)
