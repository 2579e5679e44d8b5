"""The ``synae`` command: builds the typer app from one module per command group.

Every command module exposes ``register(app)``. Errors that synae raises on purpose are printed as
one clear line (``error: …``) with an exit status per kind (:data:`EXIT_CODES`, documented in
``docs/configuration.md``):

- 2: bad input or configuration (:class:`synae.errors.SynaeError`);
- 4: the LLM endpoint cannot serve the run (:class:`synae.errors.LLMFatalError`: bad key, unknown
  model, wrong URL, no replies, deadline passed, every LLM item unscored); replies already received
  stay cached, so re-running the same command resumes from them;
- 5: the compute executor failed mid-run (:class:`synae.errors.ExecutorError`: a Ray embedding
  actor died again after its one retry).

``synae gate`` has its own codes (1 failed threshold, 3 missing metric).
"""

from __future__ import annotations

import importlib
import sys
from typing import Any

import typer
import typer.core
from rich.console import Console
from rich.markup import escape

from synae import __version__
from synae.errors import ExecutorError, LLMFatalError, SynaeError

EXIT_BAD_INPUT = 2
EXIT_LLM_FATAL = 4
EXIT_EXECUTOR = 5

COMMAND_MODULES = (
    "inspect", "convert", "download", "evaluate", "validate", "downstream", "generate", "report",
    "quickstart", "judge", "export_otel", "calibrate",
)

_option_type = typer.core.TyperOption.display_type_rich


def _flag_type(option: typer.core.TyperOption, ctx: Any) -> str | None:
    """The value type a help page shows next to an option, none for a flag (``--json``,
    ``--cache/--no-cache``, ``--help``): a flag takes no value, yet typer shows ``<bool>``."""
    return None if option.is_flag else _option_type(option, ctx)


typer.core.TyperOption.display_type_rich = _flag_type  # type: ignore[method-assign,assignment]

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
    except LLMFatalError as exc:
        resume = "" if "cached" in str(exc) else "; replies received are cached, a re-run resumes from them"
        _fail(f"LLM {exc.kind.replace('_', ' ')}: {exc}{resume}", EXIT_LLM_FATAL)
    except ExecutorError as exc:
        _fail(str(exc), EXIT_EXECUTOR)
    except SynaeError as exc:
        _fail(str(exc), EXIT_BAD_INPUT)


def _fail(message: str, code: int) -> None:
    """Print ``error: message`` (no markup in ``message`` is interpreted) and exit with ``code``."""
    Console(stderr=True).print(f"[bold red]error:[/] {escape(message)}", highlight=False, soft_wrap=True)
    sys.exit(code)


if __name__ == "__main__":
    main()
