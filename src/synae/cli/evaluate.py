"""`synae evaluate` — fidelity and diversity (validity and downstream on request) of a synthetic set
against a real one.

Writes the results JSON (``--out``: metrics, pillar aggregates with labels, and the data the HTML
report is drawn from, so ``synae report`` can re-render it) and prints a table grouped by pillar and
target; ``--report`` also writes the HTML report. ``--metrics``
takes comma-separated glob patterns over metric IDs (``'fidelity.tool_calls.*,diversity.*'``); when
no selected metric needs embeddings, no text is embedded and no model is loaded.
"""

from __future__ import annotations

import typing
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console
from rich.table import Table

from synae.cli.messages import print_skipped
from synae.cli.options import (
    AggregateScaleOpt,
    AttributeFieldOpt,
    BaseUrlOpt,
    BootstrapOpt,
    BreakerOpt,
    CacheOpt,
    CalibrationOpt,
    ConcurrencyOpt,
    ConfigOpt,
    DeadlineOpt,
    DeviceOpt,
    EmbedderOpt,
    EmbeddingsOpt,
    ExecutorOpt,
    FormatOpt,
    JsonOpt,
    JudgeCalibrationOpt,
    JudgeModelOpt,
    MetricsOpt,
    ModeOpt,
    NoiseFloorOpt,
    OutputFromOpt,
    PresetOpt,
    RayAddressOpt,
    RealOpt,
    ShowPiiOpt,
    SkipInvalidOpt,
    StructuredOpt,
    SyntheticEmbeddingsOpt,
    ValidityOpt,
    command_config,
)
from synae.results import EvaluationReport, MetricResult, Pillar, Target

ARROW = {"lower_is_better": "↓", "higher_is_better": "↑"}


def _format_value(m: MetricResult) -> str:
    if m.value is None:
        return "—"
    return f"{m.value:.4g}" if abs(m.value) < 1e5 else f"{m.value:.3e}"


def metrics_table(report: EvaluationReport) -> Table:
    """A rich table of the report's metrics grouped by pillar and target (↓ lower / ↑ higher is better)."""
    table = Table(title=f"{report.datasets['synthetic'].name} vs {report.datasets['real'].name}",
                  caption="↓ lower is better · ↑ higher is better · real = the metric on D itself"
                          + (" · CI = bootstrap interval (* moved by the median bias to hold the value)"
                             if any("ci_shift" in m.details for m in report.metrics.values()) else ""))
    table.add_column("metric")
    table.add_column("", justify="center")
    for column in ("value", "real", "n real", "n syn"):
        table.add_column(column, justify="right")
    with_ci = any(isinstance(m.details.get("ci"), list) for m in report.metrics.values())
    if with_ci:
        table.add_column("CI", justify="right")
    table.add_column("status")
    order = {pillar: i for i, pillar in enumerate(typing.get_args(Pillar))}  # validity, fidelity, …
    targets = {target: i for i, target in enumerate(typing.get_args(Target))}
    last = None
    for m in sorted(report.metrics.values(), key=lambda m: (order[m.pillar], targets[m.target])):
        group = f"{m.pillar} · {m.target}"
        if group != last:
            if last is not None:
                table.add_section()
            table.add_row(f"[bold]{group}[/]")
            last = group
        real_value = m.details.get("real_value")
        status = m.status if m.status == "ok" else f"{m.status}: {m.reason or ''}"
        if m.warnings:
            status += " (" + "; ".join(w.split(":")[0] for w in m.warnings) + ")"
        ci = m.details.get("ci")
        ci_cell = [f"[{ci[0]:.4g}, {ci[1]:.4g}]" + ("*" if "ci_shift" in m.details else "")
                   if isinstance(ci, list) and len(ci) == 2 and None not in ci else ""] if with_ci else []
        table.add_row("  " + m.id.split(".", 2)[2], ARROW[m.direction], _format_value(m),
                      f"{real_value:.4g}" if isinstance(real_value, (int, float)) else "",
                      "" if m.n_real is None else str(m.n_real),
                      "" if m.n_synthetic is None else str(m.n_synthetic), *ci_cell, status)
    return table


def register(app: typer.Typer) -> None:
    """Add ``synae evaluate``."""

    @app.command("evaluate")
    def evaluate_cmd(
        ctx: typer.Context,
        real: RealOpt = None,
        synthetic: Annotated[Path | None, typer.Option(
            "--synthetic", help="The synthetic dataset D′ to evaluate.")] = None,
        out: Annotated[Path | None, typer.Option("--out", help="Write the results JSON here.")] = None,
        preset: PresetOpt = None,
        mode: ModeOpt = None,
        metrics: MetricsOpt = None,
        embedder: EmbedderOpt = None,
        config_file: ConfigOpt = None,
        fmt: FormatOpt = None,
        synthetic_fmt: Annotated[str | None, typer.Option(
            "--synthetic-from", help="Format of the synthetic file when it differs from --from.")] = None,
        skip_invalid: SkipInvalidOpt = False,
        output_from: OutputFromOpt = None,
        attribute_fields: AttributeFieldOpt = None,
        aggregate_scale: AggregateScaleOpt = None,
        embeddings: EmbeddingsOpt = None,
        synthetic_embeddings: SyntheticEmbeddingsOpt = None,
        executor: ExecutorOpt = None,
        ray_address: RayAddressOpt = None,
        device: DeviceOpt = None,
        validity: ValidityOpt = None,
        judge_calibration: JudgeCalibrationOpt = None,
        agents: Annotated[Optional[list[str]], typer.Option(  # noqa: UP045 (typer needs Optional)
            "--downstream", "--agent", help="Also run this downstream agent on D and D′ (a model name, "
            "'oracle' or 'noisy-oracle:<rate>'); repeat for several agents (TDD/RD need two).")] = None,
        scorer: Annotated[str | None, typer.Option(
            "--scorer", help="Downstream scorer: default (docs/method.md §7.6), rules or llm.")] = None,
        runs: Annotated[int | None, typer.Option(
            "--runs", min=1, help="Downstream runs per agent (3).")] = None,
        parallel: Annotated[int | None, typer.Option(
            "--parallel", min=1, help="Downstream trajectories in flight (16).")] = None,
        judge_model: JudgeModelOpt = None,
        llm_base_url: BaseUrlOpt = None,
        concurrency: ConcurrencyOpt = None,
        cache: CacheOpt = True,
        structured_output: StructuredOpt = True,
        llm_breaker: BreakerOpt = None,
        llm_deadline: DeadlineOpt = None,
        report_html: Annotated[Path | None, typer.Option(
            "--report", help="Also write the HTML report here.")] = None,
        show_pii: ShowPiiOpt = False,
        bootstrap: BootstrapOpt = None,
        noise_floor: NoiseFloorOpt = None,
        embedding_cache: Annotated[bool, typer.Option(
            "--embedding-cache/--no-embedding-cache", help="Read and write the embedding cache.")] = True,
        embedding_cache_dir: Annotated[Path | None, typer.Option(
            "--embedding-cache-dir", help="Embedding cache folder (default: $SYNAE_CACHE_DIR or "
                                          "~/.cache/synae).")] = None,
        calibration: CalibrationOpt = None,
        json_output: JsonOpt = False,
    ) -> None:
        """Evaluate a synthetic dataset against a real one: fidelity, diversity and pillar scores;
        validity, downstream agents and the HTML report on request."""
        from synae.report.console import print_aggregates, print_judge_notes
        from synae.report.html import render_html
        from synae.run.commands import evaluate_command

        config = command_config(ctx)
        report = evaluate_command(config, progress=not json_output, render=render_html)
        html = config.output.report
        if json_output:
            typer.echo(report.to_json())
            return
        console = Console()
        print_skipped(getattr(report, "skipped", None), console)
        console.print(metrics_table(report))
        print_aggregates(report.aggregates, console)
        print_judge_notes(report.metrics.values(), console)
        if report.embedder is not None:
            s = report.embedder.stats
            console.print(f"embedder {report.embedder.model} (d={report.embedder.dimension}): "
                          f"{s.get('n_unique', 0)} distinct texts, {s.get('n_cached', 0)} from cache, "
                          f"{s.get('n_multi_window', 0)} chunked, {s.get('n_truncated', 0)} truncated",
                          highlight=False)
            if s.get("n_capped"):
                cap = s.get("max_windows")
                console.print(f"[yellow]warning:[/] {s['n_capped']} text(s) longer than {cap} windows "
                              f"embedded from their first {cap} windows only (embedding.max_windows)",
                              highlight=False)
        for note in getattr(report, "notes", []) or []:
            console.print(f"[dim]note:[/] {note}", highlight=False)
        for warning in getattr(report, "warnings", []) or []:
            console.print(f"[yellow]warning:[/] {warning}", highlight=False)
        written = [str(p) for p in (config.output.out, html) if p is not None]
        if written:
            console.print(f"written: {', '.join(written)}", highlight=False)
