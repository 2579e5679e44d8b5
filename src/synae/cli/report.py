"""``synae report``, ``synae compare`` and ``synae gate``.

- ``synae report results.json --html OUT``: re-render the HTML report from a results JSON alone.
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

from synae.cli.options import ConfigOpt, JsonOpt, ModeOpt, PresetOpt, SkipInvalidOpt
from synae.errors import ConfigError

GREEDY = ("--synthetic", "--labels", "--param-values")


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
            html: Annotated[Path, typer.Option("--html", help="Where to write the HTML report.")],
            quiet: Annotated[bool, typer.Option("--quiet", help="Do not print the pillar table.")] = False,
            ) -> None:
    """Re-render the HTML report from a results JSON (nothing is recomputed)."""
    from synae.report.comparison import load_any
    from synae.report.console import print_aggregates
    from synae.report.html import write_html

    loaded = load_any(results)
    start = time.perf_counter()
    write_html(loaded, html)
    if not quiet:
        print_aggregates(loaded.aggregates)
    Console(stderr=True).print(f"wrote {html} ({time.perf_counter() - start:.1f} s)")


def _gate(results: Annotated[Path, typer.Argument(help="results.json written by evaluate or compare.")],
          thresholds: Annotated[Path, typer.Option("--thresholds", help="YAML or TOML thresholds file.")],
          member: Annotated[list[str] | None, typer.Option(
              "--member", help="Check only this set of a comparison (repeatable; default: all).")] = None,
          as_json: JsonOpt = False) -> None:
    """Check results against thresholds; exit 0 pass, 1 fail, 3 missing metric, 2 bad input."""
    from synae.report.console import print_checks
    from synae.report.gate import check, exit_code, load_results, load_thresholds

    checks = check(load_results(results), load_thresholds(thresholds), member or None)
    code = exit_code(checks)
    if as_json:
        typer.echo(json.dumps({"exit_code": code, "checks": [c.to_dict() for c in checks]}, indent=2))
    else:
        print_checks(checks)
        verdict = {0: "[green]all thresholds pass[/]", 1: "[red]threshold(s) failed[/]",
                   3: "[yellow]threshold(s) name a missing or null value[/]"}[code]
        Console().print(verdict)
    raise typer.Exit(code)


def _compare(
    ctx: typer.Context,
    real: Annotated[Path, typer.Option("--real", help="The real dataset (any supported format).")],
    out: Annotated[Path, typer.Option("--out", help="Output directory (results.json, report.html).")],
    preset: PresetOpt = None,
    mode: ModeOpt = "default",
    embedder: Annotated[str | None, typer.Option(
        "--embedder", help="minilm (default), lexical, or openai:<model>.")] = None,
    config: ConfigOpt = None,
    metrics: Annotated[str | None, typer.Option(
        "--metrics", help="Comma-separated glob patterns over metric IDs, e.g. 'fidelity.tool_calls.*'.",
    )] = None,
    param_name: Annotated[str | None, typer.Option(
        "--param-name", help="Name of the swept parameter (axis label).")] = None,
    reference: Annotated[str | None, typer.Option(
        "--reference", help="Label of the set used as the labels' reference (default: the real data).",
    )] = None,
    bootstrap: Annotated[int, typer.Option("--bootstrap", help="Bootstrap resamples for CIs (0 = off).")] = 0,
    noise_floor: Annotated[int, typer.Option(
        "--noise-floor", help="Real-vs-real half splits for the noise floor (0 = off).")] = 0,
    validity: Annotated[str, typer.Option(
        "--validity", help="Validity checkers: rules (default), llm, both or none.")] = "rules",
    html: Annotated[bool, typer.Option("--html/--no-html", help="Write DIR/report.html.")] = True,
    skip_invalid: SkipInvalidOpt = False,
) -> None:
    """Evaluate several synthetic sets against one real set and rank them.

    Takes --synthetic S1 S2 ... (required), --labels L1 L2 ... (default: file names) and
    --param-values V1 V2 ... (numbers, one per set: adds line plots of every metric against the
    parameter). Each of these also accepts repeated options or comma-separated values.
    """
    from synae.adapters import load_dataset
    from synae.config import load_config
    from synae.report.compare import run_comparison
    from synae.report.console import print_aggregates
    from synae.report.html import write_html

    if validity not in ("rules", "llm", "both", "none"):
        raise ConfigError(f"--validity {validity!r}: expected one of rules, llm, both, none")
    lists = _greedy_lists(ctx.args)
    paths = [Path(p) for p in lists["--synthetic"]]
    if not paths:
        raise ConfigError("compare needs at least one --synthetic file")
    labels = lists["--labels"] or [p.name.split(".")[0] for p in paths]
    if len(labels) != len(paths) or len(set(labels)) != len(labels):
        raise ConfigError(f"--labels must give {len(paths)} distinct labels, got {labels}")
    values: list[float] | None = None
    if lists["--param-values"]:
        try:
            values = [float(v) for v in lists["--param-values"]]
        except ValueError as exc:
            raise ConfigError(f"--param-values must be numbers: {exc}") from exc
        if len(values) != len(paths):
            raise ConfigError(f"--param-values must give {len(paths)} values, got {len(values)}")
    overrides: dict[str, object] = {"mode": mode}
    if preset:
        overrides["preset"] = preset
    if embedder:
        overrides["embedding"] = {"model": embedder}
    cfg = load_config(config, **overrides)
    real_ds = load_dataset(real, preset=preset, skip_invalid=skip_invalid)
    synthetic = {label: load_dataset(p, preset=preset, skip_invalid=skip_invalid, name=label)
                 for label, p in zip(labels, paths, strict=False)}
    results = run_comparison(real_ds, synthetic, cfg, param_name=param_name, param_values=values,
                             reference=reference, bootstrap=bootstrap, noise_repeats=noise_floor,
                             checker=validity, metric_patterns=metrics)
    out.mkdir(parents=True, exist_ok=True)
    results.write(out / "results.json")
    print_aggregates(results.aggregates)
    err = Console(stderr=True)
    if html:
        start = time.perf_counter()
        write_html(results, out / "report.html")
        results.timings["render_html"] = time.perf_counter() - start
        err.print(f"wrote {out / 'report.html'} ({results.timings['render_html']:.1f} s)")
    err.print(f"wrote {out / 'results.json'}")


def register(app: typer.Typer) -> None:
    """Add ``report``, ``compare`` and ``gate``."""
    app.command("report")(_report)
    app.command("gate")(_gate)
    greedy = {"allow_extra_args": True, "ignore_unknown_options": True}  # --synthetic S1 S2 ...
    app.command("compare", context_settings=greedy)(_compare)
