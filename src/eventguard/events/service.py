"""Events: looked up by slug; created or renamed when a plan for them is applied."""

from __future__ import annotations

import re
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from eventguard.clock import Clock
from eventguard.errors import NotFound
from eventguard.events.models import Event
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
