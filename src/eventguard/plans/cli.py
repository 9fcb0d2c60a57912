from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Adds `eventguard plan …` (built in plans.cli)."""
