"""The ``synae`` command: builds the typer app from one module per command group.

Every command module exposes ``register(app)``. Errors that synae raises on purpose
(:class:`synae.errors.SynaeError`) are printed as one clear line and exit with status 2.
"""

from __future__ import annotations

import importlib
import sys

import typer
from rich.console import Console

from synae import __version__
from synae.errors import SynaeError

COMMAND_MODULES = (
    "inspect", "convert", "download", "evaluate", "validate", "downstream", "generate", "report",
    "quickstart",
)

app = typer.Typer(
    name="synae",
    help="Evaluate synthetic tool-calling agent trajectories against real ones: "
         "validity, fidelity and diversity.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"synae {__version__}")
        raise typer.Exit()


@app.callback()
def _root(version: bool = typer.Option(False, "--version", callback=_version, is_eager=True,
                                       help="Show the version and exit.")) -> None:
    """synae: validity, fidelity and diversity of synthetic agent trajectories."""


for _name in COMMAND_MODULES:
    importlib.import_module(f"synae.cli.{_name}").register(app)


def main() -> None:
    """Console entry point."""
    try:
        app()
    except SynaeError as exc:
        Console(stderr=True).print(f"[bold red]error:[/] {exc}", highlight=False, soft_wrap=True)
        sys.exit(2)


if __name__ == "__main__":
    main()
