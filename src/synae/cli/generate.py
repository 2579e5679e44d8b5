"""`synae generate METHOD` — controlled synthetic datasets from a real one (``generation.md``).

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

from synae.cli.options import FormatOpt, JsonOpt, PresetOpt, SkipInvalidOpt
from synae.config import LLMSettings
from synae.errors import ConfigError
from synae.schema import dumps_strict

HELP = """Generate synthetic datasets from a real one: oversample, invalidate, dropmin, relabel
(LLM-free, reproducible) or blankfill, fewshot (through an OpenAI-compatible model).

--param takes comma-separated values of the method's sweep parameter (oversample: dup_frac;
invalidate: v; dropmin: n_min; blankfill: p; fewshot: k); without it the research grid is used.
--out is a file (one dataset) or a folder (one file per value + manifest.json)."""


def _indices(text: str | None) -> list[int] | None:
    if text is None:
        return None
    try:
        return [int(p) for p in text.split(",") if p.strip()]
    except ValueError:
        raise ConfigError(f"--dup-indices must be comma-separated integers, got {text!r}") from None


def _frac_or_none(text: str | None) -> float | None:
    if text is None:
        return None
    try:
        return float(text)
    except ValueError:
        raise ConfigError(f"--frac must be a number, got {text!r}") from None


def generate(
    method: Annotated[str, typer.Argument(
        help="oversample, invalidate, dropmin, relabel, blankfill or fewshot.")],
    input_path: Annotated[Path, typer.Option(
        "--input", "-i", help="The real dataset (any supported format).")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Output file (.jsonl, .csv, .json) or folder.")],
    param: Annotated[str | None, typer.Option("--param", help="Sweep value(s), comma-separated.")] = None,
    seed: Annotated[int, typer.Option("--seed", help="Seed of numpy.random.default_rng.")] = 123,
    preset: PresetOpt = None,
    mode: Annotated[str, typer.Option(
        "--mode", help="'default' (corrected) or 'reference' (research behaviour).")] = "default",
    from_format: FormatOpt = None,
    answers: Annotated[Path | None, typer.Option("--answers", help="BFCL ground-truth file.")] = None,
    sort: Annotated[str, typer.Option("--sort", help="Input order: none, int_id or str_id.")] = "none",
    skip_invalid: SkipInvalidOpt = False,
    out_format: Annotated[str | None, typer.Option(
        "--format", help="canonical, t1-csv, acp-csv or bfcl (default: from the --out suffix).")] = None,
    target: Annotated[str | None, typer.Option(
        "--target", help="invalidate: tool_calls or output (T1), tool_calls (BFCL), answer (ACP).")] = None,
    attribute: Annotated[str | None, typer.Option(
        "--attribute", help="dropmin/relabel: T1 type, BFCL secondary_api, ACP domain (default).")] = None,
    frac: Annotated[str | None, typer.Option(
        "--frac", help="dropmin/relabel: share dropped per value.")] = None,
    replace: Annotated[bool | None, typer.Option(
        "--replace/--no-replace", help="Sample with replacement (default: the --mode's choice).")] = None,
    dup_indices: Annotated[str | None, typer.Option(
        "--dup-indices", help="oversample: positions to duplicate (default 0).")] = None,
    model: Annotated[str | None, typer.Option(
        "--model", help="LLM generators: the generator model.")] = None,
    llm_base_url: Annotated[str | None, typer.Option(
        "--llm-base-url", help="OpenAI-compatible endpoint (default $OPENAI_BASE_URL).")] = None,
    temperature: Annotated[float | None, typer.Option(
        "--temperature", help="Sampling temperature (blankfill 0.2, fewshot 0.5).")] = None,
    max_tokens: Annotated[int, typer.Option("--max-tokens", help="Reply length limit.")] = 1024,
    concurrency: Annotated[int, typer.Option("--concurrency", help="LLM requests in flight.")] = 8,
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
        "--complete-with", help="Agent model that adds tool calls and outputs (generation.md §7).")] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="LLM: count requests, send none.")] = False,
    json_out: JsonOpt = False,
) -> None:
    """Generate synthetic datasets (see `synae generate --help`)."""
    from synae.adapters import load_dataset
    from synae.generate.common import dataset_kind
    from synae.generate.llm_support import LLMOptions
    from synae.generate.output import resolve_format, write_generated
    from synae.generate.registry import get_method, parse_values, run_sweep

    chosen = get_method(method)
    dataset = load_dataset(input_path, from_format, answers=answers, preset=preset, sort=sort,
                           skip_invalid=skip_invalid)
    benchmark = dataset_kind(dataset, preset)
    fmt = resolve_format(benchmark, out, out_format)
    values = parse_values(chosen, param, benchmark)
    options: dict[str, Any] = {
        "seed": seed, "mode": mode, "target": target, "attribute": attribute, "frac": _frac_or_none(frac),
        "replace": replace, "dup_indices": _indices(dup_indices), "examples": examples, "n_out": n_out,
        "condition_on": condition_on, "llm_at_p0": llm_at_p0, "drop_empty": drop_empty,
    }
    llm = None
    if chosen.llm or complete_with:
        settings = LLMSettings(base_url=llm_base_url, concurrency=concurrency, dry_run=dry_run)
        llm = LLMOptions(model=model or "", temperature=temperature, max_tokens=max_tokens, settings=settings)
        if chosen.llm:
            options["llm"] = llm
    items = run_sweep(chosen, dataset, values, options=options, preset=preset)
    if complete_with:
        from synae.generate.completion import complete

        assert llm is not None
        for item in items:
            item.dataset = complete(item.dataset, complete_with, llm=llm, benchmark=benchmark)
            item.meta["completion"] = {"model": complete_with}
    written, manifest = write_generated(items, out, fmt)
    report = {"method": chosen.name, "benchmark": benchmark, "input": str(input_path), "n_in": len(dataset),
              "format": fmt, "manifest": str(manifest) if manifest else None,
              "datasets": [{"name": w.name, "value": w.value, "files": [str(f) for f in w.files],
                            "counts": w.counts} for w in written]}
    if json_out:
        typer.echo(dumps_strict(report))
        return
    _print(report, llm_instructions_only=chosen.llm and not complete_with and benchmark != "acp")


def _print(report: dict[str, Any], *, llm_instructions_only: bool) -> None:
    console = Console()
    table = Table(title=f"synae generate {report['method']} ({report['benchmark']}, n = {report['n_in']})")
    for column in ("file", "value", "n", "modified", "distinct sources", "parse errors"):
        table.add_column(column)
    for d in report["datasets"]:
        c = d["counts"]
        table.add_row(Path(d["files"][0]).name, "" if d["value"] is None else f"{d['value']:g}",
                      str(c["n_out"]), str(c["n_modified"]), str(c["n_distinct_sources"]),
                      str(c["n_parse_errors"]))
    console.print(table)
    if report["manifest"]:
        console.print(f"manifest: {report['manifest']}")
    if llm_instructions_only:
        console.print("note: the generated trajectories hold instructions only; add tool calls and outputs "
                      "with --complete-with MODEL")


def register(app: typer.Typer) -> None:
    """Add ``synae generate``."""
    app.command("generate", help=HELP)(generate)
