"""`synae evaluate` — fidelity and diversity (validity and downstream on request) of a synthetic set
against a real one.

Writes the results JSON (``--out``: metrics, pillar aggregates with labels, and the data the HTML
report is drawn from, so ``synae report`` can re-render it) and prints a table grouped by pillar and
target; ``--report`` also writes the HTML report. ``--metrics``
takes comma-separated glob patterns over metric IDs (``'fidelity.tool_calls.*,diversity.*'``); when
no selected metric needs embeddings, no text is embedded and no model is loaded.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console

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
        from synae.report.console import print_aggregates, print_judge_notes, print_metrics
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
        print_metrics(report, console)
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
