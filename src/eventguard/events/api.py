"""Events API: the events EventGuard watches, with their phase now."""

from __future__ import annotations

from fastapi import APIRouter
from sqlalchemy.orm import Session

from eventguard.auth.deps import CurrentPrincipal
from eventguard.clock import Clock
from eventguard.deps import ClockDep, DbSession
from eventguard.events import service
from eventguard.events.models import Event
from eventguard.events.schemas import EventPauseRead, EventRead, PhaseRead
from eventguard.openapi import errors
from eventguard.plans import service as plans

router = APIRouter(prefix="/api/v1/events", tags=["events"])


def _read(db: Session, event: Event, clock: Clock) -> EventRead:
    spec = plans.get_active_plan(db=db, event_id=event.id)
    version = plans.get_version(db=db, slug=event.slug)
    pause = service.current_pause(db=db, event_id=event.id)
    return EventRead(
        id=event.id,
        slug=event.slug,
        name=spec.event.name.model_dump(by_alias=True),
        timezone=event.timezone,
        owner=spec.event.owner,
        current_phase=plans.current_phase(spec=spec, at=clock.now()),
        phases=[PhaseRead(name=p.name, start=p.start, end=p.end) for p in spec.event.phases],
        plan_version=version.number,
        default_level=spec.event.default_level,
        group_by=list(spec.event.group_by),
        paused=pause is not None,
        pause=EventPauseRead.model_validate(pause) if pause else None,
    )


@router.get("", response_model=list[EventRead])
def list_events(_viewer: CurrentPrincipal, db: DbSession, clock: ClockDep) -> list[EventRead]:
    """Every event with a plan, with its current phase (prep, live, post or none)."""
    return [_read(db, event, clock) for event in service.list_events(db=db)]


@router.get("/{slug}", response_model=EventRead, responses=errors(404))
def get_event(slug: str, _viewer: CurrentPrincipal, db: DbSession, clock: ClockDep) -> EventRead:
    """One event, its phases and the plan version in force."""
    return _read(db, service.get_by_slug(db=db, slug=slug), clock)
