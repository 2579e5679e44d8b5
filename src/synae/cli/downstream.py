"""``synae downstream`` — run agents on real and synthetic trajectories and report TDD and RD.

Prints the LLM-call budget first (``--dry-run`` prints only that), runs every agent ``--runs`` times on
both sets, scores every run, writes the results JSON to ``--out`` and the agent trajectories next to
it (``<out>.agents/<dataset>/<agent>/run<r>.jsonl``). LLM replies are cached on disk, so an
interrupted run resumes without repeating finished calls.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console

from synae.cli.messages import print_skipped
from synae.cli.options import (
    BaseUrlOpt,
    BreakerOpt,
    CacheOpt,
    ConcurrencyOpt,
    ConfigOpt,
    DeadlineOpt,
    DryRunOpt,
    FormatOpt,
    JsonOpt,
    JudgeModelOpt,
    OutputFromOpt,
    PresetOpt,
    RealOpt,
    SkipInvalidOpt,
    StructuredOpt,
    command_config,
)

SyntheticOpt = Annotated[Path | None, typer.Option("--synthetic", help="Synthetic dataset D′.")]
OutOpt = Annotated[Path | None, typer.Option("--out", help="Results JSON to write (downstream.json).")]
AgentOpt = Annotated[Optional[list[str]], typer.Option(  # noqa: UP045 (typer needs Optional)
    "--agent", "--downstream",
    help="Agent: a model name, 'oracle' or 'noisy-oracle:<rate>'; repeat for several.")]
JudgeAliasOpt = Annotated[Optional[str], typer.Option(  # noqa: UP045
    "--judge", hidden=True, help="Deprecated: use --judge-model.")]
ScorerOpt = Annotated[Optional[str], typer.Option(  # noqa: UP045
    "--scorer", help="default (docs/method.md §7.6), rules (rule-based only) or llm (judge wherever "
                     "possible).")]
RunsOpt = Annotated[Optional[int], typer.Option("--runs", min=1, help="Runs per agent and dataset (3).")]  # noqa: UP045
TemperatureOpt = Annotated[Optional[float], typer.Option(  # noqa: UP045
    "--agent-temperature", help="Agent temperature (default: 0.5 for T1/ACP, 0.001 for BFCL).")]
MaxTokensOpt = Annotated[Optional[int], typer.Option(  # noqa: UP045
    "--agent-max-tokens", min=1, help="Max new tokens per agent reply (512).")]
CallFormatOpt = Annotated[Optional[str], typer.Option(  # noqa: UP045
    "--call-format", help="native (tool calling, default) or python (call list in the reply text).")]
MaxStepsOpt = Annotated[Optional[int], typer.Option(  # noqa: UP045
    "--max-steps", min=1, help="Steps per user turn (BFCL; 20).")]
ParallelOpt = Annotated[Optional[int], typer.Option(  # noqa: UP045
    "--parallel", min=1, help="Trajectories in flight (16); LLM requests in flight: --concurrency.")]


def register(app: typer.Typer) -> None:
    """Add ``synae downstream`` to the app."""

    @app.command("downstream")
    def downstream(
        ctx: typer.Context,
        real: RealOpt = None,
        synthetic: SyntheticOpt = None,
        out: OutOpt = None,
        agents: AgentOpt = None,
        judge_model: JudgeModelOpt = None,
        judge_alias: JudgeAliasOpt = None,
        scorer: ScorerOpt = None,
        runs: RunsOpt = None,
        llm_base_url: BaseUrlOpt = None,
        concurrency: ConcurrencyOpt = None,
        cache: CacheOpt = True,
        structured_output: StructuredOpt = True,
        preset: PresetOpt = None,
        config_file: ConfigOpt = None,
        agent_temperature: TemperatureOpt = None,
        agent_max_tokens: MaxTokensOpt = None,
        call_format: CallFormatOpt = None,
        max_steps: MaxStepsOpt = None,
        parallel: ParallelOpt = None,
        dry_run: DryRunOpt = False,
        llm_breaker: BreakerOpt = None,
        llm_deadline: DeadlineOpt = None,
        skip_invalid: SkipInvalidOpt = False,
        fmt: FormatOpt = None,
        output_from: OutputFromOpt = None,
        json_output: JsonOpt = False,
    ) -> None:
        """Run agents on D and D′, score their runs, report fidelity.downstream.tdd/rd (--json: the
        results JSON on stdout, or with --dry-run the budget; progress and messages on stderr)."""
        from synae.results import clean_json
        from synae.run.commands import plan_downstream_command, run_downstream_command

        console = Console(stderr=True)
        job = plan_downstream_command(command_config(ctx))
        for b in job.budgets:
            bound = "" if b.exact else "≥ "
            console.print(f"budget {b.dataset} (n={b.n}): {bound}{b.agent_calls_per_run} agent calls per "
                          f"model agent and run, {b.judge_calls_per_run} judge calls per agent and run",
                          highlight=False)
        bound = "" if all(b.exact for b in job.budgets) else "≥ "
        console.print(f"budget total: {bound}{job.total} LLM calls ({job.plan.model_agents} model agent(s), "
                      f"{len(job.plan.agents)} agent(s), {job.config.downstream.runs} run(s))",
                      highlight=False)
        if job.config.llm.dry_run:
            if json_output:
                typer.echo(json.dumps({"budget": {"planned": job.total,
                                                  "per_dataset": [vars(b) for b in job.budgets]}}, indent=2))
            return
        result = run_downstream_command(job, progress=lambda m: console.print(m, highlight=False))
        if json_output:
            typer.echo(json.dumps(clean_json(result), indent=2, allow_nan=False, ensure_ascii=False))
        print_skipped(result.get("skipped"), console)
        for w in result["warnings"]:
            console.print(f"[yellow]warning:[/] {w}", highlight=False)
        for metric_id, m in result["metrics"].items():
            value = "null" if m["value"] is None else f"{m['value']:.4f}"
            console.print(f"{metric_id} = {value}" + (f"  ({m['reason']})" if m.get("reason") else ""),
                          highlight=False)
        usage = result["llm_usage"]
        if usage is not None:
            console.print(f"LLM calls made: {usage['calls']}, cache hits: {usage['cached']}, "
                          f"failed: {usage['failed']}, tokens: {usage['prompt_tokens']} prompt + "
                          f"{usage['completion_tokens']} completion", highlight=False)
        console.print(f"results written to {job.out}; agent trajectories in {job.save_dir}", highlight=False)
