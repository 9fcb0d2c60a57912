"""The incident room: header, live timeline, runbook tasks, roles, notifications and evidence."""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from eventguard.auth.deps import Principal
from eventguard.auth.models import Role
from eventguard.clock import Clock
from eventguard.config import Settings
from eventguard.deps import ClockDep, DbSession, SettingsDep
from eventguard.errors import EventGuardError
from eventguard.events import service as events
from eventguard.incidents import roles, runbook, timeline
from eventguard.incidents import service as incidents
from eventguard.incidents.models import Incident, IncidentRole, IncidentStatus
from eventguard.notify import service as notify
from eventguard.notify.models import Delivery
from eventguard.plans import service as plans
from eventguard.plans.schemas import PlanSpec
from eventguard.web import csrf
from eventguard.web.console import SignedIn, duration, error_page, local_time, may, parse_id
from eventguard.web.dashboard import sla_state
from eventguard.web.pages import page_language, render, templates, translator

router = APIRouter(include_in_schema=False)


def delivery_flags(delivery: Delivery) -> list[str]:
    """What a reader of the room wants to know beyond the status: was it retried, is it an escalation."""
    flags = []
    if delivery.attempts > 1:
        flags.append("retried")
    if delivery.purpose == "escalation":
        flags.append("escalated")
    return flags


def _deliveries(db: Session, incident: Incident, people: dict[str, str]) -> list[dict[str, Any]]:
    rows = notify.incident_deliveries(db=db, incident_id=incident.id)
    return [
        {
            "delivery": row,
            "recipient": people.get(row.recipient or "", row.recipient or "—"),
            "channel": row.channel_id or row.channel_kind,
            "flags": delivery_flags(row),
        }
        for row in rows
    ]


def entry_html(request: Request, entry: Any, timezone: str) -> str:
    """One timeline entry as the HTML fragment the page shows (and the live stream sends)."""
    lang = page_language(request)
    template = templates.get_template("_entry.html")
    return template.render(entry=entry, t=translator(lang), lang=lang, tz=timezone, local_time=local_time)


def _people(spec: PlanSpec) -> dict[str, str]:
    return {person.id: person.name for person in spec.people}


def head_context(db: Session, clock: Clock, incident: Incident, lang: str) -> dict[str, Any]:
    """What the room's header shows: level, title, status, scenario, commander, functions, ETA, age."""
    event = events.get(db=db, event_id=incident.event_id)
    spec = plans.get_active_plan(db=db, event_id=event.id)
    functions = {function.id: function.name.get(lang) for function in spec.core_functions}
    scenario = spec.scenario(incident.scenario_id) if incident.scenario_id else None
    return {
        "incident": incident,
        "event": event,
        "spec": spec,
        "scenario": scenario.name.get(lang) if scenario else None,
        "functions": [functions.get(f, f) for f in incident.core_functions],
        "people": _people(spec),
        "roles": roles.list_roles(db=db, incident_id=incident.id),
        "age": duration(clock.now() - incident.opened_at, lang),
        "tz": event.timezone,
        "local_time": local_time,
    }


def head_html(request: Request, db: Session, clock: Clock, incident: Incident) -> str:
    """The room's header as the HTML fragment the live stream sends when the incident changed."""
    lang = page_language(request)
    context = head_context(db, clock, incident, lang) | {"t": translator(lang), "lang": lang}
    return templates.get_template("_room_head.html").render(context)


def room_context(db: Session, clock: Clock, incident: Incident, lang: str) -> dict[str, Any]:
    head = head_context(db, clock, incident, lang)
    now = clock.now()
    return head | {
        "tasks": runbook.list_tasks(db=db, incident_id=incident.id),
        "entries": timeline.entries(db=db, incident_id=incident.id),
        "sla": [sla_state(row, now, lang) for row in notify.sla_rows(db=db, incident_id=incident.id)],
        "deliveries": _deliveries(db, incident, head["people"]),
        "evidence": json.dumps(incident.evidence, ensure_ascii=False, indent=2, default=str),
        "statuses": [s for s in IncidentStatus if s is not incident.status],
        "role_names": list(IncidentRole),
    }


def room_page(
    request: Request,
    db: Session,
    clock: Clock,
    settings: Settings,
    principal: Principal,
    incident_id: str,
    error: str | None = None,
    status_code: int = 200,
) -> Response:
    """The room, or the 404 page for an unknown incident; ``error`` says why the last action failed."""
    lang = page_language(request)
    try:
        incident = incidents.get(db=db, incident_id=parse_id(incident_id))
    except EventGuardError as exc:
        return error_page(request, exc.status_code, exc.render(lang))
    token = csrf.FormToken(request, settings)
    context = room_context(db, clock, incident, lang) | {
        "user": principal.user,
        "can_respond": may(principal, Role.responder),
        "can_command": may(principal, Role.commander),
        "csrf": token.value,
        "error": error,
    }
    return token.bind(render(request, "incident_room.html", context, status_code))


@router.get("/incidents/{incident_id}", response_class=HTMLResponse)
def incident_room(
    request: Request,
    incident_id: str,
    db: DbSession,
    clock: ClockDep,
    settings: SettingsDep,
    principal: SignedIn,
) -> Response:
    """The incident room (updates live through ``/incidents/{id}/events`` when JavaScript runs)."""
    return room_page(request, db, clock, settings, principal, incident_id)
