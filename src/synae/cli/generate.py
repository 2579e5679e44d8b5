"""`synae generate METHOD` — controlled synthetic datasets from a real one (``docs/method.md``).

Examples::

    synae generate oversample --input t1_attraction_turns_with_output.csv --sort int_id \\
        --param 0.1,0.3,0.5 --out runs/oversample/
    synae generate invalidate --input t1_attraction_augmented_valid.csv --target output \\
        --param 0.5 --out runs/invalidate_frac0_5.csv
    synae generate relabel --input t1_attraction_augmented_valid.csv --out runs/case_study/ --format t1-csv
    synae generate fewshot --input acp_app_prog.csv --param 3 --examples random \\
        --model gpt-4o-mini --llm-base-url http://localhost:8000/v1 --out runs/fewshot/
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
    ModeOpt,
    OutputFromOpt,
    PresetOpt,
    SeedOpt,
    SkipInvalidOpt,
    StructuredOpt,
    command_config,
)
from synae.schema import dumps_strict

HELP = """Generate synthetic datasets from a real one: oversample, invalidate, dropmin, relabel
(LLM-free, reproducible) or blankfill, fewshot (through an OpenAI-compatible model).

--param takes comma-separated values of the method's sweep parameter (oversample: dup_frac;
invalidate: v; dropmin: n_min; blankfill: p; fewshot: k); without it the research grid is used.
--out is a file (one dataset) or a folder (one file per value + manifest.json)."""


def generate(
    ctx: typer.Context,
    method: Annotated[str | None, typer.Argument(
        help="oversample, invalidate, dropmin, relabel, blankfill or fewshot.")] = None,
    input_path: Annotated[Path | None, typer.Option(
        "--input", "-i", "--real", help="The real dataset (any supported format).")] = None,
    out: Annotated[Path | None, typer.Option(
        "--out", "-o", help="Output file (.jsonl, .csv, .json) or folder.")] = None,
    param: Annotated[str | None, typer.Option("--param", help="Sweep value(s), comma-separated.")] = None,
    seed: SeedOpt = None,
    preset: PresetOpt = None,
    mode: ModeOpt = None,
    fmt: FormatOpt = None,
    output_from: OutputFromOpt = None,
    answers: Annotated[Path | None, typer.Option("--answers", help="BFCL ground-truth file.")] = None,
    sort: Annotated[str | None, typer.Option("--sort", help="Input order: none, int_id or str_id.")] = None,
    skip_invalid: SkipInvalidOpt = False,
    out_format: Annotated[str | None, typer.Option(
        "--format", help="canonical, t1-csv, acp-csv or bfcl (default: from the --out suffix).")] = None,
    target: Annotated[str | None, typer.Option(
        "--target", help="invalidate: tool_calls or output (T1), tool_calls (BFCL), answer (ACP).")] = None,
    attribute: Annotated[str | None, typer.Option(
        "--attribute", help="dropmin/relabel: T1 type, BFCL secondary_api, ACP domain (default); "
                            "generic: a categorical attribute, e.g. tools_used.")] = None,
    frac: Annotated[float | None, typer.Option(
        "--frac", help="dropmin/relabel: share dropped per value.")] = None,
    replace: Annotated[bool | None, typer.Option(
        "--replace/--no-replace", help="Sample with replacement (default: the --mode's choice).")] = None,
    dup_indices: Annotated[list[int] | None, typer.Option(
        "--dup-indices", help="oversample: a position to duplicate (default 0); repeatable.")] = None,
    model: Annotated[str | None, typer.Option(
        "--model", help="LLM generators: the generator model.")] = None,
    llm_base_url: BaseUrlOpt = None,
    concurrency: ConcurrencyOpt = None,
    cache: CacheOpt = True,
    judge_model: JudgeModelOpt = None,
    structured_output: StructuredOpt = True,
    llm_breaker: BreakerOpt = None,
    llm_deadline: DeadlineOpt = None,
    config_file: ConfigOpt = None,
    temperature: Annotated[float | None, typer.Option(
        "--temperature", help="Sampling temperature (blankfill 0.2, fewshot 0.5).")] = None,
    max_tokens: Annotated[int | None, typer.Option("--max-tokens", help="Reply length limit (1024).")] = None,
    examples: Annotated[str | None, typer.Option(
        "--examples", help="fewshot: 'fixed' (drawn once) or 'random' (per output).")] = None,
    n_out: Annotated[int | None, typer.Option(
        "--n-out", help="fewshot: trajectories to generate.")] = None,
    condition_on: Annotated[str | None, typer.Option(
        "--condition-on", help="fewshot (T1): attribute to condition on, e.g. type.")] = None,
    llm_at_p0: Annotated[bool | None, typer.Option(
        "--llm-at-p0/--no-llm-at-p0", help="blankfill: call the LLM even at p = 0.")] = None,
    drop_empty: Annotated[bool | None, typer.Option(
        "--drop-empty/--keep-empty", help="LLM generators: drop replies without usable content.")] = None,
    complete_with: Annotated[str | None, typer.Option(
        "--complete-with", help="Agent model that adds tool calls and outputs "
                                  "(docs/method.md §8.8).")] = None,
    dry_run: DryRunOpt = False,
    json_output: JsonOpt = False,
) -> None:
    """Generate synthetic datasets (see `synae generate --help`)."""
    from synae.run.generation import generate_command

    run = generate_command(command_config(ctx))
    if json_output:
        typer.echo(dumps_strict(run.summary()))
        return
    _print(run.summary(), llm_instructions_only=run.instructions_only)


def _print(report: dict[str, Any], *, llm_instructions_only: bool) -> None:
    console = Console()
    table = Table(title=f"synae generate {report['method']} ({report['benchmark']}, n = {report['n_in']})")
    for column in ("file", "value", "n", "modified", "distinct sources", "parse errors", "duplicates"):
        table.add_column(column)
    for d in report["datasets"]:
        c = d["counts"]
        table.add_row(Path(d["files"][0]).name, "" if d["value"] is None else f"{d['value']:g}",
                      str(c["n_out"]), str(c["n_modified"]), str(c["n_distinct_sources"]),
                      str(c["n_parse_errors"]), str(c.get("n_duplicates", 0)))
    console.print(table)
    for d in report["datasets"]:
        completion = d.get("completion") or {}
        if completion.get("n_failed"):
            first = completion["failures"][0]
            console.print(f"warning: {Path(d['files'][0]).name}: {completion['n_failed']} of "
                          f"{d['counts']['n_out']} trajectories ended with agent errors during "
                          f"--complete-with (first, {first['id']}: {first['error']}; all counted in "
                          f"{d['sidecar']})", highlight=False)
    if report["manifest"]:
        console.print(f"manifest: {report['manifest']}")
    if llm_instructions_only:
        console.print("note: the generated trajectories hold instructions only; add tool calls and outputs "
                      "with --complete-with MODEL")


def register(app: typer.Typer) -> None:
    """Add ``synae generate``."""
    app.command("generate", help=HELP)(generate)
