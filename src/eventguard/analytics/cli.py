"""`eventguard analytics`: the headline figures (MTTA, MTTR, SLA met % per role and level, action
items) of one event or of all, in a date window; `--csv` prints the SLA rows as CSV."""

from __future__ import annotations

import typer
from pydantic import ValidationError
from rich.table import Table

from eventguard.analytics import figures, service
from eventguard.analytics.api import SLA_COLUMNS, csv_text, scope_of
from eventguard.analytics.schemas import AnalyticsQuery, SlaGroupRead
from eventguard.cli_context import console, err_console, open_session
from eventguard.clock import SystemClock

CLOCK = SystemClock()


def register(app: typer.Typer) -> None:
    """Adds `eventguard analytics`."""
    app.command("analytics")(analytics_command)


def analytics_command(
    event: str | None = typer.Option(None, "--event", help="Event slug (default: every event)."),
    since: str | None = typer.Option(None, "--since", help="First day (UTC, YYYY-MM-DD), inclusive."),
    until: str | None = typer.Option(None, "--until", help="Last day (UTC, YYYY-MM-DD), inclusive."),
    drills: bool = typer.Option(False, "--drills", help="Drill incidents instead of real ones."),
    as_csv: bool = typer.Option(False, "--csv", help="The SLA rows per role and level as CSV."),
) -> None:
    """Print MTTA, MTTR, notify-within SLA met % per role and level, and action items."""
    try:
        query = AnalyticsQuery.model_validate(
            {"event": event, "since": since, "until": until, "drills": drills}
        )
    except ValidationError as exc:
        err_console.print(f"[red]error:[/red] {exc.errors()[0]['msg']}")
        raise typer.Exit(2) from exc
    with open_session() as db:
        found = service.analyse(db=db, scope=scope_of(db, query), now=CLOCK.now())
    groups = [SlaGroupRead.model_validate(g) for g in (found.sla_overall, *found.sla)]
    if as_csv:
        rows = [[g.model_dump(mode="json")[c] for c in SLA_COLUMNS] for g in groups]
        typer.echo(csv_text(SLA_COLUMNS, rows), nl=False)
        return
    r, items = found.response, found.action_items

    def span(seconds: float | None) -> str:
        return figures.minutes(seconds, "en")

    console.print(
        f"incidents {r.incidents} · MTTA {span(r.mtta_seconds)} (median {span(r.median_tta_seconds)}) · "
        f"MTTR {span(r.mttr_seconds)} (median {span(r.median_ttr_seconds)}) · "
        f"action items {items.open} open, {items.overdue} overdue"
    )
    table = Table("level", "met", "late", "pending", "met %", "first", "within")
    # Role ids stay whole, however narrow the terminal (the other columns give way).
    table.add_column("role", no_wrap=True, min_width=max(len(g.target) for g in groups))
    for g in groups:
        table.add_row(
            str(g.level or "—"),
            str(g.met),
            str(g.breached),
            str(g.pending),
            figures.percent(g.met_percent),
            span(g.mean_first_seconds),
            span(g.notify_within_seconds),
            g.target,
        )
    console.print(table)
