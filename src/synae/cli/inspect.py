"""`synae inspect` — placeholder until its issue lands (replace this module)."""

import typer


def register(app: typer.Typer) -> None:
    """Add this module's command(s) to the app."""
