"""Console tables (rich) for aggregates and gate results."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rich.console import Console
from rich.table import Table

from synae.report.aggregate import PILLARS, SELF_ROW
from synae.report.gate import Check

LABEL_STYLE = {"Strong": "green", "Moderate": "yellow", "Poor": "red"}


def _score(value: float | None) -> str:
    return "—" if value is None else f"{value:.3f}"


def aggregates_table(aggregates: dict[str, Any]) -> Table:
    """One row per group member: each pillar's score and label (reference member last)."""
    table = Table(title=f"Pillar scores (reference: {aggregates.get('reference') or '—'})")
    table.add_column("set")
    for pillar in PILLARS:
        table.add_column(pillar, justify="right")
    names = [n for n in aggregates["members"] if n != SELF_ROW] + \
        [n for n in aggregates["members"] if n == SELF_ROW]
    for name in names:
        cells = []
        for pillar in PILLARS:
            label = (aggregates["labels"].get(name, {}).get(pillar) or {}).get("label")
            text = _score(aggregates["scores"].get(name, {}).get(pillar))
            if label:
                text += f" [{LABEL_STYLE[label]}]{label}[/]"
            cells.append(text)
        table.add_row(name, *cells, style="dim" if name == SELF_ROW else None)
    return table


def print_aggregates(aggregates: dict[str, Any] | None, console: Console | None = None) -> None:
    if not aggregates:
        return
    console = console or Console()
    console.print(aggregates_table(aggregates))
    if aggregates.get("excluded"):
        ids = ", ".join(e["id"] for e in aggregates["excluded"])
        console.print(f"[dim]excluded from pillar scores: {ids}[/]")


def print_checks(checks: Sequence[Check], console: Console | None = None) -> None:
    console = console or Console()
    table = Table(title="Gate")
    for col in ("set", "threshold", "bound", "value", "outcome"):
        table.add_column(col)
    style = {"pass": "green", "fail": "red", "missing": "yellow"}
    for c in checks:
        value = c.value if isinstance(c.value, str) or c.value is None else f"{c.value:.4g}"
        table.add_row(c.member, c.key, c.bound, "—" if value is None else str(value),
                      f"[{style[c.outcome]}]{c.outcome.upper()}[/]")
    console.print(table)
