"""Events: looked up by slug; created or renamed when a plan for them is applied; paused (the
seed's 立即停止活动) and resumed."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from eventguard.clock import Clock
from eventguard.errors import Conflict, NotFound
from eventguard.events.models import Event, EventPause
from eventguard.i18n import Message
from eventguard.plans.types import SLUG_PATTERN

_SLUG = re.compile(SLUG_PATTERN)


def get_by_slug(*, db: Session, slug: str) -> Event:
    """The event with ``slug``; NotFound otherwise."""
    event = find_by_slug(db=db, slug=slug)
    if event is None:
        raise NotFound(
            Message("No event {slug}.", {"slug": slug}), code="event_not_found", details={"slug": slug}
        )
    return event


def get(*, db: Session, event_id: int) -> Event:
    """The event with ``event_id``; NotFound otherwise."""
    event = db.get(Event, event_id)
    if event is None:
        raise NotFound(
            Message("No event {slug}.", {"slug": event_id}), code="event_not_found", details={"id": event_id}
        )
    return event


def find_by_slug(*, db: Session, slug: str) -> Event | None:
    """The event with ``slug``, if any. What no plan can name (a NUL from a URL, which PostgreSQL
    refuses in a query) is not looked up."""
    if _SLUG.fullmatch(slug) is None:
        return None
    return db.scalar(select(Event).where(Event.slug == slug))


def list_events(*, db: Session) -> Sequence[Event]:
    return db.scalars(select(Event).order_by(Event.slug)).all()


def upsert(*, db: Session, slug: str, name: str, timezone: str, clock: Clock) -> Event:
    """Create the event or bring its name and timezone in line with the applied plan (flushes)."""
    event = find_by_slug(db=db, slug=slug)
    now = clock.now()
    if event is None:
        event = Event(slug=slug, name=name, timezone=timezone, created_at=now, updated_at=now)
        db.add(event)
    elif (event.name, event.timezone) != (name, timezone):
        event.name, event.timezone, event.updated_at = name, timezone, now
    db.flush()
    return event


def current_pause(*, db: Session, event_id: int) -> EventPause | None:
    """The event's open pause (it is paused), or None."""
    query = select(EventPause).where(EventPause.event_id == event_id, EventPause.resumed_at.is_(None))
    return db.scalar(query.order_by(EventPause.id.desc()).limit(1))


def pause(
    *,
    db: Session,
    event: Event,
    by: str,
    at: datetime,
    incident_id: int | None = None,
    level: int | None = None,
    reason: str | None = None,
    automatic: bool = False,
) -> tuple[EventPause, bool]:
    """Pause the event (flushes): (the pause, True) — or (the open pause, False) when it is paused
    already. The event row is locked first, so two pauses at once make one."""
    db.get(Event, event.id, with_for_update={"key_share": True})  # FOR NO KEY UPDATE: see alerts.journal
    found = current_pause(db=db, event_id=event.id)
    if found is not None:
        return found, False
    row = EventPause(
        event_id=event.id,
        incident_id=incident_id,
        level=level,
        reason=reason,
        automatic=automatic,
        paused_at=at,
        paused_by=by,
    )
    db.add(row)
    db.flush()
    return row, True


def resume(*, db: Session, event: Event, by: str, at: datetime, note: str | None = None) -> EventPause:
    """End the event's pause; 409 ``not_paused`` when it is not paused."""
    db.get(Event, event.id, with_for_update={"key_share": True})
    found = current_pause(db=db, event_id=event.id)
    if found is None:
        raise Conflict(Message("The event is not paused."), code="not_paused")
    found.resumed_at, found.resumed_by, found.resume_note = at, by, note
    db.flush()
    return found
