"""One factory for everything that talks to an LLM endpoint: clients, judges and agents.

Commands and pipelines build their LLM objects here and nowhere else, so one configuration
(:class:`synae.config.Config`) decides endpoint, key, concurrency, retries and cache everywhere. The
mechanisms (:mod:`synae.validity`, :mod:`synae.downstream`, :mod:`synae.generate`) receive a client
and never build one; benchmark behaviour comes from the preset's hooks.
"""

from __future__ import annotations

from collections.abc import Sequence

from synae.config import Config
from synae.downstream.agents import Agent, CallFormat, make_agent
from synae.downstream.scoring import LLMEquivalenceJudge
from synae.llm.client import LLMClient
from synae.presets import Preset, get_preset
from synae.validity.judge import LLMJudge
from synae.validity.verdict import CheckTarget

SCRIPTED_AGENTS = ("oracle", "noisy-oracle")


def llm_client(config: Config, *, progress: bool = False) -> LLMClient:
    """The LLM client for ``config.llm`` (endpoint, key, concurrency, retries, cache, and the
    fail-fast limits ``breaker_threshold`` and ``deadline``)."""
    return LLMClient(config.llm, progress=progress, breaker_threshold=config.llm.breaker_threshold,
                     deadline=config.llm.deadline)


def judge_client(config: Config, *, progress: bool = True) -> LLMClient | None:
    """The LLM client for the configured judge, or ``None`` when no judge model is configured."""
    return llm_client(config, progress=progress) if config.judge.model else None


def is_model_agent(spec: str) -> bool:
    """Whether a command-line agent name is a model (not ``oracle`` / ``noisy-oracle[:rate]``)."""
    return spec.partition(":")[0] not in SCRIPTED_AGENTS


def needs_client(agent_specs: Sequence[str], config: Config) -> bool:
    """Whether any agent is a model or a judge model is configured (one shared client then)."""
    return bool(config.judge.model) or any(is_model_agent(a) for a in agent_specs)


def agents(specs: Sequence[str], config: Config, client: LLMClient | None, *,
           temperature: float | None = None,
           max_tokens: int = 512, call_format: CallFormat = "native") -> list[Agent]:
    """Agents from their command-line names (``oracle``, ``noisy-oracle:<rate>``, a model name served
    by ``client``); a bad name raises :class:`synae.errors.ConfigError`."""
    return [make_agent(s, config, client=client, temperature=temperature, max_tokens=max_tokens,
                       call_format=call_format) for s in specs]


def equivalence_judge(config: Config, client: LLMClient | None) -> LLMEquivalenceJudge | None:
    """The downstream functional-equivalence judge, ``None`` without a judge model."""
    if not config.judge.model or client is None:
        return None
    return LLMEquivalenceJudge(client, config.judge)


def judge(config: Config, client: LLMClient | None, target: CheckTarget,
          preset: str | Preset) -> LLMJudge:
    """The validity judge of ``target`` for a preset (its default tools and output prompt)."""
    chosen = preset if isinstance(preset, Preset) else get_preset(preset)
    return LLMJudge(target, settings=config.judge, client=client, default_tools=chosen.judge_default_tools(),
                    output_prompt=chosen.judge_output_prompt)
