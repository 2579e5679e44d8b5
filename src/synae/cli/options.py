"""Options shared by several ``synae`` commands (one definition, many commands)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

PresetOpt = Annotated[
    str | None,
    typer.Option("--preset", help="Benchmark preset: t1, bfcl, acp or generic (auto-detected when omitted)."),
]
ModeOpt = Annotated[
    str,
    typer.Option("--mode", help="Metric profile: 'default' (corrected) or 'reference' (the research "
                                "code's behaviour)."),
]
FormatOpt = Annotated[
    str | None,
    typer.Option("--from", help="Input format (auto-detected when omitted); see `synae convert --help`."),
]
SkipInvalidOpt = Annotated[
    bool,
    typer.Option("--skip-invalid", help="Skip malformed records (and report how many) instead of failing."),
]
ConfigOpt = Annotated[
    Path | None,
    typer.Option("--config", help="YAML or TOML config file; flags override its values."),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print one JSON object instead of tables.")]
