"""What every CLI command needs (core: every domain's cli.py reads it): settings, a database handle
and a console."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import typer
from rich.console import Console
from sqlalchemy.orm import Session

from eventguard.config import Settings, get_settings
from eventguard.db import Database
from eventguard.errors import EventGuardError

console = Console()
err_console = Console(stderr=True)


def settings() -> Settings:
    return get_settings()


@contextmanager
def open_session() -> Iterator[Session]:
    """A session on the configured database; domain errors become a red line and exit code 1."""
    database = Database(settings().database_url)
    try:
        with database.session(write=True) as session:
            yield session
    except EventGuardError as exc:
        err_console.print(f"[red]error:[/red] {exc.message}")
        if exc.details:
            err_console.print(exc.details)
        raise typer.Exit(1) from exc
    finally:
        database.dispose()
