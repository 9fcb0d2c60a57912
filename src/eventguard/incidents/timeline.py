"""The append-only incident timeline."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import event, select
from sqlalchemy.orm import Session, UOWTransaction

from eventguard.audit.service import Actor
from eventguard.clock import Clock
from eventguard.errors import Conflict
from eventguard.incidents.models import Incident, TimelineEntry

KINDS = frozenset(
    {
        "alert",
        "status",
        "note",
        "role",
        "notification",
        "update",
        "progress",
        "level",
        "task",
        "merge",
        "backup",
        "suppression",
        "pause",  # the event paused ({"paused": true, ...}) or resumed ({"paused": false, ...})
        "title",  # a commander renamed the incident ({"from", "to"})
        "compliance",  # reportable, a deadline reminder, a report recorded sent (eventguard.compliance)
    }
)


def add(
    *,
    db: Session,
    incident: Incident,
    kind: str,
    actor: Actor,
    clock: Clock,
    text: str | None = None,
    data: dict[str, Any] | None = None,
) -> TimelineEntry:
    """Append one entry to ``incident``'s timeline in the caller's transaction."""
    if kind not in KINDS:
        raise ValueError(f"unknown timeline kind {kind!r}")
    entry = TimelineEntry(
        incident_id=incident.id,
        at=clock.now(),
        kind=kind,
        actor_type=actor.type,
        actor_name=actor.name,
        actor_id=actor.id,
        text=text,
        data=data or {},
    )
    db.add(entry)
    return entry


def entries(*, db: Session, incident_id: int, after_id: int = 0) -> Sequence[TimelineEntry]:
    """Oldest first; ``after_id`` returns only newer entries (for live updates)."""
    query = (
        select(TimelineEntry)
        .where(TimelineEntry.incident_id == incident_id, TimelineEntry.id > after_id)
        .order_by(TimelineEntry.id)
    )
    return db.scalars(query).all()


@event.listens_for(Session, "before_flush")
def _refuse_rewrites(session: Session, _ctx: UOWTransaction, _instances: object) -> None:
    # History is append-only; evidence, once frozen, never changes.
    for obj in session.deleted:
        if isinstance(obj, TimelineEntry):
            raise Conflict("timeline entries cannot be deleted", code="timeline_append_only")
    for obj in session.dirty:
        if isinstance(obj, TimelineEntry) and session.is_modified(obj):
            raise Conflict("timeline entries cannot be changed", code="timeline_append_only")
        if isinstance(obj, Incident) and _evidence_changed(obj):
            raise Conflict("the evidence snapshot is frozen", code="evidence_frozen")


def _evidence_changed(incident: Incident) -> bool:
    from sqlalchemy import inspect

    previous: list[object] = list(inspect(incident).attrs.evidence.history.deleted or ())
    return any(value is not None for value in previous)
