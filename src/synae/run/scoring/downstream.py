"""Downstream evaluation and agent completion for the application layer (``docs/method.md``
§7.4, ``docs/method.md`` §8.8).

The mechanisms in :mod:`synae.downstream` take a preset object (its loop, environment, temperature,
targets and scorers) and ready-made agents; these entry points also accept a preset name and
command-line agent names, resolving them with :func:`synae.presets.get_preset` and
:mod:`synae.run.factory` (model agents share one LLM client, built from ``config.llm`` when none is
given).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from synae.config import Config
from synae.downstream import complete as _complete
from synae.downstream import run as _run
from synae.downstream.agents import Agent
from synae.downstream.loop import LoopSettings
from synae.downstream.run import Budget, DownstreamRun
from synae.downstream.scoring import EquivalenceJudge, ScorerChoice
from synae.llm.client import LLMClient
from synae.presets import Preset, get_preset
from synae.results import MetricResult
from synae.run import factory
from synae.schema import Dataset, Trajectory


def preset_of(preset: str | Preset) -> Preset:
    """``preset`` itself, or the preset of that name."""
    return preset if isinstance(preset, Preset) else get_preset(preset)


def resolve_agents(agents: Sequence[Agent | str], config: Config,
                   client: LLMClient | None = None) -> tuple[list[Agent], LLMClient | None]:
    """Agents (names resolved by :func:`synae.run.factory.agents`) and the client the model agents
    use: ``client``, else one built from ``config.llm`` when a name is a model."""
    names = [a for a in agents if isinstance(a, str)]
    if client is None and any(factory.is_model_agent(a) for a in names):
        client = factory.llm_client(config)
    resolved = [factory.agents([a], config, client)[0] if isinstance(a, str) else a for a in agents]
    return resolved, client


def evaluate_dataset(dataset: Dataset | Sequence[Trajectory], agents: Sequence[Agent], preset: str | Preset,
                     **kwargs: Any) -> DownstreamRun:
    """:func:`synae.downstream.run.evaluate_dataset` with a preset name or object."""
    return _run.evaluate_dataset(dataset, agents, preset_of(preset), **kwargs)


def run_real_and_synthetic(real: Dataset, synthetic: Dataset, agents: Sequence[Agent], preset: str | Preset,
                           **kwargs: Any) -> tuple[DownstreamRun, DownstreamRun]:
    """:func:`synae.downstream.run.run_real_and_synthetic` with a preset name or object."""
    return _run.run_real_and_synthetic(real, synthetic, agents, preset_of(preset), **kwargs)


def call_budget(dataset: Dataset | Sequence[Trajectory], preset: str | Preset,
                scorer: ScorerChoice = "default", judge: bool = False) -> Budget:
    """:func:`synae.downstream.run.call_budget` with a preset name or object."""
    return _run.call_budget(dataset, preset_of(preset), scorer, judge)


def downstream_metrics(real: Dataset, synthetic: Dataset, preset: str | Preset, config: Config,
                       agents: Sequence[Agent | str], scorer: ScorerChoice = "default", runs: int = 3,
                       *, judge: EquivalenceJudge | None = None, real_run: DownstreamRun | None = None,
                       settings: LoopSettings | None = None, save_dir: str | Path | None = None,
                       client: LLMClient | None = None) -> list[MetricResult]:
    """Run the agents (objects or command-line names) on D and D′ and return the TDD and RD records
    (``docs/method.md`` §3.7); see :func:`synae.downstream.run.downstream_metrics`."""
    resolved, client = resolve_agents(agents, config, client)
    return _run.downstream_metrics(real, synthetic, preset_of(preset), resolved, scorer, runs, judge=judge,
                                   real_run=real_run, settings=settings, save_dir=save_dir, client=client)


def complete_dataset(dataset: Dataset, agent: Agent | str, preset: str | Preset, config: Config, *,
                     client: LLMClient | None = None, drop_empty_turns: bool = False,
                     acp_answer_with_agent: bool = False, settings: LoopSettings | None = None) -> Dataset:
    """:func:`synae.downstream.complete.complete_dataset` with a preset name or object and an agent
    object or command-line name."""
    [resolved], _ = resolve_agents([agent], config, client)
    return _complete.complete_dataset(dataset, resolved, preset_of(preset), drop_empty_turns=drop_empty_turns,
                                      acp_answer_with_agent=acp_answer_with_agent, settings=settings)
