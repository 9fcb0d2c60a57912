"""Acknowledging from the link in a notification: a confirmation page (GET) and the action (POST)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from eventguard.audit.service import Actor
from eventguard.deps import ClockDep, DbSession, SettingsDep
from eventguard.errors import EventGuardError
from eventguard.incidents import service as incidents
from eventguard.incidents.models import IncidentStatus
from eventguard.notify.ack import read_ack_token
from eventguard.web.pages import render

router = APIRouter(include_in_schema=False)


def _context(
    request: Request, db: DbSession, clock: ClockDep, settings: SettingsDep, token: str
) -> dict[str, object]:
    claim = read_ack_token(settings, token, clock)
    incident = incidents.get(db=db, incident_id=claim.incident_id)
    return {"incident": incident, "person": claim.person_id, "token": token, "done": False, "error": None}


@router.get("/ack/{token}", response_class=HTMLResponse)
def confirm_page(
    request: Request, token: str, db: DbSession, clock: ClockDep, settings: SettingsDep
) -> Response:
    """Ask to confirm (mail scanners and link previews only GET, so they never acknowledge)."""
    try:
        context = _context(request, db, clock, settings, token)
    except EventGuardError as exc:
        return render(request, "ack.html", {"error": exc.render(None), "incident": None}, exc.status_code)
    return render(request, "ack.html", context)


@router.post("/ack/{token}", response_class=HTMLResponse)
def acknowledge(
    request: Request, token: str, db: DbSession, clock: ClockDep, settings: SettingsDep
) -> Response:
    """Acknowledge the incident as the person the link was sent to."""
    try:
        context = _context(request, db, clock, settings, token)
        claim_person = str(context["person"] or "link")
        incident = incidents.get(db=db, incident_id=context["incident"].id, for_update=True)  # type: ignore[attr-defined]
        if incident.status is IncidentStatus.triggered:
            actor = Actor(type="link", name=claim_person)
            incidents.acknowledge(db=db, incident=incident, actor=actor, clock=clock)
            db.commit()
    except EventGuardError as exc:
        return render(request, "ack.html", {"error": exc.render(None), "incident": None}, exc.status_code)
    return render(request, "ack.html", {**context, "incident": incident, "done": True})
