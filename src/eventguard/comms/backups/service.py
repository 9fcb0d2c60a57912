"""Backup plans switched on from an incident: one action that is timelined and audited, shows on the
status page, and puts the plan's links into the incident's announcement drafts. Switching off
restores the normal state (the page no longer shows it, drafts lose the link)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from eventguard.audit import service as audit
from eventguard.audit.service import Actor
from eventguard.clock import Clock
from eventguard.comms.backups.plans import backup_plan
from eventguard.comms.models import BackupActivation
from eventguard.comms.statuspage import state
from eventguard.comms.updates import drafts
from eventguard.errors import Conflict
from eventguard.i18n import Message
from eventguard.incidents import timeline
from eventguard.incidents.models import Incident
from eventguard.outbox import service as outbox
from eventguard.plans.schemas import BackupPlan, PlanSpec


def activate(
    *,
    db: Session,
    incident: Incident,
    spec: PlanSpec,
    backup_id: str,
    base_url: str,
    actor: Actor,
    clock: Clock,
) -> BackupActivation:
    """Switch the backup plan on for the incident. Already on: returns that activation unchanged."""
    plan = backup_plan(spec, backup_id)
    current = next(iter(_active(db, incident.id, backup_id)), None)
    if current is not None:
        return current
    if not incident.is_open:
        raise Conflict(
            Message("A backup plan can only be switched on for an open incident."), code="incident_closed"
        )
    activation = BackupActivation(
        event_id=incident.event_id,
        incident_id=incident.id,
        backup_id=backup_id,
        active_key=f"{incident.id}:{backup_id}",
        is_drill=incident.is_drill,
        activated_at=clock.now(),
        activated_by=actor.name,
    )
    try:
        with db.begin_nested():  # two clicks at once: one activation, the other caller gets a 409
            db.add(activation)
    except IntegrityError as exc:
        raise Conflict(
            Message("This backup plan was switched on at the same moment."), code="backup_already_active"
        ) from exc
    _record(db, incident, spec, plan, "activated", base_url, actor, clock)
    return activation


def deactivate(
    *,
    db: Session,
    incident: Incident,
    spec: PlanSpec,
    backup_id: str,
    base_url: str,
    actor: Actor,
    clock: Clock,
) -> BackupActivation:
    """Switch the backup plan off again; 409 when it is not on for this incident."""
    plan = backup_plan(spec, backup_id)
    current = next(iter(_active(db, incident.id, backup_id)), None)
    if current is None:
        raise Conflict(
            Message("The backup plan {backup} is not active for this incident.", {"backup": backup_id}),
            code="backup_not_active",
        )
    current.deactivated_at = clock.now()
    current.deactivated_by = actor.name
    current.active_key = None
    _record(db, incident, spec, plan, "deactivated", base_url, actor, clock)
    return current


def _active(db: Session, incident_id: int, backup_id: str) -> Sequence[BackupActivation]:
    query = select(BackupActivation).where(
        BackupActivation.incident_id == incident_id,
        BackupActivation.backup_id == backup_id,
        BackupActivation.deactivated_at.is_(None),
    )
    return db.scalars(query.with_for_update()).all()


def _record(
    db: Session,
    incident: Incident,
    spec: PlanSpec,
    plan: BackupPlan,
    action: str,
    base_url: str,
    actor: Actor,
    clock: Clock,
) -> None:
    links = [link.url for link in plan.links] + [u for u in (plan.stream_url, plan.offline_pack_url) if u]
    data = {"backup_id": plan.id, "action": action, "kind": plan.kind, "links": links}
    timeline.add(
        db=db, incident=incident, kind="backup", actor=actor, clock=clock, text=plan.name.en, data=data
    )
    audit.record(
        db=db,
        actor=actor,
        action=f"backup.{action}",
        target_type="incident",
        target_id=incident.id,
        after={"backup_id": plan.id},
        clock=clock,
    )
    outbox.enqueue(
        db=db,
        topic=f"backup.{action}",
        aggregate_type="incident",
        aggregate_id=incident.id,
        event_id=incident.event_id,
        payload={"incident_id": incident.id, "backup_id": plan.id, "by": actor.name},
        is_drill=incident.is_drill,
        clock=clock,
    )
    db.flush()
    # The next announcement carries the links: drafts written from the template are filled again.
    drafts.refresh_drafts(db=db, incident=incident, spec=spec, base_url=base_url, clock=clock)
    if not incident.is_drill:
        state.touch(db=db, event_id=incident.event_id, clock=clock)
