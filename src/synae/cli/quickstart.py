"""`synae quickstart` — generate a synthetic set from example real data and evaluate it, in one command.

Defaults: BFCL multi-turn base (read from the copy the installed ``bfcl-eval`` package ships: no
data folder needed), ``oversample`` with r = 0.3, the MiniLM embedder. ``synae quickstart t1`` and
``synae quickstart acp`` use the data in ``$SYNAE_DATA_DIR``. What runs is
:func:`synae.run.quickstart.quickstart_command`; this module parses the flags, writes the HTML report
and prints.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from synae.cli.options import (
    AggregateScaleOpt,
    BaseUrlOpt,
    BreakerOpt,
    CacheOpt,
    ConcurrencyOpt,
    ConfigOpt,
    DeadlineOpt,
    EmbedderOpt,
    HtmlOpt,
    JsonOpt,
    JudgeModelOpt,
    MetricsOpt,
    ModeOpt,
    SeedOpt,
    StructuredOpt,
    ValidityOpt,
    command_config,
)


def quickstart(
    ctx: typer.Context,
    benchmark: Annotated[str, typer.Argument(help="bfcl (default), t1 or acp.")] = "bfcl",
    method: Annotated[str, typer.Argument(help="Generation method (see synae generate).")] = "oversample",
    param: Annotated[str | None, typer.Argument(
        help="One value of the method's parameter (default: oversample 0.3, invalidate 0.5, dropmin 2, "
             "blankfill 0.5, fewshot 3).")] = None,
    out: Annotated[Path | None, typer.Option("--out", "-o", help="Output folder (synae-quickstart).")] = None,
    embedder: EmbedderOpt = None,
    mode: ModeOpt = None,
    seed: SeedOpt = None,
    metrics: MetricsOpt = None,
    model: Annotated[str | None, typer.Option("--model", help="LLM generator model.")] = None,
    validity: ValidityOpt = None,
    judge_model: JudgeModelOpt = None,
    llm_base_url: BaseUrlOpt = None,
    concurrency: ConcurrencyOpt = None,
    cache: CacheOpt = True,
    structured_output: StructuredOpt = True,
    llm_breaker: BreakerOpt = None,
    llm_deadline: DeadlineOpt = None,
    aggregate_scale: AggregateScaleOpt = None,
    config_file: ConfigOpt = None,
    html: HtmlOpt = True,
    json_output: JsonOpt = False,
) -> None:
    """Generate a synthetic set from example real data and evaluate it (one command; --json: one
    object on stdout, ``{"out", "sets": {name: results}}``, and the other lines on stderr)."""
    from synae.report.console import print_aggregates, print_metrics
    from synae.report.html import write_html
    from synae.run.quickstart import quickstart_command

    config = command_config(ctx)
    console = Console(stderr=json_output)
    run = quickstart_command(config, progress=True,
                             announce=lambda line: Console(stderr=True).print(line, highlight=False))
    made = ", ".join(f"{w.name} (n = {w.counts['n_out']})" for w in run.written)
    console.print(f"generated {made} from {run.source.name} (n = {run.n_real}) into {run.out}",
                  highlight=False)
    for one in run.sets:
        files = [one.results]
        if config.output.html:
            files.append(write_html(one.report, one.html))
        if not json_output:
            print_metrics(one.report, console)
            print_aggregates(one.report.aggregates, console)
        console.print(f"written: {', '.join(map(str, files))}", highlight=False)
    if json_output:
        typer.echo(json.dumps({"out": str(run.out), "sets": {one.report.datasets["synthetic"].name:
                                                              one.report.to_json_dict() for one in run.sets}},
                              indent=2, allow_nan=False, ensure_ascii=False))


def register(app: typer.Typer) -> None:
    """Add ``synae quickstart``."""
    app.command("quickstart")(quickstart)
