"""Noise API: silences and maintenance windows of an event, and what they held on an incident."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query

from eventguard.auth.deps import CurrentPrincipal, Principal, require_role
from eventguard.auth.models import Role
from eventguard.deps import ClockDep, DbSession
from eventguard.errors import InvalidInput
from eventguard.events import service as events
from eventguard.i18n import Message
from eventguard.incidents import service as incidents
from eventguard.inputs import Id
from eventguard.noise import maintenance, service, silencing
from eventguard.noise.schemas import (
    IncidentNoise,
    SilenceCreate,
    SilenceRead,
    WindowCreate,
    WindowRead,
)
from eventguard.openapi import errors
from eventguard.plans import service as plans

router = APIRouter(prefix="/api/v1", tags=["noise control"], responses=errors(404))
Responder = Annotated[Principal, Depends(require_role(Role.responder))]
Commander = Annotated[Principal, Depends(require_role(Role.commander))]


@router.get("/events/{slug}/silences", response_model=list[SilenceRead])
def list_silences(
    slug: str,
    _viewer: CurrentPrincipal,
    db: DbSession,
    clock: ClockDep,
    expired: Annotated[bool, Query(description="Include expired silences.")] = False,
) -> list[dict[str, Any]]:
    """The event's pending and active silences (and expired ones when asked), ending soonest first."""
    event = events.get_by_slug(db=db, slug=slug)
    now = clock.now()
    rows = silencing.list_silences(db=db, event_id=event.id, include_expired=expired, at=now)
    return [silencing.silence_view(s, now) for s in rows]


@router.post("/events/{slug}/silences", status_code=201, response_model=SilenceRead, responses=errors(422))
def create_silence(
    slug: str, body: SilenceCreate, principal: Responder, db: DbSession, clock: ClockDep
) -> dict[str, Any]:
    """Silence the alerts matching every matcher from ``starts_at`` (default now) to ``ends_at``
    (or for ``duration``): they are kept and shown, and nobody is paged for them."""
    event = events.get_by_slug(db=db, slug=slug)
    start = body.starts_at or clock.now()
    if (body.ends_at is None) == (body.duration is None):
        raise InvalidInput(Message("Give either ends_at or duration."), code="silence_end_missing")
    end = body.ends_at if body.ends_at is not None else start + body.duration  # type: ignore[operator]
    silence = silencing.create_silence(
        db=db,
        event_id=event.id,
        matchers=[m.model_dump() for m in body.matchers],
        starts_at=start,
        ends_at=end,
        comment=body.comment,
        actor=principal.actor,
        source="api",
        clock=clock,
    )
    db.commit()
    return silencing.silence_view(silence, clock.now())


@router.get("/events/{slug}/silences/{silence_id}", response_model=SilenceRead)
def get_silence(
    slug: str, silence_id: Id, _viewer: CurrentPrincipal, db: DbSession, clock: ClockDep
) -> dict[str, Any]:
    """One silence, with its state (pending, active, expired)."""
    event = events.get_by_slug(db=db, slug=slug)
    return silencing.silence_view(
        silencing.get_silence(db=db, event_id=event.id, silence_id=silence_id), clock.now()
    )


@router.delete("/events/{slug}/silences/{silence_id}", response_model=SilenceRead, responses=errors(409))
def expire_silence(
    slug: str, silence_id: Id, principal: Responder, db: DbSession, clock: ClockDep
) -> dict[str, Any]:
    """Expire a silence now (it stays listed as expired); held incidents that still fire are
    released by the worker's next pass."""
    event = events.get_by_slug(db=db, slug=slug)
    silence = silencing.expire_silence(
        db=db, event_id=event.id, silence_id=silence_id, actor=principal.actor, clock=clock
    )
    db.commit()
    return silencing.silence_view(silence, clock.now())


@router.get("/events/{slug}/maintenance-windows", response_model=list[WindowRead])
def list_windows(
    slug: str, _viewer: CurrentPrincipal, db: DbSession, clock: ClockDep
) -> list[dict[str, Any]]:
    """The plan's maintenance windows and the ad-hoc ones, with whether each is on now and its next start."""
    event = events.get_by_slug(db=db, slug=slug)
    now = clock.now()
    spec = plans.get_active_plan(db=db, event_id=event.id)
    found = [maintenance.plan_window_view(item, rec, now) for item, rec in maintenance.plan_windows(spec)]
    found += [maintenance.window_view(w, now) for w in maintenance.list_windows(db=db, event_id=event.id)]
    return found


@router.post(
    "/events/{slug}/maintenance-windows", status_code=201, response_model=WindowRead, responses=errors(422)
)
def create_window(
    slug: str, body: WindowCreate, principal: Commander, db: DbSession, clock: ClockDep
) -> dict[str, Any]:
    """An ad-hoc maintenance window (once, daily or weekly in the event's time zone); with
    ``status_page`` each occurrence is posted as the status page's scheduled maintenance."""
    event = events.get_by_slug(db=db, slug=slug)
    window = maintenance.create_window(
        db=db,
        event_id=event.id,
        timezone=event.timezone,
        name=body.name,
        matchers=[m.model_dump() for m in body.matchers],
        starts_at=body.starts_at,
        duration=body.duration,
        repeat=body.repeat,
        until=body.until,
        actor=principal.actor,
        clock=clock,
        status_page=body.status_page.model_dump() if body.status_page else None,
        known_components=[f.id for f in plans.get_active_plan(db=db, event_id=event.id).core_functions],
    )
    db.commit()
    return maintenance.window_view(window, clock.now())


@router.delete("/events/{slug}/maintenance-windows/{window_id}", response_model=WindowRead)
def delete_window(
    slug: str, window_id: Id, principal: Commander, db: DbSession, clock: ClockDep
) -> dict[str, Any]:
    """Delete an ad-hoc maintenance window (the plan's change with the plan)."""
    event = events.get_by_slug(db=db, slug=slug)
    window = maintenance.delete_window(
        db=db, event_id=event.id, window_id=window_id, actor=principal.actor, clock=clock
    )
    db.commit()
    return maintenance.window_view(window, clock.now())


@router.get("/incidents/{incident_id}/noise", response_model=IncidentNoise)
def incident_noise(incident_id: Id, _viewer: CurrentPrincipal, db: DbSession) -> IncidentNoise:
    """Which silence or window held which alerts of the incident, and whether its paging is held."""
    incidents.get(db=db, incident_id=incident_id)
    return service.incident_noise(db=db, incident_id=incident_id)
