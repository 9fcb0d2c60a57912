"""Each event's status page row: comms settings (which levels need a second approver, how often
comms is reminded) and the change counter that every public change bumps in its own transaction."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from eventguard.audit import service as audit
from eventguard.audit.service import Actor
from eventguard.clock import Clock
from eventguard.comms.models import StatusPage
from eventguard.comms.statuspage.version import CHANNEL
from eventguard.errors import InvalidInput
from eventguard.i18n import Message

DEFAULT_APPROVAL_LEVELS = (1,)
DEFAULT_REMINDER_MINUTES = 10


def read(*, db: Session, event_id: int, clock: Clock) -> StatusPage:
    """The event's status page row, or the defaults (not stored) when nothing changed it yet."""
    return db.get(StatusPage, event_id) or _default(event_id, clock)


def _default(event_id: int, clock: Clock) -> StatusPage:
    return StatusPage(
        event_id=event_id,
        approval_levels=list(DEFAULT_APPROVAL_LEVELS),
        reminder_minutes=DEFAULT_REMINDER_MINUTES,
        version=0,
        changed_at=clock.now(),
    )


def page_of(*, db: Session, event_id: int, clock: Clock, for_update: bool = False) -> StatusPage:
    """The event's status page row, created with the defaults the first time it is needed."""
    page = db.get(StatusPage, event_id, with_for_update=for_update or None)
    if page is None:
        page = _default(event_id, clock)
        try:
            with db.begin_nested():  # two first changes at once: the loser reads the winner's row
                db.add(page)
        except IntegrityError:
            return db.get_one(StatusPage, event_id, with_for_update=for_update or None)
    return page


def touch(*, db: Session, event_id: int, clock: Clock) -> StatusPage:
    """Record that something public of the event changed (the page cache and Last-Modified follow).

    The row is locked, so two changes at once make two versions; on PostgreSQL every serving
    process hears the new version at commit (``NOTIFY``, see ``statuspage.version``)."""
    page = page_of(db=db, event_id=event_id, clock=clock, for_update=True)
    page.version += 1
    page.changed_at = max(clock.now(), page.changed_at)
    if db.get_bind().dialect.name == "postgresql":
        payload = f"{event_id}:{page.version}"
        db.execute(text("SELECT pg_notify(:channel, :payload)"), {"channel": CHANNEL, "payload": payload})
    return page


def public_changed(*, db: Session, event_id: int, clock: Clock) -> None:
    """The ``public_changed`` hook: a lower domain changed something the page shows (an incident's
    state or level behind the component states, the event's pause). Bumps the version that every
    serving process checks on each request (``statuspage.cache``)."""
    touch(db=db, event_id=event_id, clock=clock)


def update_settings(
    *,
    db: Session,
    event_id: int,
    approval_levels: list[int] | None,
    reminder_minutes: int | None,
    actor: Actor,
    clock: Clock,
) -> StatusPage:
    """Change which levels need a second approver and how often comms is reminded (audited)."""
    page = page_of(db=db, event_id=event_id, clock=clock, for_update=True)
    before = {"approval_levels": list(page.approval_levels), "reminder_minutes": page.reminder_minutes}
    if approval_levels is not None:
        if any(level not in (1, 2, 3) for level in approval_levels):
            raise InvalidInput(Message("The level must be 1, 2 or 3."), code="invalid_level")
        page.approval_levels = sorted(set(approval_levels))
    if reminder_minutes is not None:
        if not 1 <= reminder_minutes <= 1440:
            raise InvalidInput(
                Message("Reminders must come every 1 to 1440 minutes."), code="invalid_reminder_interval"
            )
        page.reminder_minutes = reminder_minutes
    audit.record(
        db=db,
        actor=actor,
        action="comms.settings",
        target_type="event",
        target_id=event_id,
        before=before,
        after={"approval_levels": list(page.approval_levels), "reminder_minutes": page.reminder_minutes},
        clock=clock,
    )
    return page
