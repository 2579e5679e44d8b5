"""``synae report``, ``synae compare`` and ``synae gate``.

- ``synae report results.json --out OUT.html``: re-render the HTML report from a results JSON alone.
- ``synae compare --real R --synthetic S1 S2 ... --out DIR``: every synthetic set against one real
  set (real side computed once); writes ``DIR/results.json`` and ``DIR/report.html``.
- ``synae gate results.json --thresholds FILE``: exit 0 when every threshold passes, 1 on a failure,
  3 when a threshold names a missing/null metric (and nothing failed), 2 on bad input.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape

from synae.cli.messages import print_skipped
from synae.cli.options import (
    MULTI_VALUE_KEYS,
    AggregateScaleOpt,
    AttributeFieldOpt,
    BaseUrlOpt,
    BootstrapOpt,
    BreakerOpt,
    CacheOpt,
    CalibrationOpt,
    ConcurrencyOpt,
    ConfigOpt,
    DeadlineOpt,
    DeviceOpt,
    EmbedderOpt,
    EmbeddingsOpt,
    ExecutorOpt,
    FormatOpt,
    HtmlOpt,
    JsonOpt,
    JudgeModelOpt,
    MetricsOpt,
    ModeOpt,
    NoiseFloorOpt,
    OutputFromOpt,
    PresetOpt,
    RayAddressOpt,
    RealOpt,
    ShowPiiOpt,
    SkipInvalidOpt,
    StructuredOpt,
    SyntheticEmbeddingsOpt,
    ValidityOpt,
    command_config,
)
from synae.errors import ConfigError

GREEDY = tuple(MULTI_VALUE_KEYS)  # --synthetic, --labels, --param-values


def _greedy_lists(args: list[str]) -> dict[str, list[str]]:
    """``--synthetic a b --labels x y`` (or repeated / comma-separated) from the extra arguments."""
    out: dict[str, list[str]] = {name: [] for name in GREEDY}
    current: str | None = None
    for arg in args:
        name, _, inline = arg.partition("=")
        if name in GREEDY:
            current = name
            if inline:
                out[current].extend(v for v in inline.split(",") if v)
        elif current is None or arg.startswith("--"):
            raise ConfigError(f"unexpected argument {arg!r} "
                              f"(options taking several values: {', '.join(GREEDY)})")
        else:
            out[current].extend(v for v in arg.split(",") if v)
    return out


def _report(results: Annotated[Path, typer.Argument(help="results.json written by evaluate or compare.")],
            out: Annotated[Path, typer.Option("--out", help="Where to write the HTML report.")],
            quiet: Annotated[bool, typer.Option("--quiet", help="Do not print the pillar table.")] = False,
            show_pii: ShowPiiOpt = False,
            ) -> None:
    """Re-render the HTML report from a results JSON (nothing is recomputed). A results JSON written
    with --show-pii holds raw PII: rendering it needs --show-pii too."""
    from synae.report.console import print_aggregates
    from synae.report.html import raw_pii, write_html
    from synae.results import load_any

    loaded = load_any(results)
    if raw_pii(loaded) and not show_pii:
        raise ConfigError(f"{results} was written with --show-pii and holds raw PII; pass --show-pii to "
                          "render it as a private report (or re-run the evaluation without --show-pii "
                          "for a report to share)")
    start = time.perf_counter()
    write_html(loaded, out)
    if not quiet:
        print_aggregates(loaded.aggregates)
    Console(stderr=True).print(f"wrote {out} ({time.perf_counter() - start:.1f} s)")


def _gate(results: Annotated[Path, typer.Argument(help="results.json written by evaluate or compare.")],
          thresholds: Annotated[Path, typer.Option("--thresholds", help="YAML or TOML thresholds file.")],
          member: Annotated[list[str] | None, typer.Option(
              "--member", help="Check only this set of a comparison (repeatable; default: all).")] = None,
          json_output: JsonOpt = False) -> None:
    """Check results against thresholds; exit 0 pass, 1 fail, 3 missing metric, 2 bad input."""
    from synae.report.console import print_checks
    from synae.report.gate import check, exit_code, load_results, load_thresholds

    checks = check(load_results(results), load_thresholds(thresholds), member or None)
    code = exit_code(checks)
    if json_output:
        typer.echo(json.dumps({"exit_code": code, "checks": [c.to_dict() for c in checks]}, indent=2))
    else:
        print_checks(checks)
        verdict = {0: "[green]all thresholds pass[/]", 1: "[red]threshold(s) failed[/]",
                   3: "[yellow]threshold(s) name a missing or null value[/]"}[code]
        Console().print(verdict)
    raise typer.Exit(code)


def _compare(
    ctx: typer.Context,
    real: RealOpt = None,
    out: Annotated[Path | None, typer.Option("--out", help="Output directory (results.json, report.html).")]
    = None,
    preset: PresetOpt = None,
    mode: ModeOpt = None,
    embedder: EmbedderOpt = None,
    config_file: ConfigOpt = None,
    metrics: MetricsOpt = None,
    param_name: Annotated[str | None, typer.Option(
        "--param-name", help="Name of the swept parameter (axis label).")] = None,
    reference: Annotated[str | None, typer.Option(
        "--reference", help="Label of the set used as the labels' reference (default: the real data).",
    )] = None,
    bootstrap: BootstrapOpt = None,
    noise_floor: NoiseFloorOpt = None,
    validity: ValidityOpt = None,
    judge_model: JudgeModelOpt = None,
    llm_base_url: BaseUrlOpt = None,
    concurrency: ConcurrencyOpt = None,
    cache: CacheOpt = True,
    structured_output: StructuredOpt = True,
    llm_breaker: BreakerOpt = None,
    llm_deadline: DeadlineOpt = None,
    html: HtmlOpt = True,
    show_pii: ShowPiiOpt = False,
    skip_invalid: SkipInvalidOpt = False,
    fmt: FormatOpt = None,
    output_from: OutputFromOpt = None,
    attribute_fields: AttributeFieldOpt = None,
    aggregate_scale: AggregateScaleOpt = None,
    embeddings: EmbeddingsOpt = None,
    synthetic_embeddings: SyntheticEmbeddingsOpt = None,
    executor: ExecutorOpt = None,
    ray_address: RayAddressOpt = None,
    device: DeviceOpt = None,
    calibration: CalibrationOpt = None,
    json_output: JsonOpt = False,
) -> None:
    """Evaluate several synthetic sets against one real set and rank them.

    Takes --synthetic S1 S2 ... (required), --labels L1 L2 ... (default: file names) and
    --param-values V1 V2 ... (numbers, one per set: adds line plots of every metric against the
    parameter). Each of these also accepts repeated options or comma-separated values. Prints each
    set's metric table and the ranked pillar scores (--json: the results JSON on stdout instead);
    progress and messages go to stderr.
    """
    from synae.report.console import print_aggregates, print_metrics
    from synae.report.html import render_html
    from synae.run.commands import compare_command

    lists = _greedy_lists(ctx.args)
    if not lists["--synthetic"]:
        raise ConfigError("compare needs at least one --synthetic file")
    values: list[float] | None = None
    if lists["--param-values"]:
        try:
            values = [float(v) for v in lists["--param-values"]]
        except ValueError as exc:
            raise ConfigError(f"--param-values must be numbers: {exc}") from exc
    given: dict[str, object] = {flag: lists[flag] or None for flag in GREEDY}
    given["--param-values"] = values
    cfg = command_config(ctx, **{MULTI_VALUE_KEYS[flag]: value for flag, value in given.items()})
    results = compare_command(cfg, render=render_html, progress=True)
    out = cfg.output.out
    assert out is not None  # compare_command requires it
    err = Console(stderr=True)
    print_skipped(getattr(results, "skipped", None), err)
    if json_output:
        typer.echo(results.to_json())
    else:
        console = Console()
        for report in results.members.values():
            print_metrics(report, console)
        print_aggregates(results.aggregates, console)
    for note in getattr(results, "notes", []) or []:
        err.print(f"[dim]note:[/] {escape(note)}", highlight=False)
    for warning in getattr(results, "warnings", []) or []:
        err.print(f"[yellow]warning:[/] {escape(warning)}", highlight=False)
    if cfg.output.html:
        err.print(f"wrote {out / 'report.html'} ({results.timings['render_html']:.1f} s)")
    err.print(f"wrote {out / 'results.json'}")


def register(app: typer.Typer) -> None:
    """Add ``report``, ``compare`` and ``gate``."""
    app.command("report")(_report)
    app.command("gate")(_gate)
    greedy = {"allow_extra_args": True, "ignore_unknown_options": True}  # --synthetic S1 S2 ...
    app.command("compare", context_settings=greedy)(_compare)
