"""`synae validate` — validity verdicts of every trajectory of a dataset (rules and/or LLM judge).

Prints a table of valid / invalid / unscored counts and VR per target (or, with ``--json``, exactly
one object ``{"tool_calls": {"valid", "invalid", "unscored", "rate"}, "output": {...}}`` — ``null``
for a target the preset does not check — plus ``"agreement"`` with ``--known-labels`` and
``"n_skipped"``/``"skipped"`` with ``--skip-invalid`` and ``"judge_calibration"`` (per judged target
the judge's κ on its calibration, ``null`` when none is found) when the judge ran), and writes every
verdict with its reasons to ``--out`` (JSONL). ``--known-labels`` compares the verdicts with known
labels (docs/method.md §6.4). ``--dry-run`` sends nothing and prints how many judge calls (and roughly
how many tokens) the run would make.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

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
    JudgeCalibrationOpt,
    JudgeModelOpt,
    ModeOpt,
    OutputFromOpt,
    PresetOpt,
    SkipInvalidOpt,
    StructuredOpt,
    command_config,
)
from synae.report.console import print_calibration
from synae.run.scoring.validity import ValidityRun
from synae.schema import dumps_strict

TARGETS = ("tool_calls", "output")

CheckerOpt = Annotated[str | None, typer.Option(
    "--validity", help="rules, llm or both (default: the preset's: rules for t1/bfcl/acp, "
                                    "the judge for generic).")]
OutOpt = Annotated[Path | None, typer.Option("--out", help="Write every verdict and its reasons (JSONL).")]
KnownLabelsOpt = Annotated[str | None, typer.Option(
    "--known-labels", help="Known validity labels: a JSON file {id: true|false}, or 'construction' "
                     "(not metadata.generation.modified); reports agreement (F1, Cohen's kappa).")]


def summary(run: ValidityRun) -> dict[str, Any]:
    """The ``--json`` object: counts of the primary checker per target (``null`` when not checked)."""
    out: dict[str, Any] = {}
    for target in TARGETS:
        counts = run.counts(target)  # type: ignore[arg-type]
        out[target] = counts.summary() if counts else None
    return out


def _skipped_json(skipped: dict[str, dict[str, Any]] | None) -> dict[str, Any]:
    """``{"n_skipped": n, "skipped": [first reasons]}`` with ``--skip-invalid``, else ``{}``."""
    if skipped is None:
        return {}
    info = skipped["data"]
    return {"n_skipped": info["n_skipped"], "skipped": info["first"]}


def _print_agreement(found: dict[str, dict[str, Any]], console: Console) -> None:
    table = Table(title="agreement with labels")
    for col in ("target", "checker", "labelled", "coverage", "accuracy", "F1 (valid)", "kappa"):
        table.add_column(col, justify="left" if col in ("target", "checker") else "right", no_wrap=True)

    def fmt(value: float | None) -> str:
        return "—" if value is None else f"{value:.3f}"

    for target, by_kind in found.items():
        for kind, a in by_kind.items():
            table.add_row(target, kind, str(a["n_labelled"]), fmt(a["coverage"]), fmt(a["accuracy"]),
                          fmt(a["f1_valid"]), fmt(a["kappa"]))
    console.print(table)


def _print_table(run: ValidityRun, console: Console) -> None:
    table = Table(title=f"validity (preset {run.preset})")
    table.add_column("target", no_wrap=True)
    table.add_column("checker", no_wrap=True)
    for col in ("valid", "invalid", "unscored", "rate", "coverage"):
        table.add_column(col, justify="right", no_wrap=True)
    reason_lines = []
    for target, kind in run.checked():
        c = run.counts(target, kind)
        assert c is not None
        label = kind + (" (primary)" if len(run.kinds) > 1 and kind == run.primary else "")
        table.add_row(target, label, str(c.valid), str(c.invalid), str(c.unscored),
                      "—" if c.rate is None else f"{c.rate:.3f}",
                      "—" if c.coverage is None else f"{c.coverage:.2f}")
        reasons = {**c.reasons, **c.unscored_reasons}
        if reasons:
            top = ", ".join(f"{k} {v}" for k, v in sorted(reasons.items(), key=lambda kv: -kv[1]))
            reason_lines.append(f"{target} / {kind}: {top}")
    for target, skipped in run.skipped.items():
        for kind, reason in skipped.items():
            table.add_row(target, kind, "", "", "", "—", "—")
            reason_lines.append(f"{target} / {kind}: {reason}")
    console.print(table)
    for line in reason_lines:
        console.print(f"reasons {line}", highlight=False)
    if run.usage:
        u = run.usage
        model = run.judge["model"] if run.judge else ""
        console.print(f"judge {model}: {u['calls']} calls, {u['cached']} cached, "
                      f"{u['failed']} failed, {u['prompt_tokens']} prompt + {u['completion_tokens']} "
                      f"completion tokens", highlight=False)


def validate(
    ctx: typer.Context,
    data: Annotated[Path | None, typer.Argument(help="Dataset file (any format `synae convert` accepts).")]
    = None,
    preset: PresetOpt = None,
    mode: ModeOpt = None,
    fmt: FormatOpt = None,
    output_from: OutputFromOpt = None,
    validity: CheckerOpt = None,
    out: OutOpt = None,
    json_output: JsonOpt = False,
    llm_base_url: BaseUrlOpt = None,
    judge_model: JudgeModelOpt = None,
    concurrency: ConcurrencyOpt = None,
    cache: CacheOpt = True,
    structured_output: StructuredOpt = True,
    dry_run: DryRunOpt = False,
    llm_breaker: BreakerOpt = None,
    llm_deadline: DeadlineOpt = None,
    known_labels: KnownLabelsOpt = None,
    judge_calibration: JudgeCalibrationOpt = None,
    config_file: ConfigOpt = None,
    skip_invalid: SkipInvalidOpt = False,
) -> None:
    """Judge whether each trajectory's tool calls and output are valid (rules and/or an LLM judge)."""
    from synae.run.commands import validate_command

    config = command_config(ctx)
    outcome = validate_command(config, progress=True)
    skipped = _skipped_json(outcome.skipped)
    if outcome.budget is not None:
        b = outcome.budget
        if json_output:
            typer.echo(dumps_strict({**b, **skipped}))
        else:
            typer.echo(f"dry run: {b['calls']} judge calls to make ({b['cached']} already cached), about "
                       f"{b['prompt_tokens']} prompt + {b['completion_tokens']} completion tokens")
            print_skipped(outcome.skipped, Console(stderr=True))
        return
    found = outcome.agreement
    if json_output:
        extra = {"agreement": found} if found is not None else {}
        if outcome.calibration is not None:
            extra["judge_calibration"] = outcome.calibration
        typer.echo(dumps_strict({**summary(outcome.run), **extra, **skipped}))
        return
    console = Console()
    print_skipped(outcome.skipped, console)
    if outcome.note:
        console.print(f"[dim]note:[/] {outcome.note}", highlight=False)
    _print_table(outcome.run, console)
    if found is not None:
        _print_agreement(found, console)
    if outcome.calibration is not None:
        print_calibration(outcome.calibration, console)
    if config.output.out is not None:
        console.print(f"verdicts written to {config.output.out}", highlight=False)


def register(app: typer.Typer) -> None:
    """Add ``validate`` to the app."""
    app.command("validate")(validate)
