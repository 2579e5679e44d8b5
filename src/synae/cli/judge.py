"""`synae judge calibrate` — how well the configured LLM judge tells valid from invalid on a real set.

Builds a labelled set by construction from ``--real`` alone (:mod:`synae.run.scoring.judge_calibration`),
judges it, prints coverage, accuracy, F1, Cohen's κ with its bootstrap interval, the confusion
matrix and the invalidation curve per target, and writes ``<out>/judge_calibration.json``
(``validate`` / ``evaluate --judge-calibration <out>`` record it with the judge's verdicts).
``--dry-run`` sends nothing and prints the number of judge calls and an estimate of the tokens.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

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
    SeedOpt,
    SkipInvalidOpt,
    StructuredOpt,
    command_config,
)
from synae.run.scoring.judge_calibration import summary_line, warning_text
from synae.schema import dumps_strict

judge_app = typer.Typer(help="The LLM judge's reliability on your data.", no_args_is_help=True)

OutOpt = Annotated[Path | None, typer.Option("--out", help="Folder for judge_calibration.json.")]
ItemsOpt = Annotated[int | None, typer.Option(
    "--items", min=2, help="Rule-valid originals per target (a seeded draw; default 50); the judge also sees "
                           "their invalidated copies.")]
ResamplesOpt = Annotated[int | None, typer.Option(
    "--resamples", min=0, help="Bootstrap resamples of kappa's 95% interval (default 1000, 0 = none).")]


def _fmt(value: float | None, spec: str = ".3f") -> str:
    return "—" if value is None else format(value, spec)


def _print(record: dict[str, Any], console: Console) -> None:
    table = Table(title=f"judge {record['judge']['model']} on {record['preset']} "
                        f"({record['n_rule_valid']} of {record['n_real']} real trajectories rule-valid)")
    for col in ("target", "valid", "invalid", "coverage", "accuracy", "F1 (valid)", "kappa [95%]",
                "TP/FN/FP/TN", "slope (perfect)"):
        table.add_column(col, justify="left" if col == "target" else "right", no_wrap=True)
    rows = [(t, a) for t, a in record["targets"].items()] + [("pooled", record["overall"])]
    for name, a in rows:
        interval = a.get("kappa_interval")
        kappa = _fmt(a["kappa"], ".2f") + (f" [{interval[0]:.2f}, {interval[1]:.2f}]" if interval else "")
        curve = a.get("curve")
        slope = (f"{_fmt(curve['slope'], '.2f')} ({_fmt(curve['construction_slope'], '.2f')})"
                 if curve else "")
        table.add_row(name, str(a.get("n_originals", a["tp"] + a["fn"])),
                      str(a.get("n_invalidated", a["fp"] + a["tn"])), _fmt(a["coverage"], ".2f"),
                      _fmt(a["accuracy"]), _fmt(a["f1_valid"]), kappa,
                      f"{a['tp']}/{a['fn']}/{a['fp']}/{a['tn']}", slope)
    console.print(table)
    for target, a in record["targets"].items():
        points = ", ".join(f"v={p['v']:g}: {_fmt(p['judged_rate'], '.2f')} "
                           f"({_fmt(p['construction_rate'], '.2f')})" for p in a["curve"]["points"])
        console.print(f"curve {target} (judged validity rate, by construction in brackets): {points}",
                      highlight=False)
        if a["unscored_reasons"]:
            console.print(f"unscored {target}: {a['unscored_reasons']}", highlight=False)
    for target, reason in record["skipped_targets"].items():
        console.print(f"skipped {target}: {reason}", highlight=False)
    overall = record["overall"]
    console.print(summary_line({**overall, "n": overall["n_scored"]}), highlight=False)
    warning = warning_text(overall, "pooled")
    if warning:
        console.print(f"[yellow]warning:[/] {warning}", highlight=False)
    u = record.get("usage") or {}
    if u:
        console.print(f"judge calls: {u.get('calls', 0)} sent, {u.get('cached', 0)} cached, "
                      f"{u.get('failed', 0)} failed", highlight=False)


@judge_app.command("calibrate")
def calibrate(
    ctx: typer.Context,
    real: RealOpt = None,
    out: OutOpt = None,
    preset: PresetOpt = None,
    fmt: FormatOpt = None,
    output_from: OutputFromOpt = None,
    skip_invalid: SkipInvalidOpt = False,
    seed: SeedOpt = None,
    items: ItemsOpt = None,
    resamples: ResamplesOpt = None,
    judge_model: JudgeModelOpt = None,
    llm_base_url: BaseUrlOpt = None,
    concurrency: ConcurrencyOpt = None,
    cache: CacheOpt = True,
    structured_output: StructuredOpt = True,
    dry_run: DryRunOpt = False,
    llm_breaker: BreakerOpt = None,
    llm_deadline: DeadlineOpt = None,
    config_file: ConfigOpt = None,
    json_output: JsonOpt = False,
) -> None:
    """Measure the judge against labels built by construction from the real set (kappa, F1, curve)."""
    from synae.run.commands import judge_calibrate_command

    config = command_config(ctx)
    record = judge_calibrate_command(config, progress=not json_output)
    if json_output:
        typer.echo(dumps_strict(record))
        return
    if record.get("dry_run"):
        typer.echo(f"dry run: {record['calls']} judge calls to make ({record['cached']} already cached) for "
                   f"{record['n_items']} labelled items, about {record['prompt_tokens']} prompt + "
                   f"{record['completion_tokens']} completion tokens")
        return
    console = Console()
    _print(record, console)
    console.print(f"written: {record['path']}", highlight=False)


def register(app: typer.Typer) -> None:
    """Add ``synae judge`` (``calibrate``) to the app."""
    app.add_typer(judge_app, name="judge")
