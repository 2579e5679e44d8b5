"""``synae downstream`` — run agents on real and synthetic trajectories and report TDD and RD.

Prints the LLM-call budget first (``--dry-run`` prints only that), runs every agent ``--runs`` times on
both sets, scores every run, writes the results JSON to ``--out`` and the agent trajectories next to
it (``<out>.agents/<dataset>/<agent>/run<r>.jsonl``). LLM replies are cached on disk, so an
interrupted run resumes without repeating finished calls.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console

from synae import __version__
from synae.cli.options import ConfigOpt, PresetOpt
from synae.config import load_config
from synae.errors import ConfigError
from synae.report.models import clean_json

RealOpt = Annotated[Path, typer.Option("--real", help="Real dataset D (any supported format).")]
SyntheticOpt = Annotated[Path, typer.Option("--synthetic", help="Synthetic dataset D′.")]
OutOpt = Annotated[Path, typer.Option("--out", help="Results JSON to write.")]
AgentOpt = Annotated[Optional[list[str]], typer.Option(  # noqa: UP045 (typer needs Optional)
    "--agent", help="Agent: a model name, 'oracle' or 'noisy-oracle:<rate>'; repeat for several.")]
JudgeOpt = Annotated[Optional[str], typer.Option(  # noqa: UP045
    "--judge", help="Judge model for equivalence judging.")]
ScorerOpt = Annotated[str, typer.Option(
    "--scorer", help="default (spec table), rules (rule-based only) or llm (judge wherever possible).")]
RunsOpt = Annotated[int, typer.Option("--runs", min=1, help="Runs per agent and dataset.")]
BaseUrlOpt = Annotated[Optional[str], typer.Option(  # noqa: UP045
    "--llm-base-url", help="OpenAI-compatible endpoint of the agents and the judge.")]
TemperatureOpt = Annotated[Optional[float], typer.Option(  # noqa: UP045
    "--temperature", help="Agent temperature (default: 0.5 for T1/ACP, 0.001 for BFCL).")]
MaxTokensOpt = Annotated[int, typer.Option("--max-tokens", help="Max new tokens per agent reply.")]
CallFormatOpt = Annotated[str, typer.Option(
    "--call-format", help="native (tool calling) or python (call list in the reply text).")]
MaxStepsOpt = Annotated[int, typer.Option("--max-steps", min=1, help="Steps per user turn (BFCL).")]
ConcurrencyOpt = Annotated[int, typer.Option("--concurrency", min=1, help="Trajectories in flight.")]
DryRunOpt = Annotated[bool, typer.Option("--dry-run", help="Print the LLM-call budget and stop.")]


def register(app: typer.Typer) -> None:
    """Add ``synae downstream`` to the app."""

    @app.command("downstream")
    def downstream(
        real: RealOpt,
        synthetic: SyntheticOpt,
        out: OutOpt = Path("downstream.json"),
        agent: AgentOpt = None,
        judge: JudgeOpt = None,
        scorer: ScorerOpt = "default",
        runs: RunsOpt = 3,
        llm_base_url: BaseUrlOpt = None,
        preset: PresetOpt = None,
        config_path: ConfigOpt = None,
        temperature: TemperatureOpt = None,
        max_tokens: MaxTokensOpt = 512,
        call_format: CallFormatOpt = "native",
        max_steps: MaxStepsOpt = 20,
        concurrency: ConcurrencyOpt = 16,
        dry_run: DryRunOpt = False,
    ) -> None:
        """Run agents on D and D′, score their runs, report fidelity.downstream.tdd/rd."""
        from synae.adapters import load_dataset
        from synae.downstream.agents import make_agent
        from synae.downstream.loop import LoopSettings
        from synae.downstream.run import (
            call_budget,
            completion_bias_warnings,
            metrics_from_runs,
            run_real_and_synthetic,
        )
        from synae.presets import detect_preset

        console = Console(stderr=True)
        if scorer not in ("default", "rules", "llm"):
            raise ConfigError(f"--scorer must be default, rules or llm, not {scorer!r}")
        if call_format not in ("native", "python"):
            raise ConfigError(f"--call-format must be native or python, not {call_format!r}")
        if not agent:
            raise ConfigError("give at least one --agent (a model name, 'oracle' or 'noisy-oracle:<rate>')")
        config = load_config(config_path, llm={"base_url": llm_base_url}, judge={"model": judge},
                             preset=preset)
        real_set = load_dataset(real)
        synthetic_set = load_dataset(synthetic)
        preset_name = config.preset or detect_preset(real_set)

        client = None
        model_specs = [a for a in agent if a != "oracle" and not a.startswith("noisy-oracle")]
        if model_specs or config.judge.model:
            from synae.llm.client import LLMClient

            client = LLMClient(config.llm)
        agents = [make_agent(a, config, client=client, temperature=temperature, max_tokens=max_tokens,
                             call_format=call_format) for a in agent]  # type: ignore[arg-type]
        equivalence_judge = None
        if config.judge.model:
            from synae.downstream.scoring import LLMEquivalenceJudge

            equivalence_judge = LLMEquivalenceJudge(client, config.judge)

        budgets = [call_budget(d, preset_name, scorer, judge=equivalence_judge is not None)  # type: ignore[arg-type]
                   for d in (real_set, synthetic_set)]
        total = sum(b.total(len(model_specs), len(agents), runs) for b in budgets)
        for b in budgets:
            bound = "" if b.exact else "≥ "
            console.print(f"budget {b.dataset} (n={b.n}): {bound}{b.agent_calls_per_run} agent calls per "
                          f"model agent and run, {b.judge_calls_per_run} judge calls per agent and run",
                          highlight=False)
        bound = "" if all(b.exact for b in budgets) else "≥ "
        console.print(f"budget total: {bound}{total} LLM calls ({len(model_specs)} model agent(s), "
                      f"{len(agents)} agent(s), {runs} run(s))", highlight=False)
        if dry_run:
            return

        warnings = completion_bias_warnings(synthetic_set, agents)
        for w in warnings:
            console.print(f"[yellow]warning:[/] {w}", highlight=False)
        save_dir = out.with_name(out.name.removesuffix(".json") + ".agents")
        settings = LoopSettings(max_steps=max_steps, concurrency=concurrency)
        real_run, synthetic_run = run_real_and_synthetic(
            real_set, synthetic_set, agents, preset_name, client=client, runs=runs, scorer=scorer,
            judge=equivalence_judge, settings=settings, save_dir=save_dir,
            progress=lambda m: console.print(m, highlight=False))
        metrics = metrics_from_runs(real_run, synthetic_run)
        for m in metrics:
            m.warnings.extend(warnings)
        result = {
            "synae_version": __version__,
            "created_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "preset": preset_name,
            "config": config.resolved(),
            "datasets": {"real": real_set.summary(), "synthetic": synthetic_set.summary()},
            "agents": [{"name": a.name, "model": a.model} for a in agents],
            "scorer": scorer, "scorers": real_run.scorers, "runs": runs,
            "judge": config.judge.model,
            "budget": {"planned": total, "per_dataset": [vars(b) for b in budgets]},
            "llm_usage": client.usage.as_dict() if client is not None else None,
            "agent_trajectories": str(save_dir),
            "warnings": warnings,
            "metrics": {m.id: m.to_json_dict() for m in metrics},
        }
        out.parent.mkdir(parents=True, exist_ok=True)
        text = json.dumps(clean_json(result), indent=2, allow_nan=False, ensure_ascii=False)
        out.write_text(text + "\n", encoding="utf-8")
        for m in metrics:
            value = "null" if m.value is None else f"{m.value:.4f}"
            console.print(f"{m.id} = {value}" + (f"  ({m.reason})" if m.reason else ""), highlight=False)
        if client is not None:
            usage = client.usage
            console.print(f"LLM calls made: {usage.calls}, cache hits: {usage.cached}, "
                          f"failed: {usage.failed}, tokens: {usage.prompt_tokens} prompt + "
                          f"{usage.completion_tokens} completion",
                          highlight=False)
        console.print(f"results written to {out}; agent trajectories in {save_dir}", highlight=False)
