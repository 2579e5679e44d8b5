"""`synae calibrate` — how each pillar score responds to known damage of the real set itself.

Writes ``OUT/calibration.json`` (the curves: per pillar, the score at each damage strength with
its min–max band over seeds, and a check that each curve falls) and ``OUT/calibration.html`` (one
small plot per pillar). ``synae evaluate``/``compare --calibration OUT`` then place every synthetic
set on these curves.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich import box
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from synae.cli.options import (
    AttributeFieldOpt,
    ConfigOpt,
    DeviceOpt,
    EmbedderOpt,
    EmbeddingsOpt,
    ExecutorOpt,
    FormatOpt,
    JsonOpt,
    MetricsOpt,
    ModeOpt,
    OutputFromOpt,
    PresetOpt,
    RayAddressOpt,
    RealOpt,
    RepeatsOpt,
    SeedOpt,
    SkipInvalidOpt,
    StrengthsOpt,
    ValidityOpt,
    command_config,
)


def _score(value: object) -> str:
    return f"{value:.2f}" if isinstance(value, float) else "—"


def curves_table(record: dict[str, object]) -> Table:
    """One row per curve: pillar, target, generator, the score at each strength, and its check."""
    from synae.run.scoring.calibration import curve_points

    strengths = list(record["config"]["strengths"])  # type: ignore[index]
    table = Table(title="calibration: pillar score by damage strength (mean over seeds)",
                  caption="flat: the score does not fall by the required margin; rises: it rises "
                          "beyond its noise (see the warnings)", box=box.SIMPLE_HEAD, pad_edge=False)
    for column in ("pillar", "target", "damage"):
        table.add_column(column, no_wrap=True)
    for s in strengths:
        table.add_column(f"{s:g}", justify="right", no_wrap=True, min_width=4)
    table.add_column("check", no_wrap=True, min_width=5)
    checks = {(c["pillar"], c["generator"], c["target"]): c for c in record["checks"]}  # type: ignore[attr-defined]
    for curve, points in curve_points(record["curves"]).items():  # type: ignore[arg-type]
        by_strength = {float(p["strength"]): p.get("score") for p in points}
        check = checks.get((curve.pillar, curve.generator, curve.target), {})
        verdict = ("[green]falls[/]" if not check.get("problem") else
                   "[red]flat[/]" if not check.get("falls") else "[red]rises[/]")
        table.add_row(curve.pillar, curve.target or "—", curve.generator,
                      *[_score(by_strength.get(float(s))) for s in strengths], verdict)
    return table


def register(app: typer.Typer) -> None:
    """Add ``synae calibrate``."""

    @app.command("calibrate")
    def calibrate_cmd(
        ctx: typer.Context,
        real: RealOpt = None,
        out: Annotated[Path | None, typer.Option(
            "--out", help="Output folder (calibration.json, calibration.html).")] = None,
        preset: PresetOpt = None,
        mode: ModeOpt = None,
        config_file: ConfigOpt = None,
        embedder: EmbedderOpt = None,
        seed: SeedOpt = None,
        strengths: StrengthsOpt = None,
        repeats: RepeatsOpt = None,
        metrics: MetricsOpt = None,
        validity: ValidityOpt = None,
        fmt: FormatOpt = None,
        skip_invalid: SkipInvalidOpt = False,
        output_from: OutputFromOpt = None,
        attribute_fields: AttributeFieldOpt = None,
        embeddings: EmbeddingsOpt = None,
        executor: ExecutorOpt = None,
        ray_address: RayAddressOpt = None,
        device: DeviceOpt = None,
        embedding_cache: Annotated[bool, typer.Option(
            "--embedding-cache/--no-embedding-cache", help="Read and write the embedding cache.")] = True,
        embedding_cache_dir: Annotated[Path | None, typer.Option(
            "--embedding-cache-dir", help="Embedding cache folder (default: $SYNAE_CACHE_DIR or "
                                          "~/.cache/synae).")] = None,
        json_output: JsonOpt = False,
    ) -> None:
        """Score controlled damage of the real set (copies, invalid calls and outputs, leaked
        trajectories) at several strengths: what each pillar score means on this data. LLM-free
        unless --validity asks for the judge."""
        import json

        from synae.report.calibration import render_calibration
        from synae.run.commands import calibrate_command

        config = command_config(ctx)
        record = calibrate_command(config, progress=not json_output, render=render_calibration)
        if json_output:
            typer.echo(json.dumps(record, default=str))
            return
        console = Console()
        console.print(curves_table(record))
        for line in record["problems"]:
            console.print(f"[yellow]warning:[/] {escape(line)}", highlight=False)
        for line in record["notes"]:
            console.print(f"[dim]note: {escape(line)}[/]", highlight=False)
        folder = config.output.out
        console.print(f"written: {folder}/calibration.json, {folder}/calibration.html "
                      f"({record['timings']['total']:.1f} s)", highlight=False)
