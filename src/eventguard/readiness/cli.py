"""`eventguard readiness EVENT`: the readiness gate as a table (or ``--json``); exits 1 when not
ready. `eventguard readiness-decision` records go/no-go, `eventguard legal-signoff` signs a legal item."""

from __future__ import annotations

import json
from datetime import datetime

import typer
from rich.table import Table

from eventguard.audit.service import Actor
from eventguard.cli_context import console, open_session, settings
from eventguard.clock import SystemClock
from eventguard.errors import InvalidInput
from eventguard.events import service as events
from eventguard.i18n import Message, t
from eventguard.plans import service as plans
from eventguard.readiness import checks, service, signoffs

CLOCK = SystemClock()


def register(app: typer.Typer) -> None:
    """Adds `eventguard readiness`, `eventguard readiness-decision` and `eventguard legal-signoff`."""
    app.command("readiness")(readiness_command)
    app.command("readiness-decision")(decision_command)
    app.command("legal-signoff")(signoff_command)


def readiness_command(
    event: str = typer.Argument(..., help="Event slug."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead of a table."),
    at: str | None = typer.Option(None, help="Judge as of this ISO 8601 time with offset (default: now)."),
) -> None:
    """The readiness gate before the live phase; exit code 1 when any item fails."""
    lang = settings().default_language
    now = CLOCK.now()
    if at is not None:
        try:
            now = datetime.fromisoformat(at)
        except ValueError:
            raise typer.BadParameter("e.g. 2026-06-16T08:00:00+08:00", param_hint="--at") from None
        if now.tzinfo is None:
            raise typer.BadParameter("needs a UTC offset, e.g. +08:00", param_hint="--at")
    with open_session() as db:
        found = events.get_by_slug(db=db, slug=event)
        spec = plans.get_active_plan(db=db, event_id=found.id)
        result = service.report(db=db, event_id=found.id, spec=spec, now=now)
        rendered = result.render(lang)
    if as_json:
        typer.echo(json.dumps(rendered, ensure_ascii=False, indent=2))
    else:
        table = Table(title=t("Readiness: {event}", lang, event=event))
        for column in ("", "Item", "Detail", "Fix"):
            table.add_column(t(column, lang) if column else "")
        for item in rendered["items"]:
            mark = "[green]✓[/green]" if item["ok"] else "[red]✗[/red]"
            table.add_row(mark, item["title"], item["detail"] or "", item["fix_path"] or "")
        console.print(table)
        verdict = t("Ready", lang) if rendered["ready"] else t("Not ready", lang)
        console.print(f"[bold]{verdict}[/bold]")
        if rendered["decision"]:
            decision = rendered["decision"]
            console.print(
                f"{t(decision['decision'], lang)} · {decision['decided_by']} · {decision['decided_at']}"
            )
    if not rendered["ready"]:
        raise typer.Exit(1)


def decision_command(
    event: str = typer.Argument(..., help="Event slug."),
    decision: str = typer.Argument(..., help="go or no_go."),
    waive: list[str] = typer.Option(
        [], "--waive", help="KEY=REASON: let a failing item through (repeatable)."
    ),
    note: str | None = typer.Option(None),
    by: str = typer.Option("cli", help="Who decides (recorded)."),
) -> None:
    """Record a go or no-go decision; a go needs every failing item waived."""
    if decision not in ("go", "no_go"):
        raise typer.BadParameter("go or no_go", param_hint="DECISION")
    waivers = {}
    for entry in waive:
        key, sep, reason = entry.partition("=")
        if not sep:
            raise typer.BadParameter("KEY=REASON", param_hint="--waive")
        waivers[key.strip()] = reason
    with open_session() as db:
        found = events.get_by_slug(db=db, slug=event)
        spec = plans.get_active_plan(db=db, event_id=found.id)
        row = service.decide(
            db=db,
            event_id=found.id,
            spec=spec,
            decision=decision,  # type: ignore[arg-type]
            waive=waivers,
            note=note,
            actor=Actor.cli(by),
            clock=CLOCK,
        )
        db.commit()
        console.print(f"{row.decision} #{row.id}")


def signoff_command(
    event: str = typer.Argument(..., help="Event slug."),
    item: str = typer.Argument(..., help="Legal item id (user-agreement, privacy-policy …)."),
    by: str = typer.Option(..., help="Who of the legal team signs (recorded)."),
    note: str | None = typer.Option(None),
) -> None:
    """Sign a legal item off for the legal team."""
    with open_session() as db:
        found = events.get_by_slug(db=db, slug=event)
        spec = plans.get_active_plan(db=db, event_id=found.id)
        team = checks.legal_team(spec)
        if team is None:
            raise InvalidInput(Message("The plan names no legal team."), code="no_legal_team")
        signoffs.sign(
            db=db,
            event_id=found.id,
            spec=spec,
            item=item,
            team=team,
            person_teams=None,
            note=note,
            actor=Actor.cli(by),
            clock=CLOCK,
        )
        db.commit()
