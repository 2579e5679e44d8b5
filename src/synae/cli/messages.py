"""Console lines shared by several ``synae`` commands."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rich.console import Console


def print_skipped(skipped: Mapping[str, Mapping[str, Any]] | None, console: Console) -> None:
    """One line per dataset read with ``--skip-invalid``: how many records were skipped and the
    first reasons (``skipped`` as :func:`synae.run.commands.skipped_records` returns it)."""
    for name, info in (skipped or {}).items():
        first = "; first: " + " | ".join(info["first"]) if info["first"] else ""
        console.print(f"{name}: skipped {info['n_skipped']} invalid record(s){first}", highlight=False,
                      markup=False)
