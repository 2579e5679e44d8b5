"""`synae convert` — any supported input → canonical JSONL (or one of the research's flat formats)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from synae.adapters.export import EXPORT_FORMATS, bfcl_answers_path, write_dataset
from synae.cli.messages import print_skipped
from synae.cli.options import FormatOpt, PresetOpt, SkipInvalidOpt
from synae.errors import ConfigError
from synae.run.commands import check_not_all_skipped, skipped_records
from synae.run.data import load_dataset


def parse_columns(items: list[str] | None) -> dict[str, str] | None:
    """``KEY=COLUMN`` pairs (transcript tables) as a dict; ``attributes`` takes a comma list."""
    if not items:
        return None
    out: dict[str, object] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise ConfigError(f"--column expects KEY=COLUMN, got {item!r}")
        key = key.strip()
        out[key] = [v.strip() for v in value.split(",") if v.strip()] if key == "attributes" else value
    return out  # type: ignore[return-value]


def convert(
    input: Annotated[Path, typer.Argument(
        help="Input file (canonical/OpenAI JSONL, transcript table, T1, BFCL, ACP).")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Output file.")],
    fmt: FormatOpt = None,
    to: Annotated[str, typer.Option("--to", help=f"Output format: {', '.join(EXPORT_FORMATS)}.")
                  ] = "canonical",
    answers: Annotated[Path | None, typer.Option("--answers", help="BFCL ground-truth file.")] = None,
    preset: PresetOpt = None,
    sort: Annotated[str, typer.Option("--sort", help="Order: none (file order), int_id or str_id.")] = "none",
    column: Annotated[list[str] | None, typer.Option(
        "--column", help="Transcript-table column, KEY=NAME (keys: id, transcript, tool_calls, output, "
                         "attributes=a,b). Repeatable.")] = None,
    skip_invalid: SkipInvalidOpt = False,
) -> None:
    """Convert INPUT to canonical JSONL (or --to t1-csv | bfcl | acp-csv)."""
    if to not in EXPORT_FORMATS:
        raise ConfigError(f"--to must be one of {', '.join(EXPORT_FORMATS)}, got {to!r}")
    dataset = load_dataset(input, fmt, answers=answers, preset=preset, skip_invalid=skip_invalid, sort=sort,
                           columns=parse_columns(column))
    check_not_all_skipped(dataset, input)
    n = write_dataset(dataset, out, to)
    console = Console(stderr=True)
    where = f"{out} and {bfcl_answers_path(out)}" if to == "bfcl" else str(out)
    console.print(f"wrote {n} trajectories ({dataset.format} → {to}) to {where}", highlight=False)
    if skip_invalid:
        print_skipped(skipped_records({str(input): dataset}), console)
    if dataset.warnings:
        console.print(f"{len(dataset.warnings)} warning(s); first: {dataset.warnings[0]}", highlight=False)


def register(app: typer.Typer) -> None:
    """Add ``convert`` to the app."""
    app.command("convert")(convert)
