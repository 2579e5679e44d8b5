"""`synae evaluate` — fidelity and diversity (and optionally validity) of a synthetic set against a real one.

Writes the results JSON (``--out``) and prints a table grouped by pillar and target. ``--metrics``
takes comma-separated glob patterns over metric IDs (``'fidelity.tool_calls.*,diversity.*'``); when
no selected metric needs embeddings, no text is embedded and no model is loaded.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from synae.cli.options import ConfigOpt, FormatOpt, JsonOpt, ModeOpt, PresetOpt, SkipInvalidOpt
from synae.config import Config, load_config
from synae.errors import ConfigError
from synae.report.models import EvaluationReport, MetricResult
from synae.schema import Dataset

VALIDITY_CHOICES = ("none", "rules", "llm", "both")
ARROW = {"lower_is_better": "↓", "higher_is_better": "↑"}


def build_config(config_file: Path | None, *, mode: str | None, preset: str | None, embedder: str | None,
                 no_cache: bool, cache_dir: Path | None) -> Config:
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
                       embedding=embedding or None)


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
        no_cache: Annotated[bool, typer.Option(
            "--no-cache", help="Do not read or write the embedding cache.")] = False,
        cache_dir: Annotated[Path | None, typer.Option(
            "--cache-dir", help="Embedding cache folder.")] = None,
        as_json: JsonOpt = False,
    ) -> None:
        """Evaluate a synthetic dataset against a real one (fidelity, diversity; validity on request)."""
        from synae.adapters import load_dataset
        from synae.evaluate import Evaluator
        from synae.presets import detect_preset

        if validity not in VALIDITY_CHOICES:
            raise ConfigError(f"--validity {validity!r}: expected one of {', '.join(VALIDITY_CHOICES)}")
        config = build_config(config_file, mode=mode, preset=preset, embedder=embedder, no_cache=no_cache,
                              cache_dir=cache_dir)
        real_ds = load_dataset(real, fmt, skip_invalid=skip_invalid)
        syn_ds = load_dataset(synthetic, synthetic_fmt or fmt, skip_invalid=skip_invalid)
        preset_name = config.preset or detect_preset(real_ds)
        evaluator = Evaluator(real_ds, config, preset=preset_name, metric_patterns=metrics,
                              progress=not as_json)
        extra = None
        if validity != "none":
            from synae.validity.run import validity_metrics

            def extra(r: Dataset, s: Dataset) -> list[MetricResult]:
                return validity_metrics(r, s, evaluator.preset, config, validity, progress=not as_json)

        report = evaluator.evaluate(syn_ds, extra_metrics=extra)
        if out is not None:
            report.write(out)
        if as_json:
            typer.echo(report.to_json())
            return
        console = Console()
        console.print(metrics_table(report))
        if report.embedder is not None:
            s = report.embedder.stats
            console.print(f"embedder {report.embedder.model} (d={report.embedder.dimension}): "
                          f"{s.get('n_unique', 0)} distinct texts, {s.get('n_cached', 0)} from cache, "
                          f"{s.get('n_multi_window', 0)} chunked, {s.get('n_truncated', 0)} truncated",
                          highlight=False)
        for warning in getattr(report, "warnings", []) or []:
            console.print(f"[yellow]warning:[/] {warning}", highlight=False)
        if out is not None:
            console.print(f"results written to {out}", highlight=False)
