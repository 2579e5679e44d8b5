"""Success rates, TDD/RD records and the LLM-call budget (``docs/method.md`` §7.6–7.7).

:func:`evaluate_dataset` runs every agent ``runs`` times on one dataset and scores every run;
:func:`metrics_from_runs` turns the real and synthetic results into
``fidelity.downstream.tdd.<target>`` and ``fidelity.downstream.rd.<target>`` records;
:func:`downstream_metrics` does both. The real side can be computed once and passed to
:func:`downstream_metrics` (``real_run=``) for every synthetic set of a comparison group.

Per agent and target: ``s`` = mean over runs of the per-run success rate (successes / scored
trajectories; unscored ones — a judge failure, a trajectory beyond its budgets or whose run or
scoring failed — are excluded and counted, with their reasons), with the per-run values and the sample
standard deviation (``None`` when R = 1). A run whose trajectories are all unscored has rate ``None``;
an agent with no rate on a side makes TDD/RD ``null`` (``missing_rate``).
"""

from __future__ import annotations

import asyncio
import re
import statistics
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from synae.downstream.agents import Agent
from synae.downstream.loop import LoopPreset, LoopSettings, arun_dataset
from synae.downstream.scoring import (
    EquivalenceJudge,
    Score,
    ScorerChoice,
    ScoringPreset,
    score_run,
    scorer_for,
    targets_for,
)
from synae.metrics.downstream import rd, tdd
from synae.metrics.registry import make_result
from synae.results import MetricResult
from synae.schema import Dataset, Trajectory, write_jsonl
from synae.views import user_messages


class DownstreamPreset(LoopPreset, ScoringPreset, Protocol):
    """The preset hooks downstream evaluation needs (loop and scoring); :mod:`synae.run` passes a
    :class:`synae.presets.Preset`."""


def _mean_std(values: Sequence[float | None]) -> tuple[float | None, float | None]:
    present = [v for v in values if v is not None]
    if not present:
        return None, None
    mean = float(statistics.fmean(present))
    std = float(statistics.stdev(present)) if len(present) > 1 else None
    return mean, std


@dataclass
class RunOutcome:
    """One agent, one dataset, one run: the scores per target (aligned with the references)."""

    run: int
    scores: dict[str, list[Score]]
    llm_calls: int = 0

    def rate(self, target: str) -> float | None:
        scored = [s.success for s in self.scores.get(target, []) if s.success is not None]
        return sum(scored) / len(scored) if scored else None

    def counts(self, target: str) -> dict[str, int]:
        scores = self.scores.get(target, [])
        return {"success": sum(s.success is True for s in scores),
                "failure": sum(s.success is False for s in scores),
                "unscored": sum(s.success is None for s in scores)}


@dataclass
class AgentResult:
    """One agent on one dataset over all runs."""

    name: str
    model: str | None
    runs: list[RunOutcome] = field(default_factory=list)

    def rates(self, target: str) -> list[float | None]:
        return [r.rate(target) for r in self.runs]

    def mean(self, target: str) -> float | None:
        return _mean_std(self.rates(target))[0]

    def per_trajectory(self, target: str) -> list[float | None]:
        """Per trajectory (dataset order): the mean success over the runs that scored it (1 = success,
        0 = failure; unscored runs left out), ``None`` when no run scored it."""
        columns = zip(*(r.scores.get(target, []) for r in self.runs), strict=True)
        return [_mean_std([float(s.success) for s in column if s.success is not None])[0]
                for column in columns]

    def unscored_reasons(self, target: str) -> dict[str, int]:
        """Unscored scores over all runs by reason code (the reason's text before ``:``)."""
        return dict(Counter((s.reason or "unknown").split(":", 1)[0] for r in self.runs
                            for s in r.scores.get(target, []) if s.success is None))

    def summary(self, target: str) -> dict[str, Any]:
        """``runs`` (per-run rates), ``mean``, ``std``, ``counts`` (per run), ``unscored_reasons``
        (over all runs) and ``per_trajectory`` (:meth:`per_trajectory`: what the collapse anchor of
        ``docs/method.md`` §5.4 is computed from)."""
        mean, std = _mean_std(self.rates(target))
        return {"runs": self.rates(target), "mean": mean, "std": std,
                "counts": [r.counts(target) for r in self.runs],
                "unscored_reasons": self.unscored_reasons(target),
                "per_trajectory": self.per_trajectory(target)}


@dataclass
class DownstreamRun:
    """All agents on one dataset: per-agent results, the scorer per target, LLM usage."""

    dataset: str
    n: int
    preset: str
    targets: tuple[str, ...]
    scorers: dict[str, str]
    agents: dict[str, AgentResult] = field(default_factory=dict)


def _slug(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", name).strip("_") or "agent"


async def aevaluate_dataset(dataset: Dataset | Sequence[Trajectory], agents: Sequence[Agent],
                            preset: DownstreamPreset,
                            *, runs: int = 3, scorer: ScorerChoice = "default",
                            judge: EquivalenceJudge | None = None, settings: LoopSettings | None = None,
                            save_dir: str | Path | None = None,
                            progress: Callable[[str], None] | None = None) -> DownstreamRun:
    """Run and score every agent ``runs`` times on one dataset (see :func:`evaluate_dataset`)."""
    references = list(dataset)
    name = getattr(dataset, "name", "dataset")
    targets = targets_for(preset, references)
    scorers: dict[str, str] = {t: scorer_for(preset, t, scorer) for t in targets}
    result = DownstreamRun(dataset=name, n=len(references), preset=preset.name, targets=targets,
                           scorers=scorers)
    for agent in agents:
        agent_result = AgentResult(name=agent.name, model=agent.model)
        for run in range(runs):
            if progress is not None:
                progress(f"{name}: agent {agent.name}, run {run + 1}/{runs}")
            trajectories = await arun_dataset(references, agent, preset, run, settings)
            scores = await score_run(references, trajectories, scorers, judge,
                                     (settings or LoopSettings()).limits)
            if save_dir is not None:
                _save(Path(save_dir), name, agent.name, run, trajectories, scores)
            llm_calls = sum(t.metadata.get("downstream", {}).get("llm_calls", 0) for t in trajectories)
            agent_result.runs.append(RunOutcome(run=run, scores=scores, llm_calls=llm_calls))
        result.agents[agent.name] = agent_result
    return result


def _save(folder: Path, dataset: str, agent: str, run: int, trajectories: list[Trajectory],
          scores: dict[str, list[Score]]) -> None:
    """Agent trajectories of one run, with their scores in ``metadata.downstream.scores``."""
    for i, trajectory in enumerate(trajectories):
        trajectory.metadata["downstream"]["scores"] = {
            t: {"success": s[i].success, "scorer": s[i].scorer, "reason": s[i].reason}
            for t, s in scores.items()}
    write_jsonl(trajectories, folder / _slug(dataset) / _slug(agent) / f"run{run}.jsonl")


def evaluate_dataset(dataset: Dataset | Sequence[Trajectory], agents: Sequence[Agent],
                     preset: DownstreamPreset, **kwargs: Any) -> DownstreamRun:
    """Run every agent ``runs`` times on ``dataset`` and score each run (synchronous).

    Keyword arguments: ``runs`` (default 3), ``scorer`` (``default``/``rules``/``llm``), ``judge``
    (an :class:`~synae.downstream.scoring.EquivalenceJudge`), ``settings`` (loop limits),
    ``save_dir`` (agent trajectories written as ``<dataset>/<agent>/run<r>.jsonl``), ``progress``.
    """
    return asyncio.run(aevaluate_dataset(dataset, agents, preset, **kwargs))


# --------------------------------------------------------------------------------------------
# Metrics


def metrics_from_runs(real: DownstreamRun, synthetic: DownstreamRun) -> list[MetricResult]:
    """``fidelity.downstream.tdd.<t>`` and ``rd.<t>`` for every target of the preset.

    ``details``: per agent its name, model, and on each side the per-run rates, mean and sample
    standard deviation (and per-run success/failure/unscored counts, and the per-trajectory success
    over runs, :meth:`AgentResult.per_trajectory`); the scorer; the number of
    runs; and TDD/RD computed per run index with their mean ± std.
    """
    names = [n for n in real.agents if n in synthetic.agents]
    out = []
    for target in real.targets:
        agents: list[dict[str, Any]] = [
            {"name": n, "model": real.agents[n].model, "real": real.agents[n].summary(target),
             "synthetic": synthetic.agents[n].summary(target)} for n in names]
        s_real = [real.agents[n].mean(target) for n in names]
        s_synth = [synthetic.agents[n].mean(target) for n in names]
        n_runs = min((len(real.agents[n].runs) for n in names), default=0)
        for metric, fn in (("tdd", tdd), ("rd", rd)):
            per_run = [fn([real.agents[n].runs[r].rate(target) for n in names],
                          [synthetic.agents[n].runs[r].rate(target) for n in names]).value
                       for r in range(n_runs)]
            mean, std = _mean_std(per_run)
            value = fn(s_real, s_synth)
            details = {"unit": "agents", "h": len(names), "scorer": real.scorers.get(target),
                       "runs": n_runs, "agents": agents,
                       "per_run": {"values": per_run, "mean": mean, "std": std}}
            reason = value.reason
            out.append(make_result(f"fidelity.downstream.{metric}.{target}", value.value, reason=reason,
                                   n_real=real.n, n_synthetic=synthetic.n, details=details))
    return out


def completion_models(trajectories: Sequence[Trajectory]) -> set[str]:
    """Models named as completion/generator agents in ``metadata.generation`` (``model`` at its top
    level, in ``params`` or in ``completion``)."""
    models = set()
    for traj in trajectories:
        generation = traj.metadata.get("generation") if isinstance(traj.metadata, dict) else None
        if not isinstance(generation, dict):
            continue
        for part in (generation, generation.get("params"), generation.get("completion")):
            if isinstance(part, dict) and isinstance(part.get("model"), str):
                models.add(part["model"])
    return models


def completion_bias_warnings(synthetic: Sequence[Trajectory], agents: Sequence[Agent]) -> list[str]:
    """A warning per agent whose model also completed the synthetic set (``docs/method.md`` §7.4, §8.8)."""
    used = completion_models(synthetic)
    return [f"agent {a.name!r} uses the model that completed the synthetic set ({a.model}); downstream "
            "comparisons are biased toward it" for a in agents if a.model is not None and a.model in used]


def run_real_and_synthetic(real: Dataset, synthetic: Dataset, agents: Sequence[Agent],
                           preset: DownstreamPreset, *,
                           real_run: DownstreamRun | None = None, client: Any = None,
                           **kwargs: Any) -> tuple[DownstreamRun, DownstreamRun]:
    """Run and score the agents on D (unless ``real_run`` is given) and then on D′, in one event
    loop; ``client``'s connections of that loop are closed at the end (also when a
    :class:`~synae.errors.LLMFatalError` stops the run). ``kwargs`` as for :func:`aevaluate_dataset`."""

    async def both() -> tuple[DownstreamRun, DownstreamRun]:
        try:
            real_side = real_run or await aevaluate_dataset(real, agents, preset, **kwargs)
            synthetic_side = await aevaluate_dataset(synthetic, agents, preset, **kwargs)
        finally:
            if client is not None:
                await client.aclose()
        return real_side, synthetic_side

    return asyncio.run(both())


def downstream_metrics(real: Dataset, synthetic: Dataset, preset: DownstreamPreset,
                       agents: Sequence[Agent], scorer: ScorerChoice = "default", runs: int = 3,
                       *, judge: EquivalenceJudge | None = None, real_run: DownstreamRun | None = None,
                       settings: LoopSettings | None = None, save_dir: str | Path | None = None,
                       client: Any = None) -> list[MetricResult]:
    """Run the agents on D and D′ and return the TDD and RD records (``docs/method.md`` §3.7).

    ``agents`` are built by :func:`synae.run.factory.agents`; ``client`` (the model agents' and the
    judge's LLM client, if any) has its connections closed at the end. Pass ``real_run`` to reuse the
    real side across synthetic sets.
    """
    resolved = list(agents)
    real_side, synthetic_side = run_real_and_synthetic(
        real, synthetic, resolved, preset, real_run=real_run, client=client, runs=runs, scorer=scorer,
        judge=judge, settings=settings, save_dir=save_dir)
    results = metrics_from_runs(real_side, synthetic_side)
    for result in results:
        result.warnings.extend(completion_bias_warnings(list(synthetic), resolved))
    return results


# --------------------------------------------------------------------------------------------
# Budget (§7.7)


@dataclass
class Budget:
    """LLM calls one downstream evaluation makes on one dataset, per model agent and run."""

    dataset: str
    n: int
    agent_calls_per_run: int  # lower bound for BFCL/generic (one step per user turn)
    judge_calls_per_run: int
    exact: bool  # False when agent_calls_per_run is a lower bound

    def total(self, model_agents: int, agents: int, runs: int) -> int:
        """Agent calls for the model agents plus judge calls for every agent (scripted ones too)."""
        return runs * (model_agents * self.agent_calls_per_run + agents * self.judge_calls_per_run)


def call_budget(dataset: Dataset | Sequence[Trajectory], preset: DownstreamPreset,
                scorer: ScorerChoice = "default", judge: bool = False) -> Budget:
    """Calls per model agent and run, from the preset's loop (``AgentLoop.budget``): T1 Σ(L + 1);
    BFCL/generic ≥ Σ user turns; ACP n; plus one judge call per judged target and trajectory."""
    references = list(dataset)
    turns = [len(user_messages(r)) for r in references]
    agent_calls, exact = preset.agent_loop.budget(turns)
    judged = [t for t in targets_for(preset, references) if scorer_for(preset, t, scorer) == "judge"]
    judge_calls = len(references) * len(judged) if judge else 0
    return Budget(dataset=getattr(dataset, "name", "dataset"), n=len(references),
                  agent_calls_per_run=agent_calls, judge_calls_per_run=judge_calls, exact=exact)
