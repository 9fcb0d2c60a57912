"""Publishing public updates: a commander publishes a draft — two different commanders when the
incident's level is one of the event's approval levels (level 1 by default): the first one asks,
the second approves, which publishes. Publishing timelines the update, bumps the status page and
queues ``comms.update_published`` for subscribers and announcement webhooks. A drill's update is
published inside EventGuard only: never shown publicly, never sent."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from eventguard.audit import service as audit
from eventguard.audit.service import Actor
from eventguard.clock import Clock
from eventguard.comms.models import PublicUpdate, UpdateState
from eventguard.comms.statuspage import state
from eventguard.comms.updates.drafts import check_open
from eventguard.errors import Conflict, Forbidden
from eventguard.i18n import Message
from eventguard.incidents import timeline
from eventguard.incidents.models import Incident
from eventguard.outbox import service as outbox


def needs_approval(*, db: Session, incident: Incident, clock: Clock) -> bool:
    """Whether publishing for this incident takes a second commander (the event's approval levels)."""
    page = state.read(db=db, event_id=incident.event_id, clock=clock)
    return incident.level in page.approval_levels


def publish(
    *, db: Session, update: PublicUpdate, incident: Incident, actor: Actor, clock: Clock
) -> PublicUpdate:
    """Publish the draft, or — when the level needs approval — ask a second commander to approve it.
    Asking again as the same person changes nothing; another commander publishing it approves it."""
    check_open(update)
    if not needs_approval(db=db, incident=incident, clock=clock):
        return _publish(db, update, incident, actor, clock, approved_by=None)
    if update.state is UpdateState.pending_approval and _is_second_person(update, actor):
        return _publish(db, update, incident, actor, clock, approved_by=actor.name)
    if update.state is UpdateState.draft:
        update.state = UpdateState.pending_approval
        update.requested_by, update.requested_by_id = actor.name, actor.id
        update.updated_at = clock.now()
        data = {"public_update": update.id, "state": "pending_approval"}
        timeline.add(
            db=db,
            incident=incident,
            kind="update",
            actor=actor,
            clock=clock,
            text=update.title["en"],
            data=data,
        )
        _audit(db, actor, clock, update, "comms.request_approval")
    return update


def _is_second_person(update: PublicUpdate, actor: Actor) -> bool:
    return actor.id is not None and actor.id != update.requested_by_id


def approve(
    *, db: Session, update: PublicUpdate, incident: Incident, actor: Actor, clock: Clock
) -> PublicUpdate:
    """A second commander approves a draft waiting for approval, which publishes it."""
    if update.state is not UpdateState.pending_approval:
        raise Conflict(Message("This update is not waiting for approval."), code="not_pending_approval")
    if not _is_second_person(update, actor):
        raise Forbidden(
            Message("A second commander, not the one who asked, must approve this update."),
            code="second_approver_required",
        )
    return _publish(db, update, incident, actor, clock, approved_by=actor.name)


def discard(
    *, db: Session, update: PublicUpdate, incident: Incident, actor: Actor, clock: Clock
) -> PublicUpdate:
    """Throw a draft away (it stays on the timeline)."""
    check_open(update)
    update.state = UpdateState.discarded
    update.updated_at = clock.now()
    data = {"public_update": update.id, "state": "discarded"}
    timeline.add(
        db=db, incident=incident, kind="update", actor=actor, clock=clock, text=update.title["en"], data=data
    )
    return update


def _publish(
    db: Session,
    update: PublicUpdate,
    incident: Incident,
    actor: Actor,
    clock: Clock,
    *,
    approved_by: str | None,
) -> PublicUpdate:
    now = clock.now()
    update.state = UpdateState.published
    update.published_at, update.published_by, update.approved_by = now, actor.name, approved_by
    update.updated_at = now
    data = {
        "public_update": update.id,
        "state": "published",
        "status": update.status.value,
        "approved_by": approved_by,
    }
    timeline.add(
        db=db, incident=incident, kind="update", actor=actor, clock=clock, text=update.title["en"], data=data
    )
    _audit(db, actor, clock, update, "comms.publish")
    db.flush()
    if not update.is_drill:
        outbox.enqueue(
            db=db,
            topic="comms.update_published",
            aggregate_type="public_update",
            aggregate_id=update.id,
            event_id=update.event_id,
            payload={"update_id": update.id, "incident_id": incident.id, "status": update.status.value},
            clock=clock,
        )
        state.touch(db=db, event_id=update.event_id, clock=clock)
    return update


def _audit(db: Session, actor: Actor, clock: Clock, update: PublicUpdate, action: str) -> None:
    audit.record(
        db=db,
        actor=actor,
        action=action,
        target_type="public_update",
        target_id=update.id,
        after={"incident_id": update.incident_id, "status": update.status.value, "title": update.title},
        clock=clock,
    )


def has_published(*, db: Session, incident_id: int) -> bool:
    """Whether any update of the incident has been published."""
    query = select(PublicUpdate.id).where(
        PublicUpdate.incident_id == incident_id, PublicUpdate.state == UpdateState.published
    )
    return db.scalar(query.limit(1)) is not None
