"""`eventguard probe list | pause | resume | run`."""

from __future__ import annotations

import typer
from rich.table import Table

from eventguard.audit.service import Actor
from eventguard.cli_context import console, open_session
from eventguard.clock import SystemClock
from eventguard.events import service as events
from eventguard.probes import service

app = typer.Typer(
    help="Monitoring probes of an event's plan: state, pause, resume, one run.", no_args_is_help=True
)


@app.command("list")
def list_probes(event: str = typer.Argument(..., help="Event slug.")) -> None:
    """Every probe of the plan in force with its state."""
    clock = SystemClock()
    with open_session() as db:
        found = events.get_by_slug(db=db, slug=event)
        views = service.overview(db=db, event=found, clock=clock, with_results=False)
        db.commit()
        table = Table("probe", "kind", "status", "paused", "runs now", "last check", "detail")
        for view in views:
            state = view.state
            table.add_row(
                view.probe.id,
                view.probe.kind,
                state.status,
                "yes" if state.paused else "",
                "yes" if view.runs_now else "",
                state.checked_at.isoformat(timespec="seconds") if state.checked_at else "-",
                state.detail or "",
            )
    console.print(table)


def _set(event: str, probe: str, paused: bool) -> None:
    clock = SystemClock()
    with open_session() as db:
        found = events.get_by_slug(db=db, slug=event)
        service.set_paused(db=db, event=found, probe_id=probe, paused=paused, actor=Actor.cli(), clock=clock)
        db.commit()
    typer.echo(f"{probe}: {'paused' if paused else 'resumed'}")


@app.command("pause")
def pause(event: str = typer.Argument(..., help="Event slug."), probe: str = typer.Argument(...)) -> None:
    """Pause a probe (no checks, no alerts)."""
    _set(event, probe, True)


@app.command("resume")
def resume(event: str = typer.Argument(..., help="Event slug."), probe: str = typer.Argument(...)) -> None:
    """Resume a paused probe."""
    _set(event, probe, False)


@app.command("run")
def run_once() -> None:
    """Run every probe that runs now once and write the results (what the worker does on schedule)."""
    from eventguard.cli_context import settings
    from eventguard.db import Database
    from eventguard.probes.scheduler import ProbeScheduler

    database = Database(settings().database_url)
    try:
        scheduler = ProbeScheduler(database=database, clock=SystemClock(), spread=False)
        raised = scheduler.run_once()
    finally:
        database.dispose()
    typer.echo(f"{scheduler.stats.written} checks, alerts: {raised or 'none'}")


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="probe")
