"""`eventguard incident …`: the incident API's commands from the shell (acting as the CLI)."""

from __future__ import annotations

from datetime import datetime

import typer
from rich.table import Table
from sqlalchemy.orm import Session

from eventguard.audit.service import Actor
from eventguard.cli_context import console, open_session, settings
from eventguard.clock import SystemClock, local_time
from eventguard.errors import InvalidInput
from eventguard.events import service as events
from eventguard.i18n import Message, t
from eventguard.incidents import merge as merging
from eventguard.incidents import queries, roles, runbook, service
from eventguard.incidents.models import Incident, IncidentRole, IncidentStatus
from eventguard.plans import service as plans

incident_app = typer.Typer(
    help="Incidents: list, declare, acknowledge, resolve, re-level, tasks …", no_args_is_help=True
)
CLOCK = SystemClock()


def register(app: typer.Typer) -> None:
    """Adds `eventguard incident …`."""
    app.add_typer(incident_app, name="incident")


def _actor(name: str | None) -> Actor:
    return Actor.cli(name or "cli")


def _lang() -> str:
    return settings().default_language


def _show(db: Session, incident: Incident) -> None:
    """The incident in the CLI's language (EVENTGUARD_DEFAULT_LANGUAGE): title, pause, runbook."""
    lang = _lang()
    spec = plans.get_active_plan(db=db, event_id=incident.event_id)
    title = service.display_title(incident=incident, spec=spec, lang=lang)
    console.print(f"#{incident.id} L{incident.level} {incident.status.value} {title}", markup=False)
    if incident.eta is not None:
        console.print(t("ETA {eta}", lang, eta=local_time(incident.eta, spec.event.timezone)), markup=False)
    pause = service.pause_state(db=db, event_id=incident.event_id)
    if pause is not None:
        since = local_time(pause.paused_at, spec.event.timezone)
        console.print(t("The event is paused since {moment}.", lang, moment=since), markup=False)
    table = Table("#", t("task", lang), t("owner", lang), t("function", lang), t("status", lang))
    for task in runbook.list_tasks(db=db, incident_id=incident.id):
        table.add_row(
            str(task.id),
            task.title.get(lang) or task.title.get("en", ""),
            task.owner_team,
            task.core_function or "",
            task.status.value,
        )
    console.print(table)


ActorOption = typer.Option(None, "--as", help="Name recorded on the timeline and audit log.")


@incident_app.command("list")
def incident_list(
    event: str | None = typer.Option(None, help="Event slug."),
    open_only: bool = typer.Option(False, "--open", help="Only incidents not resolved yet."),
    limit: int = typer.Option(50, min=1, max=200),
) -> None:
    """Incidents, newest first."""
    with open_session() as db:
        event_id = events.get_by_slug(db=db, slug=event).id if event else None
        items, total = queries.list_incidents(db=db, event_id=event_id, open_only=open_only, limit=limit)
        table = Table("id", "level", "status", "scenario", "opened", "alerts", "title", title=f"{total}")
        for i in items:
            table.add_row(
                str(i.id),
                str(i.level),
                i.status.value,
                i.scenario_id or "",
                i.opened_at.isoformat(),
                f"{i.firing_count}/{i.alert_count}",
                service.display_title(
                    incident=i, spec=plans.get_active_plan(db=db, event_id=i.event_id), lang=_lang()
                ),
            )
    console.print(table)


@incident_app.command("show")
def incident_show(incident_id: int) -> None:
    """One incident and its runbook tasks."""
    with open_session() as db:
        _show(db, service.get(db=db, incident_id=incident_id))


@incident_app.command("declare")
def incident_declare(
    event: str = typer.Argument(..., help="Event slug."),
    title: str = typer.Option(..., "--title"),
    level: int | None = typer.Option(None, "--level", min=1, max=3),
    scenario: str | None = typer.Option(None, "--scenario"),
    impact: str | None = typer.Option(None, "--impact"),
    drill: bool = typer.Option(False, "--drill", help="A drill: notifications are marked as one."),
    actor: str | None = ActorOption,
) -> None:
    """Declare an incident without an alert (or a drill with --drill)."""
    with open_session() as db:
        found = events.get_by_slug(db=db, slug=event)
        spec = plans.get_active_plan(db=db, event_id=found.id)
        incident = service.declare(
            db=db,
            event=found,
            spec=spec,
            title=title,
            level=level,
            scenario_id=scenario,
            core_functions=None,
            impact=impact,
            phase=plans.current_phase(spec=spec, at=CLOCK.now()),
            actor=_actor(actor),
            clock=CLOCK,
            is_drill=drill,
        )
        db.commit()
        _show(db, incident)


@incident_app.command("ack")
def incident_ack(incident_id: int, actor: str | None = ActorOption) -> None:
    """Acknowledge an incident."""
    with open_session() as db:
        incident = service.get(db=db, incident_id=incident_id, for_update=True)
        service.acknowledge(db=db, incident=incident, actor=_actor(actor), clock=CLOCK)
        db.commit()
        _show(db, incident)


@incident_app.command("status")
def incident_status(
    incident_id: int,
    status: IncidentStatus,
    note: str | None = typer.Option(None),
    actor: str | None = ActorOption,
) -> None:
    """Move an incident to STATUS (mitigating, monitoring, resolved, reviewed …)."""
    with open_session() as db:
        incident = service.get(db=db, incident_id=incident_id, for_update=True)
        service.transition(
            db=db, incident=incident, target=status, actor=_actor(actor), clock=CLOCK, note=note
        )
        db.commit()
        _show(db, incident)


@incident_app.command("resolve")
def incident_resolve(
    incident_id: int, note: str | None = typer.Option(None), actor: str | None = ActorOption
) -> None:
    """Resolve an incident."""
    incident_status(incident_id, IncidentStatus.resolved, note, actor)


@incident_app.command("level")
def incident_level(
    incident_id: int,
    level: int = typer.Argument(..., min=1, max=3),
    reason: str = typer.Option(..., "--reason"),
    actor: str | None = ActorOption,
) -> None:
    """Re-level an incident, with a reason."""
    with open_session() as db:
        incident = service.get(db=db, incident_id=incident_id, for_update=True)
        service.relevel(
            db=db, incident=incident, level=level, reason=reason, actor=_actor(actor), clock=CLOCK
        )
        db.commit()
        _show(db, incident)


@incident_app.command("assign")
def incident_assign(
    incident_id: int, role: IncidentRole, person: str, actor: str | None = ActorOption
) -> None:
    """Give ROLE on the incident to PERSON (a person id of the plan)."""
    with open_session() as db:
        incident = service.get(db=db, incident_id=incident_id, for_update=True)
        spec = plans.get_active_plan(db=db, event_id=incident.event_id)
        roles.assign(
            db=db, incident=incident, spec=spec, role=role, person_id=person, actor=_actor(actor), clock=CLOCK
        )
        db.commit()


@incident_app.command("note")
def incident_note(incident_id: int, text: str, actor: str | None = ActorOption) -> None:
    """Add an internal note to the timeline."""
    with open_session() as db:
        service.add_note(
            db=db,
            incident=service.get(db=db, incident_id=incident_id),
            text=text,
            actor=_actor(actor),
            clock=CLOCK,
        )
        db.commit()


@incident_app.command("update")
def incident_update(
    incident_id: int,
    text: str,
    eta: str | None = typer.Option(None, help="ISO 8601 with offset."),
    team: str | None = typer.Option(None),
    actor: str | None = ActorOption,
) -> None:
    """Report progress with an optional ETA."""
    try:
        when = datetime.fromisoformat(eta) if eta else None
    except ValueError as exc:
        raise InvalidInput(Message("The ETA needs a time zone offset."), code="naive_eta") from exc
    with open_session() as db:
        incident = service.get(db=db, incident_id=incident_id, for_update=True)
        service.add_progress(
            db=db, incident=incident, text=text, eta=when, team=team, actor=_actor(actor), clock=CLOCK
        )
        db.commit()
        console.print(t("Progress recorded on incident #{id}.", _lang(), id=incident.id), markup=False)
        _show(db, incident)


@incident_app.command("rename")
def incident_rename(incident_id: int, title: str, actor: str | None = ActorOption) -> None:
    """Give the incident a title of your own (it wins over the scenario's name)."""
    with open_session() as db:
        incident = service.get(db=db, incident_id=incident_id, for_update=True)
        service.rename(db=db, incident=incident, title=title, actor=_actor(actor), clock=CLOCK)
        db.commit()
        _show(db, incident)


@incident_app.command("pause")
def incident_pause(
    incident_id: int, reason: str | None = typer.Option(None), actor: str | None = ActorOption
) -> None:
    """Pause the incident's event (the status page shows the plan's pause notice)."""
    with open_session() as db:
        incident = service.get(db=db, incident_id=incident_id, for_update=True)
        service.pause(db=db, incident=incident, actor=_actor(actor), clock=CLOCK, reason=reason)
        db.commit()
        _show(db, incident)


@incident_app.command("resume")
def incident_resume(
    incident_id: int, note: str | None = typer.Option(None), actor: str | None = ActorOption
) -> None:
    """Resume the incident's paused event."""
    with open_session() as db:
        incident = service.get(db=db, incident_id=incident_id, for_update=True)
        service.resume(db=db, incident=incident, actor=_actor(actor), clock=CLOCK, note=note)
        db.commit()
        console.print(t("The event is running again.", _lang()), markup=False)
        _show(db, incident)


@incident_app.command("task")
def incident_task(
    incident_id: int,
    task_id: int,
    action: str = typer.Argument(..., help="start|done|skip|reopen"),
    reason: str | None = typer.Option(None),
    actor: str | None = ActorOption,
) -> None:
    """Change a runbook task."""
    with open_session() as db:
        incident = service.get(db=db, incident_id=incident_id, for_update=True)
        runbook.change_task(
            db=db,
            incident=incident,
            task_id=task_id,
            action=action,
            actor=_actor(actor),
            clock=CLOCK,
            reason=reason,
        )
        db.commit()
        _show(db, incident)


@incident_app.command("merge")
def incident_merge(incident_id: int, into: int, actor: str | None = ActorOption) -> None:
    """Fold INCIDENT_ID into INTO."""
    with open_session() as db:
        source = service.get(db=db, incident_id=incident_id, for_update=True)
        target = service.get(db=db, incident_id=into, for_update=True)
        merging.merge(db=db, source=source, target=target, actor=_actor(actor), clock=CLOCK)
        db.commit()
