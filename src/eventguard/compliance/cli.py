"""`eventguard compliance …`: mark an incident reportable, list its deadlines, record a report sent."""

from __future__ import annotations

from datetime import datetime

import typer
from rich.table import Table

from eventguard.audit.service import Actor
from eventguard.cli_context import console, open_session, settings
from eventguard.clock import SystemClock
from eventguard.compliance import drafts, service
from eventguard.incidents import service as incidents

compliance_app = typer.Typer(help="Compliance deadlines of security incidents.", no_args_is_help=True)
CLOCK = SystemClock()


def register(app: typer.Typer) -> None:
    """Adds `eventguard compliance …`."""
    app.add_typer(compliance_app, name="compliance")


def _time(text: str | None) -> datetime | None:
    if not text:
        return None
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        raise typer.BadParameter("give the time with its offset (2026-05-20T10:00+08:00)")
    return moment


@compliance_app.command("mark")
def mark(
    incident: int = typer.Argument(..., help="Incident id."),
    grade: str = typer.Option(..., "--grade", help="general, significant, major or especially_major."),
    personal_data: bool = typer.Option(False, "--personal-data", help="Personal information is concerned."),
    eu: bool = typer.Option(False, "--eu", help="Personal data of EU residents is concerned."),
    aware_at: str | None = typer.Option(None, "--aware-at", help="When it became known (ISO 8601)."),
    actor: str | None = typer.Option(None, "--as", help="Name recorded on the timeline and audit log."),
) -> None:
    """Mark a security incident reportable: its deadlines start."""
    with open_session() as db:
        found = incidents.get(db=db, incident_id=incident, for_update=True)
        _mark, deadlines = service.mark_reportable(
            db=db,
            incident=found,
            grade=grade,
            personal_data=personal_data,
            eu_personal_data=eu,
            aware_at=_time(aware_at),
            note=None,
            actor=Actor.cli(actor or "cli"),
            clock=CLOCK,
            language=settings().default_language,
        )
        db.commit()
        for deadline in deadlines:
            console.print(f"{deadline.id} {deadline.rule_id} due {deadline.due_at.isoformat()}", markup=False)


@compliance_app.command("list")
def list_deadlines(incident: int = typer.Argument(..., help="Incident id.")) -> None:
    """The incident's reporting deadlines."""
    lang = settings().default_language
    with open_session() as db:
        table = Table("id", "rule", "to", "due", "status", "sent")
        for deadline in service.deadlines_of(db=db, incident_id=incident):
            shown = service.view(deadline, CLOCK.now())
            table.add_row(
                str(deadline.id),
                deadline.rule_id,
                shown["authority"].get(lang, ""),
                deadline.due_at.isoformat(),
                "overdue" if shown["overdue"] else deadline.status,
                f"{deadline.sent_by} → {deadline.sent_to} {deadline.sent_at.isoformat()}"
                if deadline.sent_at
                else "",
            )
        console.print(table)


@compliance_app.command("draft")
def draft(deadline: int = typer.Argument(..., help="Deadline id.")) -> None:
    """Print a report's draft as Markdown."""
    with open_session() as db:
        console.print(
            drafts.markdown(service.get_deadline(db=db, deadline_id=deadline), settings().default_language),
            markup=False,
        )


@compliance_app.command("sent")
def sent(
    deadline: int = typer.Argument(..., help="Deadline id."),
    by: str = typer.Option(..., "--by", help="Who sent the report."),
    to: str = typer.Option(..., "--to", help="The authority it went to."),
    at: str | None = typer.Option(None, "--at", help="When it was sent (ISO 8601; default: now)."),
    reference: str | None = typer.Option(None, "--reference", help="The authority's receipt number."),
    partial: bool = typer.Option(False, "--partial", help="A phased report: fields may still be empty."),
    actor: str | None = typer.Option(None, "--as", help="Name recorded on the timeline and audit log."),
) -> None:
    """Record a report as sent (who, when, to which authority)."""
    with open_session() as db:
        found = service.get_deadline(db=db, deadline_id=deadline)
        sending = service.Sending(
            sent_at=_time(at) or CLOCK.now(), sent_by=by, sent_to=to, reference=reference
        )
        service.record_sent(
            db=db,
            deadline=found,
            sending=sending,
            actor=Actor.cli(actor or "cli"),
            clock=CLOCK,
            allow_partial=partial,
        )
        db.commit()
        console.print(f"{found.rule_id} recorded as sent", markup=False)
