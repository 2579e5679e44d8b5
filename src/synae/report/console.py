"""Console tables (rich) for aggregates and gate results.

The pillar table lists the synthetic sets only; the self row (the real set against itself) is the
reference and is stated in the caption, with what a score means on the anchored scale and the
reason for every missing score.
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.console import Console
from rich.table import Table

from synae.report.gate import Check
from synae.report.meanings import missing_reason
from synae.results import Aggregates
from synae.run.aggregate import ANCHORED_MEANING, SELF_ROW, shown_pillars
from synae.run.privacy import MEANING as PRIVACY_MEANING

LABEL_STYLE = {"Strong": "green", "Moderate": "yellow", "Poor": "red"}


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
    for name in [n for n in aggregates["members"] if n != SELF_ROW]:
        cells = []
        for pillar in shown_pillars(aggregates):
            entry = aggregates["labels"].get(name, {}).get(pillar)
            label = entry["label"] if entry else None
            text = _score(aggregates["scores"].get(name, {}).get(pillar))
            if label:
                text += f" [{LABEL_STYLE[label]}]{label}[/]"
            cells.append(text)
        table.add_row(name, *cells)
    return table


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
