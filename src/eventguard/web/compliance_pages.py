"""Compliance in the incident room (``compliance/_room.html``, included by the room): mark a
security incident reportable with a grade, the deadline timers, the drafts the legal team completes
and the record that a report was sent. Plain forms, role- and CSRF-checked, POST-redirect-GET."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from eventguard.auth.models import Role
from eventguard.compliance import service
from eventguard.deps import ClockDep, DbSession, SettingsDep
from eventguard.errors import EventGuardError, InvalidInput
from eventguard.i18n import Message
from eventguard.incidents import service as incidents
from eventguard.incidents.models import Incident
from eventguard.inputs import FormText
from eventguard.plans import service as plans
from eventguard.plans.schemas import COMPLIANCE_GRADES
from eventguard.web import csrf
from eventguard.web.console import error_page, parse_id, require, require_signed_in
from eventguard.web.incident_room import room_page, room_panel
from eventguard.web.pages import page_language

router = APIRouter(include_in_schema=False)
GRADE_LABELS = {
    "general": "general (一般)",
    "significant": "significant (较大)",
    "major": "major (重大)",
    "especially_major": "especially major (特别重大)",
}


@room_panel("compliance")
def room_compliance(request: Request, db: Session, incident: Incident) -> dict[str, Any]:
    """What the room's compliance panel shows."""
    spec = plans.get_active_plan(db=db, event_id=incident.event_id)
    now = request.app.state.clock.now()
    mark = service.get_mark(db=db, incident_id=incident.id)
    deadlines = [service.view(d, now) for d in service.deadlines_of(db=db, incident_id=incident.id)]
    team = service.legal_team(spec)
    return {
        "eligible": incident.kind in spec.compliance.scenario_kinds,
        "mark": mark,
        "deadlines": deadlines,
        "grades": [(grade, GRADE_LABELS[grade]) for grade in COMPLIANCE_GRADES],
        "legal_team": team.name.get(page_language(request)) if team else None,
        "grade_label": GRADE_LABELS.get(mark.grade, mark.grade) if mark else "",
    }


def _act(
    request: Request, db: Any, settings: Any, clock: Any, csrf_token: str, incident_id: int, work: Any
) -> Response:
    lang = page_language(request)
    back = f"/incidents/{incident_id}"
    principal = require_signed_in(request, db, clock)
    try:
        require(principal, Role.responder)
        csrf.verify(request, csrf_token, settings)
        work(principal)
        db.commit()
    except EventGuardError as exc:
        db.rollback()
        if exc.status_code in (403, 404):
            return error_page(request, exc.status_code, exc.render(lang))
        return room_page(
            request, db, clock, settings, principal, str(incident_id), exc.render(lang), exc.status_code
        )
    return RedirectResponse(f"{back}#compliance", status_code=303)


def _moment(text: str, timezone: str) -> datetime | None:
    if not text.strip():
        return None
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise InvalidInput(
            Message("Bad time {value}: use ISO 8601 with an offset.", {"value": text}), code="invalid_time"
        ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=ZoneInfo(timezone))


@router.post("/incidents/{incident_id}/compliance/mark")
def mark_page(
    request: Request,
    incident_id: str,
    db: DbSession,
    clock: ClockDep,
    settings: SettingsDep,
    csrf_token: str = Form(""),
    grade: FormText = "",
    personal_data: FormText = "",
    eu_personal_data: FormText = "",
) -> Response:
    number = parse_id(incident_id)

    def work(principal: Any) -> None:
        incident = incidents.get(db=db, incident_id=number, for_update=True)
        service.mark_reportable(
            db=db,
            incident=incident,
            grade=grade,
            personal_data=bool(personal_data),
            eu_personal_data=bool(eu_personal_data),
            aware_at=None,
            note=None,
            actor=principal.actor,
            clock=clock,
            language=page_language(request),
        )

    return _act(request, db, settings, clock, csrf_token, number, work)


@router.post("/compliance/deadlines/{deadline_id}/draft")
async def draft_page(
    request: Request, deadline_id: str, db: DbSession, clock: ClockDep, settings: SettingsDep
) -> Response:
    form = await request.form()
    try:
        deadline = service.get_deadline(db=db, deadline_id=parse_id(deadline_id))
    except EventGuardError as exc:
        return error_page(request, exc.status_code, exc.render(page_language(request)))
    values = {
        index: str(form.get(f"field_{index}", ""))
        for index in range(len(deadline.draft))
        if f"field_{index}" in form
    }

    def work(principal: Any) -> None:
        service.edit_draft(db=db, deadline=deadline, values=values, actor=principal.actor, clock=clock)

    return _act(request, db, settings, clock, str(form.get("csrf_token", "")), deadline.incident_id, work)


@router.post("/compliance/deadlines/{deadline_id}/sent")
def sent_page(
    request: Request,
    deadline_id: str,
    db: DbSession,
    clock: ClockDep,
    settings: SettingsDep,
    csrf_token: str = Form(""),
    sent_by: FormText = "",
    sent_to: FormText = "",
    sent_at: FormText = "",
    reference: FormText = "",
    partial: FormText = "",
) -> Response:
    try:
        deadline = service.get_deadline(db=db, deadline_id=parse_id(deadline_id))
    except EventGuardError as exc:
        return error_page(request, exc.status_code, exc.render(page_language(request)))

    def work(principal: Any) -> None:
        incident = incidents.get(db=db, incident_id=deadline.incident_id)
        zone = plans.get_active_plan(db=db, event_id=incident.event_id).event.timezone
        sending = service.Sending(
            sent_at=_moment(sent_at, zone) or clock.now(),
            sent_by=sent_by,
            sent_to=sent_to,
            reference=reference.strip() or None,
        )
        service.record_sent(
            db=db,
            deadline=deadline,
            sending=sending,
            actor=principal.actor,
            clock=clock,
            allow_partial=bool(partial),
        )

    return _act(request, db, settings, clock, csrf_token, deadline.incident_id, work)
