"""`synae download` — fetch benchmark files from their public sources."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from synae.download import BENCHMARKS, download


def download_command(
    benchmark: Annotated[str, typer.Argument(help=f"Benchmark: {', '.join(BENCHMARKS)}.")],
    dest: Annotated[Path, typer.Option("--dest", help="Folder to write into (e.g. the data folder).")],
    base_url: Annotated[str | None, typer.Option(
        "--base-url", help="Mirror replacing the source's base URL.")] = None,
) -> None:
    """Download BENCHMARK's files into DEST (BFCL: gorilla repo; ACP: Hugging Face; T1: Hugging Face)."""
    result = download(benchmark, dest, base_url=base_url)
    console = Console()
    for path in result.files:
        console.print(str(path), highlight=False)
    Console(stderr=True).print(f"downloaded {len(result.files)} file(s) for {result.benchmark}",
                               highlight=False)


def register(app: typer.Typer) -> None:
    """Add ``download`` to the app."""
    app.command("download")(download_command)
