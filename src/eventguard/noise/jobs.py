"""Noise control's periodic job (the ``worker_pass`` hook, once per worker pass): alerts that stopped
flapping (and the held incidents they release), due reminders, and maintenance windows posted on
the status page — each in its own transaction."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session

from eventguard.db import Database
from eventguard.errors import NotFound
from eventguard.events.models import Event
from eventguard.incidents.models import Incident
from eventguard.logs import get_logger
from eventguard.noise import flapping, posts, reminders, transient
from eventguard.noise import service as noise
from eventguard.noise.models import AlertFlap, PagingHold
from eventguard.plans import service as plans
from eventguard.plans.schemas import PlanSpec

if TYPE_CHECKING:
    from eventguard.worker.context import WorkerContext

log = get_logger("eventguard.noise")


def _specs(db: Session) -> dict[int, PlanSpec]:
    found: dict[int, PlanSpec] = {}
    for event_id in db.scalars(select(Event.id)):
        try:
            found[event_id] = plans.get_active_plan(db=db, event_id=event_id)
        except NotFound:  # an event without a plan yet has no noise rules
            continue
    return found


def _pending(db: Session, specs: dict[int, PlanSpec], now: datetime) -> bool:
    flapping_now = select(AlertFlap.id).where(AlertFlap.flapping_since.is_not(None)).limit(1)
    waiting = (
        select(PagingHold.incident_id)
        .join(Incident, Incident.id == PagingHold.incident_id)
        .where(
            PagingHold.rule == transient.KEY,
            PagingHold.released_at.is_(None),
            Incident.firing_count > 0,
            Incident.status.in_(reminders.REMINDED),
        )
    )
    return (
        db.scalar(flapping_now) is not None
        or db.scalar(waiting.limit(1)) is not None
        or bool(reminders.due(db=db, now=now))
        or posts.pending(db=db, now=now, spec_of=specs)
    )


def worker_pass(*, database: Database, context: WorkerContext) -> None:
    """Looks first in a read-only session: on SQLite a write session takes the database's write
    lock, which the worker must not take several times a second for nothing."""
    clock = context.clock
    with database.session() as db:
        if not _pending(db, _specs(db), clock.now()):
            return
    with database.session(write=True) as db:
        specs = _specs(db)
        for row, firing in flapping.sweep(db=db, clock=clock, spec_of=specs):
            if row.incident_id is None or not firing:
                continue
            if flapping.still_flapping(db=db, incident_id=row.incident_id):
                continue
            if flapping.held_by_flapping(db=db, incident_id=row.incident_id):
                incident = db.get(Incident, row.incident_id)
                if incident is not None and incident.is_open and incident.firing_count:
                    reason = f"alert {row.fingerprint} stopped flapping and still fires"
                    noise.release(db=db, incident=incident, reason=reason, clock=clock)
        transient.sweep(db=db, clock=clock, spec_of=specs)
        reminded = reminders.send_due(db=db, context=context)
        posts.sync(db=db, clock=clock, spec_of=specs)
        db.commit()
    if reminded:
        log.info("reminders_sent", incidents=reminded)
