"""What people do in the incident room, as plain HTML forms: each action is role-checked on the
server, CSRF-checked, audited by the service it calls, and answered with a redirect back
(POST-redirect-GET)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from eventguard.audit.service import Actor
from eventguard.auth.deps import Principal
from eventguard.auth.models import Role
from eventguard.clock import Clock
from eventguard.config import Settings
from eventguard.deps import ClockDep, DbSession, SettingsDep
from eventguard.errors import EventGuardError, InvalidInput
from eventguard.events import service as events
from eventguard.i18n import Message
from eventguard.incidents import merge as merging
from eventguard.incidents import roles, runbook
from eventguard.incidents import service as incidents
from eventguard.incidents.models import Incident, IncidentRole, IncidentStatus
from eventguard.inputs import FormText
from eventguard.plans import service as plans
from eventguard.web import csrf
from eventguard.web.console import error_page, parse_id, require, require_signed_in
from eventguard.web.incident_room import room_page
from eventguard.web.pages import page_language

router = APIRouter(include_in_schema=False)

Work = Callable[[Principal, Incident], None]


def parse_eta(value: str, timezone: str) -> datetime | None:
    """A datetime-local value read in the event's time zone (or an ISO time with an offset)."""
    if not value.strip():
        return None
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        raise InvalidInput(Message("The ETA is not a valid date and time."), code="invalid_eta") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=ZoneInfo(timezone))


def parse_level(value: str) -> int:
    if value.strip() not in ("1", "2", "3"):
        raise InvalidInput(Message("The level must be 1, 2 or 3."), code="invalid_level")
    return int(value)


def parse_status(value: str) -> IncidentStatus:
    try:
        return IncidentStatus(value)
    except ValueError:
        raise InvalidInput(
            Message("Unknown status {status}.", {"status": value}), code="invalid_status"
        ) from None


def parse_role(value: str) -> IncidentRole:
    try:
        return IncidentRole(value)
    except ValueError:
        raise InvalidInput(Message("Unknown role {role}.", {"role": value}), code="invalid_role") from None


def act(
    request: Request,
    db: Session,
    clock: Clock,
    settings: Settings,
    csrf_token: str,
    incident_id: str,
    minimum: Role,
    work: Work,
    after: Callable[[Incident], None] | None = None,
) -> Response:
    """Run ``work`` on the locked incident for a signed-in user of at least ``minimum``; ``after``
    runs once it is committed (e.g. to let the status page show the change)."""
    principal = require_signed_in(request, db, clock)
    lang = page_language(request)
    try:
        require(principal, minimum)
        csrf.verify(request, csrf_token, settings)
        incident = incidents.get(db=db, incident_id=parse_id(incident_id), for_update=True)
        work(principal, incident)
        db.commit()
        if after is not None:
            after(incident)
    except EventGuardError as exc:
        db.rollback()
        if exc.status_code in (403, 404):
            return error_page(request, exc.status_code, exc.render(lang))
        return room_page(
            request, db, clock, settings, principal, incident_id, exc.render(lang), exc.status_code
        )
    return RedirectResponse(f"/incidents/{incident.id}", status_code=303)


@dataclass(frozen=True)
class ActionForm:
    """The fields of every incident-room form (each action reads the ones it needs)."""

    status: str = ""
    level: str = ""
    reason: str = ""
    text: str = ""
    eta: str = ""
    role: str = ""
    person_id: str = ""
    into: str = ""


Handler = Callable[[Session, Clock, Actor, Incident, ActionForm], object]


def _status(db: Session, clock: Clock, actor: Actor, incident: Incident, form: ActionForm) -> object:
    target = parse_status(form.status)
    return incidents.transition(
        db=db, incident=incident, target=target, actor=actor, clock=clock, note=form.text or None
    )


def _level(db: Session, clock: Clock, actor: Actor, incident: Incident, form: ActionForm) -> object:
    level = parse_level(form.level)
    return incidents.relevel(
        db=db, incident=incident, level=level, reason=form.reason, actor=actor, clock=clock
    )


def _note(db: Session, clock: Clock, actor: Actor, incident: Incident, form: ActionForm) -> object:
    incidents.add_note(db=db, incident=incident, text=form.text, actor=actor, clock=clock)
    return None


def _progress(db: Session, clock: Clock, actor: Actor, incident: Incident, form: ActionForm) -> object:
    eta = parse_eta(form.eta, events.get(db=db, event_id=incident.event_id).timezone)
    incidents.add_progress(
        db=db, incident=incident, text=form.text, eta=eta, team=None, actor=actor, clock=clock
    )
    return None


def _role(db: Session, clock: Clock, actor: Actor, incident: Incident, form: ActionForm) -> object:
    spec = plans.get_active_plan(db=db, event_id=incident.event_id)
    role = parse_role(form.role)
    return roles.assign(
        db=db, incident=incident, spec=spec, role=role, person_id=form.person_id, actor=actor, clock=clock
    )


def _merge(db: Session, clock: Clock, actor: Actor, incident: Incident, form: ActionForm) -> object:
    """Fold this incident into another open one (locked in id order, as the API does)."""
    target = incidents.get(db=db, incident_id=parse_id(form.into), for_update=True)
    return merging.merge(db=db, source=incident, target=target, actor=actor, clock=clock)


def _pause(db: Session, clock: Clock, actor: Actor, incident: Incident, form: ActionForm) -> object:
    pause: Callable[..., object] = getattr(incidents, "pause")  # noqa: B009 - the engine's, once it lands
    return pause(db=db, incident=incident, actor=actor, clock=clock, reason=form.reason or None)


def _resume(db: Session, clock: Clock, actor: Actor, incident: Incident, form: ActionForm) -> object:
    resume: Callable[..., object] = getattr(incidents, "resume")  # noqa: B009
    return resume(db=db, incident=incident, actor=actor, clock=clock, note=form.text or None)


def _title(db: Session, clock: Clock, actor: Actor, incident: Incident, form: ActionForm) -> object:
    rename: Callable[..., object] = getattr(incidents, "rename")  # noqa: B009
    return rename(db=db, incident=incident, title=form.text, actor=actor, clock=clock)


ACTIONS: dict[str, tuple[Role, Handler]] = {
    "acknowledge": (
        Role.responder,
        lambda db, clock, actor, incident, _form: incidents.acknowledge(
            db=db, incident=incident, actor=actor, clock=clock
        ),
    ),
    "status": (Role.responder, _status),
    "level": (Role.responder, _level),
    "note": (Role.responder, _note),
    "progress": (Role.responder, _progress),
    "role": (Role.commander, _role),
    "merge": (Role.commander, _merge),
}
# Pausing, resuming and renaming are the engine's (section 1 of issue 12): offered once it provides them.
ENGINE_ACTIONS = (("pause", _pause, "pause"), ("resume", _resume, "resume"), ("title", _title, "rename"))
for _name, _handler, _service in ENGINE_ACTIONS:
    if hasattr(incidents, _service):
        ACTIONS[_name] = (Role.commander, _handler)


def _unknown_action(action: str) -> Handler:
    def refuse(*_args: object) -> object:
        raise InvalidInput(Message("Unknown action {action}.", {"action": action}), code="unknown_action")

    return refuse


@router.post("/incidents/{incident_id}/actions/{action}")
def incident_action(
    request: Request,
    incident_id: str,
    action: str,
    db: DbSession,
    clock: ClockDep,
    settings: SettingsDep,
    csrf_token: str = Form(""),
    status: FormText = "",
    level: FormText = "",
    reason: FormText = "",
    text: FormText = "",
    eta: FormText = "",
    role: FormText = "",
    person_id: FormText = "",
    into: FormText = "",
) -> Response:
    """acknowledge, status, level, note, progress (responder and up); role, merge, pause, resume,
    title (commander and up)."""
    form = ActionForm(status, level, reason, text, eta, role, person_id, into)
    minimum, handler = ACTIONS.get(action, (Role.responder, _unknown_action(action)))

    def work(principal: Principal, incident: Incident) -> None:
        handler(db, clock, principal.actor, incident, form)

    return act(request, db, clock, settings, csrf_token, incident_id, minimum, work)


@router.post("/incidents/{incident_id}/tasks/{task_id}/{task_action}")
def task_action(
    request: Request,
    incident_id: str,
    task_id: str,
    task_action: str,
    db: DbSession,
    clock: ClockDep,
    settings: SettingsDep,
    csrf_token: str = Form(""),
    reason: FormText = "",
) -> Response:
    """Start, finish, skip (with a reason) or reopen a runbook task."""

    def work(principal: Principal, incident: Incident) -> None:
        runbook.change_task(
            db=db,
            incident=incident,
            task_id=parse_id(task_id),
            action=task_action,
            actor=principal.actor,
            clock=clock,
            reason=reason or None,
        )

    return act(request, db, clock, settings, csrf_token, incident_id, Role.responder, work)
