"""``synae export-otel RESULTS... --out FILE``: verdicts, privacy flags and pillar scores as
OpenTelemetry GenAI evaluation events (``gen_ai.evaluation.result``) in one OTLP/JSON logs document
(:mod:`synae.report.otel_events`), ready to ``POST`` to a collector's ``/v1/logs``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from synae.report.otel_events import write_evaluation_logs


def export_otel(
    results: Annotated[list[Path], typer.Argument(
        help="Verdict files (`synae validate --out`) and/or results JSONs (`synae evaluate`/`compare`).")],
    out: Annotated[Path, typer.Option("--out", "-o", help="The OTLP/JSON logs file to write.")],
) -> None:
    """Write validity verdicts, privacy flags and pillar scores as OpenTelemetry evaluation events."""
    n = write_evaluation_logs(results, out)
    typer.echo(f"{n} evaluation events written to {out}")


def register(app: typer.Typer) -> None:
    """Add ``export-otel`` to the app."""
    app.command("export-otel")(export_otel)
