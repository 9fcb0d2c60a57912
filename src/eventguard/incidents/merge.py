"""Merging two incidents about the same problem: alerts move to the target, the source is closed."""

from __future__ import annotations

from sqlalchemy.orm import Session

from eventguard.audit import service as audit
from eventguard.audit.service import Actor
from eventguard.clock import Clock
from eventguard.domains import hook_functions
from eventguard.errors import Conflict
from eventguard.i18n import Message
from eventguard.incidents import service, timeline
from eventguard.incidents.models import Incident, IncidentStatus


def merge(*, db: Session, source: Incident, target: Incident, actor: Actor, clock: Clock) -> Incident:
    """Fold ``source`` into ``target``: alerts follow, the group key is released, both timelines say so."""
    if source.id == target.id:
        raise Conflict(Message("An incident cannot be merged into itself."), code="merge_into_self")
    if source.event_id != target.event_id:
        raise Conflict(Message("Only incidents of the same event can be merged."), code="merge_across_events")
    if not target.is_open or source.merged_into_id is not None:
        raise Conflict(
            Message("Merge into an open incident, from one not merged already."), code="merge_closed"
        )
    for follow in hook_functions("incident_merged"):  # the alerts domain moves its alerts
        follow(db, source=source, target=target)
    if source.level < target.level:
        service.apply_level(
            db=db,
            incident=target,
            level=source.level,
            reason=f"merged #{source.id}",
            actor=actor,
            clock=clock,
        )
    source.merged_into_id = target.id
    if source.is_open:
        service.transition(
            db=db,
            incident=source,
            target=IncidentStatus.resolved,
            actor=actor,
            clock=clock,
            note=f"merged into #{target.id}",
        )
    for incident, other in ((source, target), (target, source)):
        timeline.add(
            db=db,
            incident=incident,
            kind="merge",
            actor=actor,
            clock=clock,
            data={"source": source.id, "target": target.id, "other": other.id},
        )
    audit.record(
        db=db,
        actor=actor,
        action="incident.merge",
        target_type="incident",
        target_id=target.id,
        before={"source": source.id},
        after={"target": target.id},
        clock=clock,
    )
    return target
