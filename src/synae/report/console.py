"""Console tables (rich) for aggregates and gate results.

The pillar table lists the synthetic sets only; the self row (the real set against itself) is the
reference and is stated in the caption, with what a score means on the anchored scale and the
reason for every missing score.
"""

from __future__ import annotations

import typing
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from rich import box
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from synae.report.calibration import placement_lines
from synae.report.gate import Check
from synae.report.meanings import missing_reason
from synae.results import Aggregates, EvaluationReport, MetricResult, Pillar, Target
from synae.run.scoring.aggregate import ANCHORED_MEANING, SELF_ROW, shown_pillars
from synae.run.scoring.judge_calibration import judge_notes, reliability_lines
from synae.run.scoring.privacy import MEANING as PRIVACY_MEANING

LABEL_STYLE = {"Strong": "green", "Moderate": "yellow", "Poor": "red"}
ARROW = {"lower_is_better": "↓", "higher_is_better": "↑"}
# What a metric warning means, printed under the metric table when a metric carries it.
WARNING_MEANINGS = {
    "rank_deficient": "fewer points than embedding dimensions: FID is biased upward, so compare FIDs "
                      "only between sets of equal size (docs/metrics.md)",
}


def _format_value(m: MetricResult) -> str:
    if m.value is None:
        return "—"
    return f"{m.value:.4g}" if abs(m.value) < 1e5 else f"{m.value:.3e}"


def metrics_table(report: EvaluationReport) -> Table:
    """A rich table of the report's metrics grouped by pillar and target (↓ lower / ↑ higher is better).

    Metric IDs and numbers are never cut: their columns do not wrap and are as wide as their longest
    cell, and the CI and status columns fold instead, so a narrow terminal (80 columns) still shows
    every ID and value whole."""
    names = {side: escape(report.datasets[side].name) for side in ("synthetic", "real")}
    table = Table(title=f"{names['synthetic']} vs {names['real']}", box=box.SIMPLE,
                  caption="↓ lower is better · ↑ higher is better · real = the metric on the real set D "
                          "itself · n D, n D′ = items of the real and the synthetic set"
                          + (" · CI = bootstrap interval (* moved by the median bias to hold the value)"
                             if any("ci_shift" in m.details for m in report.metrics.values()) else ""))
    with_ci = any(isinstance(m.details.get("ci"), list) for m in report.metrics.values())
    order = {pillar: i for i, pillar in enumerate(typing.get_args(Pillar))}  # validity, fidelity, …
    targets = {target: i for i, target in enumerate(typing.get_args(Target))}
    rows: list[tuple[str, list[str]]] = []  # (pillar · target, cells)
    for m in sorted(report.metrics.values(), key=lambda m: (order[m.pillar], targets[m.target])):
        real_value = m.details.get("real_value")
        status = m.status if m.status == "ok" else f"{m.status}: {m.reason or ''}"
        if m.warnings:
            status += " (" + "; ".join(w.split(":")[0] for w in m.warnings) + ")"
        ci = m.details.get("ci")
        ci_cell = [f"[{ci[0]:.4g}, {ci[1]:.4g}]" + ("*" if "ci_shift" in m.details else "")
                   if isinstance(ci, list) and len(ci) == 2 and None not in ci else ""] if with_ci else []
        rows.append((f"{m.pillar} · {m.target}",
                     ["  " + m.id.split(".", 2)[2], ARROW[m.direction], _format_value(m),
                      f"{real_value:.4g}" if isinstance(real_value, (int, float)) else "",
                      "" if m.n_real is None else str(m.n_real),
                      "" if m.n_synthetic is None else str(m.n_synthetic), *ci_cell, escape(status)]))
    table.add_column("metric", no_wrap=True, min_width=max(len(text) for text in  # never cut
                     [*(cells[0] for _, cells in rows), *(group for group, _ in rows), "metric"]))
    table.add_column("", justify="center", no_wrap=True)
    table.add_column("value", justify="right", no_wrap=True,
                     min_width=max(len(text) for text in [*(cells[2] for _, cells in rows), "value"]))
    for column in ("real", "n D", "n D′", *(["CI"] if with_ci else [])):
        table.add_column(column, justify="right", overflow="fold")
    table.add_column("status", overflow="fold", min_width=6)
    last = None
    for group, cells in rows:
        if group != last:
            if last is not None:
                table.add_section()
            table.add_row(f"[bold]{group}[/]")
            last = group
        table.add_row(*cells)
    return table


def warning_lines(reports: Iterable[EvaluationReport]) -> list[str]:
    """One line per metric warning of :data:`WARNING_MEANINGS` that some metric of ``reports`` carries."""
    seen = {w.split(":")[0] for r in reports for m in r.metrics.values() for w in m.warnings}
    return [f"{name}: {text}" for name, text in WARNING_MEANINGS.items() if name in seen]


def print_metrics(report: EvaluationReport, console: Console) -> None:
    """The metric table of one synthetic set, then what its warnings mean."""
    console.print(metrics_table(report))
    for line in warning_lines([report]):
        console.print(f"[dim]{escape(line)}[/]", highlight=False)


def _score(value: float | None) -> str:
    return "—" if value is None else f"{value:.3f}"


def aggregates_table(aggregates: Aggregates) -> Table:
    """One row per synthetic set: each pillar's score and label (the reference is the caption)."""
    reference = aggregates.get("reference")
    anchored = aggregates.get("scale") == "anchored"
    ref_text = ("the real set itself = 1.000" if reference in (None, SELF_ROW) and anchored
                else reference or "—")
    table = Table(title=f"Pillar scores ({'anchored' if anchored else 'group'} scale; reference: {ref_text})",
                  caption=ANCHORED_MEANING if anchored else None)
    table.add_column("set")
    for pillar in shown_pillars(aggregates):
        table.add_column(pillar, justify="right")
    ranking = aggregates.get("ranking") or [n for n in aggregates["members"] if n != SELF_ROW]
    numbered = len(ranking) > 1
    if numbered:
        table.add_column("rank", justify="right")
    for rank, name in enumerate(ranking, 1):
        cells = []
        for pillar in shown_pillars(aggregates):
            entry = aggregates["labels"].get(name, {}).get(pillar)
            label = entry["label"] if entry else None
            text = _score(aggregates["scores"].get(name, {}).get(pillar))
            if label:
                text += f" [{LABEL_STYLE[label]}]{label}[/]"
            lines = [text, *target_lines(aggregates, name, pillar)]
            cells.append("\n".join(lines))
        table.add_row(name, *cells, *([str(rank)] if numbered else []))
    return table


def target_lines(aggregates: Aggregates, name: str, pillar: str) -> list[str]:
    """The lines under a pillar's score: one per target (score and label, ``structural checks only``
    where that is all validity rests on, the reason of a forced label), and for privacy the
    whole-trajectory copy count."""
    lines = []
    targets = (aggregates.get("targets") or {}).get(name, {}).get(pillar, {})
    for target, entry in targets.items():
        own = entry.get("label")
        label = own["label"] if own else None
        text = f"[dim]{target}[/] {_score(entry.get('score'))}"
        if label:
            text += f" [{LABEL_STYLE[label]}]{label}[/]"
        if entry.get("basis") == "structural":
            text += " [dim](structural checks only)[/]"
        if entry.get("forced"):
            text += f" [dim]— {entry.get('reason', '')}[/]"
        lines.append(text)
    privacy = (aggregates.get("privacy") or {}).get(name) or {}
    copies = privacy.get("copies") if pillar == "privacy" else None
    if copies:
        near, exact = copies["near"], copies["exact"]
        lines.append(f"[dim]copies[/] {near['count']}/{near['eligible']} ({exact['count']} exact; "
                     f"real set's own {copies['anchor_rate']:.1%})")
    return lines


def missing_lines(aggregates: Aggregates) -> list[str]:
    """One line per missing score or label: the member, the pillar and why."""
    lines = []
    for name in [n for n in aggregates["members"] if n != SELF_ROW]:
        for pillar in shown_pillars(aggregates):
            entry = aggregates["labels"].get(name, {}).get(pillar)
            if aggregates["scores"].get(name, {}).get(pillar) is None or not entry or entry["label"] is None:
                lines.append(f"{name}: {pillar} not scored — {missing_reason(aggregates, name, pillar)}")
    return lines


def print_aggregates(aggregates: Aggregates | None, console: Console | None = None) -> None:
    if not aggregates:
        return
    console = console or Console()
    console.print(aggregates_table(aggregates))
    if aggregates.get("privacy"):
        console.print(f"[dim]privacy: {PRIVACY_MEANING}[/]")
    for line in missing_lines(aggregates):
        console.print(f"[yellow]{line}[/]")
    noise = aggregates.get("noise_floor_scores")
    if noise:
        parts = ", ".join(f"{p} {_score(v)}" for p, v in noise.items())
        console.print(f"[dim]sampling noise alone: a real half split scores {parts}[/]")
    if aggregates.get("excluded"):
        ids = ", ".join(dict.fromkeys(e["id"] for e in aggregates["excluded"]))
        console.print(f"[dim]excluded from pillar scores: {ids}[/]")
    print_placements(aggregates, console)


def print_placements(aggregates: Aggregates, console: Console) -> None:
    """Where each set lies on the calibration curves (``aggregates.calibration``), one line each."""
    source = aggregates.get("calibration_source")
    if not source:
        return
    console.print("[bold]calibration[/] (the known damage of the real set that scores the same):")
    if source.get("same_real") is False:
        console.print(f"[yellow]warning:[/] the curves were built on another real set "
                      f"({escape(str(source['real'].get('name')))})", highlight=False)
    for member, pillar, target, text in placement_lines(aggregates):
        where = f"{pillar} · {target}" if target else pillar
        console.print(f"  {escape(member)} {escape(where)}: {escape(text)}", highlight=False)


def print_checks(checks: Sequence[Check], console: Console | None = None) -> None:
    console = console or Console()
    table = Table(title="Gate")
    for col in ("set", "threshold", "bound", "value", "outcome"):
        table.add_column(col)
    style = {"pass": "green", "fail": "red", "missing": "yellow"}
    for c in checks:
        value = c.value if isinstance(c.value, str) or c.value is None else f"{c.value:.4g}"
        table.add_row(c.member, c.key, c.bound, f"— ({c.reason})" if value is None and c.reason else
                      "—" if value is None else str(value),
                      f"[{style[c.outcome]}]{c.outcome.upper()}[/]")
    console.print(table)


def _print_notes(lines: Iterable[tuple[str, bool]], console: Console) -> None:
    for text, warning in lines:
        console.print(f"[yellow]warning:[/] {text}" if warning else f"[dim]{text}[/]", highlight=False)


def print_judge_notes(metrics: Iterable[MetricResult], console: Console | None = None) -> None:
    """The judge's reliability under each judge validity metric (κ on N items; a warning when the
    judge is unreliable, :func:`synae.run.scoring.judge_calibration.judge_notes`)."""
    _print_notes(judge_notes(metrics), console or Console())


def print_calibration(calibration: Mapping[str, Mapping[str, Any] | None],
                      console: Console | None = None) -> None:
    """``validate``'s judge reliability per judged target (``None``: no calibration found)."""
    _print_notes([line for target, found in calibration.items() for line in reliability_lines(target, found)],
                 console or Console())
