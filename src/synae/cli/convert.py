"""`synae convert` — any supported input → canonical JSONL (or one of the research's flat formats).

JSON Lines(.gz) of canonical, OpenAI chat or ShareGPT records to canonical JSON Lines without
``--sort`` streams: one chunk in memory at a time
(:func:`synae.run.inputs.streaming.stream_trajectories`), written atomically
(:func:`synae.schema.write_jsonl`), schema warnings counted with only the first kept. Every other
conversion loads the dataset whole.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, cast

import typer
from rich.console import Console

from synae.adapters import OutputFrom
from synae.adapters.common import source_of
from synae.adapters.export import EXPORT_FORMATS, export_writer, write_dataset
from synae.cli.messages import print_skipped
from synae.cli.options import FormatOpt, OutputFromOpt, PresetOpt, SkipInvalidOpt
from synae.config import Config
from synae.errors import ConfigError
from synae.run.commands import skipped_records
from synae.run.inputs.data import check_not_all_skipped, load_dataset
from synae.run.inputs.streaming import StreamHeader, chunked, stream_trajectories, streaming_format
from synae.schema import Dataset, Trajectory, write_jsonl


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


def _streamed(path: Path, fmt: str, counted: StreamHeader, *, skip_invalid: bool, output_from: str | None,
              preset: str | None, answers: Path | None) -> Iterator[Trajectory]:
    """The trajectories of ``path`` (:func:`stream_trajectories`), ``counted`` drained as they pass;
    raises when every record was skipped (:func:`chunked`), so no file is written."""
    read = stream_trajectories(path, fmt, skip_invalid=skip_invalid, output_from=output_from, preset=preset,
                               answers=answers, dataset=counted.header)
    for chunk in chunked(read, counted):
        yield from chunk


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
    output_from: OutputFromOpt = None,
) -> None:
    """Convert INPUT to canonical JSONL (or --to t1-csv | bfcl | acp-csv)."""
    if to not in EXPORT_FORMATS:
        raise ConfigError(f"--to must be one of {', '.join(EXPORT_FORMATS)}, got {to!r}")
    rule = cast("OutputFrom | None", output_from)  # checked by the readers
    streamed = streaming_format(input, Config(inputs={"format": fmt, "sort": sort}))
    if to == "canonical" and column is None and streamed is not None:
        source = source_of(input)
        dataset = Dataset(trajectories=[], name=source.default_name, source=source.label, format=streamed)
        counted = StreamHeader(dataset)
        n = write_jsonl(_streamed(input, streamed, counted, skip_invalid=skip_invalid, output_from=rule,
                                  preset=preset, answers=answers), out)
    else:
        dataset = load_dataset(input, fmt, answers=answers, preset=preset, skip_invalid=skip_invalid,
                               sort=sort, columns=parse_columns(column), output_from=rule)
        check_not_all_skipped(dataset, input)
        n = write_dataset(dataset, out, to)
        counted = StreamHeader(dataset)
        counted.drain()
    console = Console(stderr=True)
    where = " and ".join(str(path) for path in export_writer(to).files(Path(out)))
    console.print(f"wrote {n} trajectories ({dataset.format} → {to}) to {where}", highlight=False)
    if skip_invalid:
        print_skipped(skipped_records({str(input): dataset}), console)
    if counted.n_warnings:
        console.print(f"{counted.n_warnings} warning(s); first: {counted.first_warning}", highlight=False)


def register(app: typer.Typer) -> None:
    """Add ``convert`` to the app."""
    app.command("convert")(convert)
