"""`synae inspect` — counts and distributions of a dataset (a rich table, or one JSON object)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from synae.cli.messages import print_skipped
from synae.cli.options import (
    AttributeFieldOpt,
    ConfigOpt,
    FormatOpt,
    JsonOpt,
    ModeOpt,
    OutputFromOpt,
    PresetOpt,
    SkipInvalidOpt,
    command_config,
)
from synae.errors import ConfigError
from synae.examples import EXAMPLES, example_path
from synae.run.inspection import inspect_input
from synae.schema import dumps_strict

TOP_VALUES = 15


def _print_tables(stats: dict[str, Any], console: Console) -> None:
    summary = Table(title=f"{stats['name']} ({stats['format']}, preset {stats['preset']})")
    summary.add_column("count")
    summary.add_column("value", justify="right")
    rows = [("trajectories", stats["n"]), *((f"{r} messages", n) for r, n in stats["messages"].items()),
            ("tool calls", stats["tool_calls"]), ("unparsed tool-call code", stats["unparsed_tool_calls"]),
            *((("model calls not captured", stats["not_captured"]),) if stats["not_captured"] else ()),
            ("distinct tools", len(stats["tool_names"])), ("with output", stats["with_output"]),
            ("skipped records", stats["n_skipped"]), ("warnings", stats["warnings"])]
    for label, value in rows:
        summary.add_row(label, str(value))
    console.print(summary)
    if stats["tool_names"]:
        tools = Table(title="tool calls by name")
        tools.add_column("tool")
        tools.add_column("calls", justify="right")
        for name, count in list(stats["tool_names"].items())[:TOP_VALUES]:
            tools.add_row(name, str(count))
        console.print(tools)
    if stats["numeric"]:
        num = Table(title="numeric attributes")
        for col in ("attribute", "n", "mean", "min", "max"):
            num.add_column(col, justify="left" if col == "attribute" else "right")
        for name, s in stats["numeric"].items():
            num.add_row(name, str(s["n"]), f"{s['mean']:.2f}", f"{s['min']:g}", f"{s['max']:g}")
        console.print(num)
    for name, counts in stats["attributes"].items():
        table = Table(title=f"attribute {name}")
        table.add_column("value")
        table.add_column("count", justify="right")
        for value, count in list(counts.items())[:TOP_VALUES]:
            table.add_row(value, str(count))
        if len(counts) > TOP_VALUES:
            table.add_row(f"… {len(counts) - TOP_VALUES} more", "")
        console.print(table)


def inspect(
    ctx: typer.Context,
    data: Annotated[Path | None, typer.Argument(help="Dataset file (any format `synae convert` accepts).")]
    = None,
    example: Annotated[str | None, typer.Option(
        "--example", help=f"A bundled example: {', '.join(EXAMPLES)}.")] = None,
    fmt: FormatOpt = None,
    answers: Annotated[Path | None, typer.Option("--answers", help="BFCL ground-truth file.")] = None,
    preset: PresetOpt = None,
    mode: ModeOpt = None,
    json_output: JsonOpt = False,
    skip_invalid: SkipInvalidOpt = False,
    output_from: OutputFromOpt = None,
    attribute_fields: AttributeFieldOpt = None,
    config_file: ConfigOpt = None,
) -> None:
    """Show counts (messages, tool calls, tools) and attribute distributions of DATA."""
    config = command_config(ctx)
    data, example = config.inputs.data, config.inputs.example
    if example is not None and data is None:
        path = example_path(example)
    elif data is not None and example is None:
        path = data
    else:
        raise ConfigError("give either a DATA file or --example NAME")
    stats, dataset = inspect_input(path, config, name=example or None)
    if json_output:
        typer.echo(dumps_strict(stats))
        return
    console = Console()
    _print_tables(stats, console)
    if config.inputs.skip_invalid:
        print_skipped({stats["name"]: {"n_skipped": dataset.n_skipped, "first": stats["skipped"]}}, console)


def register(app: typer.Typer) -> None:
    """Add ``inspect`` to the app."""
    app.command("inspect")(inspect)
