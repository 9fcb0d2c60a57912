"""The incident room's war-room action: open the incident's rooms in the team's chat by hand
(role- and CSRF-checked like every room action; the worker creates them)."""

from __future__ import annotations

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from eventguard.auth.deps import Principal
from eventguard.auth.models import Role
from eventguard.chat import rooms
from eventguard.deps import ClockDep, DbSession, SettingsDep
from eventguard.incidents.models import Incident
from eventguard.plans import service as plans
from eventguard.web.room_actions import act

router = APIRouter(include_in_schema=False)


@router.post("/incidents/{incident_id}/war-rooms")
def open_war_rooms(
    request: Request,
    incident_id: str,
    db: DbSession,
    clock: ClockDep,
    settings: SettingsDep,
    csrf_token: str = Form(""),
) -> Response:
    """Ask for the incident's war rooms on every platform the event has an app for."""

    def work(principal: Principal, incident: Incident) -> None:
        spec = plans.get_active_plan(db=db, event_id=incident.event_id)
        rooms.request(db=db, incident=incident, spec=spec, actor=principal.actor, clock=clock, by_hand=True)

    return act(request, db, clock, settings, csrf_token, incident_id, Role.responder, work)
