"""`synae validate` — validity verdicts of every trajectory of a dataset (rules and/or LLM judge).

Prints a table of valid / invalid / unscored counts and VR per target (or, with ``--json``, exactly
one object ``{"tool_calls": {"valid", "invalid", "unscored", "rate"}, "output": {...}}`` — ``null``
for a target the preset does not check — plus ``"agreement"`` with ``--labels``), and writes every
verdict with its reasons to ``--out`` (JSONL). ``--labels`` compares the verdicts with known labels
(§1.6). ``--dry-run`` sends nothing and prints how many judge calls (and roughly how many tokens)
the run would make.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from synae.adapters import load_dataset
from synae.cli.options import ConfigOpt, FormatOpt, JsonOpt, ModeOpt, PresetOpt, SkipInvalidOpt
from synae.config import Config, load_config
from synae.llm.client import LLMClient
from synae.presets import detect_preset
from synae.schema import dumps_strict
from synae.validity.agreement import agreement, construction_labels, read_labels
from synae.validity.run import ValidityRun, checker_kinds, run_validity

TARGETS = ("tool_calls", "output")

CheckerOpt = Annotated[str | None, typer.Option(
    "--checker", help="rules, llm or both (default: the preset's: rules for t1/bfcl, judge for generic).")]
OutOpt = Annotated[Path | None, typer.Option("--out", help="Write every verdict and its reasons (JSONL).")]
BaseUrlOpt = Annotated[str | None, typer.Option(
    "--llm-base-url", help="OpenAI-compatible endpoint of the judge (default: $OPENAI_BASE_URL).")]
JudgeModelOpt = Annotated[str | None, typer.Option("--judge-model", help="Judge model name.")]
DryRunOpt = Annotated[bool, typer.Option("--dry-run", help="Count the judge calls and tokens; send nothing.")]
LabelsOpt = Annotated[str | None, typer.Option(
    "--labels", help="Known validity labels: a JSON file {id: true|false}, or 'construction' "
                     "(not metadata.generation.modified); reports agreement (F1, Cohen's kappa).")]
ConcurrencyOpt = Annotated[int | None, typer.Option("--concurrency", min=1,
                                                    help="Judge requests in flight.")]


def write_verdicts(run: ValidityRun, path: Path) -> int:
    """One JSON line per verdict (trajectory, target, checker kind); returns the number written."""
    path.parent.mkdir(parents=True, exist_ok=True)
    n = 0
    with path.open("w", encoding="utf-8") as fh:
        for target, by_kind in run.verdicts.items():
            for kind, verdicts in by_kind.items():
                for verdict in verdicts:
                    row = {"trajectory_id": verdict.trajectory_id, "target": target, "kind": kind,
                           **verdict.model_dump(mode="json", exclude={"trajectory_id", "target"})}
                    fh.write(json.dumps(row, ensure_ascii=False) + "\n")
                    n += 1
    return n


def summary(run: ValidityRun) -> dict[str, Any]:
    """The ``--json`` object: counts of the primary checker per target (``null`` when not checked)."""
    out: dict[str, Any] = {}
    for target in TARGETS:
        counts = run.counts(target)  # type: ignore[arg-type]
        out[target] = counts.summary() if counts else None
    return out


def agreement_summary(run: ValidityRun, labels: dict[str, bool]) -> dict[str, dict[str, Any]]:
    """Agreement with ``labels`` per target and checker kind (§1.6)."""
    return {target: {kind: agreement(verdicts, labels) for kind, verdicts in by_kind.items()}
            for target, by_kind in run.verdicts.items()}


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
    for target, by_kind in run.verdicts.items():
        for kind in by_kind:
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
    for target, by_kind in run.skipped.items():
        for kind, reason in by_kind.items():
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


def _dry_run(dataset: Any, preset: str, config: Config, checker: str | None, json_output: bool) -> None:
    kinds, _ = checker_kinds(preset, config, checker)
    client = LLMClient(config.llm, progress=False)
    if "judge" in kinds:
        run_validity(dataset, preset, config, "llm", client=client, progress=False)
    u = client.usage
    budget = {"dry_run": True, "calls": u.estimated_calls, "cached": u.cached,
              "prompt_tokens": u.estimated_prompt_tokens, "completion_tokens": u.estimated_completion_tokens}
    if json_output:
        typer.echo(dumps_strict(budget))
    else:
        typer.echo(f"dry run: {budget['calls']} judge calls to make ({budget['cached']} already cached), "
                   f"about {budget['prompt_tokens']} prompt + {budget['completion_tokens']} completion "
                   "tokens")


def validate(
    data: Annotated[Path, typer.Argument(help="Dataset file (any format `synae convert` accepts).")],
    preset: PresetOpt = None,
    mode: ModeOpt = "default",
    fmt: FormatOpt = None,
    checker: CheckerOpt = None,
    out: OutOpt = None,
    json_output: JsonOpt = False,
    llm_base_url: BaseUrlOpt = None,
    judge_model: JudgeModelOpt = None,
    dry_run: DryRunOpt = False,
    concurrency: ConcurrencyOpt = None,
    labels: LabelsOpt = None,
    config_file: ConfigOpt = None,
    skip_invalid: SkipInvalidOpt = False,
) -> None:
    """Judge whether each trajectory's tool calls and output are valid (rules and/or an LLM judge)."""
    llm = {"base_url": llm_base_url, "concurrency": concurrency, "dry_run": dry_run or None}
    config = load_config(config_file, mode=mode, preset=preset,
                         llm={k: v for k, v in llm.items() if v is not None},
                         judge={"model": judge_model} if judge_model else {})
    dataset = load_dataset(data, fmt, preset=preset, skip_invalid=skip_invalid)
    chosen = config.preset or detect_preset(dataset)
    if dry_run:
        _dry_run(dataset, chosen, config, checker, json_output)
        return
    known = None
    if labels is not None:
        known = construction_labels(dataset.trajectories) if labels == "construction" else read_labels(labels)
    run = run_validity(dataset, chosen, config, checker, progress=True)
    if out is not None:
        write_verdicts(run, out)
    found = agreement_summary(run, known) if known is not None else None
    if json_output:
        typer.echo(dumps_strict({**summary(run), **({"agreement": found} if found is not None else {})}))
        return
    console = Console()
    _print_table(run, console)
    if found is not None:
        _print_agreement(found, console)
    if out is not None:
        console.print(f"verdicts written to {out}", highlight=False)


def register(app: typer.Typer) -> None:
    """Add ``validate`` to the app."""
    app.command("validate")(validate)
