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
from typing import TYPE_CHECKING, Annotated, Optional

import typer
from rich.console import Console
from rich.table import Table

from synae.cli.options import ConfigOpt, FormatOpt, JsonOpt, ModeOpt, PresetOpt, SkipInvalidOpt
from synae.config import Config, load_config
from synae.errors import ConfigError
from synae.report.models import EvaluationReport, MetricResult
from synae.schema import Dataset

if TYPE_CHECKING:
    from synae.report.evaluation import ExtraMetrics

VALIDITY_CHOICES = ("none", "rules", "llm", "both")
ARROW = {"lower_is_better": "↓", "higher_is_better": "↑"}


def build_config(config_file: Path | None, *, mode: str | None, preset: str | None, embedder: str | None,
                 no_cache: bool = False, cache_dir: Path | None = None, judge_model: str | None = None,
                 llm_base_url: str | None = None) -> Config:
    """The run's :class:`Config`: file values, then flags (flags win)."""
    embedding: dict[str, object] = {}
    if embedder:
        embedding["model"] = embedder
    if no_cache:
        embedding["cache"] = False
    if cache_dir:
        embedding["cache_dir"] = cache_dir
    # "default" is the flag's own default: let a config file's mode win unless --mode says otherwise
    return load_config(config_file, mode=None if mode == "default" else mode, preset=preset,
                       embedding=embedding or None, judge={"model": judge_model},
                       llm={"base_url": llm_base_url})


def _format_value(m: MetricResult) -> str:
    if m.value is None:
        return "—"
    return f"{m.value:.4g}" if abs(m.value) < 1e5 else f"{m.value:.3e}"


def metrics_table(report: EvaluationReport) -> Table:
    """A rich table of the report's metrics grouped by pillar and target (↓ lower / ↑ higher is better)."""
    table = Table(title=f"{report.datasets['synthetic'].name} vs {report.datasets['real'].name}",
                  caption="↓ lower is better · ↑ higher is better · real = the metric on D itself")
    table.add_column("metric")
    table.add_column("", justify="center")
    for column in ("value", "real", "n real", "n syn"):
        table.add_column(column, justify="right")
    table.add_column("status")
    order = {"validity": 0, "fidelity": 1, "diversity": 2}
    targets = {"instructions": 0, "tool_calls": 1, "output": 2, "downstream": 3}
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
        table.add_row("  " + m.id.split(".", 2)[2], ARROW[m.direction], _format_value(m),
                      f"{real_value:.4g}" if isinstance(real_value, (int, float)) else "",
                      "" if m.n_real is None else str(m.n_real),
                      "" if m.n_synthetic is None else str(m.n_synthetic), status)
    return table


def downstream_extra(agents: list[str], config: Config, preset: str, *, scorer: str, runs: int,
                     save_dir: Path | None) -> ExtraMetrics:
    """``extra_metrics`` running the downstream agents on D and D′ (TDD and RD); model agents and the
    equivalence judge share one LLM client (one concurrency limit, one reply cache)."""
    from synae.downstream.agents import make_agent
    from synae.downstream.run import downstream_metrics

    client = judge = None
    if config.judge.model or any(a != "oracle" and not a.startswith("noisy-oracle") for a in agents):
        from synae.llm.client import LLMClient

        client = LLMClient(config.llm)
    if config.judge.model:
        from synae.downstream.scoring import LLMEquivalenceJudge

        judge = LLMEquivalenceJudge(client, config.judge)

    resolved = [make_agent(a, config, client=client) for a in agents]  # bad agent names fail here, early

    def extra(real: Dataset, synthetic: Dataset) -> list[MetricResult]:
        return downstream_metrics(real, synthetic, preset, config, resolved, scorer, runs,  # type: ignore[arg-type]
                                  judge=judge, save_dir=save_dir, client=client)

    return extra


def register(app: typer.Typer) -> None:
    """Add ``synae evaluate``."""

    @app.command("evaluate")
    def evaluate_cmd(
        real: Annotated[Path, typer.Option("--real", help="The real dataset D (any supported format).")],
        synthetic: Annotated[Path, typer.Option("--synthetic", help="The synthetic dataset D′ to evaluate.")],
        out: Annotated[Path | None, typer.Option("--out", help="Write the results JSON here.")] = None,
        preset: PresetOpt = None,
        mode: ModeOpt = "default",
        metrics: Annotated[str | None, typer.Option(
            "--metrics", help="Comma-separated glob patterns over metric IDs, e.g. 'fidelity.tool_calls.*'.",
        )] = None,
        embedder: Annotated[str | None, typer.Option(
            "--embedder", help="minilm (default), lexical, or openai:<model>.")] = None,
        config_file: ConfigOpt = None,
        fmt: FormatOpt = None,
        synthetic_fmt: Annotated[str | None, typer.Option(
            "--synthetic-from", help="Format of the synthetic file when it differs from --from.")] = None,
        skip_invalid: SkipInvalidOpt = False,
        validity: Annotated[str, typer.Option(
            "--validity", help="Validity checkers to run as well: none, rules, llm or both.")] = "none",
        downstream: Annotated[Optional[list[str]], typer.Option(  # noqa: UP045 (typer needs Optional)
            "--downstream", help="Also run this downstream agent on D and D′ (a model name, 'oracle' or "
            "'noisy-oracle:<rate>'); repeat for several agents (TDD/RD need two).")] = None,
        scorer: Annotated[str, typer.Option(
            "--scorer", help="Downstream scorer: default (spec table), rules or llm.")] = "default",
        runs: Annotated[int, typer.Option("--runs", min=1, help="Downstream runs per agent.")] = 3,
        judge_model: Annotated[str | None, typer.Option(
            "--judge-model", help="LLM judge model (validity llm/both, downstream equivalence).")] = None,
        llm_base_url: Annotated[str | None, typer.Option(
            "--llm-base-url", help="OpenAI-compatible endpoint of the judge and agents.")] = None,
        report_html: Annotated[Path | None, typer.Option(
            "--report", help="Also write the HTML report here.")] = None,
        bootstrap: Annotated[int, typer.Option(
            "--bootstrap", min=0, help="Bootstrap resamples for per-metric confidence intervals (0 = off).",
        )] = 0,
        noise_floor: Annotated[int, typer.Option(
            "--noise-floor", min=0, help="Real-vs-real half splits for the noise floor (0 = off).")] = 0,
        no_cache: Annotated[bool, typer.Option(
            "--no-cache", help="Do not read or write the embedding cache.")] = False,
        cache_dir: Annotated[Path | None, typer.Option(
            "--cache-dir", help="Embedding cache folder.")] = None,
        as_json: JsonOpt = False,
    ) -> None:
        """Evaluate a synthetic dataset against a real one: fidelity, diversity and pillar scores;
        validity, downstream agents and the HTML report on request."""
        from synae.adapters import load_dataset
        from synae.evaluate import Evaluator
        from synae.presets import detect_preset
        from synae.report.aggregate import AggregateOptions
        from synae.report.console import print_aggregates
        from synae.report.evaluation import ReportOptions, evaluate_for_report

        if validity not in VALIDITY_CHOICES:
            raise ConfigError(f"--validity {validity!r}: expected one of {', '.join(VALIDITY_CHOICES)}")
        config = build_config(config_file, mode=mode, preset=preset, embedder=embedder, no_cache=no_cache,
                              cache_dir=cache_dir, judge_model=judge_model, llm_base_url=llm_base_url)
        real_ds = load_dataset(real, fmt, skip_invalid=skip_invalid)
        syn_ds = load_dataset(synthetic, synthetic_fmt or fmt, skip_invalid=skip_invalid)
        preset_name = config.preset or detect_preset(real_ds)
        evaluator = Evaluator(real_ds, config, preset=preset_name, metric_patterns=metrics,
                              progress=not as_json)
        extra = None
        if downstream:
            save_dir = out.with_name(out.stem + ".agents") if out is not None else None
            extra = downstream_extra(downstream, config, preset_name, scorer=scorer, runs=runs,
                                     save_dir=save_dir)
        options = ReportOptions(bootstrap=bootstrap, noise_repeats=noise_floor,
                                aggregate=AggregateOptions(diversity_bound=config.metrics.diversity_bound))
        report = evaluate_for_report(evaluator, syn_ds, checker=validity, extra_metrics=extra,
                                     options=options)
        if out is not None:
            report.write(out)
        if report_html is not None:
            from synae.report.html import write_html

            write_html(report, report_html)
        if as_json:
            typer.echo(report.to_json())
            return
        console = Console()
        console.print(metrics_table(report))
        print_aggregates(report.aggregates, console)
        if report.embedder is not None:
            s = report.embedder.stats
            console.print(f"embedder {report.embedder.model} (d={report.embedder.dimension}): "
                          f"{s.get('n_unique', 0)} distinct texts, {s.get('n_cached', 0)} from cache, "
                          f"{s.get('n_multi_window', 0)} chunked, {s.get('n_truncated', 0)} truncated",
                          highlight=False)
        for warning in getattr(report, "warnings", []) or []:
            console.print(f"[yellow]warning:[/] {warning}", highlight=False)
        written = [str(p) for p in (out, report_html) if p is not None]
        if written:
            console.print(f"written: {', '.join(written)}", highlight=False)
